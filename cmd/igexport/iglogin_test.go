package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// loginConfig exports one account, 17841400000000001, with the token and
// login of {{.Login}} into lake-{{.Login}}. Facebook Login goes to
// graph_api_url, Instagram Login to instagram_api_url (IGAPI), and
// debug_token stays on graph_api_url for both.
const loginConfig = `igexport {
  graph_api_url     = "{{.API}}"
  instagram_api_url = "IGAPI"
  concurrency       = 4
}

account "LOGIN_acct" {
  ig_user_id   = "17841400000000001"
  access_token = env("TOKEN_ENV")
  login        = "LOGIN"
  start_date   = "2026-11-15"
}

destination {
  url    = "file://{{.Dir}}/lake-LOGIN"
  prefix = "instagram"
}
`

// loginHarness is a Facebook Login emulator (the harness's, which also
// answers debug_token for the Instagram Login token) and an Instagram host
// emulator serving the same dataset, refusing batch POSTs when noBatch.
func loginHarness(t *testing.T, noBatch bool) (h *harness, ig *igfake.Server, igURL string) {
	t.Helper()
	fo := fakeOptions()
	fo.Accounts = 1
	// Every media shared to Facebook: no per-media rejection the plan
	// cannot foresee, so its estimates are exact at the default version.
	fo.SharedToFacebook = "all"
	fo.Tokens = map[string]igfake.TokenSpec{igLoginToken: {Login: "instagram"}}
	h = newHarness(t, fo)
	h.env["IG_LOGIN_TOKEN"] = igLoginToken

	io := fakeOptions()
	io.Accounts = 1
	io.SharedToFacebook = "all"
	io.Token = igLoginToken
	io.InstagramHost = true
	io.NoBatch = noBatch
	ig = igfake.New(io)
	srv := httptest.NewServer(ig)
	t.Cleanup(srv.Close)
	return h, ig, srv.URL
}

func (h *harness) loginConfig(login, igURL string) string {
	h.t.Helper()
	tokenEnv := "IG_ACCESS_TOKEN"
	if login == "instagram" {
		tokenEnv = "IG_LOGIN_TOKEN"
	}
	r := strings.NewReplacer("IGAPI", igURL, "TOKEN_ENV", tokenEnv, "LOGIN", login)
	return h.writeConfig(login+".hcl", r.Replace(loginConfig))
}

