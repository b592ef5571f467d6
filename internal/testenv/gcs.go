package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// StartFakeGCS starts fake-gcs-server (in-memory backend, bucket igexport
// pre-created), sets STORAGE_EMULATOR_HOST with t.Setenv and returns
// "gs://igexport". No credentials are needed.
//
// -public-host and -external-url are set to the real address: without them
// uploads "succeed" but reads return empty bodies (reference/libraries.md §6.4).
func StartFakeGCS(t testing.TB) string {
	t.Helper()
	bin := tool(t, "bin/fake-gcs-server"+exe())
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	if err := os.MkdirAll(filepath.Join(data, Bucket), 0o755); err != nil { // each subdirectory is a bucket
		t.Fatal(err)
	}
	_, port := startServer(t,
		func(port int) *proc {
			host := fmt.Sprintf("127.0.0.1:%d", port)
			return startProc(t, "fake-gcs-server", bin, []string{
				"-scheme", "http", "-host", "127.0.0.1", "-port", fmt.Sprint(port),
				"-public-host", host, "-external-url", "http://" + host,
				"-backend", "memory", "-data", data, "-log-level", "warn",
			}, tmp, nil)
		},
		func(ctx context.Context, port int) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
				fmt.Sprintf("http://127.0.0.1:%d/storage/v1/b/%s", port, Bucket), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET bucket: %s", resp.Status)
			}
			return nil
		})
	t.Setenv("STORAGE_EMULATOR_HOST", fmt.Sprintf("127.0.0.1:%d", port))
	return "gs://" + Bucket
}
