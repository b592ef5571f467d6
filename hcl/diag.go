package hcl

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	hcl2 "github.com/hashicorp/hcl/v2"
)

// minRedactLen is the shortest secret masked in rendered diagnostics:
// replacing a shorter string everywhere would mangle line numbers and
// words. Shorter sensitive values are still never echoed by the messages
// this package writes.
const minRedactLen = 4

// redacted replaces a secret in a message.
const redacted = "(sensitive value)"

// Diagnostics are the problems found in a configuration file: errors, which
// make the Config unusable, and warnings. It keeps the source of the files
// it refers to so it can show the offending lines. The zero value is empty.
//
// Every rendering (Write, Error, List) masks the config's secrets.
type Diagnostics struct {
	diags   hcl2.Diagnostics
	files   map[string]*hcl2.File
	secrets []string // longest first
}

// Diagnostic is one problem, as plain data (for JSON output).
type Diagnostic struct {
	Severity string `json:"severity"` // "error" or "warning"
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	// Filename, Line and Column locate the problem; they are empty for
	// problems with no place in a file (a -var flag for an undeclared
	// variable).
	Filename string `json:"filename,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
}

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool { return d.diags.HasErrors() }

// Len is the number of diagnostics, warnings included.
func (d Diagnostics) Len() int { return len(d.diags) }

// Err returns the diagnostics as an error when there is at least one
// error, nil otherwise (warnings alone are not an error).
func (d Diagnostics) Err() error {
	if !d.HasErrors() {
		return nil
	}
	return d
}

// List returns the diagnostics as plain data, secrets masked.
func (d Diagnostics) List() []Diagnostic {
	out := make([]Diagnostic, 0, len(d.diags))
	for _, dg := range d.diags {
		x := Diagnostic{
			Severity: "error",
			Summary:  d.redact(dg.Summary),
			Detail:   d.redact(dg.Detail),
		}
		if dg.Severity == hcl2.DiagWarning {
			x.Severity = "warning"
		}
		if dg.Subject != nil {
			x.Filename = dg.Subject.Filename
			x.Line = dg.Subject.Start.Line
			x.Column = dg.Subject.Start.Column
		}
		out = append(out, x)
	}
	return out
}

// Error returns one line per diagnostic, "file:line:col: Summary: Detail",
// with "warning: " before the summary of a warning.
func (d Diagnostics) Error() string {
	var b strings.Builder
	for i, x := range d.List() {
		if i > 0 {
			b.WriteByte('\n')
		}
		if x.Filename != "" {
			fmt.Fprintf(&b, "%s:%d:%d: ", x.Filename, x.Line, x.Column)
		}
		if x.Severity == "warning" {
			b.WriteString("warning: ")
		}
		b.WriteString(x.Summary)
		if x.Detail != "" {
			b.WriteString(": ")
			b.WriteString(strings.Join(strings.Fields(x.Detail), " "))
		}
	}
	return b.String()
}

// Write renders every diagnostic the way Terraform does: severity and
// summary, "on FILE:LINE:COL", the source lines with a caret line under the
// subject, then the detail. With color set it adds terminal color codes.
// Secrets are masked, in the source lines too.
func (d Diagnostics) Write(w io.Writer, color bool) error {
	files := d.maskedFiles()
	var buf bytes.Buffer
	tw := hcl2.NewDiagnosticTextWriter(&buf, files, 0, color)
	for _, dg := range d.diags {
		buf.Reset()
		c := *dg
		c.Summary = d.redact(c.Summary)
		c.Detail = d.redact(c.Detail)
		if err := tw.WriteDiagnostic(&c); err != nil {
			return err
		}
		out := buf.String()
		if c.Subject != nil {
			out = addPosition(out, c.Subject)
			if f := files[c.Subject.Filename]; f != nil && f.Bytes != nil {
				out = addCaret(out, f.Bytes, c.Subject, color, c.Severity)
			}
		}
		if _, err := io.WriteString(w, d.redact(out)); err != nil {
			return err
		}
	}
	return nil
}

// addPosition turns HCL's "  on FILE line N" into "  on FILE:N:C", the
// form editors and terminals can jump to.
func addPosition(out string, subj *hcl2.Range) string {
	old := fmt.Sprintf("  on %s line %d", subj.Filename, subj.Start.Line)
	pos := fmt.Sprintf("  on %s:%d:%d", subj.Filename, subj.Start.Line, subj.Start.Column)
	return strings.Replace(out, old, pos, 1)
}

// addCaret inserts, under the snippet line where the subject starts, a
// line of carets under the subject (to the end of that line when the
// subject spans several).
func addCaret(out string, src []byte, subj *hcl2.Range, color bool, sev hcl2.DiagnosticSeverity) string {
	sc := hcl2.NewRangeScanner(src, subj.Filename, bufio.ScanLines)
	var line []byte
	var lineStart int
	for sc.Scan() {
		if r := sc.Range(); r.Start.Line == subj.Start.Line {
			line, lineStart = sc.Bytes(), r.Start.Byte
			break
		}
	}
	if line == nil {
		return out
	}
	from := min(max(subj.Start.Byte-lineStart, 0), len(line))
	to := len(line)
	if subj.End.Line == subj.Start.Line {
		to = min(max(subj.End.Byte-lineStart, from), len(line))
	}
	var pad strings.Builder
	pad.WriteString("      ") // the width of HCL's "%4d: " prefix
	for _, r := range string(line[:from]) {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	carets := strings.Repeat("^", max(utf8.RuneCount(line[from:to]), 1))
	if color {
		code := "\x1b[31m"
		if sev == hcl2.DiagWarning {
			code = "\x1b[33m"
		}
		carets = code + carets + "\x1b[0m"
	}
	prefix := fmt.Sprintf("%4d: ", subj.Start.Line)
	lines := strings.SplitAfter(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return strings.Join(lines[:i+1], "") + pad.String() + carets + "\n" + strings.Join(lines[i+1:], "")
		}
	}
	return out
}

// maskedFiles returns the files with every secret overwritten by as many
// '*' in their source, so byte offsets stay valid.
func (d Diagnostics) maskedFiles() map[string]*hcl2.File {
	files := make(map[string]*hcl2.File, len(d.files))
	for name, f := range d.files {
		if f == nil {
			continue
		}
		c := *f
		if c.Bytes != nil {
			b := c.Bytes
			for _, s := range d.secrets {
				if len(s) < minRedactLen || !bytes.Contains(b, []byte(s)) {
					continue
				}
				b = bytes.ReplaceAll(b, []byte(s), bytes.Repeat([]byte{'*'}, len(s)))
			}
			c.Bytes = b
		}
		files[name] = &c
	}
	return files
}

// redact masks the secrets in s.
func (d Diagnostics) redact(s string) string {
	for _, sec := range d.secrets {
		if len(sec) >= minRedactLen {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// sortDiags orders diagnostics without a position first, then by file and
// position, keeping the order of those at the same place.
func sortDiags(diags hcl2.Diagnostics) {
	slices.SortStableFunc(diags, func(a, b *hcl2.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return -1
		case b.Subject == nil:
			return 1
		}
		return cmp.Or(
			cmp.Compare(a.Subject.Filename, b.Subject.Filename),
			cmp.Compare(a.Subject.Start.Byte, b.Subject.Start.Byte),
		)
	})
}

var _ error = Diagnostics{}
