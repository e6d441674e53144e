package s3x

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the part of *s3.Client this package and its users call. *s3.Client implements it.
type API interface {
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, optFns ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ API = (*s3.Client)(nil)

// DefaultRegion is the region used when neither Config.Region nor the environment or profile
// names one: S3-compatible servers usually accept it, and AWS redirects are not followed.
const DefaultRegion = "us-east-1"

// Config selects how the client reaches S3. The zero Config is the standard AWS configuration.
type Config struct {
	// Region overrides AWS_REGION and the profile's region. When all are empty, DefaultRegion.
	Region string
	// Profile is the shared-config profile to use instead of AWS_PROFILE (or "default").
	Profile string
	// EndpointURL, e.g. "http://127.0.0.1:7070", overrides AWS_ENDPOINT_URL_S3,
	// AWS_ENDPOINT_URL and the profile's endpoint_url. Empty: those, else AWS's own endpoints.
	EndpointURL string
	// PathStyle addresses buckets in the path ("http://host/bucket/key") rather than in the
	// host name ("http://bucket.host/key"). Most S3-compatible servers need it, unless the
	// endpoint is an IP address, which the SDK always addresses in the path.
	PathStyle bool
	// MaxAttempts is the number of attempts of each request, the first included; 0 keeps
	// AWS_MAX_ATTEMPTS, the profile's max_attempts or the SDK's 3.
	MaxAttempts int
	// Credentials replaces the default credential chain when set (tests, embedders).
	Credentials aws.CredentialsProvider
	// HTTPClient replaces the SDK's HTTP client when set.
	HTTPClient *http.Client
}

// NewClient loads the standard AWS configuration, applies cfg over it, and returns an S3
// client. It does not contact S3: credentials are resolved at the first request, so a
// missing or wrong credential shows as that request's error (see Describe).
func NewClient(ctx context.Context, cfg Config) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.MaxAttempts < 0 {
		return nil, fmt.Errorf("S3 configuration: MaxAttempts %d is negative", cfg.MaxAttempts)
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	if cfg.EndpointURL != "" && !strings.Contains(cfg.EndpointURL, "://") {
		return nil, fmt.Errorf("S3 configuration: endpoint URL %q has no scheme (want http:// or https://)", cfg.EndpointURL)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("S3 configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultRegion
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Applied after the client has read AWS_ENDPOINT_URL_S3 and the profile, so that the
		// explicit option wins.
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
		}
		if cfg.PathStyle {
			o.UsePathStyle = true
		}
		// Ranged reads never carry the whole object's checksum: without this, the SDK logs
		// "Response has no supported checksum" to stderr for each of them.
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// ParseURI splits "s3://bucket/key" into its bucket and key. The key may be empty
// ("s3://bucket" and "s3://bucket/" name the whole bucket) or end in "/" (a prefix).
func ParseURI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an S3 URI (s3://bucket/key)", uri)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("S3 URI %q has no bucket", uri)
	}
	return bucket, key, nil
}

// URI returns "s3://bucket/key".
func URI(bucket, key string) string { return "s3://" + bucket + "/" + key }

// sendsChecksums reports whether multipart uploads declare CRC32 and send it with each part,
// as the SDK does for single requests by default: yes, unless the client computes checksums
// only when required (AWS_REQUEST_CHECKSUM_CALCULATION=when_required), for servers that lack
// them.
func sendsChecksums(api API) bool {
	if c, ok := api.(*s3.Client); ok {
		return c.Options().RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired
	}
	return true
}
