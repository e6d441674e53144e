// Package ctxkey holds the context keys that the SDK's packages share.
package ctxkey

// LambdaContext is the context key of a *lambdacontext.LambdaContext. Package lambda answers it
// from its own context type, which saves allocations on every invocation; lambdacontext's
// NewContext and FromContext use it with context.WithValue and Value.
type LambdaContext struct{}
