package asl

import "fmt"

// Error names of the Amazon States Language that this package raises or gives a meaning to in
// Retry and Catch (ASL reference §12; AWS "Error handling in Step Functions").
const (
	// ErrorAll in ErrorEquals matches every error name except ErrorRuntime and
	// ErrorDataLimitExceeded.
	ErrorAll = "States.ALL"
	// ErrorTaskFailed in ErrorEquals matches every error name except ErrorTimeout (and the
	// terminal ErrorRuntime and ErrorDataLimitExceeded).
	ErrorTaskFailed = "States.TaskFailed"
	// ErrorTimeout is a Task that ran longer than its TimeoutSeconds.
	ErrorTimeout = "States.Timeout"
	// ErrorHeartbeatTimeout is a Task whose heartbeat stopped; TaskFailed does not match it either.
	ErrorHeartbeatTimeout = "States.HeartbeatTimeout"
	// ErrorRuntime is an invalid path or value found while running: terminal, never retried or
	// caught, not even by an ErrorEquals that names it.
	ErrorRuntime = "States.Runtime"
	// ErrorDataLimitExceeded is an output over the payload limit: only an ErrorEquals naming it
	// matches it.
	ErrorDataLimitExceeded = "States.DataLimitExceeded"
	// ErrorItemReaderFailed is a Map Run whose items could not be read.
	ErrorItemReaderFailed = "States.ItemReaderFailed"
)

// DefinitionError is an invalid definition, found before anything runs. Location is the JSON
// location of the problem relative to the Map state object, written as the selector package
// writes it: field names joined by ".", indexes in brackets, e.g.
// "ItemProcessor.States.Work.Retry[0].MaxAttempts". A problem outside the Map state of a whole
// state machine has the location of the state machine's field ("States.Other", "StartAt"). Error
// returns Location + ": " + Reason, or Reason alone when Location is empty (the file is not a JSON
// object).
type DefinitionError struct {
	Location string
	Reason   string
}

func (e *DefinitionError) Error() string {
	if e.Location == "" {
		return e.Reason
	}
	return e.Location + ": " + e.Reason
}

// StatesError is an Amazon States Language error raised while running: Name is the error name,
// such as "States.Runtime", and Cause the exact text Step Functions writes, e.g.
//
//	An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue
type StatesError struct {
	Name  string
	Cause string
}

func (e *StatesError) Error() string { return e.Name + ": " + e.Cause }

// runtimeCause writes AWS's States.Runtime cause: the state and the id of its "…StateEntered"
// event, then the detail.
func runtimeCause(state string, event int, detail string) string {
	return fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", state, event, detail)
}

func defErr(loc, format string, a ...any) error {
	return &DefinitionError{Location: loc, Reason: fmt.Sprintf(format, a...)}
}

// join appends a field name to a location.
func join(loc, key string) string {
	if loc == "" {
		return key
	}
	return loc + "." + key
}

func index(loc string, i int) string { return fmt.Sprintf("%s[%d]", loc, i) }