// TestInstagramLoginExport: an account with login = "instagram" exports
// from the Instagram host (graph.instagram.com's stand-in) the same streams
// into files with the same Parquet schema as the same account with
// Facebook Login, with the same values except the documented NULLs
// (media_product_type, the Facebook-Login-only total_* metrics), reels
// still told apart (their insights have the reel metrics). With the host
// refusing batch requests, one refused POST and then single GETs give the
// same files. plan's call estimate equals apply's count, and its round
// trips too when batch works.
func TestInstagramLoginExport(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noBatch bool
	}{{"batch", false}, {"no batch", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h, ig, igURL := loginHarness(t, tc.noBatch)
			fbCfg := h.loginConfig("facebook", igURL)
			igCfg := h.loginConfig("instagram", igURL)

			r := h.run("apply", "-config", fbCfg)
			h.wantCode(r, exitOK)
			fbInsights := h.fake.Stats().ByEndpoint["GET /{media-id}/insights"]

			// Instagram Login: a first run, then plan and apply (the plan's
			// estimates are exact once the state knows the media).
			r = h.run("apply", "-config", igCfg)
			h.wantCode(r, exitOK)
			if st := ig.Stats(); st.ByEndpoint["GET /{media-id}/insights"] != fbInsights {
				t.Errorf("media insights calls %d with Instagram Login, %d with Facebook Login", st.ByEndpoint["GET /{media-id}/insights"], fbInsights)
			}
			compareLogins(t, h)
			ig.ResetStats()
			h.fake.ResetStats()
			r = h.run("plan", "-config", igCfg, "-json")
			h.wantCode(r, exitOK)
			noToken(t, "plan", nil, r.stdout, r.stderr)
			var p export.Plan
			if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Accounts) != 1 || p.Accounts[0].Login != "instagram" || len(p.Accounts[0].Notes) == 0 ||
				!strings.Contains(p.Accounts[0].Notes[0], "the round trips assume the host takes Graph batch requests") {
				t.Fatalf("plan accounts: %+v", p.Accounts)
			}
			if st := ig.Stats(); st.RoundTrips != 0 {
				t.Fatalf("plan sent %d requests to the Instagram host", st.RoundTrips)
			}

			h.fake.ResetStats()
			r = h.run("apply", "-config", igCfg, "-json")
			h.wantCode(r, exitOK)
			noToken(t, "apply", nil, r.stdout, r.stderr)
			var sum export.Summary
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatal(err)
			}

			// Requests: debug_token on the Facebook host, everything else on
			// the Instagram host.
			fb := h.fake.Stats()
			if fb.Calls != 1 || fb.ByEndpoint["GET /debug_token"] != 1 {
				t.Errorf("the Facebook host got %v during the Instagram Login run, want only debug_token", fb.ByEndpoint)
			}
			st := ig.Stats()
			refused := st.ByEndpoint["POST batch (refused)"]
			batches := st.ByEndpoint["POST batch"]
			if tc.noBatch && (refused != 1 || batches != 0) {
				t.Errorf("batch POSTs: %d refused, %d served; want exactly 1 refused (the probe), then single GETs", refused, batches)
			}
			if !tc.noBatch && (refused != 0 || batches == 0) {
				t.Errorf("batch POSTs: %d refused, %d served", refused, batches)
			}
			// plan == apply: calls always (plus debug_token on the other
			// host); round trips when batch works, else one per call plus
			// the refused POST, as plan's note says.
			a := p.Accounts[0]
			if sum.Totals.Calls != p.Totals.Calls || st.Calls+fb.Calls != p.Totals.Calls {
				t.Errorf("calls: plan %d, apply %d, emulators %d+%d", p.Totals.Calls, sum.Totals.Calls, st.Calls, fb.Calls)
			}
			wantRT := p.Totals.RoundTrips
			if tc.noBatch {
				wantRT = a.Estimate.Calls + 1 + fb.RoundTrips
				if !strings.Contains(a.Notes[0], fmt.Sprintf("as a GET of its own, %d round trips plus", a.Estimate.Calls)) {
					t.Errorf("note: %s", a.Notes[0])
				}
			}
			if sum.Totals.RoundTrips != wantRT || st.RoundTrips+fb.RoundTrips != wantRT {
				t.Errorf("round trips: want %d, apply counted %d, emulators %d+%d", wantRT, sum.Totals.RoundTrips, st.RoundTrips, fb.RoundTrips)
			}

		})
	}
}

