package ddl

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/igexport/igexport/internal/schema"
)

func duckdbIdent(name string) string {
	if plainIdent.MatchString(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// duckdbBase turns the location into what read_parquet accepts: a local path
// (file:// URLs become paths), or s3://, gs://, az:// (from azblob://) URLs
// without gocloud's query parameters.
func duckdbBase(location string) (string, error) {
	if location == "" {
		return "", fmt.Errorf("duckdb: a location is required (the lake's local directory, or a bucket URL)")
	}
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" || len(u.Scheme) == 1 { // no scheme, or a Windows drive letter
		return strings.TrimRight(location, "/"), nil
	}
	switch u.Scheme {
	case "file":
		p := u.Path
		if u.Host != "" && u.Host != "localhost" { // file://./lake → relative path
			p = u.Host + p
		}
		if p == "" {
			return "", fmt.Errorf("duckdb: location %q has no path", location)
		}
		return strings.TrimRight(p, "/"), nil
	case "s3", "gs", "gcs":
		return u.Scheme + "://" + u.Host + strings.TrimRight(u.Path, "/"), nil
	case "azblob":
		return "az://" + u.Host + strings.TrimRight(u.Path, "/"), nil
	}
	return "", fmt.Errorf("duckdb: location %q: DuckDB cannot read %s:// (use a local path, s3://, gs:// or azblob://)", location, u.Scheme)
}

// duckdb emits one view per stream over read_parquet with hive partitioning.
// union_by_name tolerates files written before an additive schema change.
// DuckDB binds a view when it is created, so each stream needs at least one
// file under its glob at that time.
func duckdb(o *Options) (func(*strings.Builder, schema.StreamInfo, []column) error, error) {
	base, err := duckdbBase(o.Location)
	if err != nil {
		return nil, err
	}
	if o.Projection != "" && o.Projection != "date" {
		return nil, fmt.Errorf("duckdb: projection %q applies to athena only", o.Projection)
	}
	qualifier := ""
	first := true
	return func(b *strings.Builder, s schema.StreamInfo, _ []column) error {
		if o.Database != "" && first {
			qualifier = duckdbIdent(o.Database) + "."
			fmt.Fprintf(b, "CREATE SCHEMA IF NOT EXISTS %s;\n", duckdbIdent(o.Database))
		}
		first = false
		tp, isDate := timePartition(s)
		typ := "DATE"
		if !isDate {
			typ = "VARCHAR" // YYYY-MM
		}
		glob := join(base, o.Prefix, s.Name) + "/" + tp + "=*/account_id=*/*.parquet"
		fmt.Fprintf(b, "CREATE OR REPLACE VIEW %s%s AS\n", qualifier, duckdbIdent(s.Name))
		fmt.Fprintf(b, "SELECT * FROM read_parquet(%s,\n", sqlString(glob))
		b.WriteString("  hive_partitioning = true,\n")
		fmt.Fprintf(b, "  hive_types = {'%s': %s, 'account_id': VARCHAR},\n", tp, typ)
		b.WriteString("  union_by_name = true);\n")
		return nil
	}, nil
}
