package graph

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorString(t *testing.T) {
	e := &Error{HTTPStatus: 400, Code: 190, Subcode: 463, Type: "OAuthException",
		Message: "Error validating access token: Session has expired", FBTraceID: "AbC", Endpoint: "/1784/media"}
	want := "graph: /1784/media: Error validating access token: Session has expired [code 190/463, HTTP 400, OAuthException, fbtrace_id AbC]"
	if e.Error() != want {
		t.Fatalf("got  %s\nwant %s", e.Error(), want)
	}
	e2 := &Error{HTTPStatus: 502, Endpoint: "/x?access_token=secret-token-value"}
	if s := e2.Error(); strings.Contains(s, "secret-token-value") || !strings.Contains(s, "Bad Gateway") {
		t.Fatalf("got %s", s)
	}
	wrapped := fmt.Errorf("stream media: %w", e)
	var ae *Error
	if !errors.As(wrapped, &ae) || ae.Subcode != 463 {
		t.Fatal("errors.As")
	}
}

func TestClassification(t *testing.T) {
	for _, tc := range []struct {
		e                                Error
		throttle, transient, token, perm bool
	}{
		{Error{Code: 4, IsTransient: true, HTTPStatus: 400}, true, true, false, false},
		{Error{Code: 17}, true, false, false, false},
		{Error{Code: 32}, true, false, false, false},
		{Error{Code: 613, Subcode: 1996}, true, false, false, false},
		{Error{Code: 80001}, true, false, false, false},
		{Error{Code: 80002}, true, false, false, false},
		{Error{Code: 80006}, true, false, false, false},
		{Error{Code: 80008}, false, false, false, false},
		{Error{HTTPStatus: 429}, true, false, false, false},
		{Error{HTTPStatus: 500}, false, true, false, false},
		{Error{Code: 1, HTTPStatus: 400}, false, true, false, false},
		{Error{Code: 2, HTTPStatus: 500}, false, true, false, false},
		{Error{Code: 190, Subcode: 460}, false, false, true, false},
		{Error{Code: 10}, false, false, false, true},
		{Error{Code: 200}, false, false, false, true},
		{Error{Code: 299}, false, false, false, true},
		{Error{Code: 100, Subcode: 2108006}, false, false, false, false},
		{Error{Code: 1, HTTPStatus: 500, Message: "Please reduce the amount of data you're asking for, then retry your request"}, false, false, false, false},
		{Error{Code: 1, HTTPStatus: 500, Message: "An unknown error has occurred."}, false, true, false, false},
	} {
		e := tc.e
		if e.Throttle() != tc.throttle || e.Transient() != tc.transient || e.TokenInvalid() != tc.token || e.Permission() != tc.perm {
			t.Errorf("%+v: throttle %v transient %v token %v perm %v", e, e.Throttle(), e.Transient(), e.TokenInvalid(), e.Permission())
		}
	}
}

func TestAdvice(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want []string
	}{
		{Error{Code: 190, Subcode: 463}, []string{"expired or was invalidated", "has expired", "Graph API Explorer", "fb_exchange_token", "environment variable"}},
		{Error{Code: 190, Subcode: 460}, []string{"changed their password"}},
		{Error{Code: 190, Subcode: 458}, []string{"not installed"}},
		{Error{Code: 190, Subcode: 467}, []string{"logged out"}},
		{Error{Code: 190}, []string{"expired or was invalidated", "long-lived"}},
		{Error{Code: 200, Message: "(#200) Requires instagram_manage_insights permission"},
			[]string{"Graph names: instagram_manage_insights", "instagram_basic", "pages_show_list", "pages_read_engagement"}},
		{Error{Code: 10}, []string{"instagram_basic, instagram_manage_insights, pages_show_list, pages_read_engagement"}},
		{Error{Code: 80002}, []string{"rate limit", "deferred"}},
		{Error{Code: 10, Message: "(#10) Not enough viewers for the media to show insights"}, []string{"fewer than 5 viewers"}},
		{Error{Code: 100, Message: "Invalid appsecret_proof provided in the API argument"}, []string{"app_secret"}},
	} {
		a := tc.e.Advice()
		for _, w := range tc.want {
			if !strings.Contains(a, w) {
				t.Errorf("Advice(%d/%d) = %q: missing %q", tc.e.Code, tc.e.Subcode, a, w)
			}
		}
	}
	if a := (&Error{Code: 100}).Advice(); a != "" {
		t.Errorf("no advice expected, got %q", a)
	}
}

func TestReduceData(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want bool
	}{
		{Error{Code: 1, HTTPStatus: 500, Message: "Please reduce the amount of data you're asking for, then retry your request"}, true},
		{Error{Code: 1, HTTPStatus: 400, Message: "please REDUCE the amount of data you're asking for"}, true},
		{Error{Code: 1, Message: "An unknown error has occurred."}, false},
		{Error{Code: 2, Message: "Please reduce the amount of data you're asking for"}, false},
	} {
		if got := tc.e.ReduceData(); got != tc.want {
			t.Errorf("%+v: ReduceData %v, want %v", tc.e, got, tc.want)
		}
		if tc.want && tc.e.Transient() {
			t.Errorf("%+v: a reduce-data error must not be retried as transient", tc.e)
		}
	}
}

func TestNonexistingField(t *testing.T) {
	for _, tc := range []struct {
		e     Error
		field string
		ok    bool
	}{
		{Error{Code: 100, Message: "(#100) Tried accessing nonexisting field (ig_id)"}, "ig_id", true},
		{Error{Code: 100, Message: "(#100) Tried accessing nonexisting field (branded_content_partner) on node type (IGMedia)"}, "branded_content_partner", true},
		{Error{Code: 100, Message: "(#100) The Media Insights API does not support the follows metric for this media product type."}, "", false},
		{Error{Code: 2500, Message: "Tried accessing nonexisting field (ig_id)"}, "", false},
	} {
		f, ok := tc.e.NonexistingField()
		if f != tc.field || ok != tc.ok {
			t.Errorf("%q: got (%q, %v), want (%q, %v)", tc.e.Message, f, ok, tc.field, tc.ok)
		}
	}
}

func TestFacebookShareOnly(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want bool
	}{
		{Error{Code: -1, Subcode: 2207086, Message: "Fatal"}, true},
		{Error{Code: 100, Subcode: 2207086, Message: "Invalid parameter"}, true},
		{Error{Code: -1, Message: "Fatal"}, true},
		{Error{Code: 100, Subcode: 33}, false},
		{Error{Code: 100, Message: "(#100) The Media Insights API does not support the crossposted_views metric for this media product type."}, false},
		{Error{Code: 10, Message: "(#10) Not enough viewers for the media to show insights"}, false},
	} {
		if got := tc.e.FacebookShareOnly(); got != tc.want {
			t.Errorf("%+v: FacebookShareOnly %v, want %v", tc.e, got, tc.want)
		}
	}
}
