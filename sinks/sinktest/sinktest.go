// Package sinktest tests kinds of bucket against the sinks contract.
//
// RunConformance runs the conformance suite (data files, merges, state
// generations, leases, run summaries) on the Stores a Harness makes, in
// the manner of go-cloud's blob/drivertest; URLHarness makes them from a
// bucket URL. Commit, Read, Keys, Options and Media help tests write and
// read partitions.
//
// S3 and GCS start in-process object stores: an S3 server (gofakes3) and
// a GCS server (fake-gcs-server's fakestorage). Each returns a bucket URL
// that sinks.Open and gocloud.dev/blob accept, sets the environment the
// driver needs with t.Setenv (so tests using them cannot run in parallel),
// and stops the server when the test ends. The program registers the
// drivers (s3blob, gcsblob), not this package.
package sinktest

import (
	"net"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 serves an empty bucket named bucket over an in-process S3 API and returns
// its s3:// URL (path style, plain HTTP, region us-east-1). It sets
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to dummy values.
func S3(t testing.TB, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatalf("gofakes3: create bucket: %v", err)
	}
	ts := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(ts.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "sinktest")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sinktest-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	return "s3://" + bucket + "?endpoint=" + ts.URL + "&region=us-east-1&use_path_style=true&disable_https=true"
}

// GCS serves an empty bucket named bucket over an in-process GCS JSON API and
// returns its gs:// URL. It sets STORAGE_EMULATOR_HOST, which makes gcsblob use
// the emulator without credentials.
//
// The server gets a fixed free port and PublicHost set to it: with port 0 or
// no PublicHost, fakestorage accepts writes but serves empty bodies.
func GCS(t testing.TB, bucket string) string {
	t.Helper()
	port := freePort(t)
	host := "127.0.0.1:" + strconv.Itoa(port)
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme:     "http",
		Host:       "127.0.0.1",
		Port:       uint16(port),
		PublicHost: host,
	})
	if err != nil {
		t.Fatalf("fakestorage: %v", err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	return "gs://" + bucket
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
