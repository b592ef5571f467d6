package sinks

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/gcerrors"

	"github.com/igexport/igexport/internal/schema"
)

func TestOpenBucketFileDefaults(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "not", "yet")
	b, err := OpenBucket(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatalf("create_dir not added: %v", err)
	}
	defer b.Close()
	if err := b.WriteAll(ctx, "a/b.parquet", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "b.parquet" {
		t.Fatalf("files next to the object: %v (metadata=skip missing?)", ents)
	}
	// Parameters the URL sets are kept: metadata= (empty) asks for sidecars.
	b2, err := OpenBucket(ctx, "file://"+filepath.ToSlash(dir)+"?metadata=")
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.WriteAll(ctx, "c", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.attrs")); err != nil {
		t.Fatalf("explicit metadata= was overridden: %v", err)
	}
}

func TestFileRoot(t *testing.T) {
	cwd, _ := os.Getwd()
	for in, want := range map[string]string{
		"file:///abs/dir":          "/abs/dir",
		"file://localhost/abs/dir": "/abs/dir",
		"file://./rel/dir":         filepath.Join(cwd, "rel", "dir"),
	} {
		u, _ := url.Parse(in)
		got, err := fileRoot(u)
		if err != nil || got != filepath.FromSlash(want) {
			t.Errorf("fileRoot(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"file://lake", "file://lake/dir", "file://"} {
		if _, err := Open(context.Background(), bad, ""); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestOpenErrorsRedacted(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{
		"mem://?sas_token=SECRETVALUE",
		"s3://bucket?region=x&bogus=1&secret=SECRETVALUE",
		"azblob://c?sig=SECRETVALUE&bogus=1",
		"file:///nonexistent?secret_key_path=/SECRETVALUE&base_url=http://x",
		"nope://user:SECRETVALUE@host/x",
	} {
		_, err := Open(ctx, u, "")
		if err == nil {
			t.Errorf("%s opened", u)
			continue
		}
		if strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("error leaks a secret: %v", err)
		}
		if !strings.Contains(err.Error(), "REDACTED") && !strings.Contains(err.Error(), strings.SplitN(u, "?", 2)[0][:5]) {
			t.Errorf("error does not name the URL: %v", err)
		}
	}
	_, err := Open(ctx, "mem://?bogus=1", "")
	if gcerrors.Code(err) == gcerrors.OK {
		t.Errorf("wrapped error lost: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"s3://b?region=eu-west-1&endpoint=http://h:1":  "s3://b?region=eu-west-1&endpoint=http://h:1",
		"azblob://c?sas_token=abc&protocol=http":       "azblob://c?protocol=http&sas_token=REDACTED",
		"https://user:pw@host/x?access_token=t&a=1":    "https://user:REDACTED@host/x?a=1&access_token=REDACTED",
		"gs://b?private_key_path=/k.pem&access_id=a@b": "gs://b?access_id=a%40b&private_key_path=REDACTED",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	ctx := context.Background()
	s := openT(t, "mem://", "/a//b/")
	defer s.Close()
	if s.Prefix() != "a/b" || s.FullKey("x/y") != "a/b/x/y" {
		t.Fatalf("prefix %q, key %q", s.Prefix(), s.FullKey("x/y"))
	}
	sub, err := s.Sub("_igexport")
	if err != nil || sub.Prefix() != "a/b/_igexport" {
		t.Fatalf("Sub: %q, %v", sub.Prefix(), err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Bucket().WriteAll(ctx, "still-open", nil, nil); err != nil {
		t.Fatalf("closing a Sub closed the bucket: %v", err)
	}
	for _, bad := range []string{"a/../b", "./a", "a/\x00"} {
		if _, err := Open(ctx, "mem://", bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	none := openT(t, "mem://", "")
	if none.FullKey("x") != "x" || none.String() != "mem://" {
		t.Fatalf("no prefix: %q %q", none.FullKey("x"), none.String())
	}
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"17841400000000001", "brand_a", "20261122T010203Z-ab12", "a.b"} {
		if err := ValidateID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", ".hidden", "a/b", "a b", "é", strings.Repeat("1", 129)} {
		if err := ValidateID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseStateKey(t *testing.T) {
	if id, g, ok := parseStateKey("accounts/17/state-0000000042.json"); !ok || id != "17" || g != 42 {
		t.Fatalf("got %q %d %v", id, g, ok)
	}
	for _, bad := range []string{"accounts/17/state-42.json", "accounts/17/.state-0000000042.json.123.tmp",
		"accounts/17/lock.json", "accounts//state-0000000042.json", "runs/x.json", "accounts/17/state-000000004x.json"} {
		if _, _, ok := parseStateKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestStateKeyRoundTrip: every generation a run can reach has a key that
// parses back to it, past 10 digits too (9999999999 + 1 has 11), and no
// other spelling of a generation parses (one key per generation).
func TestStateKeyRoundTrip(t *testing.T) {
	for _, gen := range []int64{1, 42, 9999999999, 10000000000, 10000000001, 123456789012345, MaxGeneration} {
		key := StateKey("17", gen)
		id, got, ok := parseStateKey(key)
		if !ok || id != "17" || got != gen {
			t.Errorf("StateKey(%d) = %q parses as %q %d %v", gen, key, id, got, ok)
		}
	}
	for _, bad := range []string{"accounts/17/state-00000000042.json", "accounts/17/state-010000000000.json",
		"accounts/17/state-99999999999999999999.json"} {
		if _, g, ok := parseStateKey(bad); ok {
			t.Errorf("%q parsed as %d", bad, g)
		}
	}
}

func TestParseDataKey(t *testing.T) {
	day := schema.Date(20_000) // 2024-10-04
	oct1 := schema.Date(20_000 - 3)
	for _, tc := range []struct {
		key  string
		want DataKeyParts
	}{
		{DataKey("media", day, "17"), DataKeyParts{Stream: "media", Partition: schema.Day, Date: day, AccountID: "17"}},
		{"media/dt=2024-10-04/account_id=17/part-00000.parquet", DataKeyParts{Stream: "media", Partition: schema.Day, Date: day, AccountID: "17"}},
		// user_insights is month-partitioned: the key names the month, the
		// parts its first day.
		{"PROD/instagram/" + DataKey("user_insights", day, "a_b"),
			DataKeyParts{Prefix: "PROD/instagram", Stream: "user_insights", Partition: schema.Month, Date: oct1, AccountID: "a_b"}},
		{"user_insights/month=2024-10/account_id=a_b/part-00000.parquet",
			DataKeyParts{Stream: "user_insights", Partition: schema.Month, Date: oct1, AccountID: "a_b"}},
		// a day file of the layout before schema_version 3 still parses
		{"p/user_insights/dt=2024-10-04/account_id=9/part-00000.parquet",
			DataKeyParts{Prefix: "p", Stream: "user_insights", Partition: schema.Day, Date: day, AccountID: "9"}},
	} {
		got, err := ParseDataKey(tc.key)
		if err != nil || got != tc.want {
			t.Errorf("ParseDataKey(%q) = %+v, %v; want %+v", tc.key, got, err, tc.want)
		}
		if back := got.Rel(); !strings.HasSuffix(tc.key, back) {
			t.Errorf("Rel of %+v = %q, not the end of %q", got, back, tc.key)
		}
		if legacy := got.Stream == "user_insights" && got.Partition == schema.Day; got.Legacy() != legacy {
			t.Errorf("%q: Legacy() = %v, want %v", tc.key, got.Legacy(), legacy)
		}
	}
	if got, want := DataKey("user_insights", day, "17"), "user_insights/month=2024-10/account_id=17/part-00000.parquet"; got != want {
		t.Errorf("DataKey(user_insights) = %q, want %q", got, want)
	}
	for _, bad := range []string{
		"", "part-00000.parquet", "media/dt=2026-11-22/account_id=1", "media/dt=2026-11-22/account_id=1/part-00001.parquet",
		"media/dt=2026-13-01/account_id=1/part-00000.parquet", "media/date=2026-11-22/account_id=1/part-00000.parquet",
		"media/dt=2026-11-22/account=1/part-00000.parquet", "media/dt=2026-11-22/account_id=/part-00000.parquet",
		"/dt=2026-11-22/account_id=1/part-00000.parquet", "dt=2026-11-22/account_id=1/part-00000.parquet",
		"user_insights/month=2026-13/account_id=1/part-00000.parquet", "user_insights/month=2026-11-01/account_id=1/part-00000.parquet",
	} {
		if p, err := ParseDataKey(bad); err == nil {
			t.Errorf("ParseDataKey(%q) = %+v, want an error", bad, p)
		}
	}
}