// compareLogins compares every file of lake-instagram with the same key in
// lake-facebook: same Parquet schema, same rows but for the documented
// Instagram Login NULLs.
func compareLogins(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	open := func(login string) *sinks.Store {
		st, err := sinks.Open(ctx, "file://"+h.dir+"/lake-"+login, "instagram")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	fbStore, igStore := open("facebook"), open("instagram")
	keys := map[string][]string{}
	for _, login := range []string{"facebook", "instagram"} {
		root := filepath.Join(h.dir, "lake-"+login, "instagram")
		_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(p, ".parquet") {
				rel, _ := filepath.Rel(root, p)
				keys[login] = append(keys[login], filepath.ToSlash(rel))
			}
			return nil
		})
	}
	if !slices.Equal(keys["facebook"], keys["instagram"]) || len(keys["facebook"]) < 7 {
		t.Fatalf("files differ:\nfacebook  %v\ninstagram %v", keys["facebook"], keys["instagram"])
	}
	for _, key := range keys["facebook"] {
		fbRaw, err := os.ReadFile(filepath.Join(h.dir, "lake-facebook", "instagram", key))
		if err != nil {
			t.Fatal(err)
		}
		igRaw, err := os.ReadFile(filepath.Join(h.dir, "lake-instagram", "instagram", key))
		if err != nil {
			t.Fatal(err)
		}
		if fs, is := parquetSchema(t, fbRaw), parquetSchema(t, igRaw); fs != is {
			t.Errorf("%s: schemas differ:\nfacebook:\n%s\ninstagram:\n%s", key, fs, is)
		}
	}
	read := func(st *sinks.Store, stream string) (media []schema.MediaRow, ins []schema.MediaInsight, stories []schema.Story) {
		for _, key := range keys["facebook"] {
			if !strings.HasPrefix(key, stream+"/") {
				continue
			}
			var err error
			switch stream {
			case schema.Media:
				media, err = sinks.ReadRows[schema.MediaRow](ctx, st, key)
			case schema.MediaInsights:
				ins, err = sinks.ReadRows[schema.MediaInsight](ctx, st, key)
			case schema.Stories:
				var rows []schema.Story
				rows, err = sinks.ReadRows[schema.Story](ctx, st, key)
				stories = append(stories, rows...)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	fbMedia, _, _ := read(fbStore, schema.Media)
	igMedia, _, _ := read(igStore, schema.Media)
	_, fbIns, _ := read(fbStore, schema.MediaInsights)
	_, igIns, _ := read(igStore, schema.MediaInsights)
	_, _, fbStories := read(fbStore, schema.Stories)
	_, _, igStories := read(igStore, schema.Stories)
	if len(fbMedia) != 30 || len(igMedia) != 30 || len(fbIns) != 30 || len(igIns) != 30 || len(fbStories) == 0 {
		t.Fatalf("rows: media %d/%d, media_insights %d/%d, stories %d", len(fbMedia), len(igMedia), len(fbIns), len(igIns), len(fbStories))
	}
	reels := 0
	for i := range fbMedia {
		f, g := fbMedia[i], igMedia[i]
		if g.MediaProductType != nil {
			t.Errorf("media %s: media_product_type %q with Instagram Login, want NULL", g.ID, *g.MediaProductType)
		}
		f.MediaProductType, f.FetchedAt, g.FetchedAt = nil, time.Time{}, time.Time{}
		if !reflect.DeepEqual(f, g) {
			t.Errorf("media row %d differs:\nfacebook  %+v\ninstagram %+v", i, f, g)
		}
	}
	for i := range fbIns {
		f, g := fbIns[i], igIns[i]
		if f.MediaProductType != nil && *f.MediaProductType == "REELS" {
			reels++
			if g.IGReelsAvgWatchTime == nil || f.IGReelsAvgWatchTime == nil || *g.IGReelsAvgWatchTime != *f.IGReelsAvgWatchTime {
				t.Errorf("reel %s: ig_reels_avg_watch_time %v with Instagram Login, %v with Facebook Login", g.ID, g.IGReelsAvgWatchTime, f.IGReelsAvgWatchTime)
			}
		}
		if f.TotalViews == nil {
			t.Errorf("media %s: total_views NULL with Facebook Login", f.ID)
		}
		if g.MediaProductType != nil || g.TotalLikes != nil || g.TotalComments != nil || g.TotalViews != nil {
			t.Errorf("media %s: media_product_type/total_* not NULL with Instagram Login: %+v", g.ID, g)
		}
		f.MediaProductType, f.TotalLikes, f.TotalComments, f.TotalViews = nil, nil, nil, nil
		f.FetchedAt, g.FetchedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(f, g) {
			t.Errorf("media_insights row %d differs:\nfacebook  %+v\ninstagram %+v", i, f, g)
		}
	}
	if reels == 0 {
		t.Error("no reels in the dataset: the reel rule is not exercised")
	}
	for i := range fbStories {
		f, g := fbStories[i], igStories[i]
		f.MediaProductType, f.FetchedAt, g.FetchedAt = nil, time.Time{}, time.Time{}
		if !reflect.DeepEqual(f, g) {
			t.Errorf("story row %d differs:\nfacebook  %+v\ninstagram %+v", i, f, g)
		}
	}
}

// parquetSchema is a file's schema as text: column names, types,
// repetition, logical types.
func parquetSchema(t *testing.T, raw []byte) string {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return f.Schema().String()
}

// TestInstagramLoginDiscovery: a discover block with login = "instagram"
// finds its token's one account with GET /me?fields=user_id,username on the
// Instagram host (no /me/accounts) and exports it; plan counts that
// request.
func TestInstagramLoginDiscovery(t *testing.T) {
	h, ig, igURL := loginHarness(t, false)
	cfg := h.writeConfig("disc.hcl", strings.ReplaceAll(`igexport {
  graph_api_url     = "{{.API}}"
  instagram_api_url = "IGAPI"
}

discover "creators" {
  access_token = env("IG_LOGIN_TOKEN")
  login        = "instagram"
}

destination {
  url    = "file://{{.Dir}}/lake"
  prefix = "instagram"
}
`, "IGAPI", igURL))
	r := h.run("plan", "-config", cfg, "-json", "-stream", "users")
	h.wantCode(r, exitOK)
	var p export.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Discover) != 1 || p.Discover[0].Login != "instagram" || p.Discover[0].Estimate != (export.Estimate{Calls: 1, RoundTrips: 1}) {
		t.Errorf("plan's discovery: %+v", p.Discover)
	}

	r = h.run("apply", "-config", cfg, "-json", "-stream", "users")
	h.wantCode(r, exitOK)
	noToken(t, "apply", nil, r.stdout, r.stderr)
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Accounts) != 1 || sum.Accounts[0].Name != "igfake_1" || sum.Accounts[0].AccountID != "17841400000000001" {
		t.Fatalf("accounts: %+v", sum.Accounts)
	}
	if len(sum.Discovery) != 1 || sum.Discovery[0].Login != "instagram" || !slices.Equal(sum.Discovery[0].Accounts, []string{"igfake_1"}) {
		t.Errorf("discovery: %+v", sum.Discovery)
	}
	st := ig.Stats()
	if st.ByEndpoint["GET /me (instagram)"] != 1 || st.ByEndpoint["GET /me/accounts"] != 0 || st.ByEndpoint["GET /{ig-user-id}"] != 1 {
		t.Errorf("Instagram host requests: %v", st.ByEndpoint)
	}
	if h.lakeFiles()["instagram/users/dt=2026-11-22/account_id=17841400000000001/part-00000.parquet"] == nil {
		t.Error("no users file")
	}
}

