package sinks_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"

	"github.com/igexport/igexport/internal/testenv"
	"github.com/igexport/igexport/sinks"
	"github.com/igexport/igexport/sinks/sinktest"
)

// TestConformance runs the exported conformance suite against both
// backends — the local one (file://) and the blob one (every other
// scheme) — on every kind of bucket igexport supports: in-process
// (mem://, gofakes3, fake-gcs-server's library) and the out-of-process
// emulators of .tools (versitygw, fake-gcs-server, Azurite), which start
// once per bucket kind and keep sub-tests apart by prefix.
func TestConformance(t *testing.T) {
	shared := func(start func(t *testing.T) string) func(t *testing.T) sinktest.Harness {
		return func(t *testing.T) sinktest.Harness {
			url := start(t)
			return sinktest.URLHarness{URL: func(*testing.T) string { return url }, Prefix: "instagram", Shared: true, ContentTypes: true}
		}
	}
	for _, tc := range []struct {
		name    string
		short   bool // runs under -short
		harness func(t *testing.T) sinktest.Harness
	}{
		{"mem", true, func(*testing.T) sinktest.Harness {
			return sinktest.URLHarness{URL: func(*testing.T) string { return "mem://" }, Prefix: "instagram", ContentTypes: true}
		}},
		{"mem-no-prefix", true, func(*testing.T) sinktest.Harness {
			return sinktest.URLHarness{URL: func(*testing.T) string { return "mem://" }, ContentTypes: true}
		}},
		{"file", true, func(*testing.T) sinktest.Harness {
			return sinktest.URLHarness{URL: func(t *testing.T) string {
				return "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "lake"))
			}, Prefix: "/instagram/_igexport/"}
		}},
		{"s3-gofakes3", false, func(*testing.T) sinktest.Harness {
			return sinktest.URLHarness{URL: func(t *testing.T) string { return sinktest.S3(t, "igexport") }, Prefix: "instagram", ContentTypes: true}
		}},
		{"gcs-inprocess", false, func(*testing.T) sinktest.Harness {
			return sinktest.URLHarness{URL: func(t *testing.T) string { return sinktest.GCS(t, "igexport") }, Prefix: "instagram", ContentTypes: true}
		}},
		{"s3-versitygw", false, shared(func(t *testing.T) string { u, _ := testenv.StartVersityGW(t); return u })},
		{"gcs-fake-gcs-server", false, shared(func(t *testing.T) string { return testenv.StartFakeGCS(t) })},
		{"azure-azurite", false, azurite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("short")
			}
			sinktest.RunConformance(t, tc.harness(t))
		})
	}
}

// azurite starts Azurite and returns a harness that opens its bucket with
// an azureblob opener made from the environment at that moment, and wraps
// it with sinks.NewStore. The azblob:// opener of gocloud's default mux
// reads its credentials once per process, and TestOpenErrorsRedacted
// opens an azblob:// URL before Azurite's are set.
func azurite(t *testing.T) sinktest.Harness {
	raw := testenv.StartAzurite(t)
	return bucketHarness{open: func(ctx context.Context) (*blob.Bucket, error) {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		opener := &azureblob.URLOpener{MakeClient: azureblob.NewDefaultClient, ServiceURLOptions: *azureblob.NewDefaultServiceURLOptions()}
		return opener.OpenBucketURL(ctx, u)
	}}
}

// bucketHarness makes Stores with sinks.NewStore on buckets it opens, one
// per sub-test, all on one shared bucket: each sub-test has its prefix.
type bucketHarness struct {
	open func(ctx context.Context) (*blob.Bucket, error)
}

func (h bucketHarness) MakeStore(ctx context.Context, t *testing.T) (*sinks.Store, error) {
	b, err := h.open(ctx)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = b.Close() })
	return sinks.NewStore(b, "instagram/"+strings.ReplaceAll(t.Name(), "/", "-"))
}

func (bucketHarness) KeepsContentType() bool { return true }
