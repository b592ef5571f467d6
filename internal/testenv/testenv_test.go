package testenv_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/igexport/igexport/internal/testenv"
)

// roundTrip writes one object through gocloud and reads it back.
func roundTrip(t *testing.T, url string, upload bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		t.Fatalf("OpenBucket(%s): %v", url, err)
	}
	defer b.Close()
	const key = "users/dt=2026-01-02/account_id=17841400000000001/part-00000.parquet"
	want := []byte("PAR1 hello PAR1")
	opts := &blob.WriterOptions{ContentType: "application/vnd.apache.parquet", Metadata: map[string]string{"rows": "1"}}
	if upload {
		err = b.Upload(ctx, key, bytes.NewReader(want), opts)
	} else {
		err = b.WriteAll(ctx, key, want, opts)
	}
	if err != nil {
		t.Fatalf("write %s: %v", key, err)
	}
	got, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %q, want %q", got, want)
	}
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		t.Fatalf("attributes: %v", err)
	}
	if attrs.Metadata["rows"] != "1" || attrs.Size != int64(len(want)) {
		t.Errorf("attributes: metadata %v size %d", attrs.Metadata, attrs.Size)
	}
	iter := b.List(&blob.ListOptions{Prefix: "users/"})
	obj, err := iter.Next(ctx)
	if err != nil || obj.Key != key {
		t.Errorf("list users/: %v, %v", obj, err)
	}
}

func TestVersityGW(t *testing.T) {
	url, root := testenv.StartVersityGW(t)
	roundTrip(t, url, false)
	// The object is a plain file under the posix root.
	got, err := os.ReadFile(filepath.Join(root, testenv.Bucket, "users/dt=2026-01-02/account_id=17841400000000001/part-00000.parquet"))
	if err != nil || string(got) != "PAR1 hello PAR1" {
		t.Fatalf("posix file: %q, %v", got, err)
	}
	// Nothing else is left under the bucket directory (a DuckDB glob over it sees only objects).
	var files []string
	filepath.WalkDir(filepath.Join(root, testenv.Bucket), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if len(files) != 1 {
		t.Errorf("files under the bucket directory: %v", files)
	}
}

func TestVersityGWSidecar(t *testing.T) {
	*testenv.ForceSidecar = true
	t.Cleanup(func() { *testenv.ForceSidecar = false })
	url, _ := testenv.StartVersityGW(t)
	roundTrip(t, url, false)
}

func TestFakeGCS(t *testing.T) {
	roundTrip(t, testenv.StartFakeGCS(t), false)
}

func TestAzurite(t *testing.T) {
	roundTrip(t, testenv.StartAzurite(t), true)
}

type duckRow struct {
	ID        string    `parquet:"id"`
	Views     *int64    `parquet:"views,optional"`
	FetchedAt time.Time `parquet:"fetched_at,timestamp(microsecond)"`
}

func TestDuckDB(t *testing.T) {
	duck := testenv.DuckDB(t)
	lake := t.TempDir()
	dir := filepath.Join(lake, "media_insights", "dt=2026-01-02", "account_id=17841400000000001")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	views := int64(1) << 40
	rows := []duckRow{
		{ID: "a", Views: &views, FetchedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{ID: "b", FetchedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	if err := parquet.WriteFile(filepath.Join(dir, "part-00000.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	glob := filepath.ToSlash(lake) + "/media_insights/*/*/*.parquet"
	got := duck.Query(t, `
		SET TimeZone = 'UTC';
		SELECT id, views, fetched_at, dt, account_id, typeof(dt) AS dt_type, typeof(account_id) AS account_type
		FROM read_parquet('`+glob+`', hive_partitioning = true, hive_types = {'dt': DATE, 'account_id': VARCHAR})
		ORDER BY id`)
	if len(got) != 2 {
		t.Fatalf("rows = %v", got)
	}
	a, b := got[0], got[1]
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"id", a["id"], "a"},
		{"views (BIGINT as string)", a["views"], "1099511627776"},
		{"NULL views", b["views"], nil},
		{"dt", a["dt"], "2026-01-02"},
		{"dt type", a["dt_type"], "DATE"},
		{"account_id", a["account_id"], "17841400000000001"},
		{"account_id type", a["account_type"], "VARCHAR"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if ts, _ := a["fetched_at"].(string); ts != "2026-01-02 03:04:05.000006+00" {
		t.Errorf("fetched_at = %#v", a["fetched_at"])
	}
	// A second query sees the same database file.
	duck.Query(t, `CREATE TABLE t AS SELECT 42 AS x`)
	if got := duck.Query(t, `SELECT x FROM t`); len(got) != 1 || got[0]["x"] != float64(42) {
		t.Errorf("persisted table: %v", got)
	}
	if _, err := duck.Run(`SELECT * FROM no_such_table`); err == nil {
		t.Error("query of a missing table: no error")
	}
}