// TestInstagramLoginTokenAdvice: a token that expires during the run of an
// Instagram Login account stops it with advice naming the Instagram Login
// permissions and token refresh, not the Facebook Login ones.
func TestInstagramLoginTokenAdvice(t *testing.T) {
	h, _, _ := loginHarness(t, false)
	io := fakeOptions()
	io.Accounts, io.Token, io.InstagramHost = 1, igLoginToken, true
	io.Faults.TokenExpiresAfter = 3
	ig := igfake.New(io)
	srv := httptest.NewServer(ig)
	t.Cleanup(srv.Close)
	cfg := h.loginConfig("instagram", srv.URL)
	r := h.run("apply", "-config", cfg, "-json")
	h.wantCode(r, exitError)
	noToken(t, "apply", nil, r.stdout, r.stderr)
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	a := sum.Accounts[0]
	for _, want := range []string{"instagram_business_basic, instagram_business_manage_insights", "igexport token refresh", "graph.instagram.com/access_token"} {
		if !strings.Contains(a.Advice, want) {
			t.Errorf("advice lacks %q: %s", want, a.Advice)
		}
	}
	if strings.Contains(a.Advice, "pages_show_list") || strings.Contains(a.Advice, "fb_exchange_token") {
		t.Errorf("advice names the Facebook Login path: %s", a.Advice)
	}
}

// TestValidateInstagramLoginMetrics: a stream block asking for a
// Facebook-Login-only metric is an error at the metric (file:line:col)
// when an account uses login = "instagram", and fine otherwise.
func TestValidateInstagramLoginMetrics(t *testing.T) {
	h, _, igURL := loginHarness(t, false)
	stream := `
stream "media_insights" {
  metrics = ["views", "total_views"]
}
`
	for _, tc := range []struct {
		login string
		code  int
	}{{"facebook", exitOK}, {"instagram", exitUsage}} {
		cfg := h.loginConfig(tc.login, igURL)
		raw, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, append(raw, stream...), 0o600); err != nil {
			t.Fatal(err)
		}
		r := h.run("validate", "-config", cfg)
		h.wantCode(r, tc.code)
		if tc.code == exitOK {
			continue
		}
		line := strings.Count(string(raw), "\n") + 3
		for _, want := range []string{
			"Error: Metric not served with Instagram Login",
			fmt.Sprintf("%s:%d:23, in stream", filepath.Base(cfg), line),
			`Metric "total_views" is served only by the Instagram API with Facebook Login`,
			`account "instagram_acct" (`,
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("validate lacks %q:\n%s", want, r.stderr)
			}
		}
	}
}

