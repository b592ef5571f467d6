package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/igfake"
)

// streamStatus returns the status of every stream of every account:
// "account/stream" → status.
func streamStatus(s summary) map[string]string {
	out := map[string]string{}
	for _, a := range s.Accounts {
		for _, st := range a.Streams {
			out[a.Name+"/"+st.Stream] = st.Status
		}
	}
	return out
}

// TestThrottlePastMaxWaitDefers: an account throttled with a regain time
// longer than rate_limit.max_wait is deferred at once (no waiting): the
// streams it finished are committed, the others are not, the run exits 3
// and says so; the next run picks the account up and ends with the lake a
// run without throttling makes.
func TestThrottlePastMaxWaitDefers(t *testing.T) {
	crossed := dayGuard()
	const token = "e2e-throttle-token-0c3e"
	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	common := []string{"-accounts", "2", "-media", "100", "-stories", "1", "-seed", "9", "-token", token, "-now", now}
	throttled := startFake(t, append(common, "-throttle-after", "40", "-throttle-for", "1m")...)
	clean := startFake(t, common...)
	e := env{envName("token"): token}

	dir := t.TempDir()
	opts := cfgOpts{URL: throttled.URL, Accounts: accountsOf(ids(2)), MaxWait: "3s"}
	cfg := writeConfig(t, dir, opts)
	r := igexport(t, dir, e, "apply", "-json", "-config", cfg)
	s := r.summary(t)
	if r.Code != 3 || s.ExitCode != 3 || s.Status != "deferred" {
		t.Fatalf("throttled run: exit %d, status %s; want 3, deferred\n%s", r.Code, s.Status, r.Stderr)
	}
	if r.Dur > 30*time.Second {
		t.Errorf("the throttled run took %s: it must defer, not wait the 1-minute regain time", r.Dur)
	}
	st := checkState(t, filepath.Join(dir, "lake"))
	deferred := 0
	for _, a := range s.Accounts {
		if a.Status != "deferred" {
			t.Errorf("account %s: %s (%s), want deferred", a.Name, a.Status, a.Error)
		}
		state := st[a.AccountID]
		for _, ss := range a.Streams {
			var committed bool
			if state != nil {
				_, committed = state.Streams[ss.Stream]
			}
			switch ss.Status {
			case "ok":
				if !committed {
					t.Errorf("%s/%s finished but is not in the committed state", a.Name, ss.Stream)
				}
			case "deferred":
				deferred++
				if committed {
					t.Errorf("%s/%s was deferred but is in the state", a.Name, ss.Stream)
				}
				if !strings.Contains(ss.Error, "max wait") || !strings.Contains(ss.Error, "next run") {
					t.Errorf("%s/%s: deferral message %q should say max wait and next run", a.Name, ss.Stream, ss.Error)
				}
			default:
				t.Errorf("%s/%s: %s: %s", a.Name, ss.Stream, ss.Status, ss.Error)
			}
		}
	}
	if deferred == 0 {
		t.Fatal("no stream was deferred")
	}
	t.Logf("throttled run: %s, %d streams deferred, statuses %v", r.Dur.Round(time.Millisecond), deferred, streamStatus(s))

	// The next run (the budget has recovered) picks everything up.
	opts.URL = clean.URL
	cfg = writeConfig(t, dir, opts)
	r = igexport(t, dir, e, "apply", "-json", "-config", cfg)
	if r.Code != 0 {
		t.Fatalf("next run: exit %d\n%s", r.Code, r.Stderr)
	}
	// Every file of a clean run must be there with the same rows. (A second
	// run may add user_insights days before start_date: it re-reads
	// lookback_days before the cursor, and the cursor of an account whose
	// user_insights was committed in the first run is two days ahead.)
	refDir := t.TempDir()
	ref := igexport(t, refDir, e, "apply", "-json", "-config", writeConfig(t, refDir, cfgOpts{URL: clean.URL, Accounts: accountsOf(ids(2))}))
	if ref.Code != 0 {
		t.Fatalf("reference run: exit %d\n%s", ref.Code, ref.Stderr)
	}
	var d []string
	for _, x := range diffLakes(lakeRows(t, filepath.Join(refDir, "lake")), lakeRows(t, filepath.Join(dir, "lake"))) {
		if !strings.HasPrefix(x, "extra user_insights/") {
			d = append(d, x)
		}
	}
	if len(d) > 0 && crossed() {
		t.Skipf("the test crossed midnight (UTC or US Pacific): the lakes of both days differ; run it again")
	}
	if len(d) > 0 {
		t.Errorf("after the deferral and a clean run the lake differs from a clean run's:\n  %s", strings.Join(d, "\n  "))
	}
	for id, state := range checkState(t, filepath.Join(dir, "lake")) {
		if state.Generation != 2 || len(state.Streams) != 7 {
			t.Errorf("account %s: generation %d with %d streams; want 2 with all 7", id, state.Generation, len(state.Streams))
		}
	}
}

