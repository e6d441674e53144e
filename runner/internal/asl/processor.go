package asl

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// Processor modes and execution types (ProcessorConfig; ASL reference §1).
const (
	ModeInline         = "INLINE"
	ModeDistributed    = "DISTRIBUTED"
	ExecutionStandard  = "STANDARD"
	ExecutionExpress   = "EXPRESS"
	maxTimeoutSeconds  = 99999999
	singleTaskStart    = "Invoke"
	processorFieldName = "ItemProcessor"
)

// Processor is a compiled ItemProcessor (or legacy Iterator): the child workflow each item, or
// batch, runs through. It is immutable and safe for concurrent use; callers must not modify its
// fields. Each Start creates an independent Execution.
type Processor struct {
	// StartAt is the first state's name.
	StartAt string
	// Mode is ProcessorConfig.Mode: ModeDistributed, or ModeInline (also when ProcessorConfig is
	// absent, as in Step Functions).
	Mode string
	// ExecutionType is ProcessorConfig.ExecutionType: ExecutionStandard (the default) or
	// ExecutionExpress.
	ExecutionType string

	states    map[string]*state
	order     []string // state names in document order
	functions []FunctionRef
}

// FunctionRef is a function name a Task state invokes, with the JSON location it was read from.
type FunctionRef struct {
	Name     string
	Location string
}

// Functions lists the function names the Task states invoke statically, in document order, each
// with its location (e.g. "ItemProcessor.States.Work.Resource"), so that the caller can check them
// against the modules it has. A name chosen at run time ("FunctionName.$") is not listed. The
// caller owns the returned slice.
func (p *Processor) Functions() []FunctionRef {
	return append([]FunctionRef(nil), p.functions...)
}

// SingleTask returns a Processor with one Task state, "Invoke", whose Resource is the function
// name fn and which ends the execution, with no Retry or Catch: each child input goes to fn and
// its output is the child's output. fn is not validated.
func SingleTask(fn string) *Processor {
	loc := processorFieldName + ".States." + singleTaskStart
	s := &state{name: singleTaskStart, kind: kindTask, loc: loc, end: true, function: fn}
	return &Processor{
		StartAt:       singleTaskStart,
		Mode:          ModeDistributed,
		ExecutionType: ExecutionStandard,
		states:        map[string]*state{singleTaskStart: s},
		order:         []string{singleTaskStart},
		functions:     []FunctionRef{{Name: fn, Location: loc + ".Resource"}},
	}
}

type stateKind uint8

const (
	kindTask stateKind = iota
	kindPass
	kindSucceed
	kindFail
)

// state is one compiled state of a Processor.
type state struct {
	name string
	kind stateKind
	loc  string
	next string
	end  bool

	inputPath, outputPath, resultPath pathField
	params                            *selector.Template // Parameters (Task, Pass)
	resultSelector                    *selector.Template // Task

	result json.RawMessage // Pass: Result, nil when absent

	// Task
	function     string // static function name, "" for lambda:invoke with "FunctionName.$"
	invoke       bool   // arn:aws:states:::lambda:invoke: Parameters are the Invoke API's
	payloadSet   bool   // lambda:invoke Parameters give Payload
	timeout      time.Duration
	timeoutPath  *selector.Path
	timeoutField string
	retry        []Retrier
	catch        []Catcher

	// Fail
	errName, cause       string
	errorPath, causePath *selector.Path
	errorText, causeText string
}

// unsupportedTypes are the state types an ItemProcessor cannot hold here.
var unsupportedTypes = map[string]bool{"Choice": true, "Wait": true, "Parallel": true, "Map": true}

