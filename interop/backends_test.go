package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/internal/testenv"
	"github.com/igexport/igexport/sinks"
)

// TestBackends runs the same export into the five kinds of bucket igexport
// supports — mem:// (in-process: a memory bucket dies with its process),
// file://, S3 (versitygw), GCS (fake-gcs-server) and Azure Blob (Azurite),
// the last four through the built binary as a user runs it — and checks that
// the five lakes hold the same objects and, ignoring fetched_at, the same
// rows, the layout and partitions of SPEC §2, a generation-1 state whose
// file list matches the stored bytes, content types, and no access token
// anywhere.
func TestBackends(t *testing.T) {
	day := time.Now().UTC().Format(time.DateOnly)
	start := time.Now()
	backends := []struct {
		name string
		// open returns the bucket URL, starting its server (for the length
		// of the subtest, credentials in the environment).
		open func(t *testing.T) string
		// contentType: the store keeps content types (file:// with
		// metadata=skip, igexport's default, does not).
		contentType bool
	}{
		{"mem", func(*testing.T) string { return memScheme + "://backends" }, true},
		{"file", func(t *testing.T) string { return "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "lake")) }, false},
		{"s3", func(t *testing.T) string { u, _ := testenv.StartVersityGW(t); return u }, true},
		{"gcs", func(t *testing.T) string { return testenv.StartFakeGCS(t) }, true},
		{"azure", func(t *testing.T) string { return testenv.StartAzurite(t) }, true},
	}
	var lakes []*lake
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			started := time.Now()
			url := b.open(t) // skips without the tools, unless IGEXPORT_REQUIRE_TOOLS=1
			if b.name != "mem" && b.name != "file" {
				t.Logf("%s server started in %v", b.name, time.Since(started).Round(time.Millisecond))
			}
			var sum *export.Summary
			if b.name == "mem" {
				sum = applyInProcess(t, url)
			} else {
				_, sum = apply(t, url)
			}
			l := readLake(t, b.name, url, b.contentType)
			l.checkAgainst(t, sum)
			lakes = append(lakes, l)
		})
	}
	if t.Failed() || len(lakes) < 2 {
		return
	}
	if time.Now().UTC().Format(time.DateOnly) != day {
		t.Skip("the UTC date changed during the test: igexport's user_insights window moved between runs")
	}
	ref := lakes[0]
	var names []string
	for _, l := range lakes {
		names = append(names, l.name)
		if l != ref {
			compareLakes(t, ref, l)
		}
	}
	t.Logf("%d lakes (%s) of %d objects (%d Parquet files, %d rows) are identical; total %v",
		len(lakes), strings.Join(names, ", "), len(ref.keys), len(ref.files), ref.rows(), time.Since(start).Round(time.Millisecond))
}

// applyInProcess runs export.Apply with the config a user would write for
// url (loaded by hcl.Load like the binary does), for buckets the binary
// cannot share with the test process.
func applyInProcess(t *testing.T, url string) *export.Summary {
	t.Helper()
	path := writeConfig(t, t.TempDir(), url)
	cfg, diags := hcl.Load(path, hcl.LoadOptions{LookupEnv: func(k string) (string, bool) {
		if k == "IG_ACCESS_TOKEN" {
			return canary, true
		}
		return os.LookupEnv(k)
	}})
	if diags.HasErrors() {
		var b strings.Builder
		_ = diags.Write(&b, false)
		t.Fatalf("config: %s", b.String())
	}
	snap := snapshotDate()
	start := time.Now()
	sum, err := export.Apply(context.Background(), cfg, export.Options{SnapshotDate: &snap, Version: "dev"})
	if err != nil {
		t.Fatalf("export.Apply into %s: %v", url, err)
	}
	t.Logf("export.Apply into %s: exit %d in %v", url, sum.ExitCode, time.Since(start).Round(time.Millisecond))
	checkSummary(t, sum)
	if b, _ := json.Marshal(sum); bytes.Contains(b, []byte(canary)) {
		t.Error("the run summary holds the access token")
	}
	return sum
}

// lake is what one bucket holds after the export.
type lake struct {
	name string
	// keys are every object's key; the run summary's (named after the run
	// id, which differs between runs) is "_igexport/runs/RUN.json".
	keys []string
	// files are the Parquet files by key.
	files map[string]*lakeFile
	// states are the accounts' current state generations.
	states map[string]*sinks.State
	// sums are the SHA-256 of every object.
	sums map[string]string
}

