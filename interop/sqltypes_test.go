package interop

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// A column type in a dialect-neutral form, so that what DuckDB reads from
// the files can be compared with what Athena and BigQuery DDL declare:
//
//	int32 int64 string bool date timestamptz timestamp(local) unsigned(…)
//	list<T>  struct<name:T,…>
//
// Mapping (SPEC §3):
//
//	DuckDB                    Athena      BigQuery
//	BIGINT                    bigint      INT64       → int64
//	INTEGER                   int         INT64       → int32 (BigQuery has one integer type)
//	VARCHAR                   string      STRING      → string
//	BOOLEAN                   boolean     BOOL        → bool
//	DATE                      date        DATE        → date
//	TIMESTAMP WITH TIME ZONE  timestamp   TIMESTAMP   → timestamptz (an instant)
//	STRUCT(a T, …)[]          array<struct<a:T,…>>  ARRAY<STRUCT<a T, …>> → list<struct<…>>

type sqlTok struct {
	text   string
	quoted bool
}

func sqlTokens(s string) ([]sqlTok, error) {
	var out []sqlTok
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"' || c == '`':
			j := strings.IndexByte(s[i+1:], byte(c))
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", s)
			}
			out = append(out, sqlTok{s[i+1 : i+1+j], true})
			i += j + 2
		case strings.ContainsRune("()<>,:[]", c):
			out = append(out, sqlTok{string(c), false})
			i++
		case c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, sqlTok{s[i:j], false})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in %q", c, s)
		}
	}
	return out, nil
}

type typeParser struct {
	dialect string
	toks    []sqlTok
	pos     int
}

// canonicalType parses a type written in dialect (duckdb, athena, bigquery).
func canonicalType(dialect, s string) (string, error) {
	toks, err := sqlTokens(s)
	if err != nil {
		return "", err
	}
	p := &typeParser{dialect: dialect, toks: toks}
	t, err := p.typ()
	if err != nil {
		return "", fmt.Errorf("%s type %q: %v", dialect, s, err)
	}
	if p.pos != len(p.toks) {
		return "", fmt.Errorf("%s type %q: trailing %q", dialect, s, p.toks[p.pos].text)
	}
	return t, nil
}

func (p *typeParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *typeParser) next() (sqlTok, error) {
	if p.pos >= len(p.toks) {
		return sqlTok{}, fmt.Errorf("unexpected end")
	}
	p.pos++
	return p.toks[p.pos-1], nil
}

func (p *typeParser) expect(s string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.quoted || t.text != s {
		return fmt.Errorf("want %q, got %q", s, t.text)
	}
	return nil
}

func (p *typeParser) typ() (string, error) {
	t, err := p.base()
	if err != nil {
		return "", err
	}
	for p.dialect == "duckdb" && p.peek() == "[" { // DuckDB list suffix
		p.pos++
		if err := p.expect("]"); err != nil {
			return "", err
		}
		t = "list<" + t + ">"
	}
	return t, nil
}

func (p *typeParser) base() (string, error) {
	tok, err := p.next()
	if err != nil {
		return "", err
	}
	word := strings.ToUpper(tok.text)
	switch {
	case word == "STRUCT":
		open, close, sep := "<", ">", ":"
		switch p.dialect {
		case "duckdb":
			open, close, sep = "(", ")", ""
		case "bigquery":
			sep = ""
		}
		if err := p.expect(open); err != nil {
			return "", err
		}
		var fields []string
		for {
			name, err := p.next()
			if err != nil {
				return "", err
			}
			if sep != "" {
				if err := p.expect(sep); err != nil {
					return "", err
				}
			}
			ft, err := p.typ()
			if err != nil {
				return "", err
			}
			fields = append(fields, name.text+":"+ft)
			if p.peek() != "," {
				break
			}
			p.pos++
		}
		if err := p.expect(close); err != nil {
			return "", err
		}
		return "struct<" + strings.Join(fields, ",") + ">", nil
	case (word == "ARRAY" || word == "LIST") && p.dialect != "duckdb":
		if err := p.expect("<"); err != nil {
			return "", err
		}
		elem, err := p.typ()
		if err != nil {
			return "", err
		}
		if err := p.expect(">"); err != nil {
			return "", err
		}
		return "list<" + elem + ">", nil
	}
	if p.dialect == "duckdb" && (word == "TIMESTAMP" || word == "TIMESTAMPTZ") {
		if word == "TIMESTAMPTZ" {
			return "timestamptz", nil
		}
		if strings.EqualFold(p.peek(), "WITH") {
			for _, w := range []string{"WITH", "TIME", "ZONE"} {
				t, err := p.next()
				if err != nil || !strings.EqualFold(t.text, w) {
					return "", fmt.Errorf("want TIMESTAMP WITH TIME ZONE")
				}
			}
			return "timestamptz", nil
		}
		return "timestamp(local)", nil
	}
	m := scalarTypes[p.dialect]
	if c, ok := m[word]; ok {
		return c, nil
	}
	return "", fmt.Errorf("unknown type %q", tok.text)
}

