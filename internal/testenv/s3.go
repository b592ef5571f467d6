package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Bucket is the bucket (container) every Start function creates.
const Bucket = "igexport"

// S3 credentials of the versitygw root account.
const (
	S3AccessKey = "igexport-test"
	S3SecretKey = "igexport-test-secret"
)

// StartVersityGW starts versitygw (S3 over a posix directory) and returns a
// gocloud URL of its bucket, s3://igexport?endpoint=…&region=us-east-1&use_path_style=true&disable_https=true,
// and the posix root: object KEY is the plain file filepath.Join(root, "igexport", KEY),
// so DuckDB (or os.ReadFile) can read what was written through S3.
//
// It sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and isolates the AWS SDK
// from the developer's shared config) with t.Setenv. versitygw keeps object
// metadata in user.* xattrs; when the temp directory's file system has none
// (tmpfs before Linux 6.6, some overlay setups) it runs with a --sidecar
// metadata directory instead.
func StartVersityGW(t testing.TB) (url string, root string) {
	t.Helper()
	bin := tool(t, "bin/versitygw"+exe())
	tmp := t.TempDir()
	root = filepath.Join(tmp, "root")
	if err := os.MkdirAll(filepath.Join(root, Bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	var backend []string
	if !forceSidecar && xattrSupported(root) {
		backend = []string{"posix", root}
	} else {
		sidecar := filepath.Join(tmp, "meta")
		if err := os.MkdirAll(sidecar, 0o755); err != nil {
			t.Fatal(err)
		}
		backend = []string{"posix", "--sidecar", sidecar, root}
	}
	_, port := startServer(t,
		func(port int) *proc {
			args := append([]string{
				"--port", fmt.Sprintf("127.0.0.1:%d", port),
				"--access", S3AccessKey, "--secret", S3SecretKey,
				"--quiet",
			}, backend...)
			return startProc(t, "versitygw", bin, args, tmp, nil)
		},
		func(ctx context.Context, port int) error {
			// Any HTTP answer (403 for an unsigned request) means it serves.
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		})

	t.Setenv("AWS_ACCESS_KEY_ID", S3AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", S3SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(tmp, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(tmp, "no-aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	url = fmt.Sprintf("s3://%s?endpoint=http://127.0.0.1:%d&region=us-east-1&use_path_style=true&disable_https=true", Bucket, port)
	return url, root
}

// forceSidecar is a test hook (export_test.go).
var forceSidecar bool

func exe() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