// parseProcessor reads the ItemProcessor (or Iterator) field of the Map state object o.
func parseProcessor(o *object, field string) (*Processor, error) {
	po, _, err := o.sub(field)
	if err != nil {
		return nil, err
	}
	if err := po.check("an "+field, "Comment", "ProcessorConfig", "StartAt", "States", "QueryLanguage"); err != nil {
		return nil, err
	}
	if err := po.checkQueryLanguage(); err != nil {
		return nil, err
	}
	p := &Processor{Mode: ModeInline, ExecutionType: ExecutionStandard, states: map[string]*state{}}
	if pc, ok, err := po.sub("ProcessorConfig"); err != nil {
		return nil, err
	} else if ok {
		if err := pc.check("a ProcessorConfig", "Mode", "ExecutionType"); err != nil {
			return nil, err
		}
		if mode, ok, err := pc.str("Mode"); err != nil {
			return nil, err
		} else if ok {
			if !oneOf(mode, ModeInline, ModeDistributed) {
				return nil, defErr(pc.at("Mode"), "must be INLINE or DISTRIBUTED, got %s", quote(mode))
			}
			p.Mode = mode
		}
		if et, ok, err := pc.str("ExecutionType"); err != nil {
			return nil, err
		} else if ok {
			if !oneOf(et, ExecutionStandard, ExecutionExpress) {
				return nil, defErr(pc.at("ExecutionType"), "must be STANDARD or EXPRESS, got %s", quote(et))
			}
			if p.Mode != ModeDistributed {
				return nil, defErr(pc.at("ExecutionType"), "is for Mode DISTRIBUTED only")
			}
			p.ExecutionType = et
		}
	}
	start, ok, err := po.nonEmpty("StartAt")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, defErr(po.at("StartAt"), "required")
	}
	p.StartAt = start
	states, ok, err := po.sub("States")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, defErr(po.at("States"), "required")
	}
	if len(states.members) == 0 {
		return nil, defErr(states.loc, "must hold at least one state")
	}
	for _, m := range states.members {
		if len(m.key) == 0 || len(m.key) > 80 {
			return nil, defErr(states.at(m.key), "a state name must have 1 to 80 characters")
		}
		so, err := decodeObject(states.at(m.key), m.val)
		if err != nil {
			return nil, err
		}
		s, err := parseState(m.key, so)
		if err != nil {
			return nil, err
		}
		p.states[m.key] = s
		p.order = append(p.order, m.key)
		if s.kind == kindTask && s.function != "" {
			loc := so.at("Resource")
			if s.invoke {
				loc = so.at("Parameters") + ".FunctionName"
			}
			p.functions = append(p.functions, FunctionRef{Name: s.function, Location: loc})
		}
	}
	if _, ok := p.states[start]; !ok {
		return nil, defErr(po.at("StartAt"), "no state named %s in States", quote(start))
	}
	if err := p.checkGraph(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkGraph checks every transition, refuses unreachable states, and refuses a loop of Next
// transitions without a Task state: it would run forever without ever invoking a function.
func (p *Processor) checkGraph() error {
	for _, name := range p.order {
		s := p.states[name]
		if s.next != "" {
			if _, ok := p.states[s.next]; !ok {
				return defErr(s.loc+".Next", "no state named %s", quote(s.next))
			}
		}
		for i, c := range s.catch {
			if _, ok := p.states[c.Next]; !ok {
				return defErr(index(s.loc+".Catch", i)+".Next", "no state named %s", quote(c.Next))
			}
		}
	}
	reached := map[string]bool{p.StartAt: true}
	todo := []string{p.StartAt}
	for len(todo) > 0 {
		s := p.states[todo[len(todo)-1]]
		todo = todo[:len(todo)-1]
		targets := []string{s.next}
		for _, c := range s.catch {
			targets = append(targets, c.Next)
		}
		for _, t := range targets {
			if t != "" && !reached[t] {
				reached[t] = true
				todo = append(todo, t)
			}
		}
	}
	for _, name := range p.order {
		if !reached[name] {
			return defErr(p.states[name].loc, "state %s cannot be reached from StartAt %s", quote(name), quote(p.StartAt))
		}
	}
	for _, name := range p.order {
		seen := map[string]bool{}
		path := []string{}
		hasTask := false
		for cur := name; cur != "" && !seen[cur]; cur = p.states[cur].next {
			seen[cur] = true
			path = append(path, cur)
			hasTask = hasTask || p.states[cur].kind == kindTask
			if p.states[cur].next == name && !hasTask {
				return defErr(p.states[name].loc+".Next", "the states %s loop forever: no Task state in the loop", strings.Join(append(path, name), " → "))
			}
		}
	}
	return nil
}

// parseState validates one state of the ItemProcessor.
func parseState(name string, o *object) (*state, error) {
	typ, ok, err := o.str("Type")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, defErr(o.at("Type"), "required")
	}
	s := &state{name: name, loc: o.loc}
	common := []string{"Type", "Comment", "QueryLanguage"}
	switch typ {
	case "Task":
		s.kind = kindTask
		err = o.check("a Task state", append(common, "Resource", "Parameters", "ResultSelector", "ResultPath",
			"InputPath", "OutputPath", "Next", "End", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath",
			"HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials")...)
	case "Pass":
		s.kind = kindPass
		err = o.check("a Pass state", append(common, "Result", "Parameters", "ResultPath", "InputPath", "OutputPath", "Next", "End")...)
	case "Succeed":
		s.kind = kindSucceed
		err = o.check("a Succeed state", append(common, "InputPath", "OutputPath")...)
	case "Fail":
		s.kind = kindFail
		err = o.check("a Fail state", append(common, "Error", "ErrorPath", "Cause", "CausePath")...)
	default:
		if unsupportedTypes[typ] {
			return nil, defErr(o.at("Type"), "state type %s is not supported in an ItemProcessor (Task, Pass, Succeed and Fail are)", typ)
		}
		return nil, defErr(o.at("Type"), "unknown state type %s", quote(typ))
	}
	if err != nil {
		return nil, err
	}
	if err := o.checkQueryLanguage(); err != nil {
		return nil, err
	}
	if s.kind == kindTask || s.kind == kindPass {
		if err := s.parseTransition(o); err != nil {
			return nil, err
		}
		if s.resultPath, err = o.pathField("ResultPath", true, true); err != nil {
			return nil, err
		}
	}
	if s.kind != kindFail {
		if s.inputPath, err = o.pathField("InputPath", false, true); err != nil {
			return nil, err
		}
		if s.outputPath, err = o.pathField("OutputPath", false, true); err != nil {
			return nil, err
		}
	}
	switch s.kind {
	case kindTask:
		err = s.parseTask(o)
	case kindPass:
		if _, s.params, err = o.template("Parameters"); err != nil {
			return nil, err
		}
		if raw, ok := o.get("Result"); ok {
			s.result = compact(raw)
		}
	case kindFail:
		err = s.parseFail(o)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseTransition reads Next and End: exactly one of them.
func (s *state) parseTransition(o *object) error {
	next, hasNext, err := o.nonEmpty("Next")
	if err != nil {
		return err
	}
	end, hasEnd, err := o.boolean("End")
	if err != nil {
		return err
	}
	switch {
	case hasNext && hasEnd:
		return defErr(o.at("End"), "Next and End cannot both be given")
	case hasEnd && !end:
		return defErr(o.at("End"), "must be true when given (or give Next)")
	case !hasNext && !hasEnd:
		return defErr(o.at("Next"), "a %s state needs Next or \"End\": true", o.typeName())
	}
	s.next, s.end = next, end
	return nil
}

func (o *object) typeName() string {
	t, _, _ := o.str("Type")
	return t
}

func (s *state) parseTask(o *object) error {
	res, ok, err := o.nonEmpty("Resource")
	if err != nil {
		return err
	}
	if !ok {
		return defErr(o.at("Resource"), "required")
	}
	var params json.RawMessage
	if params, s.params, err = o.template("Parameters"); err != nil {
		return err
	}
	if _, s.resultSelector, err = o.template("ResultSelector"); err != nil {
		return err
	}
	switch {
	case res == ResourceLambdaInvoke:
		s.invoke = true
		if err := s.parseInvokeParameters(o, params); err != nil {
			return err
		}
	case strings.HasPrefix(res, "arn:"):
		name, ok := lambdaFunctionARN(res)
		if !ok {
			return defErr(o.at("Resource"), "resource %s is not supported: use %s, a Lambda function ARN, or a function name", quote(res), ResourceLambdaInvoke)
		}
		s.function = name
	default:
		if !ValidFunctionName(res) {
			return defErr(o.at("Resource"), "%s is not a function name (1 to 64 letters, digits, hyphens or underscores), a Lambda function ARN or %s", quote(res), ResourceLambdaInvoke)
		}
		s.function = res
	}
	if err := o.exclusive("TimeoutSeconds"); err != nil {
		return err
	}
	if err := o.exclusive("HeartbeatSeconds"); err != nil {
		return err
	}
	timeout, hasTimeout, err := o.integer("TimeoutSeconds")
	if err != nil {
		return err
	}
	if hasTimeout {
		if timeout < 1 || timeout > maxTimeoutSeconds {
			return defErr(o.at("TimeoutSeconds"), "must be a positive integer of at most %d, got %d", maxTimeoutSeconds, timeout)
		}
		s.timeout = time.Duration(timeout) * time.Second
	}
	if s.timeoutField, s.timeoutPath, err = o.refPath("TimeoutSecondsPath"); err != nil {
		return err
	}
	// HeartbeatSeconds is accepted and checked, but a function sends no heartbeat: it is not used.
	if hb, ok, err := o.integer("HeartbeatSeconds"); err != nil {
		return err
	} else if ok {
		if hb < 1 || hb > maxTimeoutSeconds {
			return defErr(o.at("HeartbeatSeconds"), "must be a positive integer of at most %d, got %d", maxTimeoutSeconds, hb)
		}
		if hasTimeout && hb >= timeout {
			return defErr(o.at("HeartbeatSeconds"), "must be less than TimeoutSeconds (%d), got %d", timeout, hb)
		}
	}
	if _, _, err := o.refPath("HeartbeatSecondsPath"); err != nil {
		return err
	}
	// Credentials (a role to assume) has no meaning locally: it is accepted and ignored.
	if raw, ok := o.get("Credentials"); ok && jsonKind(raw) != '{' {
		return defErr(o.at("Credentials"), "must be an object")
	}
	if s.retry, err = parseRetry(o); err != nil {
		return err
	}
	if s.catch, err = parseCatch(o); err != nil {
		return err
	}
	return nil
}

// parseInvokeParameters checks the Parameters of arn:aws:states:::lambda:invoke: the Lambda
// Invoke API's, of which FunctionName is required.
func (s *state) parseInvokeParameters(o *object, params json.RawMessage) error {
	loc := o.at("Parameters")
	if params == nil {
		return defErr(loc, "required with %s (FunctionName, Payload)", ResourceLambdaInvoke)
	}
	p, err := decodeObject(loc, params)
	if err != nil {
		return err
	}
	hasName := false
	for _, m := range p.members {
		key := strings.TrimSuffix(m.key, ".$")
		dynamic := key != m.key
		switch key {
		case "FunctionName":
			hasName = true
			if dynamic {
				continue
			}
			var fn string
			if jsonKind(m.val) != '"' || json.Unmarshal(m.val, &fn) != nil {
				return defErr(p.at(m.key), "must be a string")
			}
			name, ok := functionNameOf(fn)
			if !ok {
				return defErr(p.at(m.key), "%s is not a function name, a name with a qualifier, or a Lambda function ARN", quote(fn))
			}
			s.function = name
		case "Payload":
			s.payloadSet = true
		case "InvocationType":
			if dynamic {
				return defErr(p.at(m.key), "InvocationType must be given literally (RequestResponse)")
			}
			var it string
			if json.Unmarshal(m.val, &it) != nil || it != "RequestResponse" {
				return defErr(p.at(m.key), "only RequestResponse is supported, got %s", m.val)
			}
		case "Qualifier", "ClientContext", "LogType":
			// Accepted; a module has one version, and no log tail is returned.
		default:
			return defErr(p.at(m.key), "field %s is not supported with %s (FunctionName, Payload, InvocationType, Qualifier, ClientContext, LogType)", key, ResourceLambdaInvoke)
		}
	}
	if !hasName {
		return defErr(loc+".FunctionName", "required with %s", ResourceLambdaInvoke)
	}
	return nil
}

func (s *state) parseFail(o *object) error {
	for _, f := range []string{"Error", "Cause"} {
		if err := o.exclusive(f); err != nil {
			return err
		}
	}
	var err error
	var ok bool
	if s.errName, ok, err = o.str("Error"); err != nil {
		return err
	}
	if s.errorText, s.errorPath, err = o.refPath("ErrorPath"); err != nil {
		return err
	}
	if !ok && s.errorPath == nil {
		// Step Functions accepts a Fail state without an error name; a Map Run records every failed
		// child by its error name, so this package asks for one.
		return defErr(o.at("Error"), "a Fail state needs Error or ErrorPath: failed children are reported by their error name")
	}
	if ok && s.errName == "" {
		return defErr(o.at("Error"), "must not be empty")
	}
	if s.cause, _, err = o.str("Cause"); err != nil {
		return err
	}
	if s.causeText, s.causePath, err = o.refPath("CausePath"); err != nil {
		return err
	}
	return nil
}

// lambdaFunctionARN reads "arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]".
func lambdaFunctionARN(s string) (string, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
		return "", false
	}
	if !ValidFunctionName(parts[6]) || (len(parts) == 8 && parts[7] == "") {
		return "", false
	}
	return parts[6], true
}

// functionNameOf reads the FunctionName of a Lambda Invoke call: a name, a name with a qualifier
// ("fn:$LATEST", "fn:prod"), a partial ARN ("123456789012:function:fn") or a function ARN.
func functionNameOf(s string) (string, bool) {
	if strings.HasPrefix(s, "arn:") {
		return lambdaFunctionARN(s)
	}
	parts := strings.Split(s, ":")
	switch {
	case len(parts) == 1 || len(parts) == 2 && parts[1] != "":
		return parts[0], ValidFunctionName(parts[0])
	case (len(parts) == 3 || len(parts) == 4 && parts[3] != "") && parts[1] == "function":
		return parts[2], ValidFunctionName(parts[2])
	}
	return "", false
}

// ValidFunctionName applies Lambda's rule for function names: 1 to 64 letters, digits, hyphens
// or underscores.
func ValidFunctionName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