// TestInstagramLoginAccountWithoutID: an account block with login =
// "instagram" may leave out ig_user_id: GET /me names the account, which
// keeps the block's name (and start_date); the next plan knows it from the
// state. A Facebook Login account block without ig_user_id is invalid.
func TestInstagramLoginAccountWithoutID(t *testing.T) {
	h, ig, igURL := loginHarness(t, false)
	tmpl := `igexport {
  graph_api_url     = "{{.API}}"
  instagram_api_url = "IGAPI"
}

account "creator" {
  access_token = env("TOKEN")
  LOGIN
  start_date   = "2026-11-20"
}

destination {
  url    = "file://{{.Dir}}/lake"
  prefix = "instagram"
}
`
	fb := h.writeConfig("fb.hcl", strings.NewReplacer("IGAPI", igURL, "TOKEN", "IG_ACCESS_TOKEN", "LOGIN", "").Replace(tmpl))
	r := h.run("validate", "-config", fb)
	h.wantCode(r, exitUsage)
	if !strings.Contains(r.stderr, "Error: Missing required argument") || !strings.Contains(r.stderr, "fb.hcl:6:1") ||
		!strings.Contains(r.stderr, `only an account with login = "instagram" may leave it out`) {
		t.Errorf("validate:\n%s", r.stderr)
	}

	cfg := h.writeConfig("ig.hcl", strings.NewReplacer("IGAPI", igURL, "TOKEN", "IG_LOGIN_TOKEN", "LOGIN", `login        = "instagram"`).Replace(tmpl))
	r = h.run("apply", "-config", cfg, "-json", "-stream", "users", "-stream", "user_insights")
	h.wantCode(r, exitOK)
	var sum export.Summary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Accounts) != 1 || sum.Accounts[0].Name != "creator" || sum.Accounts[0].AccountID != "17841400000000001" {
		t.Fatalf("accounts: %+v", sum.Accounts)
	}
	if st := ig.Stats(); st.ByEndpoint["GET /me (instagram)"] != 1 {
		t.Errorf("Instagram host requests: %v", st.ByEndpoint)
	}
	files := h.lakeFiles()
	if files["instagram/users/dt=2026-11-22/account_id=17841400000000001/part-00000.parquet"] == nil {
		t.Errorf("no users file")
	}
	// start_date = 2026-11-20 bounds user_insights: nothing before it.
	for k := range files {
		if strings.HasPrefix(k, "instagram/user_insights/") && strings.Contains(k, "2026-11-19") {
			t.Errorf("user_insights before start_date: %s", k)
		}
	}

	// ddl's enum projection lists the account by the id the state knows
	// (the block has none to add).
	r = h.run("ddl", "-config", cfg, "-dialect", "athena", "-location", "s3://acme-lake", "-projection", "enum", "-stream", "users")
	h.wantCode(r, exitOK)
	if !strings.Contains(r.stdout, "'projection.account_id.values' = '17841400000000001'") {
		t.Errorf("ddl -projection enum:\n%s%s", r.stdout, r.stderr)
	}

	r = h.run("plan", "-config", cfg, "-json", "-stream", "users")
	h.wantCode(r, exitOK)
	var p export.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Accounts) != 1 || p.Accounts[0].Name != "creator" || p.Accounts[0].Login != "instagram" || p.Accounts[0].AccountID != "17841400000000001" {
		t.Errorf("plan accounts: %+v", p.Accounts)
	}
	if len(p.Tokens) != 1 || !slices.Equal(p.Tokens[0].Accounts, []string{"creator"}) {
		t.Errorf("plan tokens: %+v", p.Tokens)
	}
}
