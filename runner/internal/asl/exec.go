package asl

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
	"github.com/wasmap/wasmap/runner/internal/selector"
)

// maxHistoryEvents is Step Functions' limit on an execution's history (ASL reference §13): an
// execution that would go past it fails, so that a loop of Task states cannot run forever.
const maxHistoryEvents = 25000

func defaultRand() float64 { return rand.Float64() }

// ExecContext describes one child execution: what the context object ("$$") holds, and the
// clock and random source the execution uses.
type ExecContext struct {
	ExecutionArn     string    // $$.Execution.Id
	Name             string    // $$.Execution.Name
	StateMachineArn  string    // $$.StateMachine.Id
	StateMachineName string    // $$.StateMachine.Name
	StartTime        time.Time // $$.Execution.StartTime
	// Now, when set, replaces time.Now for $$.State.EnteredTime.
	Now func() time.Time
	// Rand, when set, replaces math/rand/v2's Float64 for a Retry's FULL jitter: a number in
	// [0, 1).
	Rand func() float64
}

// Result is the outcome of one invocation, given to Execution.Complete. Error "" is a success
// whose Output is the function's response: valid JSON, which is not checked again (the runner's
// environments check every response), or empty for null. Otherwise Error is the error name
// (the function's errorType, "Sandbox.Timedout", "States.Timeout", …) and Cause its text (for a
// function error, the error's JSON).
type Result struct {
	Output    json.RawMessage
	Error     string
	Cause     string
	RequestID string // the invocation's request id, shown in a lambda:invoke result
}

// Step is what an Execution needs next: an invocation, or nothing because it ended.
type Step struct {
	// Invoke, when not nil, is the function to invoke; the Execution waits for Complete.
	Invoke *Invocation
	// Otherwise the execution ended: with Output (compact JSON, which may share memory with an
	// earlier Invocation.Payload: the caller may keep it but not modify it) when Error is "", or
	// failed with Error (never empty) and Cause.
	Output json.RawMessage
	Error  string
	Cause  string
}

// Invocation is one function call a Task state asks for.
type Invocation struct {
	State    string          // the Task state's name
	Function string          // the function name
	Payload  json.RawMessage // the event: compact JSON that the caller may keep but not modify
	// Delay is how long to wait before invoking: a Retry's backoff (jitter applied), 0 for the
	// first attempt.
	Delay time.Duration
	// Timeout is the Task's TimeoutSeconds (0: none). The caller reports States.Timeout when it
	// stops the call for this timeout, and its own error when its own, shorter limit hits first.
	Timeout time.Duration
	// Attempt is 0 for the first try and n for the n-th retry within this entry into the state.
	Attempt int
}

// Execution is one child execution of a Processor. It is not goroutine-safe: one goroutine at a
// time drives it, calling Next once after Start, then Complete with the result of each
// invocation, until a Step without Invoke says it ended. Executions of one Processor are
// independent and may run concurrently.
type Execution struct {
	p     *Processor
	c     ExecContext
	input json.RawMessage // the execution's input

	cur      *state
	raw      json.RawMessage // the current state's raw input
	entered  time.Time
	event    int // id of the current state's "…StateEntered" event
	events   int // events in the history so far
	retries  []int64
	attempts int
	pending  *Invocation
	final    *Step
	started  bool
}

// Start begins one execution with input, which must be valid JSON (it is not checked: the item
// reader, the ItemSelector and the ItemBatcher produce valid JSON); the Execution keeps a compact
// copy. Nothing runs until Next.
func (p *Processor) Start(input json.RawMessage, c ExecContext) *Execution {
	e := &Execution{p: p, c: c, events: 1} // 1: ExecutionStarted
	if c.Now == nil {
		e.c.Now = time.Now
	}
	if c.Rand == nil {
		e.c.Rand = defaultRand
	}
	e.input = jsonx.AppendCompact(make([]byte, 0, len(input)), input)
	return e
}