type lakeFile struct {
	stream, dt, account string
	// rows are the file's rows, fetched_at zeroed, sorted by primary key, as JSON.
	rows []json.RawMessage
}

func (l *lake) rows() int {
	n := 0
	for _, f := range l.files {
		n += len(f.rows)
	}
	return n
}

// readLake reads every object of the bucket at url and checks what can be
// checked of one lake alone.
func readLake(t *testing.T, name, url string, contentType bool) *lake {
	t.Helper()
	ctx := context.Background()
	st, err := sinks.Open(ctx, url, "")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer st.Close()
	l := &lake{name: name, files: map[string]*lakeFile{}, states: map[string]*sinks.State{}, sums: map[string]string{}}
	it := st.Bucket().List(nil)
	runs := 0
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: listing: %v", name, err)
		}
		body, err := st.Bucket().ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatalf("%s: reading %s: %v", name, obj.Key, err)
		}
		if bytes.Contains(body, []byte(canary)) {
			t.Errorf("%s: object %s holds the access token", name, obj.Key)
		}
		sum := sha256.Sum256(body)
		l.sums[obj.Key] = hex.EncodeToString(sum[:])
		key := obj.Key
		wantType := sinks.ContentTypeJSON
		switch {
		case strings.HasPrefix(key, "_igexport/runs/") && strings.HasSuffix(key, ".json"):
			runs++
			key = "_igexport/runs/RUN.json"
			if !bytes.Contains(body, []byte(`"igexport.run/v1"`)) {
				t.Errorf("%s: run summary %s: %.200s", name, obj.Key, body)
			}
		case strings.HasPrefix(key, "_igexport/accounts/") && strings.HasSuffix(key, "/lock.json"):
			t.Errorf("%s: lease %s was not released", name, key)
		case strings.HasPrefix(key, "_igexport/accounts/") && strings.Contains(key, "/state-"):
		case strings.HasSuffix(key, ".parquet"):
			wantType = sinks.ContentTypeParquet
			l.files[key] = readFile(t, st, name, key)
		default:
			t.Errorf("%s: unexpected object %s", name, key)
		}
		if contentType {
			attrs, err := st.Bucket().Attributes(ctx, obj.Key)
			if err != nil {
				t.Errorf("%s: attributes of %s: %v", name, obj.Key, err)
			} else if attrs.ContentType != wantType {
				t.Errorf("%s: %s has content type %q, want %q", name, obj.Key, attrs.ContentType, wantType)
			}
		}
		l.keys = append(l.keys, key)
	}
	if runs != 1 {
		t.Errorf("%s: %d run summaries, want 1", name, runs)
	}
	sort.Strings(l.keys)

	// The data files are the partitions the emulator's data makes.
	var got []string
	for k := range l.files {
		got = append(got, k)
	}
	sort.Strings(got)
	if want := expectedDataKeys(); !slices.Equal(got, want) {
		t.Errorf("%s: data files\n got %s\nwant %s", name, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}

	// One state generation per account, listing exactly the files stored,
	// with their sizes and hashes.
	state, err := st.Sub("_igexport")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range fake.Dataset().Accounts {
		gens, err := state.Generations(ctx, a.ID)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(gens, []int64{1}) {
			t.Errorf("%s: account %s has state generations %v, want [1]", name, a.ID, gens)
		}
		s, err := state.LoadState(ctx, a.ID)
		if err != nil || s == nil {
			t.Fatalf("%s: state of %s: %v", name, a.ID, err)
		}
		if s.Format != sinks.StateFormat || s.AccountID != a.ID || s.Generation != 1 {
			t.Errorf("%s: state of %s: format %q, account %q, generation %d", name, a.ID, s.Format, s.AccountID, s.Generation)
		}
		l.states[a.ID] = s
		var listed []string
		for stream, ss := range s.Streams {
			for _, fi := range ss.Files {
				listed = append(listed, fi.Key)
				f := l.files[fi.Key]
				switch {
				case f == nil:
					t.Errorf("%s: state of %s lists %s, which is not stored", name, a.ID, fi.Key)
				case f.stream != stream || f.account != a.ID:
					t.Errorf("%s: state of %s lists %s under stream %s", name, a.ID, fi.Key, stream)
				case int64(len(f.rows)) != fi.Rows:
					t.Errorf("%s: state says %s has %d rows, it has %d", name, fi.Key, fi.Rows, len(f.rows))
				case l.sums[fi.Key] != fi.SHA256:
					t.Errorf("%s: state's SHA-256 of %s is %s, the object's %s", name, fi.Key, fi.SHA256, l.sums[fi.Key])
				}
			}
		}
		var stored []string
		for k, f := range l.files {
			if f.account == a.ID {
				stored = append(stored, k)
			}
		}
		sort.Strings(listed)
		sort.Strings(stored)
		if !slices.Equal(listed, stored) {
			t.Errorf("%s: state of %s lists %d files, %d are stored:\n%v\n%v", name, a.ID, len(listed), len(stored), listed, stored)
		}
	}
	return l
}

