package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
)

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-accounts", "2", "-media", "30", "-seed", "3",
			"-token", "T", "-log", "-reset-every", "1000"}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var url string
	var out []string
	for lines.Scan() {
		l := lines.Text()
		out = append(out, l)
		if i := strings.Index(l, "listening on "); i >= 0 {
			url = strings.Fields(l[i+len("listening on "):])[0]
		}
		if strings.Contains(l, "account 17841400000000002") {
			break
		}
	}
	all := strings.Join(out, "\n")
	if url == "" || !strings.Contains(all, "export IG_ACCESS_TOKEN=T") || !strings.Contains(all, "(igfake_1)") {
		t.Fatalf("output:\n%s", all)
	}
	go io.Copy(io.Discard, pr)

	req, _ := http.NewRequest("GET", url+"/v23.0/17841400000000001/media?limit=5&access_token=T", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Data []struct{ ID string } `json:"data"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 200 || len(body.Data) != 5 || res.Header.Get("Facebook-Api-Version") != "v23.0" {
		t.Fatalf("media: %d %+v", res.StatusCode, body)
	}
	res, err = http.Get(url + "/__igfake/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st igfake.Stats
	json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if st.Calls != 1 || st.RoundTrips != 1 || st.ByEndpoint["GET /{ig-user-id}/media"] != 1 {
		t.Errorf("stats %+v", st)
	}

	// Comments posted through the control endpoint raise comments_count.
	count := func() int64 {
		t.Helper()
		res, err := http.Get(url + "/v23.0/" + body.Data[0].ID + "?fields=comments_count&access_token=T")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m struct {
			CommentsCount int64 `json:"comments_count"`
		}
		json.NewDecoder(res.Body).Decode(&m)
		return m.CommentsCount
	}
	before := count()
	res, err = http.Post(url+"/__igfake/comments?media="+body.Data[0].ID+"&n=2", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if after := count(); res.StatusCode != http.StatusNoContent || after != before+2 {
		t.Errorf("POST /__igfake/comments: %d, comments_count %d → %d", res.StatusCode, before, after)
	}
	if res, err = http.Post(url+"/__igfake/comments?media=nope", "", nil); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("POST /__igfake/comments of an unknown media: %v %v", res.StatusCode, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no shutdown")
	}
	if log := stderr.String(); !strings.Contains(log, "access_token=REDACTED") || strings.Contains(log, "access_token=T") {
		t.Errorf("request log: %q", log)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "defaults", check: func(t *testing.T, c *config) {
			if c.addr != "127.0.0.1:8089" || c.o.Accounts != 1 || c.o.Media != 500 || c.o.Stories != 3 || c.o.Token != igfake.DefaultToken ||
				c.o.Faults.ThrottleCode != 80002 || c.o.Faults.UsageHeader != "buc" {
				t.Errorf("%+v", c)
			}
		}},
		{name: "fault switches", args: []string{"-throttle-after", "100", "-throttle-for", "2m", "-throttle-code", "4", "-throttle-429",
			"-usage-header", "app", "-usage-after", "5", "-server-error-every", "10", "-server-error-burst", "3", "-reset-every", "7",
			"-slow-every", "4", "-slow-delay", "1s", "-malformed-every", "9", "-token-expires-after", "50", "-batch-null-every", "6",
			"-failing-children", "2", "-low-viewer-stories", "1", "-app-secret", "S",
			"-reduce-data-above", "50", "-retire-fields", "ig_id, legacy_instagram_media_id", "-not-shared-error", "param",
			"-low-viewer-metric", "reach", "-shared-to-facebook", "all", "-until-inclusive",
			"-redirect-every", "3", "-redirect-to", "http://127.0.0.1:9/", "-stall-every", "8", "-trickle-every", "11",
			"-trickle-interval", "50ms", "-endless-pages", "-drop-ids", "media, child,ig-user"},
			check: func(t *testing.T, c *config) {
				want := igfake.Faults{ThrottleAfter: 100, ThrottleFor: 2 * time.Minute, ThrottleCode: 4, ThrottleHTTP429: true,
					UsageHeader: "app", UsageAfter: 5, ServerErrorEvery: 10, ServerErrorBurst: 3, ResetEvery: 7, SlowEvery: 4,
					SlowDelay: time.Second, MalformedEvery: 9, TokenExpiresAfter: 50, BatchNullEvery: 6, FailingChildren: 2,
					ReduceDataAbove: 50, RetiredFields: []string{"ig_id", "legacy_instagram_media_id"}, NotSharedError: "param", LowViewerMetric: "reach",
					RedirectEvery: 3, RedirectTo: "http://127.0.0.1:9", StallEvery: 8, TrickleEvery: 11, TrickleInterval: 50 * time.Millisecond,
					EndlessPages: true, DropIDs: []string{"media", "child", "ig-user"}}
				if !reflect.DeepEqual(c.o.Faults, want) || c.o.LowViewerStories != 1 || c.o.AppSecret != "S" ||
					c.o.SharedToFacebook != "all" || !c.o.UntilInclusive {
					t.Errorf("%+v", c.o)
				}
			}},
		{name: "clock and conversion", args: []string{"-now", "2026-09-15T18:00:00Z", "-converted-at", "8760h"},
			check: func(t *testing.T, c *config) {
				if d := c.o.Now().Sub(time.Date(2026, 9, 15, 18, 0, 0, 0, time.UTC)); d < 0 || d > time.Minute {
					t.Errorf("now off by %v", d)
				}
				if y := c.o.ConvertedAt.Year(); y != 2025 {
					t.Errorf("converted at %v", c.o.ConvertedAt)
				}
			}},
		{name: "media 0 means none", args: []string{"-media", "0"}, check: func(t *testing.T, c *config) {
			if igfake.New(c.o).Dataset().Accounts[0].Media != nil {
				t.Error("media served")
			}
		}},
		{name: "token switches", args: []string{"-tokens", "soon=expires:5d,old=expired+missing:instagram_manage_insights", "-app-id", "42", "-client-secret", "CS"},
			check: func(t *testing.T, c *config) {
				if c.o.Tokens["soon"].ExpiresIn != 5*24*time.Hour || c.o.Tokens["old"].ExpiresIn >= 0 ||
					len(c.o.Tokens["old"].MissingScopes) != 1 || c.o.AppID != "42" || c.o.ClientSecret != "CS" {
					t.Errorf("%+v", c.o)
				}
			}},
		{name: "bad token switch", args: []string{"-tokens", "a=sometimes"}, wantErr: "-tokens"},
		{name: "bad usage header", args: []string{"-usage-header", "x"}, wantErr: "-usage-header"},
		{name: "bad not-shared error", args: []string{"-not-shared-error", "x"}, wantErr: "-not-shared-error"},
		{name: "bad shared-to-facebook", args: []string{"-shared-to-facebook", "some"}, wantErr: "-shared-to-facebook"},
		{name: "bad drop-ids", args: []string{"-drop-ids", "media,reel"}, wantErr: "-drop-ids"},
		{name: "redirect without a target", args: []string{"-redirect-every", "1"}, wantErr: "-redirect-to"},
		{name: "redirect to a path", args: []string{"-redirect-every", "1", "-redirect-to", "http://h:1/x"}, wantErr: "-redirect-to"},
		{name: "bad throttle code", args: []string{"-throttle-code", "5"}, wantErr: "-throttle-code"},
		{name: "bad location", args: []string{"-location", "Nowhere/Else"}, wantErr: "-location"},
		{name: "bad conversion", args: []string{"-converted-at", "yesterday"}, wantErr: "-converted-at"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestResetBehindRequestLog(t *testing.T) {
	c, err := parseFlags([]string{"-reset-every", "1", "-log"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := igfake.New(c.o)
	ts := httptestServer(t, logRequests(srv, io.Discard))
	res, err := http.Get(ts + "/me?access_token=" + igfake.DefaultToken)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got %d, want the connection closed", res.StatusCode)
	}
}
