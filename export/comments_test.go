package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// commentsFixture: the media and comments streams of accounts with 30
// media (comments from a handful to hundreds each), refresh_days wide
// enough for a few media to be young.
func commentsFixture(t *testing.T, accounts int, set hcl.StreamConfig) *fixture {
	t.Helper()
	f := newFixture(t, igfake.Options{Accounts: accounts, Media: 30, Stories: -1, Seed: 11})
	f.cfg.Streams = []string{schema.Media, schema.Comments}
	set.Name = schema.Comments
	if set.Usernames == "" {
		set.Usernames = hcl.UsernamesKeep
	}
	f.cfg.StreamSettings[schema.Comments] = set
	return f
}

// lakeComments reads every comments row of the lake, by account, checking
// that each lies in the partition of its own date.
func lakeComments(t *testing.T, f *fixture) map[string]map[string]schema.Comment {
	t.Helper()
	root := strings.TrimPrefix(f.cfg.Destination.URL, "file://")
	out := map[string]map[string]schema.Comment{}
	files, _ := filepath.Glob(filepath.Join(root, schema.Comments, "dt=*", "account_id=*", "*.parquet"))
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		k, err := sinks.ParseDataKey(filepath.ToSlash(rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range readRows[schema.Comment](t, f.store(), filepath.ToSlash(rel)) {
			if r.Timestamp == nil || schema.DateOf(*r.Timestamp) != k.Date {
				t.Errorf("comment %s (%v) in partition dt=%s", r.ID, r.Timestamp, k.Date)
			}
			if out[k.AccountID] == nil {
				out[k.AccountID] = map[string]schema.Comment{}
			}
			if _, dup := out[k.AccountID][r.ID]; dup {
				t.Errorf("comment %s in two partitions", r.ID)
			}
			out[k.AccountID][r.ID] = r
		}
	}
	return out
}

// wantComments is every comment and reply the emulator serves for an
// account, as rows (username as given, fetched_at left out).
func wantComments(f *fixture, a *igfake.Account) map[string]schema.Comment {
	out := map[string]schema.Comment{}
	add := func(c igfake.Comment) {
		r := schema.Comment{ID: c.ID, MediaID: c.MediaID, Text: schema.Ptr(c.Text), Username: schema.Ptr(c.Username),
			Timestamp: schema.Ptr(c.Timestamp), LikeCount: schema.Ptr(c.LikeCount), Hidden: schema.Ptr(c.Hidden)}
		if c.ParentID != "" {
			r.ParentID = schema.Ptr(c.ParentID)
		}
		out[c.ID] = r
	}
	for _, m := range a.Media {
		for _, c := range f.fake.Comments(m.ID) {
			add(c)
			for _, r := range c.Replies {
				add(r)
			}
		}
	}
	return out
}

func sameComment(got, want schema.Comment) bool {
	got.FetchedAt = time.Time{}
	return got.ID == want.ID && got.MediaID == want.MediaID && eqPtr(got.ParentID, want.ParentID) &&
		eqPtr(got.Text, want.Text) && eqPtr(got.Username, want.Username) && got.Timestamp != nil &&
		got.Timestamp.Equal(*want.Timestamp) && eqPtr(got.LikeCount, want.LikeCount) && eqPtr(got.Hidden, want.Hidden)
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func checkLakeComments(t *testing.T, f *fixture) int {
	t.Helper()
	lake := lakeComments(t, f)
	total := 0
	for _, a := range f.fake.Dataset().Accounts {
		want := wantComments(f, a)
		got := lake[a.ID]
		if len(got) != len(want) {
			t.Errorf("account %s: %d comments in the lake, the emulator has %d", a.Username, len(got), len(want))
		}
		for id, w := range want {
			if g, ok := got[id]; !ok {
				t.Errorf("account %s: comment %s missing", a.Username, id)
			} else if !sameComment(g, w) {
				t.Errorf("account %s: comment %s\n got %s\nwant %s", a.Username, id, jsonOf(g), jsonOf(w))
			}
		}
		total += len(want)
	}
	return total
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestCommentsFirstRun: a first run stores every comment and reply of every
// account, values as the emulator serves them, in one batch operation per
// media with comments plus the pages of the long lists.
func TestCommentsFirstRun(t *testing.T) {
	f := commentsFixture(t, 2, hcl.StreamConfig{RefreshDays: 3})
	sum := f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	n := checkLakeComments(t, f)
	withComments, long := 0, 0
	for _, a := range f.fake.Dataset().Accounts {
		for _, m := range a.Media {
			if m.CommentsCount > 0 {
				withComments++
			}
			if m.CommentsCount > 100 {
				long++
			}
		}
	}
	st := f.fake.Stats()
	fetches := f.fake.CommentFetches()
	t.Logf("%d comments and replies of %d media (%d with more than 100): %d comment requests, %d batch POSTs",
		n, withComments, long, st.ByEndpoint["GET /{media-id}/comments"], st.ByEndpoint["POST batch"])
	if len(fetches) != withComments || long == 0 {
		t.Errorf("comments of %d media read, %d have comments (%d long lists)", len(fetches), withComments, long)
	}
	for _, a := range f.fake.Dataset().Accounts {
		r := streamResult(t, sum, a.ID, schema.Comments)
		if r.Status != StatusOK || r.Counters.Rows != int64(len(wantComments(f, a))) {
			t.Errorf("%s: %s, %d rows", a.Username, r.Status, r.Counters.Rows)
		}
	}
}

// TestCommentsSecondRunFetchesOnlyChanges: after comments are posted on 3
// old media (and likes and hidden flags edited everywhere), the next run
// reads the comments of exactly those 3 media and of the young ones, and
// the lake then holds every comment with its new values; plan counted the
// requests of an unchanged run exactly.
func TestCommentsSecondRunFetchesOnlyChanges(t *testing.T) {
	const refreshDays = 45
	f := commentsFixture(t, 1, hcl.StreamConfig{RefreshDays: refreshDays})
	if sum := f.apply(Options{}); sum.ExitCode != 0 {
		t.Fatalf("first run: exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	a := f.fake.Dataset().Accounts[0]
	cutoff := f.now.AddDate(0, 0, -refreshDays)
	var young, old []string
	for _, m := range a.Media {
		switch {
		case m.CommentsCount > 0 && m.Timestamp.After(cutoff):
			young = append(young, m.ID)
		case m.CommentsCount > 0:
			old = append(old, m.ID)
		}
	}
	if len(young) == 0 || len(old) < 3 {
		t.Fatalf("fixture: %d young and %d old media with comments", len(young), len(old))
	}

	// Nothing changed: plan's count is what apply sends.
	p, err := MakePlan(context.Background(), f.cfg, Options{Now: func() time.Time { return f.now }, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	f.fake.ResetStats()
	sum := f.apply(Options{})
	sp, sr := streamPlan(t, p, a.ID, schema.Comments), streamResult(t, sum, a.ID, schema.Comments)
	if sp.Estimate.LowerBound || sp.Estimate.Calls != sr.Counters.Calls || sp.Estimate.RoundTrips != sr.Counters.RoundTrips {
		t.Errorf("unchanged run: planned %+v (%s), made %d calls / %d round trips", sp.Estimate, sp.Basis, sr.Counters.Calls, sr.Counters.RoundTrips)
	}
	if got := slices.Sorted(mapKeys(f.fake.CommentFetches())); !slices.Equal(got, slices.Sorted(slices.Values(young))) {
		t.Errorf("unchanged run read the comments of %v, want the young %v", got, young)
	}

	changed := []string{old[0], old[len(old)/2], old[len(old)-1]}
	for i, id := range changed {
		if err := f.fake.AddComments(id, i+1); err != nil {
			t.Fatal(err)
		}
	}
	f.fake.EditComments()
	f.fake.ResetStats()
	sum = f.apply(Options{})
	if sum.ExitCode != 0 {
		t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(young), changed...)))
	fetches := f.fake.CommentFetches()
	if got := slices.Sorted(mapKeys(fetches)); !slices.Equal(got, want) {
		t.Errorf("read the comments of %v, want the 3 changed and the young: %v", got, want)
	}
	var requests int64
	for _, id := range want {
		requests += fetches[id]
	}
	st := f.fake.Stats()
	if got := st.ByEndpoint["GET /{media-id}/comments"] + st.ByEndpoint["GET /{comment-id}/replies"]; got != requests || requests < int64(len(want)) {
		t.Errorf("%d comment requests, %d on the due media", got, requests)
	}
	t.Logf("second run: %d media due (%d young, 3 changed) of %d with comments: %d comment requests, %d calls in all",
		len(want), len(young), len(young)+len(old), requests, st.Calls)

	// The lake: the new comments, and the edits of the media read again.
	lake := lakeComments(t, f)[a.ID]
	for _, id := range changed {
		for _, c := range f.fake.Comments(id) {
			if g, ok := lake[c.ID]; !ok {
				t.Errorf("comment %s of %s missing", c.ID, id)
			} else if !sameComment(g, wantComments(f, a)[c.ID]) {
				t.Errorf("comment %s: %s", c.ID, jsonOf(g))
			}
		}
	}
	for _, id := range young {
		for _, c := range f.fake.Comments(id) {
			if g := lake[c.ID]; !sameComment(g, wantComments(f, a)[c.ID]) {
				t.Errorf("young media %s: comment %s not refreshed: %s", id, c.ID, jsonOf(g))
			}
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestCommentsUsernames: with usernames = "hash" no commenter's username
// is anywhere (lake files written uncompressed, state, logs, summary), and
// each row holds the hex SHA-256 of the lake's salt and the username; with
// "drop" the column is NULL. "keep" is the control: the same scan finds
// the usernames.
func TestCommentsUsernames(t *testing.T) {
	for _, mode := range hcl.UsernameModes {
		t.Run(mode, func(t *testing.T) {
			f := commentsFixture(t, 1, hcl.StreamConfig{RefreshDays: 3, Usernames: mode})
			f.cfg.Destination.Compression = "none"
			var logs bytes.Buffer
			sum := f.apply(Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if sum.ExitCode != 0 {
				t.Fatalf("exit %d: %+v", sum.ExitCode, sum.Accounts)
			}
			a := f.fake.Dataset().Accounts[0]
			want := wantComments(f, a)
			users := map[string]bool{}
			for _, c := range want {
				users[*c.Username] = true
			}
			// Everything written: every file under the lake and state, the logs, the summary.
			var blobs [][]byte
			root := strings.TrimPrefix(f.cfg.Destination.URL, "file://")
			err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				blobs = append(blobs, b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			blobs = append(blobs, logs.Bytes(), []byte(jsonOf(sum)))
			found := 0
			for u := range users {
				for _, b := range blobs {
					if bytes.Contains(b, []byte(u)) {
						found++
						break
					}
				}
			}
			if mode == hcl.UsernamesKeep {
				if found != len(users) {
					t.Fatalf("control: only %d of %d usernames found in the uncompressed lake", found, len(users))
				}
			} else if found > 0 {
				t.Errorf("usernames = %q: %d of %d usernames in clear in the lake, state or logs", mode, found, len(users))
			}

			var salt struct{ Salt string }
			if b, err := os.ReadFile(filepath.Join(root, "_igexport", sinks.SaltKey)); err == nil {
				_ = json.Unmarshal(b, &salt)
			}
			lake := lakeComments(t, f)[a.ID]
			if len(lake) != len(want) {
				t.Fatalf("%d rows, want %d", len(lake), len(want))
			}
			for id, w := range want {
				g := lake[id]
				switch mode {
				case hcl.UsernamesKeep:
					if !eqPtr(g.Username, w.Username) {
						t.Fatalf("%s: username %v", id, g.Username)
					}
				case hcl.UsernamesHash:
					if salt.Salt == "" || g.Username == nil || *g.Username != hashUsername(salt.Salt, *w.Username) || len(*g.Username) != 64 {
						t.Fatalf("%s: username %v, want sha256(salt %q + %s)", id, g.Username, salt.Salt, *w.Username)
					}
				case hcl.UsernamesDrop:
					if g.Username != nil {
						t.Fatalf("%s: username %q, want NULL", id, *g.Username)
					}
				}
			}
		})
	}
}

// TestCommentsPermissionAdvice: a token without the comments permissions
// fails the stream, not the others, and the advice names the permissions.
func TestCommentsPermissionAdvice(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 5, Stories: -1, Seed: 2, CommentsPermissionDenied: true})
	f.cfg.Streams = []string{schema.Media, schema.Comments}
	sum := f.apply(Options{})
	a := sum.Accounts[0]
	if sum.ExitCode != 1 || streamResult(t, sum, a.AccountID, schema.Media).Status != StatusOK ||
		streamResult(t, sum, a.AccountID, schema.Comments).Status != StatusFailed {
		t.Fatalf("exit %d: %+v", sum.ExitCode, a)
	}
	for _, p := range []string{"instagram_basic", "instagram_manage_comments", "pages_read_engagement", "instagram_business_manage_comments"} {
		if !strings.Contains(a.Advice, p) {
			t.Errorf("advice %q does not name %s", a.Advice, p)
		}
	}
}

// TestPlanEqualsApplyComments: comments alone (the media listing is then
// the comments stream's) and with media and media_insights: after a run,
// plan's estimate of every stream is what apply makes and what the
// emulator counts.
func TestPlanEqualsApplyComments(t *testing.T) {
	for _, streams := range [][]string{{schema.Comments}, {schema.Media, schema.MediaInsights, schema.Comments}} {
		t.Run(strings.Join(streams, "+"), func(t *testing.T) {
			f := newPlanFixture(t, igfake.Options{Accounts: 2, Media: 30, Stories: -1, Seed: 11})
			f.cfg.Streams = streams
			f.cfg.StreamSettings[schema.Comments] = hcl.StreamConfig{Name: schema.Comments, RefreshDays: 45, Usernames: hcl.UsernamesKeep}
			first := f.plan(Options{Offline: true})
			if !first.Totals.LowerBound {
				t.Error("a first run's plan must be a lower bound")
			}
			f.apply(Options{})
			p := f.plan(Options{Offline: true})
			f.fake.ResetStats()
			sum := f.apply(Options{})
			for _, a := range sum.Accounts {
				for _, s := range a.Streams {
					sp := streamPlan(t, p, a.AccountID, s.Stream)
					if sp.Estimate.LowerBound || sp.Estimate.Calls != s.Counters.Calls || sp.Estimate.RoundTrips != s.Counters.RoundTrips {
						t.Errorf("%s/%s: planned %+v (%s), made %d calls / %d round trips", a.Name, s.Stream, sp.Estimate, sp.Basis,
							s.Counters.Calls, s.Counters.RoundTrips)
					}
				}
			}
			if st := f.fake.Stats(); st.Calls != p.Totals.Calls || st.RoundTrips != p.Totals.RoundTrips || st.ByEndpoint["GET /{media-id}/comments"] == 0 {
				t.Errorf("the emulator counted %d calls / %d round trips (%v), the plan said %d / %d",
					st.Calls, st.RoundTrips, st.ByEndpoint, p.Totals.Calls, p.Totals.RoundTrips)
			}
		})
	}
}

// TestCommentsMalformed: comments served without their id fail the
// comments stream with an error naming the endpoint and the field, write
// no comment and commit no comments state; the media stream is committed.
func TestCommentsMalformed(t *testing.T) {
	f := newFixture(t, igfake.Options{Accounts: 1, Media: 10, Stories: -1, Seed: 2, Faults: igfake.Faults{DropIDs: []string{"comment"}}})
	f.cfg.Streams = []string{schema.Media, schema.Comments}
	sum := f.apply(Options{})
	id := f.cfg.Accounts[0].IGUserID
	r := streamResult(t, sum, id, schema.Comments)
	if sum.ExitCode != 1 || r.Status != StatusFailed || !strings.Contains(r.Error, "malformed response from /") ||
		!strings.Contains(r.Error, "/comments: data[0]: id is missing or empty") || streamResult(t, sum, id, schema.Media).Status != StatusOK {
		t.Fatalf("exit %d, comments %s %q", sum.ExitCode, r.Status, r.Error)
	}
	if n := len(lakeComments(t, f)); n != 0 {
		t.Errorf("comments of %d accounts in the lake", n)
	}
	st, err := f.stateStore().LoadState(context.Background(), id)
	if err != nil || st == nil || st.Streams[schema.Media] == nil || st.Streams[schema.Comments] != nil {
		t.Fatalf("state %+v, %v: want media committed, comments not", st, err)
	}
}

// TestPlanCommentsFirstRunFromMediaFile: comments added to a lake that has
// a media file: plan counts one operation per media with comments there (a
// lower bound: long lists take more pages), the operations apply sends.
func TestPlanCommentsFirstRunFromMediaFile(t *testing.T) {
	f := newPlanFixture(t, igfake.Options{Accounts: 1, Media: 30, Stories: -1, Seed: 11})
	f.cfg.Streams = []string{schema.Media}
	f.apply(Options{})
	f.cfg.Streams = []string{schema.Media, schema.Comments}
	p := f.plan(Options{Offline: true})
	a := f.fake.Dataset().Accounts[0]
	sp := streamPlan(t, p, a.ID, schema.Comments)
	f.fake.ResetStats()
	sum := f.apply(Options{})
	ops := int64(len(f.fake.CommentFetches()))
	sr := streamResult(t, sum, a.ID, schema.Comments)
	if !sp.Estimate.LowerBound || sp.Estimate.Calls != ops || sp.Estimate.RoundTrips != 1 || sr.Counters.Calls < sp.Estimate.Calls {
		t.Errorf("planned %+v (%s); apply read the comments of %d media in %d calls", sp.Estimate, sp.Basis, ops, sr.Counters.Calls)
	}
}

// TestCommentsUsernamesTightened: a lake whose comments were written with
// usernames = "keep" and then exported with "hash" (or "hash" then
// "drop") holds no username in clear afterwards: not in the partitions
// this run fetched, nor in those it did not touch (comments of media
// whose comments_count did not change), nor in old rows a merge keeps.
// Every comment is still there once; a crash before the state commit
// redoes the rewrite without hashing twice.
func TestCommentsUsernamesTightened(t *testing.T) {
	for _, c := range []struct{ from, to string }{
		{hcl.UsernamesKeep, hcl.UsernamesHash},
		{hcl.UsernamesKeep, hcl.UsernamesDrop},
		{hcl.UsernamesHash, hcl.UsernamesDrop},
	} {
		t.Run(c.from+" to "+c.to, func(t *testing.T) {
			f := commentsFixture(t, 1, hcl.StreamConfig{RefreshDays: 3, Usernames: c.from})
			f.cfg.Destination.Compression = "none"
			if sum := f.apply(Options{}); sum.ExitCode != 0 {
				t.Fatalf("first run: exit %d: %+v", sum.ExitCode, sum.Accounts)
			}
			a := f.fake.Dataset().Accounts[0]
			want := wantComments(f, a)
			set := f.cfg.StreamSettings[schema.Comments]
			set.Usernames = c.to
			f.cfg.StreamSettings[schema.Comments] = set

			// A run that crashes before its state commit, then the real one.
			if sum := f.applyWithHook(Options{}, func(string) error { return errors.New("simulated crash") }); sum.ExitCode != 1 {
				t.Fatalf("crashed run: exit %d", sum.ExitCode)
			}
			if sum := f.apply(Options{}); sum.ExitCode != 0 {
				t.Fatalf("run with usernames = %q: exit %d: %+v", c.to, sum.ExitCode, sum.Accounts)
			}
			root := strings.TrimPrefix(f.cfg.Destination.URL, "file://")
			files, _ := filepath.Glob(filepath.Join(root, schema.Comments, "dt=*", "account_id=*", "*.parquet"))
			if len(files) == 0 {
				t.Fatal("no comments files")
			}
			for _, path := range files {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range want {
					if bytes.Contains(b, []byte(*w.Username)) {
						t.Errorf("%s still holds username %q in clear", path, *w.Username)
						break
					}
				}
			}
			var salt struct{ Salt string }
			if b, err := os.ReadFile(filepath.Join(root, "_igexport", sinks.SaltKey)); err == nil {
				_ = json.Unmarshal(b, &salt)
			}
			lake := lakeComments(t, f)[a.ID]
			if len(lake) != len(want) {
				t.Fatalf("%d comments in the lake, want %d", len(lake), len(want))
			}
			for id, w := range want {
				g := lake[id]
				switch c.to {
				case hcl.UsernamesHash:
					if g.Username == nil || *g.Username != hashUsername(salt.Salt, *w.Username) {
						t.Fatalf("%s: username %v, want sha256(salt + %s) once", id, g.Username, *w.Username)
					}
				case hcl.UsernamesDrop:
					if g.Username != nil {
						t.Fatalf("%s: username %q, want NULL", id, *g.Username)
					}
				}
			}
		})
	}
}
