package graph

import (
	"encoding/json"
	"testing"
)

func TestMayHaveKey(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{}`, false},
		{` { "data" : [ {"id":"1","error":"x"} ], "paging": {"next": "a\"error\"b"} } `, false},
		{`{"data":[],"error":{"code":1}}`, true},
		{`{"error":null}`, true},
		{`{"a":"\\","error":1}`, true},
		{`{"a":"\\\"error\":1"}`, false},
		{`{"\u0065rror":1}`, true}, // escaped name: in doubt
		{`{"a":tru`, true},
		{`{"a":[1,{"b":"]}"}],"c":-1.5e3,"d":null}`, false},
		{`{"Error":{}}`, true}, // encoding/json matches names without case
		{`[1]`, true},
		{`{"a":1 "b":2}`, true},
		{`{"a":"unterminated}`, true},
	} {
		if got := mayHaveKey([]byte(tc.body), "error"); got != tc.want {
			t.Errorf("mayHaveKey(%s) = %v, want %v", tc.body, got, tc.want)
		}
		// Never a false "no" for a body that really has the key.
		if hasErrorMember(tc.body) && !mayHaveKey([]byte(tc.body), "error") {
			t.Errorf("%s has an error member", tc.body)
		}
	}
}

func FuzzMayHaveKey(f *testing.F) {
	for _, s := range []string{`{}`, `{"error":1}`, `{"a":[{"error":1}],"b":"\"error\""}`, `{"\u0065rror":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if hasErrorMember(s) && !mayHaveKey([]byte(s), "error") {
			t.Fatalf("missed the error member of %s", s)
		}
	})
}

// hasErrorMember decodes s the way parseError does.
func hasErrorMember(s string) bool {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal([]byte(s), &env) == nil && env.Error != nil
}