var scalarTypes = map[string]map[string]string{
	"duckdb": {
		"BIGINT": "int64", "INTEGER": "int32", "SMALLINT": "int16", "TINYINT": "int8",
		"VARCHAR": "string", "BOOLEAN": "bool", "DATE": "date", "DOUBLE": "double", "FLOAT": "float", "BLOB": "bytes",
		"UBIGINT": "unsigned(64)", "UINTEGER": "unsigned(32)", "USMALLINT": "unsigned(16)", "UTINYINT": "unsigned(8)",
		"HUGEINT": "int128", "UHUGEINT": "unsigned(128)",
	},
	"athena": {
		"BIGINT": "int64", "INT": "int32", "INTEGER": "int32", "SMALLINT": "int16", "TINYINT": "int8",
		"STRING": "string", "BOOLEAN": "bool", "DATE": "date", "DOUBLE": "double", "FLOAT": "float", "BINARY": "bytes",
		// Athena's timestamp reads Parquet's UTC-adjusted TIMESTAMP as the instant.
		"TIMESTAMP": "timestamptz",
	},
	"bigquery": {
		// BigQuery has one integer type: INT32 and INT64 columns both read as INT64.
		"INT64": "int64", "STRING": "string", "BOOL": "bool", "DATE": "date", "FLOAT64": "double", "BYTES": "bytes",
		"TIMESTAMP": "timestamptz", "DATETIME": "timestamp(local)",
	},
}

// forBigQuery maps a canonical type to what BigQuery can declare for it.
func forBigQuery(t string) string {
	return regexp.MustCompile(`\bint(8|16|32)\b`).ReplaceAllString(t, "int64")
}

// ddlTable is one CREATE EXTERNAL TABLE statement of `igexport ddl`.
type ddlTable struct {
	name       string // last component of the table name
	columns    [][2]string
	partitions [][2]string
	location   string // Athena LOCATION / BigQuery hive_partition_uri_prefix
}

var (
	ddlCreate     = regexp.MustCompile("(?m)^CREATE EXTERNAL TABLE (?:IF NOT EXISTS )?([`\\w.-]+) \\($")
	ddlPartitions = regexp.MustCompile(`(?m)^(?:PARTITIONED BY|WITH PARTITION COLUMNS) \((.*)\)$`)
	ddlLocation   = regexp.MustCompile(`(?m)^(?:LOCATION|\s*hive_partition_uri_prefix =) '([^']*)'`)
)

// parseDDL splits `igexport ddl` output for Athena or BigQuery into tables.
func parseDDL(t *testing.T, sql string) []ddlTable {
	t.Helper()
	var out []ddlTable
	locs := ddlCreate.FindAllStringSubmatchIndex(sql, -1)
	for i, loc := range locs {
		end := len(sql)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		stmt := sql[loc[0]:end]
		name := strings.Trim(sql[loc[2]:loc[3]], "`")
		tbl := ddlTable{name: name[strings.LastIndex(name, ".")+1:]}
		body := stmt[strings.Index(stmt, "(\n")+2:]
		body = body[:strings.Index(body, "\n)")]
		for _, line := range strings.Split(body, "\n") {
			line = strings.TrimSuffix(strings.TrimSpace(line), ",")
			col, typ, ok := strings.Cut(line, " ")
			if !ok {
				t.Fatalf("table %s: column line %q", name, line)
			}
			tbl.columns = append(tbl.columns, [2]string{strings.Trim(col, "`"), typ})
		}
		m := ddlPartitions.FindStringSubmatch(stmt)
		if m == nil {
			t.Fatalf("table %s: no partition columns:\n%s", name, stmt)
		}
		for _, p := range strings.Split(m[1], ",") {
			col, typ, _ := strings.Cut(strings.TrimSpace(p), " ")
			tbl.partitions = append(tbl.partitions, [2]string{col, typ})
		}
		if m := ddlLocation.FindStringSubmatch(stmt); m != nil {
			tbl.location = m[1]
		}
		out = append(out, tbl)
	}
	return out
}

func TestCanonicalType(t *testing.T) {
	for _, c := range []struct{ dialect, in, want string }{
		{"duckdb", `STRUCT(id VARCHAR, "timestamp" TIMESTAMP WITH TIME ZONE)[]`, "list<struct<id:string,timestamp:timestamptz>>"},
		{"duckdb", `STRUCT("hour" INTEGER, followers BIGINT)[]`, "list<struct<hour:int32,followers:int64>>"},
		{"duckdb", `TIMESTAMP`, "timestamp(local)"},
		{"duckdb", `UBIGINT`, "unsigned(64)"},
		{"athena", "array<struct<id:string,`timestamp`:timestamp>>", "list<struct<id:string,timestamp:timestamptz>>"},
		{"athena", "int", "int32"},
		{"bigquery", "ARRAY<STRUCT<id STRING, `timestamp` TIMESTAMP>>", "list<struct<id:string,timestamp:timestamptz>>"},
		{"bigquery", "INT64", "int64"},
	} {
		got, err := canonicalType(c.dialect, c.in)
		if err != nil || got != c.want {
			t.Errorf("canonicalType(%s, %q) = %q, %v; want %q", c.dialect, c.in, got, err, c.want)
		}
	}
	if got := forBigQuery("list<struct<hour:int32,followers:int64>>"); got != "list<struct<hour:int64,followers:int64>>" {
		t.Errorf("forBigQuery: %s", got)
	}
}