// Next runs the states that need no function (Pass, Succeed, Fail) until a Task must invoke one,
// or the execution ends. Call it once after Start. Calling it again returns the same Step until
// Complete is called.
func (e *Execution) Next() Step {
	switch {
	case e.final != nil:
		return *e.final
	case e.pending != nil:
		return Step{Invoke: e.pending}
	case !e.started:
		e.started = true
		e.enter(e.p.states[e.p.StartAt], e.input)
	}
	return e.run()
}

// Complete gives the result of the invocation the last Step asked for, and returns what comes
// next. Calling it when no invocation is pending (before Next, or after the execution ended)
// returns the same Step as Next and ignores r.
func (e *Execution) Complete(r Result) Step {
	if e.pending == nil {
		return e.Next()
	}
	e.pending = nil
	e.events += 3 // …Scheduled, …Started, …Succeeded/Failed/TimedOut
	s := e.cur
	if r.Error != "" {
		return e.failed(s, r.Error, r.Cause)
	}
	out := json.RawMessage("null")
	if len(r.Output) > 0 {
		out = jsonx.AppendCompact(make([]byte, 0, len(r.Output)), r.Output)
	}
	result := out
	if s.invoke {
		result = invokeResponse(out, len(r.Output), r.RequestID)
	}
	if s.resultSelector != nil {
		var err error
		if result, err = s.resultSelector.Evaluate(result, e.contextFor(s.resultSelector)); err != nil {
			return e.runtime(err.Error())
		}
	}
	output, err := applyResultPath(s.resultPath, e.raw, result)
	if err != nil {
		return e.runtime(err.Error())
	}
	if output, err = applyPath(s.outputPath, output); err != nil {
		return e.runtime(err.Error())
	}
	if st, done := e.leave(s, output); done {
		return st
	}
	return e.run()
}

// failed handles a failed invocation: a matching retrier with attempts left retries it, else a
// matching catcher moves to its Next state, else the execution fails.
func (e *Execution) failed(s *state, name, cause string) Step {
	if name == ErrorRuntime {
		return e.end(Step{Error: name, Cause: cause})
	}
	for i := range s.retry {
		r := &s.retry[i]
		if !r.Matches(name) {
			continue
		}
		if e.retries[i] >= r.MaxAttempts {
			break // this retrier is spent: the catchers decide
		}
		e.retries[i]++
		e.attempts++
		next, err := e.invocation(s)
		if err != nil {
			return e.runtime(err.Error())
		}
		next.Delay = r.Delay(int(e.retries[i]), e.c.Rand)
		e.pending = next
		return Step{Invoke: next}
	}
	for i := range s.catch {
		c := &s.catch[i]
		if !c.Matches(name) {
			continue
		}
		out, err := applyResultPath(c.resultPath, e.raw, errorOutput(name, cause))
		if err != nil {
			return e.runtime(err.Error())
		}
		e.events++ // TaskStateExited
		e.enter(e.p.states[c.Next], out)
		return e.run()
	}
	return e.end(Step{Error: name, Cause: cause})
}

// enter makes s the current state with raw as its input.
func (e *Execution) enter(s *state, raw json.RawMessage) {
	e.events++
	e.cur, e.raw, e.event = s, raw, e.events
	e.entered = e.c.Now()
	e.attempts = 0
	e.retries = e.retries[:0]
	for range s.retry {
		e.retries = append(e.retries, 0)
	}
}

func (e *Execution) end(st Step) Step {
	e.final = &st
	return st
}

// runtime fails the execution with States.Runtime, AWS's cause naming the current state.
func (e *Execution) runtime(detail string) Step {
	return e.end(Step{Error: ErrorRuntime, Cause: runtimeCause(e.cur.name, e.event, detail)})
}

