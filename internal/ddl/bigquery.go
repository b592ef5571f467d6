package ddl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/igexport/igexport/internal/schema"
)

// bigqueryReserved are GoogleSQL's reserved keywords; such identifiers are backticked.
var bigqueryReserved = toSet(`ALL AND ANY ARRAY AS ASC ASSERT_ROWS_MODIFIED AT BETWEEN BY CASE
CAST COLLATE CONTAINS CREATE CROSS CUBE CURRENT DEFAULT DEFINE DESC DISTINCT ELSE END ENUM
ESCAPE EXCEPT EXCLUDE EXISTS EXTRACT FALSE FETCH FOLLOWING FOR FROM FULL GROUP GROUPING
GROUPS HASH HAVING IF IGNORE IN INNER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LIKE
LIMIT LOOKUP MERGE NATURAL NEW NO NOT NULL NULLS OF ON OR ORDER OUTER OVER PARTITION
PRECEDING PROTO QUALIFY RANGE RECURSIVE RESPECT RIGHT ROLLUP ROWS SELECT SET SOME STRUCT
TABLESAMPLE THEN TO TREAT TRUE UNBOUNDED UNION UNNEST USING WHEN WHERE WINDOW WITH WITHIN`)

// bigqueryTypeNames are not reserved, but a column named like a type reads
// badly (and confuses some tools) unquoted.
var bigqueryTypeNames = toSet(`BIGNUMERIC BOOL BYTES DATE DATETIME FLOAT64 GEOGRAPHY INT64 INTERVAL
JSON NUMERIC RANGE STRING TIME TIMESTAMP`)

func bigqueryIdent(name string) string {
	if plainIdent.MatchString(name) && !bigqueryReserved[name] && !bigqueryTypeNames[name] {
		return name
	}
	return "`" + name + "`"
}

// bigqueryType is the BigQuery type a Parquet column of type t reads as
// (with enable_list_inference = true, a 3-level LIST is an ARRAY of its element).
func bigqueryType(t typ) string {
	switch t.kind {
	case kindString:
		return "STRING"
	case kindBytes:
		return "BYTES"
	case kindBool:
		return "BOOL"
	case kindInt8, kindInt16, kindInt32, kindInt64:
		return "INT64"
	case kindFloat, kindDouble:
		return "FLOAT64"
	case kindDate:
		return "DATE"
	case kindTimestamp:
		return "TIMESTAMP"
	case kindLocalTS:
		return "DATETIME"
	case kindDecimal:
		if t.precision-t.scale <= 29 && t.scale <= 9 {
			return "NUMERIC"
		}
		return "BIGNUMERIC"
	case kindList:
		return "ARRAY<" + bigqueryType(*t.elem) + ">"
	case kindStruct:
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = bigqueryIdent(f.name) + " " + bigqueryType(f.typ)
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">"
	}
	panic("ddl: unhandled type kind " + t.kind)
}

var bigqueryDataset = regexp.MustCompile(`^([a-z][a-z0-9-]{4,28}[a-z0-9]\.)?[A-Za-z0-9_]+$`)

// bigquery emits explicit column lists: GoogleSQL's CREATE EXTERNAL TABLE
// takes a column list together with WITH PARTITION COLUMNS, and a schema may be
// given for self-describing formats such as Parquet. The list pins the table's
// types (instead of inferring them from whichever file BigQuery samples) and
// documents them; every column is NULLABLE, which any file (required or
// optional field) satisfies.
func bigquery(o *Options) (func(*strings.Builder, schema.StreamInfo, []column) error, error) {
	base, err := bucketPath(o.Location, "gs")
	if err != nil {
		return nil, fmt.Errorf("bigquery: %w", err)
	}
	ds := o.Database
	if ds == "" {
		ds = DefaultDatabase
	}
	if !bigqueryDataset.MatchString(ds) {
		return nil, fmt.Errorf("bigquery: dataset %q is not [PROJECT.]DATASET: a project id is 6 to 30 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen; a dataset name is letters, digits and underscores (e.g. my-project.instagram)", ds)
	}
	if o.Projection != "" && o.Projection != "date" && o.Projection != "injected" {
		return nil, fmt.Errorf("bigquery: projection %q applies to athena only", o.Projection)
	}
	return func(b *strings.Builder, s schema.StreamInfo, cols []column) error {
		loc := join(base, o.Prefix, s.Name)
		fmt.Fprintf(b, "CREATE EXTERNAL TABLE `%s.%s` (\n", ds, s.Name)
		for i, c := range cols {
			sep := ","
			if i == len(cols)-1 {
				sep = ""
			}
			fmt.Fprintf(b, "  %s %s%s\n", bigqueryIdent(c.name), bigqueryType(c.typ), sep)
		}
		b.WriteString(")\n")
		tp, isDate := timePartition(s)
		typ := "DATE"
		if !isDate {
			typ = "STRING" // YYYY-MM: not a DATE to BigQuery
		}
		fmt.Fprintf(b, "WITH PARTITION COLUMNS (%s %s, account_id STRING)\n", tp, typ)
		b.WriteString("OPTIONS (\n")
		b.WriteString("  format = 'PARQUET',\n")
		fmt.Fprintf(b, "  uris = [%s],\n", sqlString(loc+"/*"))
		fmt.Fprintf(b, "  hive_partition_uri_prefix = %s,\n", sqlString(loc))
		b.WriteString("  require_hive_partition_filter = true,\n")
		b.WriteString("  enable_list_inference = true\n")
		b.WriteString(");\n")
		return nil
	}, nil
}
