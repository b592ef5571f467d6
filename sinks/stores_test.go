package sinks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/igexport/igexport/internal/schema"
)

func openT(t *testing.T, url, prefix string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUploadRetry fails the first data-file PUTs with an error the S3 SDK
// does not retry itself: the retrying backend must get the file through
// within three attempts, waiting 0.5 s then 2 s (the wait is recorded, not
// slept), and give up early when the context ends during a wait.
func TestUploadRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	backend := s3mem.New()
	if err := backend.CreateBucket("igexport"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	var puts atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, ".parquet") && puts.Add(1) <= 0 {
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
	var slept []time.Duration
	var wake error // what the wait returns: nil, or the context's error
	s.be.(*retrying).sleep = func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return wake
	}
	key := DataKey(schema.Users, testDay, "1")
	for _, tc := range []struct {
		name      string
		failFirst int32 // PUTs that fail
		wake      error
		wantPuts  int32
		wantSlept []time.Duration
		wantErr   error // nil, errBadDigest or context.Canceled
	}{
		{"two failures, third attempt succeeds", 2, nil, 3, []time.Duration{500 * time.Millisecond, 2 * time.Second}, nil},
		{"three failures give up", 3, nil, 3, []time.Duration{500 * time.Millisecond, 2 * time.Second}, errBadDigest},
		{"cancelled while waiting", 1, context.Canceled, 1, []time.Duration{500 * time.Millisecond}, context.Canceled},
		{"no failure, no wait", 0, nil, 1, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			puts.Store(-tc.failFirst)
			slept, wake = nil, tc.wake
			w, err := NewPartitionWriter[schema.User](FileOptions{Stream: schema.Users, RunID: "r1", TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(schema.User{ID: "1"}); err != nil {
				t.Fatal(err)
			}
			fi, err := w.Commit(context.Background(), s, key)
			switch {
			case tc.wantErr == nil && (err != nil || fi.Rows != 1):
				t.Fatalf("commit: %+v, %v", fi, err)
			case tc.wantErr == errBadDigest && (err == nil || !strings.Contains(err.Error(), "BadDigest")):
				t.Fatalf("commit: %v, want the injected BadDigest", err)
			case tc.wantErr == context.Canceled && !errors.Is(err, context.Canceled):
				t.Fatalf("commit: %v, want context.Canceled", err)
			}
			if got := puts.Load() + tc.failFirst; got != tc.wantPuts {
				t.Errorf("%d PUTs, want %d", got, tc.wantPuts)
			}
			if !slices.Equal(slept, tc.wantSlept) {
				t.Errorf("waited %v, want %v", slept, tc.wantSlept)
			}
		})
	}
}

// errBadDigest stands for the injected S3 error in TestUploadRetry.
var errBadDigest = errors.New("BadDigest")

// testDay is the partition day of the package's internal tests.
var testDay = schema.Date(20_000)