// run executes states until a Task needs a function or the execution ends.
func (e *Execution) run() Step {
	for {
		if e.events > maxHistoryEvents {
			return e.runtime(fmt.Sprintf("The execution has more than %d events in its history, Step Functions' limit.", maxHistoryEvents))
		}
		s := e.cur
		switch s.kind {
		case kindTask:
			inv, err := e.invocation(s)
			if err != nil {
				return e.runtime(err.Error())
			}
			e.pending = inv
			return Step{Invoke: inv}
		case kindPass:
			out, err := e.pass(s)
			if err != nil {
				return e.runtime(err.Error())
			}
			if st, done := e.leave(s, out); done {
				return st
			}
		case kindSucceed:
			in, err := applyPath(s.inputPath, e.raw)
			if err == nil {
				in, err = applyPath(s.outputPath, in)
			}
			if err != nil {
				return e.runtime(err.Error())
			}
			e.events++
			return e.end(Step{Output: in})
		case kindFail:
			name, cause, err := e.fail(s)
			if err != nil {
				return e.runtime(err.Error())
			}
			return e.end(Step{Error: name, Cause: cause})
		}
	}
}

// leave ends the current state with output: it moves to the Next state, or ends the execution
// (done).
func (e *Execution) leave(s *state, output json.RawMessage) (st Step, done bool) {
	e.events++ // …StateExited
	if s.end {
		return e.end(Step{Output: output}), true
	}
	e.enter(e.p.states[s.next], output)
	return Step{}, false
}

// pass computes a Pass state's output.
func (e *Execution) pass(s *state) (json.RawMessage, error) {
	in, err := applyPath(s.inputPath, e.raw)
	if err != nil {
		return nil, err
	}
	result := in
	if s.params != nil {
		if result, err = s.params.Evaluate(in, e.contextFor(s.params)); err != nil {
			return nil, err
		}
	}
	if s.result != nil {
		result = s.result
	}
	out, err := applyResultPath(s.resultPath, e.raw, result)
	if err != nil {
		return nil, err
	}
	return applyPath(s.outputPath, out)
}

// fail computes a Fail state's error and cause.
func (e *Execution) fail(s *state) (name, cause string, err error) {
	name, cause = s.errName, s.cause
	if s.errorPath != nil {
		if name, err = stringAt(s.errorPath, "ErrorPath", e.raw); err != nil {
			return "", "", err
		}
	}
	if s.causePath != nil {
		if cause, err = stringAt(s.causePath, "CausePath", e.raw); err != nil {
			return "", "", err
		}
	}
	return name, cause, nil
}

// stringAt reads the string a path selects.
func stringAt(p *selector.Path, field string, doc json.RawMessage) (string, error) {
	v, err := p.Select(doc)
	if err != nil {
		return "", err
	}
	var s string
	if jsonKind(v) != '"' || json.Unmarshal(v, &s) != nil {
		return "", fmt.Errorf("The %s field refers to value \"%s\" which is not a valid string: %s", field, valueText(v), p)
	}
	if s == "" && field == "ErrorPath" {
		return "", fmt.Errorf("The %s field refers to an empty string: %s", field, p)
	}
	return s, nil
}

