package sinks_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/igexport/igexport/sinks"
)

// TestLakeSalt: the first call creates the salt, every later or concurrent
// call (another store on the same bucket too) reads the same one, and a
// damaged salt object is an error, never silently replaced.
func TestLakeSalt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir)
	open := func() *sinks.Store {
		s, err := sinks.Open(ctx, url, "_igexport")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	salts := make([]string, 8)
	var wg sync.WaitGroup
	for i := range salts {
		wg.Go(func() {
			s, err := open().LakeSalt(ctx)
			if err != nil {
				t.Error(err)
			}
			salts[i] = s
		})
	}
	wg.Wait()
	for _, s := range salts {
		if len(s) != 64 || s != salts[0] {
			t.Fatalf("salts %q", salts)
		}
	}
	if s, err := open().LakeSalt(ctx); err != nil || s != salts[0] {
		t.Fatalf("later call: %q, %v", s, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_igexport", sinks.SaltKey), []byte(`{"format":"igexport.salt/v1","salt":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := open().LakeSalt(ctx); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("damaged salt: %v", err)
	}
}
