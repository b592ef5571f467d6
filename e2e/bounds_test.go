package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of what a hostile or broken API cannot do to a run (SPEC §7):
// make it write rows without a key, send the token to another origin, hang
// it, or page it forever. Each drives the igexport binary against the
// igfake binary with one fault switch. The timeouts they meet are injected
// through the config (request_timeout, read_idle_timeout) and measured
// against a server that never answers: a slow machine makes them slower,
// never wrong.

// streamErrors maps "stream" → its status and error for one account.
func streamErrors(s summary, account string) map[string][2]string {
	out := map[string][2]string{}
	for _, a := range s.Accounts {
		if a.Name == account {
			for _, st := range a.Streams {
				out[st.Stream] = [2]string{st.Status, st.Error}
			}
		}
	}
	return out
}

// TestItemsWithoutIDFailTheRun: media served without their "id" fail the
// media streams with an error naming the endpoint and the field (exit 1);
// not a single media row, let alone one with an empty id, reaches the lake,
// and the other streams are committed.
func TestItemsWithoutIDFailTheRun(t *testing.T) {
	const token = "e2e-noid-token-71c2"
	fake := startFake(t, "-accounts", "1", "-media", "30", "-stories", "2", "-seed", "8", "-token", token, "-drop-ids", "media")
	e := env{envName("token"): token}
	dir := t.TempDir()
	r := igexport(t, dir, e, "apply", "-json", "-config", writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1))}))
	s := r.summary(t)
	if r.Code != 1 || s.ExitCode != 1 {
		t.Fatalf("exit %d; want 1\n%s", r.Code, r.Stderr)
	}
	want := "malformed response from /" + ids(1)[0] + "/media: data[0]: id is missing or empty"
	for stream, st := range streamErrors(s, "a1") {
		switch stream {
		case "media", "media_insights":
			if st[0] != "failed" || !strings.Contains(st[1], want) {
				t.Errorf("%s: %s %q; want failed with %q", stream, st[0], st[1], want)
			}
		default:
			if st[0] != "ok" {
				t.Errorf("%s: %s %q; want ok", stream, st[0], st[1])
			}
		}
	}
	if !strings.Contains(r.Stderr, "id is missing or empty") {
		t.Errorf("the log does not say what was wrong:\n%s", r.Stderr)
	}
	lake := lakeRows(t, filepath.Join(dir, "lake"))
	for key := range lake {
		if strings.HasPrefix(key, "media/") || strings.HasPrefix(key, "media_insights/") {
			t.Errorf("%s was written", key)
		}
	}
	if len(lake) == 0 {
		t.Error("the streams that finished wrote nothing")
	}
	state := checkState(t, filepath.Join(dir, "lake"))[ids(1)[0]]
	if state == nil || state.Streams["media"] != nil || state.Streams["users"] == nil {
		t.Errorf("state %+v: want users committed, media not", state)
	}
}