// TestThrottleWaitedOut: throttle errors without usage headers are waited
// out with backoff (full jitter) within max_wait; the run succeeds and
// counts its throttle waits.
func TestThrottleWaitedOut(t *testing.T) {
	const token = "e2e-throttle-token-8d21"
	fake := startFake(t, "-accounts", "1", "-media", "60", "-stories", "1", "-seed", "4", "-token", token,
		"-throttle-after", "60", "-throttle-for", "400ms", "-throttle-code", "4", "-usage-header", "none")
	e := env{envName("token"): token}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1)), MaxWait: "2m"})
	r := igexport(t, dir, e, "apply", "-json", "-config", cfg)
	s := r.summary(t)
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	if s.Totals.ThrottleWaits == 0 || fake.stats(t).Throttled == 0 {
		t.Errorf("no throttle waits counted (summary %d, emulator throttled %d)", s.Totals.ThrottleWaits, fake.stats(t).Throttled)
	}
	if !strings.Contains(r.Stderr, "throttled, waiting") {
		t.Errorf("no log line about throttle waits:\n%s", r.Stderr)
	}
	t.Logf("%s, %d throttle waits, %d throttled calls", r.Dur.Round(time.Millisecond), s.Totals.ThrottleWaits, fake.stats(t).Throttled)
}

// TestPacingAboveMaxUsage: once the usage headers report more than
// rate_limit.max_usage_percent, the account's requests are spaced out (in
// proportion to how far above it is); the run still succeeds, writes what an
// unpaced run writes, and the summary says how much it was slowed down.
//
// Usage is made high before the paced run starts (pacing can only delay the
// requests that follow a reading): a first run spends a third of the
// emulator's 1,000-call budget, then a run of the media stream alone (three
// pages, one after the other) sees 33 % from its first page on, above the
// 30 % it is given.
func TestPacingAboveMaxUsage(t *testing.T) {
	crossed := dayGuard()
	const token = "e2e-pacing-token-51ab"
	fake := startFake(t, "-accounts", "1", "-media", "300", "-stories", "1", "-seed", "6", "-token", token, "-throttle-after", "1000")
	e := env{envName("token"): token}
	dir := t.TempDir()
	first := igexport(t, dir, e, "apply", "-json", "-config", writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1))}))
	if s := first.summary(t); first.Code != 0 || s.Totals.PaceWaits != 0 || s.Totals.Calls < 310 {
		t.Fatalf("first run: exit %d, %d pace waits, %d calls; want 0, 0 and over 310 (31 %% of the budget)\n%s",
			first.Code, s.Totals.PaceWaits, s.Totals.Calls, first.Stderr)
	}
	before := lakeRows(t, filepath.Join(dir, "lake"))

	cfg := writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1)), MaxUsage: 30})
	r := igexport(t, dir, e, "apply", "-json", "-stream", "media", "-config", cfg)
	s := r.summary(t)
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	waited, err := time.ParseDuration(s.Totals.PaceWaited)
	if s.Totals.PaceWaits < 2 || err != nil || waited <= 0 {
		t.Fatalf("usage %d%% above max_usage_percent 30 but pace_waits %d, pace_waited %q; want the 2nd and 3rd page paced",
			s.Totals.UsagePercent, s.Totals.PaceWaits, s.Totals.PaceWaited)
	}
	if r.Dur < waited {
		t.Errorf("the run took %s for %s of pacing", r.Dur, waited)
	}
	if s.Totals.ThrottleWaits != 0 || fake.stats(t).Throttled != 0 {
		t.Errorf("pacing must keep the account clear of throttling: %d throttle waits, %d throttled calls",
			s.Totals.ThrottleWaits, fake.stats(t).Throttled)
	}
	if d := diffLakes(before, lakeRows(t, filepath.Join(dir, "lake"))); len(d) > 0 && !crossed() {
		t.Errorf("the paced run changed the lake:\n  %s", strings.Join(d, "\n  "))
	}
	text := igexport(t, dir, e, "apply", "-stream", "media", "-config", cfg)
	if text.Code != 0 || !strings.Contains(text.Stdout, "paced: a1: usage went above rate_limit.max_usage_percent") {
		t.Errorf("the summary table does not report the pacing (exit %d):\n%s", text.Code, text.Stdout)
	}
	t.Logf("usage %d%%: %d requests paced, %s in all; the run took %s", s.Totals.UsagePercent,
		s.Totals.PaceWaits, waited, r.Dur.Round(time.Millisecond))
}

