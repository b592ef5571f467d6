package hcl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/igexport/igexport/hcl"
)

func TestFormatCanonicalizes(t *testing.T) {
	src := []byte("account \"a\" {\nig_user_id = \"1\"\n    access_token=env(\"T\")\n}\nstreams=[\"users\",\"media\"]\n")
	want := "account \"a\" {\n  ig_user_id   = \"1\"\n  access_token = env(\"T\")\n}\nstreams = [\"users\", \"media\"]\n"
	got, diags := hcl.Format(src, "igexport.hcl")
	if diags.Len() != 0 {
		t.Fatal(diags.Error())
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFormatIsIdempotent(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.hcl")
	for _, path := range files {
		if strings.HasSuffix(path, "syntax.hcl") {
			continue
		}
		t.Run(path, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			once, diags := hcl.Format(src, path)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			twice, _ := hcl.Format(once, path)
			if !bytes.Equal(once, twice) {
				t.Errorf("formatting twice changes the file:\n%s\n---\n%s", once, twice)
			}
		})
	}
}

func TestFormatValidFixturesAreCanonical(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	for _, path := range files {
		if filepath.Base(path) == "full.hcl" {
			continue // SPEC §5's text verbatim, hand-aligned comments included
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := hcl.Format(src, path); !bytes.Equal(got, src) {
			t.Errorf("%s is not canonical; igexport fmt would give:\n%s", path, got)
		}
	}
}

func TestFormatRefusesSyntaxErrors(t *testing.T) {
	src, err := os.ReadFile("testdata/invalid/syntax.hcl")
	if err != nil {
		t.Fatal(err)
	}
	got, diags := hcl.Format(src, "testdata/invalid/syntax.hcl")
	if got != nil || !diags.HasErrors() {
		t.Fatalf("got %q, %s", got, diags.Error())
	}
	var buf bytes.Buffer
	if err := diags.Write(&buf, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "testdata/invalid/syntax.hcl:3:") || !strings.Contains(buf.String(), `ig_user_id   "17841400000000001"`) {
		t.Errorf("the rendering shows the position and the source line:\n%s", buf.String())
	}
}
