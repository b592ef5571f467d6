package export

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
)

// Tests of SPEC §7's rule that a missing or empty key is a malformed
// response, never a row: rows merge by key, so answers without one would
// silently become a single row.

// TestLifetimeRowsNeedTheirDimensions: every dimension of the breakdown
// asked for is part of a demographics row's key and must come with a value.
func TestLifetimeRowsNeedTheirDimensions(t *testing.T) {
	body := func(keys, results string) []byte {
		return []byte(`{"data":[{"name":"follower_demographics","period":"lifetime","total_value":{"breakdowns":[{"dimension_keys":` +
			keys + `,"results":` + results + `}]}}]}`)
	}
	for _, tc := range []struct {
		name, breakdown string
		body            []byte
		rows            int
		err             string
	}{
		{"age and gender", "age,gender", body(`["age","gender"]`, `[{"dimension_values":["18-24","F"],"value":3},{"dimension_values":["18-24","M"],"value":4}]`), 2, ""},
		{"extra timeframe key", "country", body(`["timeframe","country"]`, `[{"dimension_values":["LAST_90_DAYS","AR"],"value":1},{"dimension_values":["LAST_90_DAYS","US"],"value":7}]`), 2, ""},
		{"no buckets", "city", body(`["city"]`, `[]`), 0, ""},
		{"value missing", "city", body(`["city"]`, `[{"dimension_values":["Paris"],"value":2},{"dimension_values":[],"value":1}]`), 0,
			"follower_demographics by city: results[1]: 0 dimension_values for 1 dimension_keys"},
		{"value empty", "city", body(`["city"]`, `[{"dimension_values":[""],"value":1}]`), 0,
			"follower_demographics by city: results[0]: dimension value of city is missing or empty"},
		{"dimension not answered", "age,gender", body(`["age"]`, `[{"dimension_values":["18-24"],"value":1}]`), 0,
			"results[0]: dimension value of gender is missing or empty"},
		{"no keys at all", "country", body(`[]`, `[{"dimension_values":[],"value":1},{"dimension_values":[],"value":2}]`), 0,
			"results[0]: dimension value of country is missing or empty"},
		{"same bucket twice", "country", body(`["country"]`, `[{"dimension_values":["FR"],"value":1},{"dimension_values":["FR"],"value":2}]`), 0,
			`results[1]: bucket "FR" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p fastjson.Parser
			rows, err := lifetimeRows(&p, tc.body, "/1784/insights", "follower_demographics", tc.breakdown, "this_month", time.Time{})
			if errorCase(t, err, tc.err) {
				if !strings.Contains(err.Error(), "malformed response from /1784/insights") {
					t.Errorf("%v does not name the endpoint", err)
				}
				return
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			for _, r := range rows {
				for _, dim := range strings.Split(tc.breakdown, ",") {
					v := map[string]*string{"age": r.Age, "gender": r.Gender, "country": r.Country, "city": r.City}[dim]
					if v == nil || *v == "" {
						t.Errorf("row %+v has no %s", r, dim)
					}
				}
			}
		})
	}
}

// TestUserInsightsValuesNeedTheirDate: a time-series value is the row of
// the day its end_time gives; without end_time it belongs to no day.
func TestUserInsightsValuesNeedTheirDate(t *testing.T) {
	day := schema.DateOf(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name, body string
		err        string
	}{
		{"ok", `{"data":[{"name":"reach","period":"day","values":[{"value":5,"end_time":"2026-11-21T08:00:00+0000"}]}]}`, ""},
		{"end_time missing", `{"data":[{"name":"reach","period":"day","values":[{"value":5,"end_time":"2026-11-21T08:00:00+0000"},{"value":6}]}]}`,
			"malformed response from /1784/insights: reach: values[1]: end_time is missing or empty"},
		{"end_time empty", `{"data":[{"name":"reach","values":[{"value":5,"end_time":""}]}]}`, "reach: values[0]: end_time is missing or empty"},
		{"end_time null", `{"data":[{"name":"reach","values":[{"value":5,"end_time":null}]}]}`, "reach: values[0]: end_time is missing or empty"},
		{"end_time garbage", `{"data":[{"name":"reach","values":[{"value":5,"end_time":"yesterday"}]}]}`, `reach: values[0]: end_time: timestamp "yesterday"`},
		{"name missing", `{"data":[{"period":"day","values":[{"value":5,"end_time":"2026-11-21T08:00:00+0000"}]}]}`,
			"malformed response from /1784/insights: data[0]: name is missing or empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &userInsights{a: &accountRun{r: &runner{}, t: target{Target: Target{ID: "1784"}}}, w: insightsWindow{From: day, To: day},
				days: newUIDays(metricColumns[schema.UserInsight](), day, day), failed: map[schema.Date]bool{}}
			err := u.parse([]byte(tc.body), Op{Metrics: []string{"reach"}})
			if errorCase(t, err, tc.err) {
				if !errors.Is(err, ErrMissingKey) && strings.Contains(tc.err, "missing") {
					t.Errorf("%v does not wrap ErrMissingKey", err)
				}
				return
			}
			if r := u.days.row(0); !u.days.ok(0) || r.Reach == nil || *r.Reach != 5 {
				t.Fatalf("day %+v", r)
			}
		})
	}
}

// lakeRowsWithoutKey counts, per stream, the rows of a file:// lake whose
// key (or, for media, a child's id) is empty.
func lakeRowsWithoutKey(t *testing.T, f *fixture) (files int, bad map[string]int) {
	t.Helper()
	st := f.store()
	dir := strings.TrimPrefix(f.cfg.Destination.URL, "file://")
	bad = map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		files++
		key := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		stream, _, _ := strings.Cut(key, "/")
		count := func(keys []string) {
			for _, k := range keys {
				if k == "" {
					bad[stream]++
				}
			}
		}
		switch stream {
		case schema.Users:
			for _, r := range readRows[schema.User](t, st, key) {
				count([]string{r.Key()})
			}
		case schema.Media:
			for _, r := range readRows[schema.MediaRow](t, st, key) {
				count([]string{r.Key()})
				for _, c := range r.Children {
					count([]string{c.ID})
				}
			}
		case schema.MediaInsights:
			for _, r := range readRows[schema.MediaInsight](t, st, key) {
				count([]string{r.Key()})
			}
		case schema.Stories:
			for _, r := range readRows[schema.Story](t, st, key) {
				count([]string{r.Key()})
			}
		case schema.StoryInsights:
			for _, r := range readRows[schema.StoryInsight](t, st, key) {
				count([]string{r.Key()})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, bad
}

// TestItemsWithoutIDFailTheirStream: media, carousel children, stories and
// the profile served without their id fail the stream that lists them with
// an error naming the endpoint and the field; the other streams finish, and
// no row with an empty id reaches the lake.
func TestItemsWithoutIDFailTheirStream(t *testing.T) {
	for _, tc := range []struct {
		drop     string
		failed   []string // streams that must fail
		endpoint string   // after the account id
		field    string
	}{
		{"media", []string{schema.Media, schema.MediaInsights}, "/media", "data[0]: id is missing or empty"},
		{"child", []string{schema.Media, schema.MediaInsights}, "/media", "children.data[0]: id is missing or empty"},
		{"story", []string{schema.Stories, schema.StoryInsights}, "/stories", "data[0]: id is missing or empty"},
		{"ig-user", []string{schema.Users}, "", "id is missing or empty"},
	} {
		t.Run(tc.drop, func(t *testing.T) {
			f := newFixture(t, igfake.Options{Accounts: 1, Media: 20, Stories: 2, Seed: 3, Faults: igfake.Faults{DropIDs: []string{tc.drop}}})
			sum := f.apply(Options{})
			if sum.ExitCode != 1 {
				t.Fatalf("exit %d, want 1: %+v", sum.ExitCode, sum.Accounts)
			}
			id := f.cfg.Accounts[0].IGUserID
			for _, s := range schema.DefaultNames() {
				r := streamResult(t, sum, id, s)
				if !contains(tc.failed, s) {
					if r.Status != StatusOK {
						t.Errorf("%s: %s %q; want ok", s, r.Status, r.Error)
					}
					continue
				}
				want := "malformed response from /" + id + tc.endpoint + ": "
				if r.Status != StatusFailed || !strings.Contains(r.Error, want) || !strings.Contains(r.Error, tc.field) {
					t.Errorf("%s: %s %q; want failed with %q and %q", s, r.Status, r.Error, want, tc.field)
				}
			}
			files, bad := lakeRowsWithoutKey(t, f)
			if files == 0 || len(bad) > 0 {
				t.Errorf("%d files, rows without a key: %v", files, bad)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// discoveryFixture is a fixture whose accounts come from one discover block.
func discoveryFixture(t *testing.T, o igfake.Options) *fixture {
	f := newFixture(t, o)
	f.cfg.Accounts = nil
	f.cfg.Discover = []hcl.Discover{{Name: "agency", AccessToken: testToken, Include: []string{"*"}}}
	f.cfg.Streams = []string{schema.Users}
	return f
}

// TestDiscoveryAnswersWithoutIDs: a Page or its Instagram account without
// an id is a malformed /me/accounts answer, not "a page without Instagram";
// the run says discovery failed and why (exit 1), not "no account".
func TestDiscoveryAnswersWithoutIDs(t *testing.T) {
	for _, tc := range []struct{ drop, field string }{
		{"page", "data[0]: id is missing or empty"},
		{"ig-user", "instagram_business_account.id is missing or empty"},
	} {
		t.Run(tc.drop, func(t *testing.T) {
			f := discoveryFixture(t, igfake.Options{Accounts: 2, Media: 5, Seed: 5, Faults: igfake.Faults{DropIDs: []string{tc.drop}}})
			sum, err := Apply(t.Context(), f.cfg, Options{Now: func() time.Time { return f.now }})
			if err != nil {
				t.Fatalf("Apply: %v; want a summary saying discovery failed", err)
			}
			if sum.ExitCode != 1 || len(sum.Accounts) != 0 || len(sum.Discovery) != 1 {
				t.Fatalf("exit %d, accounts %+v, discovery %+v", sum.ExitCode, sum.Accounts, sum.Discovery)
			}
			if d := sum.Discovery[0]; !strings.Contains(d.Error, "malformed response from /me/accounts") || !strings.Contains(d.Error, tc.field) ||
				len(d.Accounts) != 0 || d.PagesWithoutIG != 0 {
				t.Errorf("discovery %+v; want an error naming /me/accounts and %q", d, tc.field)
			}
		})
	}
}

// TestDiscoveryEndlessPaging: /me/accounts answering empty pages, each with
// a new next, forever: discovery stops after a few pages with an error that
// says so, and the run reports that (exit 1) instead of "no account to
// export".
func TestDiscoveryEndlessPaging(t *testing.T) {
	f := discoveryFixture(t, igfake.Options{Accounts: 2, Media: 5, Seed: 5, Faults: igfake.Faults{EndlessPages: true}})
	sum, err := Apply(t.Context(), f.cfg, Options{Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatalf("Apply: %v; want a summary saying discovery failed", err)
	}
	if sum.ExitCode != 1 || sum.Status != StatusFailed || len(sum.Accounts) != 0 {
		t.Fatalf("exit %d, status %s, accounts %+v", sum.ExitCode, sum.Status, sum.Accounts)
	}
	d := sum.Discovery[0]
	for _, want := range []string{"/me/accounts", "paging makes no progress", "empty pages in a row"} {
		if !strings.Contains(d.Error, want) {
			t.Errorf("discovery error %q does not say %q", d.Error, want)
		}
	}
	// (The token's debug_token check comes first: count the list's pages.)
	if n := f.fake.Stats().ByEndpoint["GET /me/accounts"]; n != graph.DefaultMaxEmptyPages {
		t.Errorf("%d /me/accounts pages fetched; want %d", n, graph.DefaultMaxEmptyPages)
	}

	// With -account too: not "no account matches -account", which would
	// blame the flag, but the discovery failure.
	sum, err = Apply(t.Context(), f.cfg, Options{Now: func() time.Time { return f.now }, Accounts: []string{"igfake_1"}})
	if err != nil || sum.ExitCode != 1 || !strings.Contains(sum.Discovery[0].Error, "paging makes no progress") {
		t.Errorf("-account: err %v, summary %+v", err, sum)
	}
}

// TestStreamsEndlessPaging: the media and stories lists paging forever
// fail their streams with an error naming the endpoint; the others finish.
func TestStreamsEndlessPaging(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: 2, Seed: 5, Faults: igfake.Faults{EndlessPages: true}})
	sum := f.apply(Options{})
	id := f.cfg.Accounts[0].IGUserID
	if sum.ExitCode != 1 {
		t.Fatalf("exit %d", sum.ExitCode)
	}
	for _, s := range schema.DefaultNames() {
		r := streamResult(t, sum, id, s)
		switch s {
		case schema.Media, schema.MediaInsights, schema.Stories, schema.StoryInsights:
			edge := "/media"
			if s == schema.Stories || s == schema.StoryInsights {
				edge = "/stories"
			}
			if r.Status != StatusFailed || !strings.Contains(r.Error, "/"+id+edge+": paging makes no progress") {
				t.Errorf("%s: %s %q", s, r.Status, r.Error)
			}
		default:
			if r.Status != StatusOK {
				t.Errorf("%s: %s %q", s, r.Status, r.Error)
			}
		}
	}
}