// TestTransientFaultsRetried: 5xx bursts (code 2, is_transient), connection
// resets, truncated JSON bodies, null batch operations and slow responses
// are retried a bounded number of times; the run succeeds and writes the
// lake a fault-free emulator gives.
func TestTransientFaultsRetried(t *testing.T) {
	crossed := dayGuard()
	const token = "e2e-transient-token-4b9e"
	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	common := []string{"-accounts", "2", "-media", "120", "-stories", "2", "-seed", "11", "-token", token, "-now", now}
	// About 15 % of round trips fail: every kind is exercised, while the
	// chance that one request meets 5 faults in a row (MaxAttempts) stays
	// negligible. (At ~40 % it happened in about a third of the runs.)
	faulty := startFake(t, append(common, "-server-error-every", "19", "-server-error-burst", "2", "-reset-every", "31",
		"-malformed-every", "29", "-batch-null-every", "23", "-slow-every", "17", "-slow-delay", "300ms")...)
	clean := startFake(t, common...)
	e := env{envName("token"): token}

	dir := t.TempDir()
	r := igexport(t, dir, e, "apply", "-json", "-config", writeConfig(t, dir, cfgOpts{URL: faulty.URL, Accounts: accountsOf(ids(2))}))
	s := r.summary(t)
	fs := faulty.stats(t)
	if r.Code != 0 {
		t.Fatalf("exit %d despite retries (%d faults injected):\n%s\n%s", r.Code, fs.Faults, r.Stdout, r.Stderr)
	}
	if fs.Faults == 0 || fs.NullOps == 0 || s.Totals.Retries == 0 {
		t.Errorf("faults %d, null ops %d, retries %d: the faults were not exercised", fs.Faults, fs.NullOps, s.Totals.Retries)
	}
	refDir := t.TempDir()
	ref := igexport(t, refDir, e, "apply", "-json", "-config", writeConfig(t, refDir, cfgOpts{URL: clean.URL, Accounts: accountsOf(ids(2))}))
	if ref.Code != 0 {
		t.Fatalf("reference: exit %d\n%s", ref.Code, ref.Stderr)
	}
	if d := diffLakes(lakeRows(t, filepath.Join(refDir, "lake")), lakeRows(t, filepath.Join(dir, "lake"))); len(d) > 0 {
		if crossed() {
			t.Skipf("the test crossed midnight (UTC or US Pacific): the lakes of both days differ; run it again")
		}
		t.Errorf("the lake written through faults differs from the fault-free one:\n  %s", strings.Join(d, "\n  "))
	}
	checkState(t, filepath.Join(dir, "lake"))
	t.Logf("%d faults and %d null batch operations injected, %d retries, %s", fs.Faults, fs.NullOps, s.Totals.Retries, r.Dur.Round(time.Millisecond))
}

