package sinks

import (
	"context"
	"path/filepath"
	"testing"

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
