package ddl

import (
	"regexp"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/igexport/igexport/internal/schema"
)

// Expected dialect types per Parquet leaf type, written down independently of
// the generator: a new Parquet type in internal/schema fails here until
// someone decides how each engine reads it.
var leafTypes = map[string]struct{ athena, bigquery, duckdb string }{
	"STRING":       {"string", "STRING", "VARCHAR"},
	"INT(64,true)": {"bigint", "INT64", "BIGINT"},
	"INT(32,true)": {"int", "INT64", "INTEGER"},
	"BOOLEAN":      {"boolean", "BOOL", "BOOLEAN"},
	"DOUBLE":       {"double", "FLOAT64", "DOUBLE"},
	"DATE":         {"date", "DATE", "DATE"},
	"TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)": {"timestamp", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"},
}

// expectType renders the type a dialect should declare for node n.
func expectType(t *testing.T, n parquet.Node, dialect string) string {
	t.Helper()
	if !n.Leaf() {
		if lt := n.Type().LogicalType(); lt != nil {
			if _, ok := lt.Value.(*format.ListType); ok {
				elem := n.Fields()[0].Fields()[0] // LIST → repeated group list → element
				switch dialect {
				case "athena":
					return "array<" + expectType(t, elem, dialect) + ">"
				case "bigquery":
					return "ARRAY<" + expectType(t, elem, dialect) + ">"
				default:
					return expectType(t, elem, dialect) + "[]"
				}
			}
		}
		var parts []string
		for _, f := range n.Fields() {
			ft := expectType(t, f, dialect)
			switch dialect {
			case "athena":
				parts = append(parts, f.Name()+":"+ft)
			case "bigquery":
				parts = append(parts, f.Name()+" "+ft)
			default:
				parts = append(parts, f.Name()+" "+ft)
			}
		}
		switch dialect {
		case "athena":
			return "struct<" + strings.Join(parts, ",") + ">"
		case "bigquery":
			return "STRUCT<" + strings.Join(parts, ", ") + ">"
		default:
			return "STRUCT(" + strings.Join(parts, ", ") + ")"
		}
	}
	key := n.Type().String()
	if lt := n.Type().LogicalType(); lt != nil {
		key = lt.String()
	}
	want, ok := leafTypes[key]
	if !ok {
		t.Fatalf("Parquet type %s has no expected mapping in this test: decide how Athena, BigQuery and DuckDB read it", key)
	}
	switch dialect {
	case "athena":
		return want.athena
	case "bigquery":
		return want.bigquery
	}
	return want.duckdb
}

var (
	createRe = regexp.MustCompile("(?m)^CREATE EXTERNAL TABLE (?:IF NOT EXISTS )?`?[A-Za-z0-9_.-]+\\.([a-z_]+)`? \\($")
	colRe    = regexp.MustCompile("^  (`?[a-z_]+`?) (.+?),?$")
)

// parseTables returns, per table, its column names and declared types, from
// the DDL text (so the test checks what users get, not internals).
func parseTables(t *testing.T, ddl string) map[string][][2]string {
	t.Helper()
	tables := map[string][][2]string{}
	lines := strings.Split(ddl, "\n")
	for i := 0; i < len(lines); i++ {
		m := createRe.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		var cols [][2]string
		for i++; i < len(lines) && lines[i] != ")"; i++ {
			c := colRe.FindStringSubmatch(lines[i])
			if c == nil {
				t.Fatalf("table %s: unparsable column line %q", m[1], lines[i])
			}
			cols = append(cols, [2]string{strings.Trim(c[1], "`"), c[2]})
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "PARTITIONED BY (dt date, account_id string)") &&
			!strings.HasPrefix(lines[i+1], "WITH PARTITION COLUMNS (dt DATE, account_id STRING)") {
			t.Fatalf("table %s: no partition clause after the columns", m[1])
		}
		tables[m[1]] = cols
	}
	return tables
}

// TestColumnsMatchParquetSchema checks that every column of every stream
// appears, in file order, with the type its Parquet type reads as, and that
// the partition columns are not file columns.
func TestColumnsMatchParquetSchema(t *testing.T) {
	for _, dialect := range []string{"athena", "bigquery"} {
		t.Run(dialect, func(t *testing.T) {
			loc := map[string]string{"athena": "s3://b", "bigquery": "gs://b"}[dialect]
			out, err := Generate(Options{Dialect: dialect, Location: loc, Streams: schema.Names()})
			if err != nil {
				t.Fatal(err)
			}
			tables := parseTables(t, out)
			if len(tables) != len(schema.Streams) {
				t.Fatalf("%d tables, want %d", len(tables), len(schema.Streams))
			}
			for _, s := range schema.Streams {
				cols, ok := tables[s.Name]
				if !ok {
					t.Errorf("no table for stream %s", s.Name)
					continue
				}
				fields := parquet.SchemaOf(s.Row).Fields()
				if len(cols) != len(fields) {
					t.Errorf("%s: %d columns, the Parquet schema has %d", s.Name, len(cols), len(fields))
					continue
				}
				for i, f := range fields {
					want := expectType(t, f, dialect)
					if cols[i][0] != f.Name() || normalize(cols[i][1]) != normalize(want) {
						t.Errorf("%s column %d: %s %s, want %s %s", s.Name, i, cols[i][0], cols[i][1], f.Name(), want)
					}
					if f.Name() == "dt" || f.Name() == "account_id" {
						t.Errorf("%s: partition column %s is a file column", s.Name, f.Name())
					}
				}
			}
		})
	}
}

// normalize drops identifier quoting inside nested types.
func normalize(s string) string { return strings.NewReplacer("`", "", `"`, "").Replace(s) }

func TestErrors(t *testing.T) {
	cases := []struct {
		opts Options
		want string
	}{
		{Options{Dialect: "hive", Location: "s3://b"}, "unknown DDL dialect"},
		{Options{Dialect: "athena", Location: "gs://b"}, "s3:// bucket URL"},
		{Options{Dialect: "athena"}, "location is required"},
		{Options{Dialect: "athena", Location: "s3://b", Projection: "enum"}, "at least one account"},
		{Options{Dialect: "athena", Location: "s3://b", Projection: "enum", Accounts: []string{"1,2"}}, "cannot be enumerated"},
		{Options{Dialect: "athena", Location: "s3://b", Projection: "weekly"}, "unknown projection"},
		{Options{Dialect: "athena", Location: "s3://b", StartDate: "2020/01/01"}, "not YYYY-MM-DD"},
		{Options{Dialect: "bigquery", Location: "s3://b"}, "gs:// bucket URL"},
		{Options{Dialect: "bigquery", Location: "gs://b", Database: "bad name"}, "dataset"},
		{Options{Dialect: "bigquery", Location: "gs://b", Projection: "enum"}, "athena only"},
		{Options{Dialect: "duckdb", Location: "mem://"}, "cannot read mem://"},
		{Options{Dialect: "duckdb", Location: "/lake", Streams: []string{"users", "reels"}}, `unknown stream "reels"`},
	}
	for _, c := range cases {
		_, err := Generate(c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Generate(%+v) = %v, want an error containing %q", c.opts, err, c.want)
		}
	}
}

func TestStreamsAndLocations(t *testing.T) {
	out, err := Generate(Options{Dialect: "duckdb", Location: "file:///srv/lake/", Streams: []string{"user_insights", "users", "users"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out, "CREATE OR REPLACE VIEW"); got != 2 {
		t.Errorf("%d views, want 2 (duplicates collapse):\n%s", got, out)
	}
	if strings.Index(out, "VIEW users") > strings.Index(out, "VIEW user_insights") {
		t.Errorf("views not in canonical stream order:\n%s", out)
	}
	if !strings.Contains(out, "'/srv/lake/users/dt=*/account_id=*/*.parquet'") {
		t.Errorf("file:// location not turned into a path:\n%s", out)
	}
	for loc, want := range map[string]string{
		"file://./lake":            "'./lake/users/",
		"s3://b?region=eu-west-1":  "'s3://b/users/",
		"azblob://c?protocol=http": "'az://c/users/",
		`C:\lake`:                  `'C:\lake/users/`,
		"gs://b/sub/":              "'gs://b/sub/users/",
	} {
		out, err := Generate(Options{Dialect: "duckdb", Location: loc, Streams: []string{"users"}})
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("location %s: %v, want %s in\n%s", loc, err, want, out)
		}
	}
	out, err = Generate(Options{Dialect: "duckdb", Location: "/l", Database: "ig", Streams: []string{"users", "media"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "CREATE SCHEMA IF NOT EXISTS ig;") != 1 || !strings.Contains(out, "VIEW ig.media AS") {
		t.Errorf("schema-qualified views:\n%s", out)
	}
	for _, q := range []string{"s3://b/x'y", "gs://b/x'y"} {
		d := map[byte]string{'s': "athena", 'g': "bigquery"}[q[0]]
		out, err := Generate(Options{Dialect: d, Location: q, Streams: []string{"users"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "x''y") {
			t.Errorf("%s: quote not escaped:\n%s", d, out)
		}
	}
}

// TestReservedNames checks that column names which are keywords are quoted.
func TestReservedNames(t *testing.T) {
	out, err := Generate(Options{Dialect: "athena", Location: "s3://b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  `timestamp` timestamp,\n", "\n  `date` date,\n", "\n  `views` bigint,\n", ",`timestamp`:timestamp>>"} {
		if !strings.Contains(out, want) {
			t.Errorf("athena DDL lacks %q", want)
		}
	}
	out, err = Generate(Options{Dialect: "bigquery", Location: "gs://b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  `timestamp` TIMESTAMP,\n", "\n  `date` DATE,\n", "\n  views INT64,\n", ", `timestamp` TIMESTAMP>>"} {
		if !strings.Contains(out, want) {
			t.Errorf("bigquery DDL lacks %q", want)
		}
	}
}
