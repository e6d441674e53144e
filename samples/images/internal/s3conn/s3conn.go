//go:build !wasip1

// Package s3conn gives the images sample's native commands an S3 client, configured as wasmap
// configures its own: the standard AWS configuration (credential chain, profiles, AWS_REGION,
// AWS_ENDPOINT_URL_S3) with an optional endpoint and path-style addressing over it.
package s3conn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Client returns an S3 client. endpointURL ("" for the configured one) and pathStyle are
// wasmap run's --endpoint-url and --path-style.
func Client(ctx context.Context, endpointURL string, pathStyle bool) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("S3 configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpointURL != "" {
			o.BaseEndpoint = aws.String(endpointURL)
		}
		o.UsePathStyle = o.UsePathStyle || pathStyle
	}), nil
}

// ParseURI splits "s3://bucket/prefix" into its bucket and prefix.
func ParseURI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return "", "", fmt.Errorf("%q is not an S3 URI (s3://bucket/prefix/)", uri)
	}
	return bucket, prefix, nil
}

// EnsureBucket creates the bucket unless it exists and is the caller's.
func EnsureBucket(ctx context.Context, c *s3.Client, bucket string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}
