package sinks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// isolateAWS gives the AWS SDK an environment with no credential anywhere:
// empty shared files, no AWS_* keys, and the instance metadata service
// disabled, or, with imds set, served at that URL.
func isolateAWS(t *testing.T, imds string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	if imds == "" {
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	} else {
		t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds)
	}
}

// TestS3OpenerTakesValidatesParams: the s3:// opener accepts every query
// parameter QueryParams lists for s3 (what `validate` accepts), each with a
// valid value, and rejects a name QueryParams does not list and a bad value,
// naming the parameter.
func TestS3OpenerTakesValidatesParams(t *testing.T) {
	isolateAWS(t, "")
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile lake]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sample := map[string]string{
		"region": "eu-west-1", "endpoint": "http://127.0.0.1:1", "profile": "lake",
		"role": "arn:aws:iam::123456789012:role/lake", "dualstack": "false", "fips": "false",
		"accelerate": "false", "anonymous": "true", "use_path_style": "true", "s3ForcePathStyle": "true",
		"disable_https": "true", "hostname_immutable": "true", "rate_limiter_capacity": "10",
		"ssetype": "AES256", "kmskeyid": "k-1", "awssdk": "v2",
		"request_checksum_calculation": "when_required", "response_checksum_validation": "when_supported",
		"prefix": "lake/", "key": "one.parquet",
	}
	names, ok := QueryParams("s3")
	if !ok {
		t.Fatal("no query parameters for s3")
	}
	for _, name := range names {
		v, ok := sample[name]
		if !ok {
			t.Errorf("no sample value for %s: add one", name)
			continue
		}
		u := "s3://lake?anonymous=true&region=us-east-1&" + name + "=" + v
		b, err := OpenBucket(t.Context(), u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		b.Close()
	}

	for _, tc := range []struct{ url, want string }{
		{"s3://lake?anonymous=true&use_pathstyle=true", `unknown query parameter "use_pathstyle" (s3:// URLs take region, endpoint,`},
		{"s3://lake?anonymous=true&use_path_style=yes", `invalid value "yes" for use_path_style: want true or false`},
		{"s3://lake?anonymous=true&role=lake", `invalid value "lake" for role`},
		{"s3://lake?anonymous=true&ssetype=rot13", `invalid value "rot13" for ssetype`},
		{"s3://lake?anonymous=true&request_checksum_calculation=always", `invalid value "always" for request_checksum_calculation: want when_supported or when_required`},
		{"s3://lake?anonymous=true&response_checksum_validation=never", `invalid value "never" for response_checksum_validation: want when_supported or when_required`},
		{"s3://lake?profile=nope&region=us-east-1", `AWS profile "nope" is not in the shared config files`},
	} {
		_, err := OpenBucket(t.Context(), tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.url, err, tc.want)
		}
	}
	if slices.Contains(names, "use_pathstyle") {
		t.Error("QueryParams accepts use_pathstyle")
	}
}

// TestS3NoCredentials: with no credential in the environment, the shared
// files or the instance metadata service (disabled, or answering 404 as off
// EC2), opening an s3:// bucket fails at once with a CredentialsError that
// says what to set, not the SDK's chain.
func TestS3NoCredentials(t *testing.T) {
	var imdsCalls atomic.Int64
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		imdsCalls.Add(1)
		http.NotFound(w, nil)
	}))
	defer imds.Close()
	for _, tc := range []struct {
		name, imds string
	}{
		{"metadata disabled", ""},
		{"metadata without a role", imds.URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t, tc.imds)
			before := imdsCalls.Load()
			_, err := OpenBucket(context.Background(), "s3://lake?region=us-east-1&endpoint=http://127.0.0.1:1&use_path_style=true")
			ce := (*CredentialsError)(nil)
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want a CredentialsError", err, err)
			}
			want := "no AWS credentials found for s3://lake (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on an instance/role with credentials)"
			if ce.Error() != want || ce.Bucket != "s3://lake" {
				t.Errorf("got %q (bucket %q), want %q", ce.Error(), ce.Bucket, want)
			}
			if calls := imdsCalls.Load() - before; (tc.imds != "") != (calls > 0) {
				t.Errorf("%d requests to the metadata service", calls)
			}
		})
	}

	t.Run("keys set", func(t *testing.T) {
		isolateAWS(t, "")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		b, err := OpenBucket(context.Background(), "s3://lake?region=us-east-1&endpoint=http://127.0.0.1:1&use_path_style=true")
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
	})
}