// invocation builds a Task's invocation from the current state's raw input: InputPath,
// Parameters, then the function and payload.
func (e *Execution) invocation(s *state) (*Invocation, error) {
	in, err := applyPath(s.inputPath, e.raw)
	if err != nil {
		return nil, err
	}
	eff := in
	if s.params != nil {
		if eff, err = s.params.Evaluate(in, e.contextFor(s.params)); err != nil {
			return nil, err
		}
	}
	inv := &Invocation{State: s.name, Function: s.function, Payload: eff, Timeout: s.timeout, Attempt: e.attempts}
	if s.invoke {
		if inv.Function, inv.Payload, err = s.invokeCall(eff); err != nil {
			return nil, err
		}
	}
	if s.timeoutPath != nil {
		if inv.Timeout, err = timeoutAt(s, in); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// invokeCall reads the function and the payload from the evaluated Parameters of a lambda:invoke
// Task. Without Payload, Lambda passes the function {} (the Invoke API's empty payload).
func (s *state) invokeCall(params json.RawMessage) (string, json.RawMessage, error) {
	o, err := decodeObject("Parameters", params)
	if err != nil {
		return "", nil, err
	}
	fn := s.function
	payload := json.RawMessage("{}")
	for _, m := range o.members {
		switch m.key {
		case "FunctionName":
			var name string
			ok := jsonKind(m.val) == '"' && json.Unmarshal(m.val, &name) == nil
			if ok {
				fn, ok = functionNameOf(name)
			}
			if !ok {
				return "", nil, fmt.Errorf("The FunctionName field refers to value \"%s\" which is not a valid function name", valueText(m.val))
			}
		case "Payload":
			payload = m.val
		}
	}
	return fn, payload, nil
}

// timeoutAt reads TimeoutSecondsPath in the Task's input after InputPath.
func timeoutAt(s *state, in json.RawMessage) (time.Duration, error) {
	v, err := s.timeoutPath.Select(in)
	if err != nil {
		return 0, err
	}
	n, ok := intValue(v)
	if !ok {
		return 0, fmt.Errorf("The TimeoutSecondsPath field refers to value \"%s\" which is not a valid integer: %s", valueText(v), s.timeoutField)
	}
	if n < 1 || n > maxTimeoutSeconds {
		return 0, fmt.Errorf("The TimeoutSecondsPath field refers to value \"%d\" which is not a positive integer of at most %d: %s", n, maxTimeoutSeconds, s.timeoutField)
	}
	return time.Duration(n) * time.Second, nil
}

// contextFor returns the context object when the template reads it, else nil.
func (e *Execution) contextFor(t *selector.Template) json.RawMessage {
	if !t.UsesContext() {
		return nil
	}
	return e.contextObject()
}

// contextObject writes the context object of the current state (AWS "Accessing execution data
// from the Context object"): Execution (Id, Input, Name, StartTime), State (EnteredTime, Name,
// RetryCount) and StateMachine (Id, Name).
func (e *Execution) contextObject() json.RawMessage {
	b := []byte(`{"Execution":{"Id":`)
	b = jsonx.AppendString(b, e.c.ExecutionArn)
	b = append(b, `,"Input":`...)
	b = append(b, e.input...)
	b = append(b, `,"Name":`...)
	b = jsonx.AppendString(b, e.c.Name)
	b = append(b, `,"StartTime":`...)
	b = jsonx.AppendString(b, timestamp(e.c.StartTime))
	b = append(b, `},"State":{"EnteredTime":`...)
	b = jsonx.AppendString(b, timestamp(e.entered))
	b = append(b, `,"Name":`...)
	b = jsonx.AppendString(b, e.cur.name)
	b = append(b, `,"RetryCount":`...)
	b = strconv.AppendInt(b, int64(e.attempts), 10)
	b = append(b, `},"StateMachine":{"Id":`...)
	b = jsonx.AppendString(b, e.c.StateMachineArn)
	b = append(b, `,"Name":`...)
	b = jsonx.AppendString(b, e.c.StateMachineName)
	return append(b, `}}`...)
}

// timestamp writes a time as the context object does: ISO 8601 in UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// invokeResponse wraps a function's output as the Lambda Invoke response that the
// arn:aws:states:::lambda:invoke integration returns (shape as recorded in AWS executions, e.g.
// aws/aws-cdk#6676 and #7709). Only the headers that can be filled truthfully are written: no
// Date, Connection or trace id.
func invokeResponse(payload json.RawMessage, length int, requestID string) json.RawMessage {
	if length == 0 {
		length = len(payload)
	}
	n := strconv.Itoa(length)
	b := []byte(`{"ExecutedVersion":"$LATEST","Payload":`)
	b = append(b, payload...)
	b = append(b, `,"SdkHttpMetadata":{"AllHttpHeaders":{"Content-Length":[`...)
	b = jsonx.AppendString(b, n)
	b = append(b, `],"Content-Type":["application/json"],"X-Amz-Executed-Version":["$LATEST"],"x-amzn-RequestId":[`...)
	b = jsonx.AppendString(b, requestID)
	b = append(b, `]},"HttpHeaders":{"Content-Length":`...)
	b = jsonx.AppendString(b, n)
	b = append(b, `,"Content-Type":"application/json","X-Amz-Executed-Version":"$LATEST","x-amzn-RequestId":`...)
	b = jsonx.AppendString(b, requestID)
	b = append(b, `},"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":`...)
	b = jsonx.AppendString(b, requestID)
	return append(b, `},"StatusCode":200}`...)
}
