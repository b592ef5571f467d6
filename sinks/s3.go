package sinks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// s3:// buckets are opened here rather than by s3blob's URL opener, which
// builds its aws.Config with the SDK's default logger (its lines, such as
// "WARN falling back to IMDSv1", went to stderr between igexport's) and
// leaves a missing credential to fail the first request with the SDK's
// chained error. This opener takes the same query parameters as s3blob
// (gocloud.dev v0.47), discards the SDK's log lines, and resolves the
// credentials when the bucket is opened: a missing one is a
// [CredentialsError] naming the ways to provide one.

// s3Settings collects what an s3:// URL's query parameters set.
type s3Settings struct {
	load              []func(*config.LoadOptions) error
	client            []func(*s3.Options)
	bucket            s3blob.Options
	endpoint          string
	hostnameImmutable bool
	rateLimit         int64
	role              string
	anonymous         bool
}

// s3Param is one query parameter of s3:// URLs and what its value sets.
type s3Param struct {
	name string
	set  func(s *s3Settings, v string) error
}

// s3Params are the query parameters of s3:// URLs (besides prefix and key,
// which blob handles for every scheme): the one list that both the opener
// and `validate` (through QueryParams) check URLs against.
var s3Params = []s3Param{
	{"region", func(s *s3Settings, v string) error { s.load = append(s.load, config.WithRegion(v)); return nil }},
	{"endpoint", func(s *s3Settings, v string) error { s.endpoint = v; return nil }},
	{"profile", func(s *s3Settings, v string) error {
		s.load = append(s.load, config.WithSharedConfigProfile(v))
		return nil
	}},
	{"role", func(s *s3Settings, v string) error {
		if !strings.HasPrefix(v, "arn:") {
			return fmt.Errorf("invalid value %q for role: want a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", v)
		}
		s.role = v
		return nil
	}},
	{"dualstack", boolParam("dualstack", func(s *s3Settings, on bool) {
		if on {
			s.load = append(s.load, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
		}
	})},
	{"fips", boolParam("fips", func(s *s3Settings, on bool) {
		if on {
			s.load = append(s.load, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
		}
	})},
	{"accelerate", boolParam("accelerate", func(s *s3Settings, on bool) {
		s.client = append(s.client, func(o *s3.Options) { o.UseAccelerate = on })
	})},
	{"anonymous", boolParam("anonymous", func(s *s3Settings, on bool) {
		if on {
			s.anonymous = true
			s.load = append(s.load, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
		}
	})},
	{"use_path_style", boolParam("use_path_style", setPathStyle)},
	{"s3ForcePathStyle", boolParam("s3ForcePathStyle", setPathStyle)}, // s3blob's name from SDK v1
	{"disable_https", boolParam("disable_https", func(s *s3Settings, on bool) {
		s.client = append(s.client, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
	})},
	{"hostname_immutable", boolParam("hostname_immutable", func(s *s3Settings, on bool) { s.hostnameImmutable = on })},
	{"rate_limiter_capacity", func(s *s3Settings, v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("invalid value %q for rate_limiter_capacity: want a whole number", v)
		}
		s.rateLimit = n
		return nil
	}},
	{"ssetype", func(s *s3Settings, v string) error {
		for _, t := range types.ServerSideEncryptionAes256.Values() {
			if strings.EqualFold(string(t), v) {
				s.bucket.EncryptionType = t
				return nil
			}
		}
		return fmt.Errorf("invalid value %q for ssetype: want one of %v", v, types.ServerSideEncryptionAes256.Values())
	}},
	{"kmskeyid", func(s *s3Settings, v string) error { s.bucket.KMSEncryptionID = v; return nil }},
	{"awssdk", func(*s3Settings, string) error { return nil }}, // s3blob ignores it too: only SDK v2 is left
	{"request_checksum_calculation", checksumParam("request_checksum_calculation", config.WithRequestChecksumCalculation,
		aws.RequestChecksumCalculationWhenSupported, aws.RequestChecksumCalculationWhenRequired)},
	{"response_checksum_validation", checksumParam("response_checksum_validation", config.WithResponseChecksumValidation,
		aws.ResponseChecksumValidationWhenSupported, aws.ResponseChecksumValidationWhenRequired)},
}

// s3ParamNames are the names of s3Params, in order.
func s3ParamNames() []string {
	names := make([]string, len(s3Params))
	for i, p := range s3Params {
		names[i] = p.name
	}
	return names
}

func boolParam(name string, set func(*s3Settings, bool)) func(*s3Settings, string) error {
	return func(s *s3Settings, v string) error {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("invalid value %q for %s: want true or false", v, name)
		}
		set(s, on)
		return nil
	}
}

// checksumParam is a checksum mode parameter: when_supported or
// when_required, set with the load option with.
func checksumParam[T any](name string, with func(T) config.LoadOptionsFunc, whenSupported, whenRequired T) func(*s3Settings, string) error {
	return func(s *s3Settings, v string) error {
		switch strings.ToLower(v) {
		case "when_supported":
			s.load = append(s.load, with(whenSupported))
		case "when_required":
			s.load = append(s.load, with(whenRequired))
		default:
			return fmt.Errorf("invalid value %q for %s: want when_supported or when_required", v, name)
		}
		return nil
	}
}

func setPathStyle(s *s3Settings, on bool) {
	s.client = append(s.client, func(o *s3.Options) { o.UsePathStyle = on })
}

// CredentialsError is a bucket that cannot be opened for want of usable
// cloud credentials: a problem of the set-up, which the user fixes before
// running again. Its message says what to set; Unwrap gives the SDK's error.
type CredentialsError struct {
	Bucket string // scheme://name, which carries no secret
	msg    string
	err    error
}

func (e *CredentialsError) Error() string { return e.msg }
func (e *CredentialsError) Unwrap() error { return e.err }

// s3Opener is the blob.BucketURLOpener of s3:// URLs (see above).
type s3Opener struct{}

// OpenBucketURL opens the S3 bucket u names, u's prefix and key parameters
// removed (blob.URLMux handles those).
func (s3Opener) OpenBucketURL(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	var s s3Settings
	q := u.Query()
	for _, p := range s3Params {
		if vs, ok := q[p.name]; ok {
			if err := p.set(&s, vs[0]); err != nil {
				return nil, err
			}
			delete(q, p.name)
		}
	}
	if len(q) > 0 {
		return nil, fmt.Errorf("unknown query parameter %q (s3:// URLs take %s)", slices.Sorted(maps.Keys(q))[0], strings.Join(s3ParamNames(), ", "))
	}
	shown := "s3://" + u.Host

	// The SDK's log lines (IMDS fallback warnings, retries, deprecations)
	// are not igexport's: what matters reaches the user as an error.
	s.load = append(s.load, config.WithLogger(logging.Nop{}))
	load := s.load
	if s.role != "" {
		base, err := config.LoadDefaultConfig(ctx, s.load...)
		if err != nil {
			return nil, configError(shown, err)
		}
		if base.Region == "" {
			return nil, fmt.Errorf("role %s needs a region: set the region parameter or AWS_REGION", s.role)
		}
		load = []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), s.role)),
			config.WithRegion(base.Region),
			config.WithLogger(logging.Nop{}),
		}
	}
	limiter := retry.RateLimiter(ratelimit.None)
	if s.rateLimit > 0 {
		limiter = ratelimit.NewTokenRateLimit(uint(s.rateLimit))
	}
	load = append(load, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = limiter })
	}))
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, configError(shown, err)
	}
	if s.endpoint != "" {
		// The resolver s3blob installs, so endpoint and hostname_immutable
		// address the same server they did through s3blob.
		ep := aws.Endpoint{PartitionID: "aws", URL: s.endpoint, HostnameImmutable: s.hostnameImmutable}
		cfg.EndpointResolverWithOptions = aws.EndpointResolverWithOptionsFunc( //nolint:staticcheck // as s3blob
			func(_, region string, _ ...any) (aws.Endpoint, error) {
				e := ep
				e.SigningRegion = region
				return e, nil
			})
	}
	if !s.anonymous && cfg.Credentials != nil {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return nil, credentialsError(ctx, shown, err)
		}
	}
	// The upload manager takes the checksum mode from the options only.
	s.bucket.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	return s3blob.OpenBucket(ctx, s3.NewFromConfig(cfg, s.client...), u.Host, &s.bucket)
}