// readFile decodes one Parquet file with the stream's row type.
func readFile(t *testing.T, st *sinks.Store, name, key string) *lakeFile {
	t.Helper()
	parts := strings.Split(key, "/")
	if len(parts) != 4 || !strings.HasPrefix(parts[1], "dt=") || !strings.HasPrefix(parts[2], "account_id=") || parts[3] != sinks.PartFile {
		t.Errorf("%s: %s does not follow <stream>/dt=<date>/account_id=<id>/%s", name, key, sinks.PartFile)
		return &lakeFile{}
	}
	f := &lakeFile{stream: parts[0], dt: strings.TrimPrefix(parts[1], "dt="), account: strings.TrimPrefix(parts[2], "account_id=")}
	decode := decoders[f.stream]
	if decode == nil {
		t.Errorf("%s: %s: unknown stream %q", name, key, f.stream)
		return f
	}
	rows, err := decode(context.Background(), st, key)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return f
	}
	if len(rows) == 0 {
		t.Errorf("%s: %s has no rows", name, key)
	}
	for _, r := range rows {
		if bytes.Contains(r, []byte(canary)) {
			t.Errorf("%s: a row of %s holds the access token", name, key)
		}
	}
	f.rows = rows
	return f
}

// decoders read one stream's file into normalized JSON rows.
var decoders = map[string]func(context.Context, *sinks.Store, string) ([]json.RawMessage, error){
	schema.Users:                decodeRows[schema.User],
	schema.Media:                decodeRows[schema.MediaRow],
	schema.MediaInsights:        decodeRows[schema.MediaInsight],
	schema.Stories:              decodeRows[schema.Story],
	schema.StoryInsights:        decodeRows[schema.StoryInsight],
	schema.UserInsights:         decodeRows[schema.UserInsight],
	schema.UserLifetimeInsights: decodeRows[schema.LifetimeInsight],
}

