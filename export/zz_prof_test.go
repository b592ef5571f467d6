package export

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/igfake"
	"github.com/igexport/igexport/internal/schema"
)

func TestZZProf(t *testing.T) {
	fake := igfake.New(igfake.Options{Accounts: 16, Media: 1000, Seed: 1, Token: "tok", Latency: 50 * time.Millisecond})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	cfg := &hcl.Config{
		GraphAPIURL: srv.URL, GraphAPIVersion: "v23.0", Concurrency: 16,
		Streams:        schema.Names(),
		StreamSettings: map[string]hcl.StreamConfig{},
		Destination:    hcl.Destination{URL: "file://" + filepath.ToSlash(dir), Compression: "zstd"},
		State:          hcl.StateConfig{URL: "file://" + filepath.ToSlash(dir), Prefix: "_igexport"},
		RateLimit:      hcl.RateLimit{MaxUsagePercent: 75, MaxWait: time.Minute},
	}
	start := schema.DateOf(time.Now()).AddDays(-30)
	for _, a := range fake.Dataset().Accounts {
		cfg.Accounts = append(cfg.Accounts, hcl.Account{Name: a.Username, IGUserID: a.ID, AccessToken: "tok", StartDate: &start})
	}
	t0 := time.Now()
	sum, err := Apply(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exit %d wall %s rts %d", sum.ExitCode, time.Since(t0), fake.Stats().RoundTrips)
}
