//go:build race

package interop

// raceEnabled: the tests run with -race, so the binary is built with it too
// (it shares the compiled packages in the build cache, and catches races in
// the CLI process).
func init() { raceEnabled = true }
