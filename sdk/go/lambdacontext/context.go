// Package lambdacontext gives a handler the metadata of its invocation and of its function, with
// the same names as github.com/aws/aws-lambda-go/lambdacontext.
//
// Per-invocation data travels in the handler's context.Context: get it with FromContext. The
// function's configuration is in package variables, read once from the environment when the
// program starts (wasmap sets the same variables as Lambda; see ABI.md §6).
package lambdacontext

import (
	"context"
	"os"
	"strconv"

	"github.com/wasmap/wasmap/sdk/go/internal/ctxkey"
)

// LogGroupName is the name of the log group of the function (AWS_LAMBDA_LOG_GROUP_NAME).
var LogGroupName string

// LogStreamName is the name of the log stream of this execution environment
// (AWS_LAMBDA_LOG_STREAM_NAME).
var LogStreamName string

// FunctionName is the name of the function (AWS_LAMBDA_FUNCTION_NAME).
var FunctionName string

// MemoryLimitInMB is the configured memory of the function in MB
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), 0 when the variable is absent or not a number.
var MemoryLimitInMB int

// FunctionVersion is the version of the function being run (AWS_LAMBDA_FUNCTION_VERSION),
// "$LATEST" under wasmap.
var FunctionVersion string

func init() { loadEnv() }

func loadEnv() {
	LogGroupName = os.Getenv("AWS_LAMBDA_LOG_GROUP_NAME")
	LogStreamName = os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")
	FunctionName = os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	MemoryLimitInMB, _ = strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	FunctionVersion = os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")
}

// MaxConcurrency returns how many invocations this execution environment runs at once. It is
// always 1: a wasmap environment runs one invocation at a time (concurrency comes from running
// many environments), and the SDK runs a single invoke loop.
func MaxConcurrency() int { return 1 }

// ClientApplication is metadata about the calling application.
type ClientApplication struct {
	InstallationID string `json:"installation_id"`
	AppTitle       string `json:"app_title"`
	AppVersionCode string `json:"app_version_code"`
	AppPackageName string `json:"app_package_name"`
}

// ClientContext is information about the client application passed by the caller. Custom keeps
// a value that is not a JSON string as its JSON text (a number 3 becomes "3").
type ClientContext struct {
	Client ClientApplication
	Env    map[string]string `json:"env"`
	Custom map[string]string `json:"custom"`
}

// CognitoIdentity is the Amazon Cognito identity of the caller, when there is one.
type CognitoIdentity struct {
	CognitoIdentityID     string
	CognitoIdentityPoolID string
}

// LambdaContext is the metadata of one invocation.
type LambdaContext struct {
	// AwsRequestID is the invocation's request id (a UUID).
	AwsRequestID string
	// InvokedFunctionArn is arn:aws:lambda:<region>:<account>:function:<name>.
	InvokedFunctionArn string
	// Identity is empty under wasmap ABI v1.
	Identity CognitoIdentity
	// ClientContext is set only when the invocation carries a client context.
	ClientContext ClientContext
	// TenantID is empty under wasmap ABI v1.
	TenantID string
}

// NewContext returns a copy of parent that carries lc.
func NewContext(parent context.Context, lc *LambdaContext) context.Context {
	return context.WithValue(parent, ctxkey.LambdaContext{}, lc)
}

// FromContext returns the LambdaContext stored in ctx by NewContext, if any. The handler's
// context always has one.
func FromContext(ctx context.Context) (*LambdaContext, bool) {
	lc, ok := ctx.Value(ctxkey.LambdaContext{}).(*LambdaContext)
	return lc, ok
}
