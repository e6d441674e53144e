// Package s3x is wasmap's S3 layer: a client built from the standard AWS configuration
// ([NewClient]), S3 errors turned into messages that name the bucket and key ([Describe]),
// ranged reads with read-ahead ([OpenObject]) and uploads committed or aborted as a whole
// ([NewUpload]). The item reader, the result writer and object I/O all go through it.
//
// # Configuration
//
// [NewClient] loads the configuration as the AWS CLI does (config.LoadDefaultConfig): the
// default credential chain (environment, shared files and the profile's SSO, web identity,
// process or assume-role settings, container and instance roles), AWS_PROFILE or
// Config.Profile, AWS_REGION or the profile's region, and the endpoint from AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL or the profile's endpoint_url (the S3 client reads these itself; see
// [Config.EndpointURL], which overrides them).
//
// # Retries
//
// Requests use the SDK's standard retryer: 3 attempts in all (Config.MaxAttempts, or
// AWS_MAX_ATTEMPTS, changes it), with exponential backoff and full jitter between attempts (from
// 50 ms, or 1 s after a throttling error, doubling, at most 20 s), on throttling (SlowDown, Throttling, RequestLimitExceeded, 429, …), on 500, 502,
// 503 and 504, and on connection errors. Its client-side retry quota stays on: when most
// requests fail, retries stop early ("retry quota exceeded") instead of piling on a server in
// trouble. A body that breaks off in the middle of a ranged read is read again from where it
// stopped, up to 3 times (the SDK retries requests, not bodies).
//
// # Errors
//
// Every error of this package is an *[Error] naming the object as an s3:// URI and, for the
// usual failures, saying what went wrong in words: NoSuchBucket, NoSuchKey, AccessDenied,
// InvalidAccessKeyId, SignatureDoesNotMatch. It unwraps to the SDK's error, so errors.As finds
// the smithy.APIError and the typed S3 error, and errors.Is matches fs.ErrNotExist (a missing
// bucket or key) and fs.ErrPermission (denied, bad credentials): objectio.Errno maps them to
// ENOENT and EACCES.
package s3x
