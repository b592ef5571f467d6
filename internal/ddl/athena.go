package ddl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/igexport/igexport/internal/schema"
)

// athenaReserved are Athena's DDL reserved keywords (AWS docs, "Escape
// reserved keywords in queries"); such identifiers are backticked.
var athenaReserved = toSet(`ALL ALTER AND ARRAY AS AUTHORIZATION BETWEEN BIGINT BINARY BOOLEAN
BOTH BY CASE CASHE CAST CHAR COLUMN CONF CONSTRAINT COMMIT CREATE CROSS CUBE CURRENT
CURRENT_DATE CURRENT_TIMESTAMP CURSOR DATABASE DATE DAYOFWEEK DECIMAL DELETE DESCRIBE
DISTINCT DIV DOUBLE DROP ELSE END EXCHANGE EXISTS EXTENDED EXTERNAL EXTRACT FALSE FETCH
FLOAT FLOOR FOLLOWING FOR FOREIGN FROM FULL FUNCTION GRANT GROUP GROUPING HAVING IF
IMPORT IN INNER INSERT INT INTEGER INTERSECT INTERVAL INTO IS JOIN LATERAL LEFT LESS
LIKE LOCAL MACRO MAP MORE NONE NOT NULL NUMERIC OF ON ONLY OR ORDER OUT OUTER OVER
PARTIALSCAN PARTITION PERCENT PRECEDING PRECISION PRESERVE PRIMARY PROCEDURE RANGE
READS REDUCE REGEXP REFERENCES REVOKE RIGHT RLIKE ROLLBACK ROLLUP ROW ROWS SELECT SET
SMALLINT START TABLE TABLESAMPLE THEN TIME TIMESTAMP TO TRANSFORM TRIGGER TRUE TRUNCATE
UNBOUNDED UNION UNIQUEJOIN UPDATE USER USING UTC_TIMESTAMP VALUES VARCHAR VIEWS WHEN
WHERE WINDOW WITH`)

func toSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[strings.ToLower(w)] = true
	}
	return m
}

// athenaIdent backticks a DDL identifier when it is reserved or not a plain name.
func athenaIdent(name string) string {
	if plainIdent.MatchString(name) && !athenaReserved[name] {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// athenaType is the Hive/Athena DDL type of t.
func athenaType(t typ) string {
	switch t.kind {
	case kindString:
		return "string"
	case kindBytes:
		return "binary"
	case kindBool:
		return "boolean"
	case kindInt8:
		return "tinyint"
	case kindInt16:
		return "smallint"
	case kindInt32:
		return "int"
	case kindInt64:
		return "bigint"
	case kindFloat:
		return "float"
	case kindDouble:
		return "double"
	case kindDate:
		return "date"
	case kindTimestamp, kindLocalTS:
		return "timestamp"
	case kindDecimal:
		return fmt.Sprintf("decimal(%d,%d)", t.precision, t.scale)
	case kindList:
		return "array<" + athenaType(*t.elem) + ">"
	case kindStruct:
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = athenaIdent(f.name) + ":" + athenaType(f.typ)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	}
	panic("ddl: unhandled type kind " + t.kind)
}

// An IG user id (or any account id we write into a key): no separators or quotes.
var accountIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func athena(o *Options) (func(*strings.Builder, schema.StreamInfo, []column) error, error) {
	base, err := bucketPath(o.Location, "s3")
	if err != nil {
		return nil, fmt.Errorf("athena: %w", err)
	}
	db := o.Database
	if db == "" {
		db = DefaultDatabase
	}
	start, err := checkDate(o.StartDate)
	if err != nil {
		return nil, fmt.Errorf("athena: %w", err)
	}
	projection := o.Projection
	switch projection {
	case "", "injected", "date": // "date": the name of earlier versions
	case "enum":
		if len(o.Accounts) == 0 {
			return nil, fmt.Errorf("athena: the enum projection needs at least one account id")
		}
		for _, a := range o.Accounts {
			if !accountIDPattern.MatchString(a) {
				return nil, fmt.Errorf("athena: account id %q cannot be enumerated (want letters, digits, _ . -)", a)
			}
		}
	default:
		return nil, fmt.Errorf("athena: unknown projection %q: want injected (the default: account_id is an injected partition projection, every query filters on it) or enum (account_id lists the accounts of the config and the state)", o.Projection)
	}

	return func(b *strings.Builder, s schema.StreamInfo, cols []column) error {
		loc := join(base, o.Prefix, s.Name) + "/"
		fmt.Fprintf(b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s.%s (\n", athenaIdent(db), athenaIdent(s.Name))
		for i, c := range cols {
			sep := ","
			if i == len(cols)-1 {
				sep = ""
			}
			fmt.Fprintf(b, "  %s %s%s\n", athenaIdent(c.name), athenaType(c.typ), sep)
		}
		b.WriteString(")\n")
		// The time partition is a date projection either way: days of
		// dt (a date column), or months of month (a string column: Athena
		// reads only yyyy-MM-dd partition values as dates).
		tp, isDate := timePartition(s)
		typ, format, from, unit := "date", "yyyy-MM-dd", start, "DAYS"
		if !isDate {
			typ, format, from, unit = "string", "yyyy-MM", start[:len("yyyy-MM")], "MONTHS"
		}
		fmt.Fprintf(b, "PARTITIONED BY (%s %s, account_id string)\n", tp, typ)
		b.WriteString("STORED AS PARQUET\n")
		fmt.Fprintf(b, "LOCATION %s\n", sqlString(loc))
		props := [][2]string{
			{"projection.enabled", "true"},
			{"projection." + tp + ".type", "date"},
			{"projection." + tp + ".format", format},
			{"projection." + tp + ".range", from + ",NOW"},
			{"projection." + tp + ".interval", "1"},
			{"projection." + tp + ".interval.unit", unit},
		}
		if projection == "enum" {
			props = append(props,
				[2]string{"projection.account_id.type", "enum"},
				[2]string{"projection.account_id.values", strings.Join(o.Accounts, ",")})
		} else {
			props = append(props, [2]string{"projection.account_id.type", "injected"})
		}
		props = append(props, [2]string{"storage.location.template", loc + tp + "=${" + tp + "}/account_id=${account_id}/"})
		b.WriteString("TBLPROPERTIES (\n")
		for i, p := range props {
			sep := ","
			if i == len(props)-1 {
				sep = ""
			}
			fmt.Fprintf(b, "  %s = %s%s\n", sqlString(p[0]), sqlString(p[1]), sep)
		}
		b.WriteString(");\n")
		return nil
	}, nil
}