// decodeRows reads a file's rows, checks that fetched_at is set and keys
// are unique, zeroes fetched_at (the one value that differs between runs)
// and returns the rows sorted by key as JSON.
func decodeRows[T schema.Row](ctx context.Context, st *sinks.Store, key string) ([]json.RawMessage, error) {
	rows, err := sinks.ReadRows[T](ctx, st, key)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i := range rows {
		k := rows[i].Key()
		if seen[k] {
			return nil, fmt.Errorf("%s: two rows with key %q", key, k)
		}
		seen[k] = true
		fa := reflect.ValueOf(&rows[i]).Elem().FieldByName("FetchedAt")
		ts := fa.Interface().(time.Time)
		if ts.IsZero() || time.Since(ts) > time.Hour || time.Until(ts) > time.Minute {
			return nil, fmt.Errorf("%s: row %q has fetched_at %v", key, k, ts)
		}
		fa.Set(reflect.Zero(fa.Type()))
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key() < rows[j].Key() })
	out := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		if out[i], err = json.Marshal(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// expectedDataKeys are the partitions a first run writes for the
// emulator's data: the snapshot streams at the snapshot date, the stories
// streams at each live story's date, user_insights at every day from
// start_date to yesterday that the API serves.
func expectedDataKeys() []string {
	ds := fake.Dataset()
	var keys []string
	for _, a := range ds.Accounts {
		for _, s := range []string{schema.Users, schema.Media, schema.MediaInsights, schema.UserLifetimeInsights} {
			keys = append(keys, sinks.DataKey(s, snapshotDate(), a.ID))
		}
		for _, s := range ds.LiveStories(a) {
			for _, stream := range []string{schema.Stories, schema.StoryInsights} {
				keys = append(keys, sinks.DataKey(stream, schema.DateOf(s.Timestamp), a.ID))
			}
		}
		for _, d := range insightDays(a.ID) {
			keys = append(keys, sinks.DataKey(schema.UserInsights, d, a.ID))
		}
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}

// fileLakeKeys are the data keys of the shared file:// lake: those of
// expectedDataKeys plus the comments partitions (that lake exports every
// stream, the opt-in comments included).
func fileLakeKeys() []string {
	keys := expectedDataKeys()
	for _, a := range fake.Dataset().Accounts {
		for _, m := range a.Media {
			for _, c := range fake.Comments(m.ID) {
				keys = append(keys, sinks.DataKey(schema.Comments, schema.DateOf(c.Timestamp), a.ID))
				for _, r := range c.Replies {
					keys = append(keys, sinks.DataKey(schema.Comments, schema.DateOf(r.Timestamp), a.ID))
				}
			}
		}
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}

// insightDays are the days from start_date to igexport's yesterday (UTC,
// real clock) the emulator serves account insights for.
func insightDays(accountID string) []schema.Date {
	var out []schema.Date
	for d := startDate(); d < schema.DateOf(time.Now()); d++ {
		if _, ok := fake.Dataset().UserInsight(accountID, "reach", d.Time()); ok {
			out = append(out, d)
		}
	}
	return out
}

// checkAgainst checks that the run summary reports what the lake holds.
func (l *lake) checkAgainst(t *testing.T, sum *export.Summary) {
	t.Helper()
	files := 0
	for _, a := range sum.Accounts {
		for _, s := range a.Streams {
			if s.Status != export.StatusOK {
				t.Errorf("%s: %s/%s: status %s %s", l.name, a.AccountID, s.Stream, s.Status, s.Error)
			}
			for _, fi := range s.Files {
				files++
				if f := l.files[fi.Key]; f == nil || int64(len(f.rows)) != fi.Rows {
					t.Errorf("%s: the summary reports %s with %d rows; stored: %v", l.name, fi.Key, fi.Rows, f != nil)
				}
			}
		}
	}
	if files != len(l.files) {
		t.Errorf("%s: the summary reports %d files, %d are stored", l.name, files, len(l.files))
	}
}

// compareLakes checks that lake b holds the same objects and rows as a.
func compareLakes(t *testing.T, a, b *lake) {
	t.Helper()
	if !slices.Equal(a.keys, b.keys) {
		t.Errorf("%s and %s hold different objects:\n%s: %v\n%s: %v", a.name, b.name, a.name, a.keys, b.name, b.keys)
	}
	for key, fa := range a.files {
		fb := b.files[key]
		if fb == nil {
			continue // reported above
		}
		if len(fa.rows) != len(fb.rows) {
			t.Errorf("%s: %s has %d rows, %s %d", key, a.name, len(fa.rows), b.name, len(fb.rows))
			continue
		}
		for i := range fa.rows {
			if !bytes.Equal(fa.rows[i], fb.rows[i]) {
				t.Errorf("%s row %d differs:\n%s: %s\n%s: %s", key, i, a.name, fa.rows[i], b.name, fb.rows[i])
				break
			}
		}
	}
	for id, sa := range a.states {
		sb := b.states[id]
		if sb == nil {
			continue
		}
		if got, want := stateShape(sb), stateShape(sa); got != want {
			t.Errorf("state of %s differs:\n%s: %s\n%s: %s", id, a.name, want, b.name, got)
		}
	}
}

// stateShape is what two runs' states must share: per stream the cursor,
// the last snapshot and the files with their row counts (not the hashes:
// fetched_at and the run id are in the files).
func stateShape(s *sinks.State) string {
	var b strings.Builder
	var streams []string
	for name := range s.Streams {
		streams = append(streams, name)
	}
	sort.Strings(streams)
	for _, name := range streams {
		ss := s.Streams[name]
		fmt.Fprintf(&b, "%s cursor=%v last=%v", name, datePtr(ss.Cursor), datePtr(ss.LastSnapshot))
		files := slices.Clone(ss.Files)
		sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
		for _, f := range files {
			fmt.Fprintf(&b, " %s:%d", f.Key, f.Rows)
		}
		b.WriteString("; ")
	}
	return b.String()
}

func datePtr(d *schema.Date) string {
	if d == nil {
		return "-"
	}
	return d.String()
}
