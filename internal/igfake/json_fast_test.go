package igfake

import "testing"

// The one-pass encoder writes exactly what the encoding/json based one does.
func TestFastEncodeMatchesEncodingJSON(t *testing.T) {
	values := []any{
		obj{{"id", "1784"}, {"caption", "Emoji 🎉 \"quotes\" \n newline </script> \u2028 é"}, {"n", int64(-42)}, {"ok", true}},
		obj{{"data", []any{obj{{"a", 1}}, obj{{"b", nil}}}}, {"paging", obj{{"next", "https://x/y?a=1&b=2"}}}},
		[]obj{{{"k", "v"}}, {}},
		obj{{"f", 1.5}, {"m", map[string]int{"0": 1, "23": 2}}},
		// Escapes at the ends of a string, between plain runs, one after another.
		obj{{"s", "/a\\b\t\r\x01\x1f\x7f/"}, {"e", ""}, {"only", "\"\"//\\\\"}, {"bad", "x\xffy\xc3"}},
		// A batch element: JSON inside a string.
		[]any{obj{{"code", 200}, {"body", `{"data":[{"name":"reach","values":[{"value":3}],"id":"1\/insights\/reach\/lifetime"}]}`}}},
	}
	for i, v := range values {
		if got, want := string(fastEncode(nil, v)), string(encodeOld(v)); got != want {
			t.Errorf("value %d:\n fast %s\n json %s", i, got, want)
		}
	}
}
