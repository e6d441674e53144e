package s3x

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is an S3 request that failed, described for a person. Its Error names the object as
// an s3:// URI first: "s3://bucket/key: no such key (NoSuchKey)".
type Error struct {
	Op     string // the S3 operation: "GetObject", "ListObjectsV2", …
	Bucket string
	Key    string // the key, or the prefix of a listing; "" for the bucket
	Code   string // the S3 error code ("NoSuchKey"), or "" when S3 gave none (a network error)
	Err    error  // the SDK's error
}

func (e *Error) Error() string {
	uri := URI(e.Bucket, e.Key)
	switch e.Code {
	case "NoSuchBucket":
		return fmt.Sprintf("%s: no such bucket %q (NoSuchBucket)", uri, e.Bucket)
	case "NoSuchKey":
		return fmt.Sprintf("%s: no such key %q in bucket %q (NoSuchKey)", uri, e.Key, e.Bucket)
	case "NotFound":
		return fmt.Sprintf("%s: not found (%s: 404 Not Found)", uri, e.Op)
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return fmt.Sprintf("%s: access denied (%s, %s): the credentials in use may not do this here", uri, e.Code, e.Op)
	case "InvalidAccessKeyId", "XAdminUserNotFound": // the second is versitygw's
		return fmt.Sprintf("%s: the server does not know this access key ID (%s): check the credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE)", uri, e.Code)
	case "SignatureDoesNotMatch":
		return fmt.Sprintf("%s: the request signature does not match (SignatureDoesNotMatch): check the secret access key (AWS_SECRET_ACCESS_KEY, AWS_PROFILE)", uri)
	case "ExpiredToken", "TokenRefreshRequired", "InvalidToken":
		return fmt.Sprintf("%s: the session token is expired or invalid (%s): refresh the credentials", uri, e.Code)
	case "PreconditionFailed":
		return fmt.Sprintf("%s: the object changed while it was being read (%s: PreconditionFailed)", uri, e.Op)
	case "":
		return fmt.Sprintf("%s: %v", uri, e.Err)
	}
	msg := fmt.Sprintf("%s: %s: %s", uri, e.Op, e.Code)
	var ae smithy.APIError
	if errors.As(e.Err, &ae) && ae.ErrorMessage() != "" {
		msg += ": " + ae.ErrorMessage()
	}
	var me *retry.MaxAttemptsError
	if errors.As(e.Err, &me) {
		msg += fmt.Sprintf(" (after %d attempts)", me.Attempt)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches fs.ErrNotExist for a missing bucket or key, and fs.ErrPermission for a denial or
// credentials the server refuses.
func (e *Error) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		return e.Code == "NoSuchBucket" || e.Code == "NoSuchKey" || e.Code == "NotFound"
	case fs.ErrPermission:
		switch e.Code {
		case "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId", "XAdminUserNotFound", "SignatureDoesNotMatch",
			"ExpiredToken", "TokenRefreshRequired", "InvalidToken":
			return true
		}
	}
	return false
}

// Describe turns an error of the S3 operation op on bucket and key into an *Error. It returns
// nil for nil, and an *Error unchanged. The error code is the S3 API error's; a response
// without a body (HEAD requests) gets "NotFound" for 404 and "Forbidden" for 403.
func Describe(err error, op, bucket, key string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	e = &Error{Op: op, Bucket: bucket, Key: key, Err: err}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == 404 && (e.Code == "" || e.Code == "NotFound"):
			e.Code = "NotFound"
		case code == 403 && (e.Code == "" || e.Code == "Forbidden"):
			e.Code = "Forbidden"
		case e.Code == "" && code >= 300:
			e.Code = fmt.Sprintf("HTTP %d", code)
		}
	}
	return e
}
