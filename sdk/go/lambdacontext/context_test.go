package lambdacontext_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

type otherKey struct{}

func TestFromContext(t *testing.T) {
	if lc, ok := lambdacontext.FromContext(context.Background()); ok || lc != nil {
		t.Errorf("FromContext(Background) = %v, %v", lc, ok)
	}
	want := &lambdacontext.LambdaContext{AwsRequestID: "r"}
	ctx := lambdacontext.NewContext(context.Background(), want)
	ctx = context.WithValue(ctx, otherKey{}, 1)
	if lc, ok := lambdacontext.FromContext(ctx); !ok || lc != want {
		t.Errorf("FromContext = %v, %v, want %v", lc, ok, want)
	}
	if n := lambdacontext.MaxConcurrency(); n != 1 {
		t.Errorf("MaxConcurrency = %d", n)
	}
}

func ExampleFromContext() {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:uppercase",
	})
	// In a handler, ctx is the handler's argument.
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		fmt.Println(lc.AwsRequestID)
		fmt.Println(lc.InvokedFunctionArn)
	}
	// Output:
	// 8476a536-e9f4-11e8-9739-2dfe598c3fcd
	// arn:aws:lambda:us-east-1:000000000000:function:uppercase
}
