package ddl

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/igexport/igexport/internal/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the generator's output")

// goldenCases are the documented outputs of `igexport ddl`.
var goldenCases = []struct {
	name string
	opts Options
}{
	{"athena_date", Options{Dialect: "athena", Location: "s3://acme-lake?region=eu-west-1", Prefix: "instagram", Database: "social", Streams: schema.Names()}},
	{"athena_enum", Options{Dialect: "athena", Location: "s3://acme-lake", Prefix: "/instagram/", Database: "social",
		Projection: "enum", Accounts: []string{"17841400000000001", "17841400000000002"}, StartDate: "2024-06-01"}},
	{"bigquery", Options{Dialect: "bigquery", Location: "gs://acme-lake", Prefix: "instagram", Database: "acme-prod.social", Streams: schema.Names()}},
	{"duckdb", Options{Dialect: "duckdb", Location: "./lake", Prefix: "instagram", Streams: schema.Names()}},
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Generate(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/ddl -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the generator's output (go test ./internal/ddl -update, then review the diff):\n%s",
					path, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(no line differs)"
}
