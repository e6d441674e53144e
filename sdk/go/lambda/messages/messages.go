// Package messages holds the error payload that a handler may return to choose its error JSON
// exactly, with the names of github.com/aws/aws-lambda-go/lambda/messages.
package messages

// InvokeResponse_Error is the error JSON of a failed invocation:
//
//	{"errorMessage":"…","errorType":"…","stackTrace":[{"path":"…","line":1,"label":"…"}]}
//
// A handler that returns an InvokeResponse_Error (or a pointer to one) as its error has it posted
// as is: this is how to report an errorType that is not a Go type name, such as
// "Order.Invalid", for a Step Functions Retry or Catch to match.
type InvokeResponse_Error struct {
	Message    string                             `json:"errorMessage"`
	Type       string                             `json:"errorType"`
	StackTrace []*InvokeResponse_Error_StackFrame `json:"stackTrace,omitempty"`
	// ShouldExit asks the SDK to end the process after reporting the error, as it does after a
	// panic; the environment is then recycled. It is not part of the JSON.
	ShouldExit bool `json:"-"`
}

// Error returns the message.
func (e InvokeResponse_Error) Error() string { return e.Message }

// InvokeResponse_Error_StackFrame is one frame of a stack trace, innermost first.
type InvokeResponse_Error_StackFrame struct {
	// Path is the file, as <import path>/<file name>.
	Path string `json:"path"`
	// Line is the line in Path.
	Line int32 `json:"line"`
	// Label is the function, without its package path (for example "(*T).Method").
	Label string `json:"label"`
}
