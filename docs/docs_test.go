// Package docs holds the user documentation's reference pages (Markdown);
// its tests check that README.md stays a newcomer's page and that every link
// between the pages resolves.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeSections are README.md's only second-level headings: what a
// newcomer reads first. The reference lives under docs/.
var readmeSections = []string{
	"Set up",
	"Try it in five minutes (no Instagram account needed)",
	"Quickstart",
	"Documentation",
	"Development",
}

// referencePages are the docs pages README.md must link to, with a heading
// each must hold (the reference moved there from README.md).
var referencePages = map[string]string{
	"getting-a-token.md": "## Getting a token",
	"configuration.md":   "## Configuration reference",
	"commands.md":        "## Exit codes",
	"schemas.md":         "## Schemas",
	"object-stores.md":   "## Object stores",
	"querying.md":        "## Querying the lake",
	"operations.md":      "## Running it every night",
	"troubleshooting.md": "## Troubleshooting",
	"architecture.md":    "# ",
	"instagram-login.md": "## What is exported",
}

// maxReadme bounds README.md's size: a first page, not the reference.
const maxReadme = 12 << 10

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadmeIsAFirstPage(t *testing.T) {
	readme := read(t, "../README.md")
	if len(readme) > maxReadme {
		t.Errorf("README.md is %d bytes, more than %d: move reference material to docs/", len(readme), maxReadme)
	}
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^## (.*)$`).FindAllStringSubmatch(stripCode(readme), -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, "|") != strings.Join(readmeSections, "|") {
		t.Errorf("README.md sections:\n got %q\nwant %q", got, readmeSections)
	}
	for page, heading := range referencePages {
		if !strings.Contains(readme, "](docs/"+page+")") {
			t.Errorf("README.md does not link docs/%s", page)
		}
		if !strings.Contains(read(t, page), "\n"+heading) && !strings.HasPrefix(read(t, page), heading) {
			t.Errorf("docs/%s lacks %q", page, heading)
		}
	}
}

// TestLinksResolve: every relative link of README.md and docs/*.md names a
// file that exists and, with a #fragment, a heading of that file.
func TestLinksResolve(t *testing.T) {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		text := stripCode(read(t, f))
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Join(filepath.Dir(f), path)
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s: link %s: %v", f, target, err)
				continue
			}
			if frag == "" {
				continue
			}
			if !anchors(t, dest)[frag] {
				t.Errorf("%s: link %s: no heading with anchor #%s in %s", f, target, frag, dest)
			}
		}
	}
}

// stripCode removes fenced code blocks, whose lines are neither headings nor links.
func stripCode(s string) string {
	return regexp.MustCompile("(?ms)^```.*?^```").ReplaceAllString(s, "")
}

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(t *testing.T, path string) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{1,6} (.*)$`).FindAllStringSubmatch(stripCode(read(t, path)), -1) {
		out[slug(m[1])] = true
	}
	return out
}

// slug is GitHub's heading anchor: lower case, punctuation other than
// hyphens and underscores dropped, spaces turned into hyphens.
func slug(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	var b strings.Builder
	for _, r := range h {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}
