package sinks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks/sinktest"
)

func openT(t *testing.T, url, prefix string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceMem(t *testing.T) {
	runConformance(t, func(t *testing.T) *Store { return openT(t, "mem://", "instagram") })
}

func TestConformanceMemNoPrefix(t *testing.T) {
	runConformance(t, func(t *testing.T) *Store { return openT(t, "mem://", "") })
}

func TestConformanceFile(t *testing.T) {
	runConformance(t, func(t *testing.T) *Store {
		return openT(t, "file://"+filepath.ToSlash(filepath.Join(t.TempDir(), "lake")), "/instagram/_igexport/")
	})
}

func TestConformanceS3(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runConformance(t, func(t *testing.T) *Store { return openT(t, sinktest.S3(t, "igexport"), "instagram") })
}

func TestConformanceGCS(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runConformance(t, func(t *testing.T) *Store { return openT(t, sinktest.GCS(t, "igexport"), "instagram") })
}

// TestUploadRetry fails the first two data-file PUTs with an error the S3
// SDK does not retry itself: Commit's own retry must get the file through.
func TestUploadRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	defer func(d time.Duration) { uploadBackoff = d }(uploadBackoff)
	uploadBackoff = time.Millisecond

	backend := s3mem.New()
	if err := backend.CreateBucket("igexport"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	var puts atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, ".parquet") && puts.Add(1) <= 2 {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code><Message>injected</Message></Error>`)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer ts.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	s := openT(t, "s3://igexport?endpoint="+ts.URL+"&region=us-east-1&use_path_style=true&disable_https=true", "")
	defer s.Close()
	fi := commitRows(t, s, schema.Media, "r1", DataKey(schema.Media, day, account), media("1", nil, "x"))
	if puts.Load() != 3 || fi.Rows != 1 {
		t.Fatalf("%d PUTs, %+v", puts.Load(), fi)
	}
	if got := readRows[schema.MediaRow](t, s, DataKey(schema.Media, day, account)); len(got) != 1 {
		t.Fatalf("read %d rows", len(got))
	}
	// Three failures in a row give up with the error.
	puts.Store(-2)
	w, _ := NewPartitionWriter[schema.MediaRow](opts(t, schema.Media, "r2"))
	_ = w.Write(media("2", nil, "y"))
	if _, err := w.Commit(context.Background(), s, DataKey(schema.Media, day, account)); err == nil || !strings.Contains(err.Error(), "BadDigest") {
		t.Fatalf("commit after 3 failures: %v", err)
	}
}
