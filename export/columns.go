package export

import (
	"math"
	"reflect"
	"strings"

	"github.com/igexport/igexport/internal/catalog"
)

// One declaration per metric and column: the catalog says which metric
// exists and which column it fills (catalog.Metric.Column), the row types
// of internal/schema say where that column is (their parquet tags). The
// mapping metric → field is derived here from both and used by every
// insights stream; adding a metric is one catalog line and one row field
// (*int64, or *float64 for a rate).

// num is a metric value as the API sent it: as an integer (a fraction
// rounded) for integer columns, as a float for float columns.
type num struct {
	i int64
	f float64
}

// intNum is the num of an integer.
func intNum(i int64) num { return num{i: i, f: float64(i)} }

// columns maps the names of a row type's metric columns (*int64 and
// *float64 fields) to their field index.
type columns[T any] struct {
	field map[string]int
	// alias maps a metric name to the column it fills when they differ
	// (catalog.Metric.Column).
	alias map[string]string
}

var (
	int64PtrType   = reflect.TypeFor[*int64]()
	float64PtrType = reflect.TypeFor[*float64]()
)

// metricColumns derives the metric columns of row type T, and the columns
// of metrics whose catalog column is not their name.
func metricColumns[T any](metrics ...[]catalog.Metric) columns[T] {
	c := columns[T]{field: map[string]int{}, alias: map[string]string{}}
	rt := reflect.TypeFor[T]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Type != int64PtrType && f.Type != float64PtrType {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name != "" {
			c.field[name] = i
		}
	}
	for _, ms := range metrics {
		for _, m := range ms {
			if m.Column != "" && m.Column != m.Name {
				c.alias[m.Name] = m.Column
			}
			if m.Breakdown == "" || m.BucketPrefix == "" {
				continue
			}
			// The breakdown's buckets (lower case) fill the columns with
			// the metric's bucket prefix.
			for col := range c.field {
				if b, ok := strings.CutPrefix(col, m.BucketPrefix); ok && b != "" {
					c.alias[b] = col
				}
			}
		}
	}
	return c
}

// set stores v in the column metric (a metric name or a column name such
// as a breakdown bucket's) of row; false when T has no such column.
func (c columns[T]) set(row *T, metric string, v num) bool {
	i, ok := c.fieldOf(metric)
	if !ok {
		return false
	}
	f := reflect.ValueOf(row).Elem().Field(i)
	if f.Type() == float64PtrType {
		x := v.f
		f.Set(reflect.ValueOf(&x))
		return true
	}
	x := v.i
	f.Set(reflect.ValueOf(&x))
	return true
}

// fieldOf is the field index in T of the column of metric (a metric name
// or a column name), false when T has no such column.
func (c columns[T]) fieldOf(metric string) (int, bool) {
	col := metric
	if a, ok := c.alias[metric]; ok {
		col = a
	}
	i, ok := c.field[col]
	return i, ok
}

// fill stores every value of values in row.
func (c columns[T]) fill(row *T, values map[string]num) {
	for k, v := range values {
		c.set(row, k, v)
	}
}

// floatNum reads a float as a num (its integer rounded), false for NaN and
// infinities.
func floatNum(f float64) (num, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return num{}, false
	}
	return num{i: int64(math.Round(f)), f: f}, true
}
