package igfake

import "testing"

// The one-pass encoder writes exactly what the encoding/json based one does.
func TestFastEncodeMatchesEncodingJSON(t *testing.T) {
	values := []any{
		obj{{"id", "1784"}, {"caption", "Emoji 🎉 \"quotes\" \n newline </script> \u2028 é"}, {"n", int64(-42)}, {"ok", true}},
		obj{{"data", []any{obj{{"a", 1}}, obj{{"b", nil}}}}, {"paging", obj{{"next", "https://x/y?a=1&b=2"}}}},
		[]obj{{{"k", "v"}}, {}},
		obj{{"f", 1.5}, {"m", map[string]int{"0": 1, "23": 2}}},
	}
	for i, v := range values {
		if got, want := string(fastEncode(nil, v)), string(encodeOld(v)); got != want {
			t.Errorf("value %d:\n fast %s\n json %s", i, got, want)
		}
	}
}
