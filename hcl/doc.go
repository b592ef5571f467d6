// Package hcl represents igexport's configuration file (SPEC §5): it reads
// the HCL file, evaluates its expressions and decodes it into the typed
// values of Config. It runs nothing: it opens no bucket and sends no
// request, which is what lets `igexport validate` work offline.
//
// Entry points:
//
//   - Load decodes a file into a *Config and returns Diagnostics holding
//     every problem found (errors and warnings), each pointing at
//     file:line:col. Decoding carries on after an error so one run shows
//     them all.
//   - Format rewrites a file in canonical form (`igexport fmt`).
//
// Evaluation happens in two passes, as in Packer: the variable blocks are
// decoded first and their values settled (default < IGEXPORT_VAR_<NAME>
// environment variable < -var-file files < -var flags), then the rest of
// the file is decoded with var.NAME and the functions env, file, try, can
// and the usual string functions in scope.
//
// Secrets (every access_token and app_secret, and every value of a
// variable marked sensitive) are listed by Config.Secrets for redaction
// elsewhere, and are masked in every rendering of Diagnostics.
//
// Inside this package github.com/hashicorp/hcl/v2 is imported as hcl2, so
// that "hcl" always means this package.
package hcl
