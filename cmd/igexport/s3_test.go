package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/igexport/igexport/internal/testenv"
)

// asMainEnv makes the test binary run igexport (with the test clock)
// instead of the tests: runProcess runs the program as a process of its own
// when a test checks what the process environment and the process's stderr
// do, which the AWS SDK reads and writes directly.
const asMainEnv = "IGEXPORT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) != "1" {
		os.Exit(m.Run())
	}
	ctx, stop := notifyInterrupt(context.Background())
	code := run(ctx, os.Args[1:], env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv,
		Now: func() time.Time { return testNow }, Heartbeat: time.Hour})
	stop()
	os.Exit(code)
}

// runProcess runs igexport with args as a process whose whole environment
// is vars (plus HOME, an empty directory, unless vars sets it).
func (h *harness) runProcess(vars map[string]string, args ...string) result {
	h.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		h.t.Fatal(err)
	}
	home := h.t.TempDir()
	environ := []string{asMainEnv + "=1", "HOME=" + home}
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound, not a sync
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = environ
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if code < 0 {
		h.t.Fatalf("igexport %v: %v\nstderr:\n%s", args, err, errb.String())
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// sdkLog matches a line of the AWS SDK's default logger ("SDK 2026/12/02
// 15:48:11 WARN falling back to IMDSv1: …").
var sdkLog = regexp.MustCompile(`(?m)^SDK \d{4}/\d\d/\d\d [\d:]+ [A-Z]+ `)

// noAWS is an environment without any AWS credential: empty shared files,
// no AWS_* keys, and the instance metadata service disabled or, with imds
// set, served at that URL.
func noAWS(t *testing.T, imds string) map[string]string {
	dir := t.TempDir()
	vars := map[string]string{
		"IG_ACCESS_TOKEN":             canary,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if imds != "" {
		vars["AWS_EC2_METADATA_DISABLED"] = "false"
		vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds
	}
	return vars
}

// TestS3NoCredentials (issue 14, item 8): with no AWS credential anywhere,
// plan and apply on an s3:// lake stop before any request with one clear
// line and exit 2; the SDK's chained error and its log lines ("WARN falling
// back to IMDSv1", printed when the metadata service refuses a token as it
// does off EC2) stay out of igexport's output. Nothing reaches the Graph
// API, the S3 endpoint, or (when disabled) the metadata service.
func TestS3NoCredentials(t *testing.T) {
	var imdsCalls, s3Calls atomic.Int64
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		imdsCalls.Add(1)
		http.NotFound(w, nil) // no token (IMDSv2), no role
	}))
	defer imds.Close()
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s3Calls.Add(1)
		w.WriteHeader(http.StatusForbidden)
	}))
	defer s3.Close()

	h := newHarness(t, fakeOptions())
	url := "s3://lake?endpoint=" + s3.URL + "&region=us-east-1&use_path_style=true&disable_https=true"
	cfg := h.writeConfig("igexport.hcl", strings.Replace(baseConfig, `url    = "file://{{.Dir}}/lake"`, `url    = "`+url+`"`, 1))
	for _, tc := range []struct {
		name, imds string
		cmd        string
	}{
		{"plan, metadata disabled", "", "plan"},
		{"apply, metadata disabled", "", "apply"},
		{"apply, metadata without a role", imds.URL, "apply"},
		{"state list, metadata without a role", imds.URL, "state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imdsBefore := imdsCalls.Load()
			args := []string{tc.cmd, "-config", cfg}
			if tc.cmd == "state" {
				args = []string{"state", "list", "-config", cfg}
			}
			r := h.runProcess(noAWS(t, tc.imds), args...)
			if r.code != exitUsage {
				t.Errorf("exit code %d, want %d", r.code, exitUsage)
			}
			want := "igexport " + tc.cmd + ": no AWS credentials found for s3://lake (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on an instance/role with credentials)\n"
			if r.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
			}
			if sdkLog.MatchString(r.stderr) {
				t.Errorf("stderr has an SDK log line:\n%s", r.stderr)
			}
			for _, sdk := range []string{"IMDS", "get credentials", "operation error"} {
				if strings.Contains(r.stderr+r.stdout, sdk) {
					t.Errorf("output shows the SDK's %q:\n%s%s", sdk, r.stdout, r.stderr)
				}
			}
			if calls := imdsCalls.Load() - imdsBefore; (tc.imds != "") != (calls > 0) {
				t.Errorf("%d requests to the metadata service", calls)
			}
			noSecret(t, tc.name, r.stdout, r.stderr)
		})
	}
	if n := s3Calls.Load(); n != 0 {
		t.Errorf("%d requests reached the S3 endpoint", n)
	}
	if n := h.fake.Stats().RoundTrips; n != 0 {
		t.Errorf("%d requests reached the Graph API", n)
	}
}

// TestApplyToVersityGW: apply writes a lake to an S3 server (versitygw)
// through igexport's s3:// opener with the URL parameters users give
// (endpoint, region, use_path_style, disable_https), prints no SDK log
// line, and plan reads the state back, also with s3blob's older
// s3ForcePathStyle spelling.
func TestApplyToVersityGW(t *testing.T) {
	url, root := testenv.StartVersityGW(t)
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", strings.Replace(baseConfig, `url    = "file://{{.Dir}}/lake"`, `url    = "`+url+`"`, 1))
	vars := noAWS(t, "")
	vars["AWS_ACCESS_KEY_ID"] = testenv.S3AccessKey
	vars["AWS_SECRET_ACCESS_KEY"] = testenv.S3SecretKey

	r := h.runProcess(vars, "apply", "-config", cfg, "-stream", "users", "-stream", "media")
	h.wantCode(r, exitOK)
	if sdkLog.MatchString(r.stderr) || strings.Contains(r.stderr, "WARN") {
		t.Errorf("stderr has an SDK log line:\n%s", r.stderr)
	}
	noSecret(t, "apply", r.stdout, r.stderr)
	for _, stream := range []string{"users", "media"} {
		files, _ := filepath.Glob(filepath.Join(root, testenv.Bucket, "instagram", stream, "*", "*", "*.parquet"))
		if len(files) != 2 { // one per account
			t.Errorf("%s: %d parquet files in the bucket, want 2: %v", stream, len(files), files)
		}
	}

	legacy := h.writeConfig("legacy.hcl", strings.Replace(baseConfig, `url    = "file://{{.Dir}}/lake"`,
		`url    = "`+strings.Replace(url, "use_path_style=", "s3ForcePathStyle=", 1)+`"`, 1))
	r = h.runProcess(vars, "plan", "-config", legacy, "-stream", "users")
	h.wantCode(r, exitOK)
	if n := strings.Count(r.stdout, "state generation 1"); n != 2 {
		t.Errorf("plan read %d accounts' state back, want 2:\n%s", n, r.stdout)
	}
}
