package igfake

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// BenchmarkReferenceSync measures the server side of an efficient first sync
// of the reference account: the media list with expanded children (5 pages
// of 100) and the media insights in batches of 50.
func BenchmarkReferenceSync(b *testing.B) {
	srv := New(Options{Now: func() time.Time { return t0 }})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	e := &env{t: b, srv: srv, ts: ts}
	a := srv.Dataset().Accounts[0]
	for b.Loop() {
		for u := "/v23.0/" + a.ID + "/media?limit=100&fields=id,caption,media_type,media_product_type,timestamp,children{id,media_type,media_url}"; u != ""; {
			r := e.do("GET", u, nil, "Bearer "+DefaultToken)
			u, _ = r.body["paging"].(map[string]any)["next"].(string)
		}
		for i := 0; i < len(a.Media); i += 50 {
			e.batch(insightOps(a.Media[i:i+50], "views,reach"), url.Values{"include_headers": {"false"}}, "Bearer "+DefaultToken)
		}
	}
}