// TestTransientFaultsGiveUp: a server that keeps failing makes the run fail
// after a bounded number of attempts, with an error naming the endpoint.
func TestTransientFaultsGiveUp(t *testing.T) {
	const token = "e2e-transient-token-aa10"
	fake := startFake(t, "-accounts", "1", "-media", "10", "-stories", "1", "-seed", "2", "-token", token, "-server-error-every", "1")
	e := env{envName("token"): token}
	dir := t.TempDir()
	start := time.Now()
	r := igexport(t, dir, e, "apply", "-json", "-config", writeConfig(t, dir, cfgOpts{URL: fake.URL, Accounts: accountsOf(ids(1))}))
	s := r.summary(t)
	if r.Code != 1 || s.Accounts[0].Status != "failed" {
		t.Fatalf("exit %d, account %s; want 1, failed\n%s", r.Code, s.Accounts[0].Status, r.Stderr)
	}
	for _, st := range s.Accounts[0].Streams {
		if st.Status != "failed" || !strings.Contains(st.Error, "gave up after") || !strings.Contains(st.Error, "HTTP 500") {
			t.Errorf("%s: %s %q; want failed after bounded attempts, naming the failure", st.Stream, st.Status, st.Error)
		}
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("giving up took %s", d)
	}
	if rts := fake.stats(t).RoundTrips; rts > 7*5 {
		t.Errorf("%d round trips for 7 streams; retries must be bounded", rts)
	}
	if len(checkState(t, filepath.Join(dir, "lake"))) != 0 {
		t.Errorf("a state was committed for an account whose every stream failed")
	}
}

// tokenGate serves the in-process emulator to several tokens: each maps to
// the emulator's own token, and a token with a call budget answers 190/463
// (expired, with WWW-Authenticate) once the budget is spent. A path pattern
// can be answered with a permission error for one token.
type tokenGate struct {
	next  http.Handler
	real  string
	mu    sync.Mutex
	calls map[string]int
	// budget: token → round trips it serves before expiring (0: never).
	budget map[string]int
	// deny: token → path substring answered with a (#200) permission error.
	deny map[string]string
}

func (g *tokenGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	g.calls[tok]++
	n := g.calls[tok]
	b, known := g.budget[tok]
	deny := g.deny[tok]
	g.mu.Unlock()
	if !known {
		http.Error(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"AxGate"}}`, http.StatusBadRequest)
		return
	}
	if b > 0 && n > b {
		msg := "Error validating access token: Session has expired on Sunday, 22-Nov-26 02:00:00 PST. The current time is Sunday, 22-Nov-26 03:00:00 PST."
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("OAuth \"Facebook Platform\" \"invalid_token\" %q", msg))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":%q,"type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AxGate"}}`, msg)
		return
	}
	if deny != "" && strings.Contains(r.URL.Path, deny) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"message":"(#200) Requires instagram_basic permission to manage the object","type":"OAuthException","code":200,"fbtrace_id":"AxGate"}}`)
		return
	}
	if q := r.URL.Query(); strings.HasSuffix(r.URL.Path, "/debug_token") {
		// The token health check asks about a gate token: ask about the emulator's.
		g.mu.Lock()
		_, gated := g.budget[q.Get("input_token")]
		g.mu.Unlock()
		if gated {
			q.Set("input_token", g.real)
			r.URL.RawQuery = q.Encode()
		}
	}
	r.Header.Set("Authorization", "Bearer "+g.real)
	if r.Method == http.MethodPost && r.ParseForm() == nil && r.PostForm.Has("access_token") {
		// A batch POST carries the token as a top-level form field too.
		if r.PostForm.Get("access_token") != tok {
			http.Error(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"AxGate"}}`, http.StatusBadRequest)
			return
		}
		r.PostForm.Set("access_token", g.real)
		body := r.PostForm.Encode()
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Form, r.PostForm = nil, nil
	}
	g.next.ServeHTTP(w, r)
}

// gatedFake serves the in-process emulator behind a tokenGate.
func gatedFake(t *testing.T, o igfake.Options, budget map[string]int, deny map[string]string) (*httptest.Server, *igfake.Server) {
	t.Helper()
	o.Token = "igfake-inner-token"
	fake := igfake.New(o)
	if deny == nil {
		deny = map[string]string{}
	}
	srv := httptest.NewServer(&tokenGate{next: fake, real: o.Token, calls: map[string]int{}, budget: budget, deny: deny})
	t.Cleanup(srv.Close)
	return srv, fake
}