// TestRedirectToAnotherOriginRefused: the API answers every request with a
// 307 to another port of the same host, its query (appsecret_proof
// included) repeated. No request reaches that origin — so neither the
// token nor the proof does — no redirect is retried, every stream fails
// with an error saying why, and no answer of the other origin is written
// as the account's data.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	const token, secret = "e2e-redirect-CANARY-token-5d0a", "e2e-redirect-secret-90be"
	var mu sync.Mutex
	var reached []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" query="+r.URL.RawQuery)
		mu.Unlock()
		// What a hostile origin would answer: a profile of its own.
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"` + ids(1)[0] + `","username":"attacker"}`))
	}))
	t.Cleanup(other.Close)
	fake := startFake(t, "-accounts", "1", "-media", "30", "-stories", "2", "-seed", "8", "-token", token, "-app-secret", secret,
		"-redirect-every", "1", "-redirect-to", other.URL)
	e := env{envName("token"): token, "IG_APP_SECRET": secret}
	dir := t.TempDir()
	r := igexport(t, dir, e, "apply", "-json", "-config", writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1)), AppSecret: true}))
	s := r.summary(t)
	if r.Code != 1 {
		t.Fatalf("exit %d; want 1\n%s", r.Code, r.Stderr)
	}
	mu.Lock()
	if len(reached) > 0 {
		t.Errorf("%d requests reached the other origin: %q", len(reached), reached)
	}
	mu.Unlock()
	for stream, st := range streamErrors(s, "a1") {
		if st[0] != "failed" || !strings.Contains(st[1], "another origin") || !strings.Contains(st[1], "not followed") ||
			!strings.Contains(st[1], strings.TrimPrefix(other.URL, "http://")) {
			t.Errorf("%s: %s %q; want failed, saying the redirect to another origin was not followed", stream, st[0], st[1])
		}
	}
	// One request per stream task (users, media, stories, user_insights,
	// user_lifetime_insights), none retried, after the token's health check
	// (one debug_token, redirected too, refused too).
	if st := fake.stats(t); st.RoundTrips != 1+5 {
		t.Errorf("%d round trips; want 1+5: a refused redirect is not retried", st.RoundTrips)
	}
	if rows := lakeRows(t, filepath.Join(dir, "lake")); len(rows) != 0 {
		t.Errorf("files written: %v", rows)
	}
	assertNoSecret(t, dir, []string{r.Stdout, r.Stderr}, token, secret)
}

// noLease fails if a lease (lock.json) is left in the lake.
func noLease(t *testing.T, lake string) {
	t.Helper()
	_ = filepath.WalkDir(lake, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "lock.json" {
			t.Errorf("a lease is left behind: %s", p)
		}
		return nil
	})
}

// TestStalledResponsesTimeOut: a body that stops halfway and one trickled
// a byte at a time forever do not hang apply. Each attempt ends at its
// deadline (read_idle_timeout, request_timeout), is retried a bounded
// number of times (5 attempts), then the stream fails with an error that
// says it timed out; the run exits 1 and releases its lease.
func TestStalledResponsesTimeOut(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    []string
		timeouts string
		want     string
	}{
		// Only the stalled requests exist (-stream users: one GET, its
		// retries): no healthy response can meet the tiny deadline.
		{"body stops halfway", []string{"-stall-every", "1"}, "  read_idle_timeout = \"200ms\"\n", "read idle timeout"},
		{"body trickled forever", []string{"-trickle-every", "1", "-trickle-interval", "20ms"}, "  request_timeout = \"1s\"\n", "request timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const token = "e2e-stall-token-3e1f"
			fake := startFake(t, append([]string{"-accounts", "1", "-media", "10", "-stories", "1", "-seed", "8", "-token", token}, tc.fault...)...)
			e := env{envName("token"): token}
			dir := t.TempDir()
			cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1)), Igexport: tc.timeouts})
			r := igexport(t, dir, e, "apply", "-json", "-stream", "users", "-config", cfg)
			if r.Code == -1 {
				t.Fatalf("apply hung: killed after %s\n%s", r.Dur.Round(time.Second), r.Stderr)
			}
			s := r.summary(t)
			if r.Code != 1 || s.Accounts[0].Status != "failed" {
				t.Fatalf("exit %d, account %s; want 1, failed\n%s", r.Code, s.Accounts[0].Status, r.Stderr)
			}
			st := streamErrors(s, "a1")["users"]
			for _, want := range []string{"GET /" + ids(1)[0], "timed out", tc.want, "gave up after 5 attempts"} {
				if !strings.Contains(st[1], want) {
					t.Errorf("users: %q does not say %q", st[1], want)
				}
			}
			// The token's health check (debug_token, before any export
			// request) stalls the same way: 5 attempts, then the token's
			// health is unknown and the run goes on; then 5 of the profile.
			if n := fake.stats(t).RoundTrips; n != 5+5 {
				t.Errorf("%d round trips; want 5+5 attempts", n)
			}
			noLease(t, filepath.Join(dir, "lake"))
			t.Logf("%s: %s in %s", tc.name, st[1], r.Dur.Round(time.Millisecond))
		})
	}
}

// TestEndlessPagingStops: lists that answer empty pages, each with a new
// paging.next, forever. Discovery stops after a few pages and the run says
// that discovery failed and why (exit 1), not "no account to export"; with
// account blocks, the media and stories streams fail the same way and the
// others finish.
func TestEndlessPagingStops(t *testing.T) {
	const token = "e2e-endless-token-b7a4"
	e := env{envName("token"): token}

	t.Run("discovery", func(t *testing.T) {
		fake := startFake(t, "-accounts", "2", "-media", "10", "-stories", "1", "-seed", "8", "-token", token, "-endless-pages")
		dir := t.TempDir()
		cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Extra: `
discover "agency" {
  access_token = env("` + envName("token") + `")
}
`})
		r := igexport(t, dir, e, "apply", "-config", cfg)
		if r.Code != 1 {
			t.Fatalf("exit %d; want 1\n%s\n%s", r.Code, r.Stdout, r.Stderr)
		}
		want := `discover "agency" failed: graph: /me/accounts: paging makes no progress: 5 empty pages in a row, each with a new paging.next`
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the summary does not say what happened (%q):\n%s", want, r.Stdout)
		}
		if out := r.Stdout + r.Stderr; strings.Contains(out, "no account to export: add an account block") {
			t.Errorf("misleading message:\n%s", out)
		}
		// One debug_token (the token's health), then 5 pages.
		if n := fake.stats(t).RoundTrips; n != 1+5 {
			t.Errorf("%d round trips; want 1+5", n)
		}
		jr := igexport(t, dir, e, "apply", "-json", "-config", cfg)
		var js struct {
			ExitCode  int `json:"exit_code"`
			Discovery []struct {
				Name, Error string
			} `json:"discovery"`
		}
		if err := json.Unmarshal([]byte(jr.Stdout), &js); err != nil || jr.Code != 1 || js.ExitCode != 1 ||
			len(js.Discovery) != 1 || !strings.Contains(js.Discovery[0].Error, "paging makes no progress") {
			t.Errorf("-json: exit %d, %v, %+v\n%s", jr.Code, err, js, jr.Stderr)
		}
	})

	t.Run("streams", func(t *testing.T) {
		fake := startFake(t, "-accounts", "1", "-media", "10", "-stories", "1", "-seed", "8", "-token", token, "-endless-pages")
		dir := t.TempDir()
		r := igexport(t, dir, e, "apply", "-json", "-config", writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1))}))
		s := r.summary(t)
		if r.Code != 1 {
			t.Fatalf("exit %d; want 1\n%s", r.Code, r.Stderr)
		}
		for stream, st := range streamErrors(s, "a1") {
			switch stream {
			case "media", "media_insights", "stories", "story_insights":
				edge := "/media"
				if strings.HasPrefix(stream, "stor") {
					edge = "/stories"
				}
				if want := "graph: /" + ids(1)[0] + edge + ": paging makes no progress"; st[0] != "failed" || !strings.Contains(st[1], want) {
					t.Errorf("%s: %s %q; want failed with %q", stream, st[0], st[1], want)
				}
			default:
				if st[0] != "ok" {
					t.Errorf("%s: %s %q; want ok", stream, st[0], st[1])
				}
			}
		}
		if n := fake.stats(t).ByEndpoint["GET /{ig-user-id}/media"]; n != 5 {
			t.Errorf("%d media pages; want 5", n)
		}
	})
}
