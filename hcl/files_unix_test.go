//go:build unix

package hcl_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
)

// TestFileReadsRegularFilesOnly: file() of a FIFO (no writer: reading it
// would block forever), of /dev/zero (endless) or of a file over 1 MiB is a
// diagnostic at the call (file:line:col), at once; so is a config file or
// a -var-file that is one of those. A file of exactly 1 MiB is read.
func TestFileReadsRegularFilesOnly(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"big.txt":   strings.Repeat("x", hcl.MaxFileSize+1),
		"exact.txt": strings.Repeat("x", hcl.MaxFileSize),
	})
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	config := func(arg string) string {
		return fmt.Sprintf("account \"a\" {\n  ig_user_id   = \"1\"\n  access_token = file(%q)\n}\n", arg)
	}
	for _, tc := range []struct {
		name     string
		config   string // the config, unless path is set
		path     string // a config path that is not a file this test writes
		varFiles []string
		want     string // "" = loads without error
	}{
		{"fifo", config("fifo"), "", nil, "igexport.hcl:3:18: Error in function call: Call to function \"file\" failed: " + fifo + " is a named pipe (FIFO), not a regular file"},
		{"dev zero", config("/dev/zero"), "", nil, "igexport.hcl:3:18: Error in function call: Call to function \"file\" failed: /dev/zero is a character device"},
		{"over 1 MiB", config("big.txt"), "", nil, "igexport.hcl:3:18: Error in function call: Call to function \"file\" failed: " + filepath.Join(dir, "big.txt") + " is larger than 1 MiB"},
		{"exactly 1 MiB", config("exact.txt"), "", nil, ""},
		{"config is a fifo", "", fifo, nil, "The configuration file \"" + fifo + "\" could not be read: " + fifo + " is a named pipe (FIFO)"},
		{"config is /dev/zero", "", "/dev/zero", nil, "/dev/zero is a character device"},
		{"var file is a fifo", config("exact.txt"), "", []string{fifo}, "The -var-file \"" + fifo + "\" could not be read"},
		{"var file is /dev/zero", config("exact.txt"), "", []string{"/dev/zero"}, "The -var-file \"/dev/zero\" could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				// Next to the fixtures: file() paths are relative to the config.
				path = filepath.Join(dir, "igexport-"+strings.NewReplacer(" ", "-", "/", "-").Replace(tc.name)+".hcl")
				if err := os.WriteFile(path, []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan struct{})
			var diags hcl.Diagnostics
			go func() {
				defer close(done)
				_, diags = hcl.Load(path, hcl.LoadOptions{LookupEnv: fakeEnv(nil), VarFiles: tc.varFiles})
			}()
			select {
			case <-done:
			case <-time.After(time.Minute): // a watchdog: Load answers at once or hangs
				t.Fatal("Load blocked")
			}
			got := diags.Error()
			if tc.want == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected errors:\n%s", got)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "igexport.hcl:", filepath.Base(path)+":")
			if !diags.HasErrors() || !strings.Contains(got, want) {
				t.Errorf("diagnostics lack %q:\n%s", want, got)
			}
		})
	}
}
