package igfake

import (
	"reflect"
	"testing"
)

func TestParseFields(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // fieldsString of the result
		wantMsg  string // 2500 message on error
	}{
		{name: "plain list", in: "id,caption, media_type", want: "id,caption,media_type"},
		{name: "nested children", in: "id,children{id,media_type,media_url,thumbnail_url,timestamp}",
			want: "id,children{id,media_type,media_url,thumbnail_url,timestamp}"},
		{name: "limit before braces", in: "media.limit(5){id,caption}", want: "media.limit(5){id,caption}"},
		{name: "limit after braces", in: "children{id}.limit(2)", want: "children.limit(2){id}"},
		{name: "modifier with a list", in: "insights.metric(reach,likes)", want: "insights.metric(reach,likes)"},
		{name: "two levels", in: "instagram_business_account{id,media.limit(1){id,children{id}}}",
			want: "instagram_business_account{id,media.limit(1){id,children{id}}}"},
		{name: "same name at two levels is fine", in: "id,children{id}", want: "id,children{id}"},
		{name: "duplicate field", in: "id,id",
			wantMsg: `Syntax error "Field id specified more than once. This is only possible before version 2.1" at character 5: id,id`},
		{name: "duplicate nested field", in: "children{id,id}",
			wantMsg: `Syntax error "Field id specified more than once. This is only possible before version 2.1" at character 14: children{id,id}`},
		{name: "unclosed brace", in: "children{id", wantMsg: `Syntax error "Expected \"}\" instead of end of string." at character 11: children{id`},
		{name: "stray brace", in: "id}", wantMsg: `Syntax error "Expected end of string instead of \"}\"." at character 2: id}`},
		{name: "empty braces", in: "children{}", wantMsg: `Syntax error "Expected a field name." at character 9: children{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := parseFields(tt.in)
			if tt.wantMsg != "" {
				if err == nil || err.Code != 2500 || err.Message != tt.wantMsg {
					t.Fatalf("err = %v, want 2500 %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fieldsString(fs); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFieldModifiers(t *testing.T) {
	fs, err := parseFields("media.limit(3){id},insights.metric(reach, likes).period(lifetime)")
	if err != nil {
		t.Fatal(err)
	}
	if got := fs[0].limit(25); got != 3 {
		t.Errorf("limit = %d", got)
	}
	if got := fs[1].Mods["metric"]; !reflect.DeepEqual(got, []string{"reach", "likes"}) {
		t.Errorf("metric = %q", got)
	}
	if got := fs[1].Mods["period"]; !reflect.DeepEqual(got, []string{"lifetime"}) {
		t.Errorf("period = %q", got)
	}
}
