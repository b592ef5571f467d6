package graph

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/valyala/fastjson"
)

// TestDecodeBatchElementwise: decoding a batch response element by element
// gives what decoding it whole gives, errors included, whatever the body.
func TestDecodeBatchElementwise(t *testing.T) {
	bodies := []string{
		`[]`, ` [ ] `, `[null]`, "\t[ null , null ]\n",
		`[{"code":200,"body":"{\"a\":1}"}]`,
		`[{"code":200,"body":"{\"a\":\"x]}[{\\\"\"}"},{"code":"400","body":"{\"error\":{\"message\":\"m\",\"code\":100}}"},null]`,
		`[{"code":200,"headers":[{"name":"a","value":"b"}],"body":"[1,2]"},5,"s",[1],true]`,
		`[{"code":1.5e2,"body":null},{"code":null},{"code":{}},{"body":7}]`,
		`[{"code":200,"body":"{\"a\":1}"}`, `[{"code":200,"body":"{\"a\":1}"}]x`, `[{"code":20x}]`,
		`[{"code":tru}]`, `[nul]`, `[1,]`, `[,1]`, `[1 2]`, `{"a":1}`, `"s"`, `12`, ``, `[`, `]`, `[{"a":"\"}]`,
	}
	decode := func(k int) func([]byte) (any, error) {
		if k%2 == 1 {
			return nil
		}
		return func(b []byte) (any, error) { return string(b), nil }
	}
	var p1, p2, p3, p4 fastjson.Parser
	for _, b := range bodies {
		got, gerr := decodeBatch(&p1, &p2, []byte(b), decode)
		want, werr := decodeBatchWhole(&p3, &p4, []byte(b), decode)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || errors.Is(gerr, errNotJSON) != errors.Is(werr, errNotJSON) ||
			errors.Is(gerr, errMalformedBatch) != errors.Is(werr, errMalformedBatch) {
			t.Errorf("%s: error %v, want %v", b, gerr, werr)
		}
		if (got == nil) != (want == nil) || len(got) != len(want) {
			t.Errorf("%s: %v, want %v", b, got, want)
			continue
		}
		for k := range got {
			if (got[k].op == nil) != (want[k].op == nil) || got[k].op != nil && !reflect.DeepEqual(*got[k].op, *want[k].op) ||
				fmt.Sprint(got[k].err) != fmt.Sprint(want[k].err) {
				t.Errorf("%s: element %d: %+v, want %+v", b, k, got[k], want[k])
			}
		}
	}
}
