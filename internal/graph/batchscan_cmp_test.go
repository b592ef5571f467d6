package graph

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// compareDecodeBatch reports where decodeBatch (scan, element by element)
// and decodeBatchWhole differ on body.
func compareDecodeBatch(t *testing.T, name, b string) {
	t.Helper()
	decode := func(k int) func([]byte) (any, error) {
		return func(b []byte) (any, error) { return string(b), nil }
	}
	var p1, p2, p3, p4 fastjson.Parser
	got, gerr := decodeBatch(&p1, &p2, []byte(b), decode)
	want, werr := decodeBatchWhole(&p3, &p4, []byte(b), decode)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || errors.Is(gerr, errNotJSON) != errors.Is(werr, errNotJSON) ||
		errors.Is(gerr, errMalformedBatch) != errors.Is(werr, errMalformedBatch) {
		t.Errorf("%s: error %.200v, want %.200v", name, gerr, werr)
		return
	}
	if (got == nil) != (want == nil) || len(got) != len(want) {
		t.Errorf("%s: %d elems, want %d", name, len(got), len(want))
		return
	}
	for k := range got {
		if (got[k].op == nil) != (want[k].op == nil) || got[k].op != nil && !reflect.DeepEqual(*got[k].op, *want[k].op) ||
			fmt.Sprint(got[k].err) != fmt.Sprint(want[k].err) {
			t.Errorf("%s: element %d: %+v, want %+v", name, k, got[k], want[k])
		}
	}
}

// TestDecodeBatchCutShort: a realistic response cut at every offset
// decodes (or fails) the same both ways.
func TestDecodeBatchCutShort(t *testing.T) {
	body := `[ {"code":200,"headers":[{"name":"ETag","value":"\"x]\""}],"body":"{\"data\":[{\"name\":\"reach\",\"values\":[{\"value\":5,\"end_time\":\"2026-11-20T08:00:00+0000\"}],\"title\":\"a \\\"q\\\" ]}[ \\\\\"}]}"},` +
		"\n\tnull , {\"code\":400,\"body\":\"{\\\"error\\\":{\\\"message\\\":\\\"(#100) bad ]\\\",\\\"code\\\":100}}\"} ]\r\n"
	compareDecodeBatch(t, "whole", body)
	for i := range len(body) {
		compareDecodeBatch(t, fmt.Sprintf("cut at %d", i), body[:i])
	}
}

// TestDecodeBatchDeep: an element nested up to fastjson.MaxDepth inside
// the array decodes as the whole body does: past the limit the whole body
// does not parse (not JSON: the POST is retried), though each element
// alone would.
func TestDecodeBatchDeep(t *testing.T) {
	for _, n := range []int{fastjson.MaxDepth - 2, fastjson.MaxDepth - 1, fastjson.MaxDepth, fastjson.MaxDepth + 1} {
		deep := strings.Repeat("[", n) + strings.Repeat("]", n)
		compareDecodeBatch(t, fmt.Sprintf("depth %d", n), `[{"code":200,"body":"{}"},`+deep+`]`)
	}
}