// noCredentialsHint says where the AWS SDK looks for credentials.
const noCredentialsHint = "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on an instance/role with credentials"

// credentialsError explains a failed credential resolution. When the SDK's
// default chain found nothing in the environment and the shared files, its
// last resort is the EC2 instance metadata service; an error from that
// service means no credential was found anywhere.
func credentialsError(ctx context.Context, shown string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("AWS credentials for %s: %w", shown, err) // interrupted, not missing
	}
	var op *smithy.OperationError
	if errors.As(err, &op) && op.ServiceID == imds.ServiceID {
		return &CredentialsError{Bucket: shown, err: err,
			msg: fmt.Sprintf("no AWS credentials found for %s (%s)", shown, noCredentialsHint)}
	}
	return &CredentialsError{Bucket: shown, err: err, msg: fmt.Sprintf("AWS credentials for %s: %v", shown, err)}
}

// configError explains a failure to load the AWS shared configuration.
func configError(shown string, err error) error {
	var nf config.SharedConfigProfileNotExistError
	if errors.As(err, &nf) {
		return &CredentialsError{Bucket: shown, err: err,
			msg: fmt.Sprintf("AWS profile %q is not in the shared config files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws) for %s", nf.Profile, shown)}
	}
	return &CredentialsError{Bucket: shown, err: err, msg: fmt.Sprintf("AWS configuration for %s: %v", shown, err)}
}
