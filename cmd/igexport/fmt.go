package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/userfile"
)

// cmdFmt rewrites HCL files in canonical form (hclwrite, as terraform fmt):
// the files named, the *.hcl files of the directories named, or, with no
// argument, the *.hcl files of the current directory; "-" formats stdin to
// stdout. -check changes nothing and lists the files that need formatting.
//
// Exit codes: 0 formatted (or, with -check, nothing to change); 1 -check
// found files to format, or a file could not be read or written; 2 a file
// does not parse (nothing is written for it).
func cmdFmt(_ context.Context, args []string, e env) int {
	var check bool
	fs := newFlagSet("fmt", "fmt [-check] [FILE|DIR|- ...]", e.Stderr)
	fs.BoolVar(&check, "check", false, "change nothing; list the files that are not formatted and exit 1 if there is any")
	if err := fs.Parse(args); err != nil {
		return helpOr(err)
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	code := exitOK
	worse := func(c int) {
		if c == exitUsage || code == exitOK {
			code = c
		}
	}
	for _, p := range paths {
		if p == "-" {
			worse(fmtStream(e, check))
			continue
		}
		files, err := hclFiles(p)
		if err != nil {
			fmt.Fprintf(e.Stderr, "igexport fmt: %v\n", err)
			worse(exitError)
			continue
		}
		for _, f := range files {
			worse(fmtFile(e, f, check))
		}
	}
	return code
}

// hclFiles returns path itself, or the *.hcl files of a directory.
func hclFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	files, err := filepath.Glob(filepath.Join(path, "*.hcl"))
	if err != nil {
		return nil, err
	}
	if path == "." {
		for i, f := range files {
			files[i] = filepath.Base(f)
		}
	}
	slices.Sort(files)
	return files, nil
}

func fmtFile(e env, path string, check bool) int {
	src, err := userfile.Read(path, hcl.MaxFileSize)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport fmt: %v\n", err)
		return exitError
	}
	out, diags := hcl.Format(src, path)
	if diags.HasErrors() {
		_ = diags.Write(e.Stderr, false)
		return exitUsage
	}
	if bytes.Equal(out, src) {
		return exitOK
	}
	fmt.Fprintln(e.Stdout, path)
	if check {
		return exitError
	}
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport fmt: %v\n", err)
		return exitError
	}
	if err := writeFileAtomic(path, out, fi.Mode().Perm()); err != nil {
		fmt.Fprintf(e.Stderr, "igexport fmt: %v\n", err)
		return exitError
	}
	return exitOK
}

func fmtStream(e env, check bool) int {
	in := e.Stdin
	if in == nil {
		in = bytes.NewReader(nil)
	}
	src, err := io.ReadAll(io.LimitReader(in, hcl.MaxFileSize+1))
	if err != nil {
		fmt.Fprintf(e.Stderr, "igexport fmt: reading stdin: %v\n", err)
		return exitError
	}
	if len(src) > hcl.MaxFileSize {
		fmt.Fprintf(e.Stderr, "igexport fmt: stdin is larger than %d bytes: not a configuration file\n", hcl.MaxFileSize)
		return exitError
	}
	out, diags := hcl.Format(src, "<stdin>")
	if diags.HasErrors() {
		_ = diags.Write(e.Stderr, false)
		return exitUsage
	}
	if check {
		if !bytes.Equal(out, src) {
			fmt.Fprintln(e.Stdout, "<stdin>")
			return exitError
		}
		return exitOK
	}
	_, _ = e.Stdout.Write(out)
	return exitOK
}