// TestTokenExpiredStopsThatAccount: one account's token expires mid-run
// (190/463). That account stops with a message that says what happened and
// how to get a new token; the other account, with its own token, finishes;
// the run exits 1. The tokens appear nowhere.
func TestTokenExpiredStopsThatAccount(t *testing.T) {
	const good, expiring = "e2e-good-token-1f6b2c", "e2e-expiring-token-93ad07"
	srv, _ := gatedFake(t, igfake.Options{Accounts: 2, Media: 300, Stories: 2, Seed: 13, Latency: 5 * time.Millisecond},
		map[string]int{good: 0, expiring: 4}, nil)
	e := env{envName("good"): good, envName("expiring"): expiring}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, cfgOpts{URL: srv.URL, Accounts: []account{
		{Name: "good", ID: ids(2)[0], TokenVar: "good"},
		{Name: "expiring", ID: ids(2)[1], TokenVar: "expiring"},
	}})
	r := igexport(t, dir, e, "apply", "-json", "-config", cfg)
	s := r.summary(t)
	if r.Code != 1 || s.ExitCode != 1 {
		t.Fatalf("exit %d; want 1\n%s", r.Code, r.Stderr)
	}
	for _, a := range s.Accounts {
		switch a.Name {
		case "good":
			if a.Status != "ok" {
				t.Errorf("the other account did not carry on: %s %s", a.Status, a.Error)
			}
		case "expiring":
			if a.Status != "failed" || !strings.Contains(a.Error, "code 190/463") {
				t.Errorf("expiring: %s %q; want failed with the 190/463 error", a.Status, a.Error)
			}
			for _, want := range []string{"expired", "long-lived token", "fb_exchange_token", "re-run"} {
				if !strings.Contains(a.Advice, want) {
					t.Errorf("expiring: advice %q does not mention %q", a.Advice, want)
				}
			}
		}
	}
	// The text summary a user reads carries the advice too.
	r2 := igexport(t, dir, e, "apply", "-config", cfg)
	if r2.Code != 1 || !strings.Contains(r2.Stdout, "Get a new long-lived token") {
		t.Errorf("text summary: exit %d, no advice:\n%s", r2.Code, r2.Stdout)
	}
	st := checkState(t, filepath.Join(dir, "lake"))
	if st[ids(2)[0]] == nil || len(st[ids(2)[0]].Streams) != 7 {
		t.Errorf("the good account's state: %+v", st[ids(2)[0]])
	}
	assertNoSecret(t, dir, []string{r.Stdout, r.Stderr, r2.Stdout, r2.Stderr}, good, expiring)
}

// TestPermissionErrorNamesPermission: a (#200) "Requires instagram_basic
// permission" on one account's media edge fails that account's media
// streams with the permission named, while its other streams and the other
// account finish; exit 1.
func TestPermissionErrorNamesPermission(t *testing.T) {
	const tokA, tokB = "e2e-perm-token-a-51c0", "e2e-perm-token-b-e77d"
	srv, _ := gatedFake(t, igfake.Options{Accounts: 2, Media: 50, Stories: 1, Seed: 17},
		map[string]int{tokA: 0, tokB: 0}, map[string]string{tokB: "/media"})
	e := env{envName("a"): tokA, envName("b"): tokB}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, cfgOpts{URL: srv.URL, Accounts: []account{
		{Name: "a", ID: ids(2)[0], TokenVar: "a"},
		{Name: "b", ID: ids(2)[1], TokenVar: "b"},
	}})
	r := igexport(t, dir, e, "apply", "-json", "-config", cfg)
	s := r.summary(t)
	if r.Code != 1 {
		t.Fatalf("exit %d; want 1\n%s", r.Code, r.Stderr)
	}
	for _, a := range s.Accounts {
		for _, st := range a.Streams {
			media := st.Stream == "media" || st.Stream == "media_insights"
			switch {
			case a.Name == "b" && media:
				if st.Status != "failed" || !strings.Contains(st.Error, "instagram_basic") || !strings.Contains(st.Error, "code 200") {
					t.Errorf("b/%s: %s %q; want failed naming instagram_basic", st.Stream, st.Status, st.Error)
				}
			case st.Status != "ok":
				t.Errorf("%s/%s: %s %q; want ok", a.Name, st.Stream, st.Status, st.Error)
			}
		}
	}
	if !strings.Contains(r.Stderr, "instagram_basic") {
		t.Errorf("the log does not name the permission:\n%s", r.Stderr)
	}
	assertNoSecret(t, dir, []string{r.Stdout, r.Stderr}, tokA, tokB)
}
