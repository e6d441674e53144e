package asl

import (
	"encoding/json"
	"math"
	"time"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// Limits of a retrier's fields (AWS "Error handling in Step Functions": IntervalSeconds and
// MaxAttempts at most 99999999, MaxDelaySeconds below 31622401).
const (
	maxRetrySeconds  = 99999999
	maxDelaySeconds  = 31622400
	maxRetryAttempts = 99999999
)

// Retrier is one element of a Retry field, with its defaults applied. It is immutable once
// parsed and safe for concurrent use.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int64   // default 1
	MaxAttempts     int64   // default 3; 0: never retried
	BackoffRate     float64 // default 2.0; at least 1.0
	MaxDelaySeconds int64   // 0: no cap
	JitterStrategy  string  // "NONE" (default) or "FULL"
}

// Matches reports whether the retrier handles the error name (see ErrorAll, ErrorTaskFailed).
func (r *Retrier) Matches(name string) bool { return errorMatches(r.ErrorEquals, name) }

// Delay returns the wait before retry n (1 for the first retry): IntervalSeconds ×
// BackoffRate^(n-1), capped at MaxDelaySeconds, and with JitterStrategy FULL a uniformly random
// share of that, rand() × delay, where rand returns a number in [0, 1) (nil: math/rand/v2).
func (r *Retrier) Delay(n int, rand func() float64) time.Duration {
	secs := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(n-1))
	if r.MaxDelaySeconds > 0 && secs > float64(r.MaxDelaySeconds) {
		secs = float64(r.MaxDelaySeconds)
	}
	if r.JitterStrategy == "FULL" {
		if rand == nil {
			rand = defaultRand
		}
		secs *= rand()
	}
	const maxSecs = float64(math.MaxInt64) / float64(time.Second)
	if secs >= maxSecs || math.IsNaN(secs) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(secs * float64(time.Second))
}

// Catcher is one element of a Catch field. It is immutable once parsed and safe for concurrent
// use.
type Catcher struct {
	ErrorEquals []string
	Next        string
	// ResultPath is where the error output {"Error","Cause"} goes in the state's raw input: nil
	// for the default "$", a pointer to NullPath for JSON null (the input passes unchanged).
	ResultPath *string
	resultPath pathField
}

// Matches reports whether the catcher handles the error name.
func (c *Catcher) Matches(name string) bool { return errorMatches(c.ErrorEquals, name) }

// errorMatches applies the ErrorEquals rules: an exact name, States.ALL for anything but the
// terminal errors, States.TaskFailed for anything but those and the timeouts. States.Runtime is
// never matched: AWS does not retry or catch it.
func errorMatches(list []string, name string) bool {
	if name == ErrorRuntime {
		return false
	}
	for _, e := range list {
		switch {
		case e == name:
			return true
		case name == ErrorDataLimitExceeded:
		case e == ErrorAll:
			return true
		case e == ErrorTaskFailed && name != ErrorTimeout && name != ErrorHeartbeatTimeout:
			return true
		}
	}
	return false
}

// errorOutput writes a catcher's error output: {"Error":name,"Cause":cause}, without Cause when
// there is none (the AWS guide: the error output "usually contains the field Cause").
func errorOutput(name, cause string) json.RawMessage {
	b := []byte(`{"Error":`)
	b = jsonx.AppendString(b, name)
	if cause != "" {
		b = append(b, `,"Cause":`...)
		b = jsonx.AppendString(b, cause)
	}
	return append(b, '}')
}

// parseErrorEquals validates an ErrorEquals field. last says whether the retrier or catcher is the
// last of its array, the only place States.ALL may appear.
func parseErrorEquals(o *object, last bool) ([]string, error) {
	list, ok, err := o.strings("ErrorEquals")
	if err != nil {
		return nil, err
	}
	loc := o.at("ErrorEquals")
	if !ok {
		return nil, defErr(loc, "required")
	}
	if len(list) == 0 {
		return nil, defErr(loc, "must hold at least one error name")
	}
	for i, e := range list {
		if e == "" {
			return nil, defErr(index(loc, i), "an error name cannot be empty")
		}
		if e == ErrorAll {
			if len(list) > 1 {
				return nil, defErr(index(loc, i), "States.ALL must appear alone in ErrorEquals")
			}
			if !last {
				return nil, defErr(index(loc, i), "States.ALL must appear in the last element of the array only")
			}
		}
	}
	return list, nil
}

// parseRetry reads a Retry field.
func parseRetry(o *object) ([]Retrier, error) {
	raw, ok := o.get("Retry")
	if !ok {
		return nil, nil
	}
	elems, err := arrayOf(o.at("Retry"), raw)
	if err != nil {
		return nil, err
	}
	out := make([]Retrier, len(elems))
	for i, e := range elems {
		r, err := decodeObject(index(o.at("Retry"), i), e)
		if err != nil {
			return nil, err
		}
		if err := r.check("a retrier", "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"); err != nil {
			return nil, err
		}
		rt := Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0, JitterStrategy: "NONE"}
		if rt.ErrorEquals, err = parseErrorEquals(r, i == len(elems)-1); err != nil {
			return nil, err
		}
		if n, ok, err := r.integer("IntervalSeconds"); err != nil {
			return nil, err
		} else if ok {
			if n < 1 || n > maxRetrySeconds {
				return nil, defErr(r.at("IntervalSeconds"), "must be a positive integer of at most %d, got %d", maxRetrySeconds, n)
			}
			rt.IntervalSeconds = n
		}
		if n, ok, err := r.integer("MaxAttempts"); err != nil {
			return nil, err
		} else if ok {
			if n < 0 || n > maxRetryAttempts {
				return nil, defErr(r.at("MaxAttempts"), "must be an integer from 0 to %d, got %d", maxRetryAttempts, n)
			}
			rt.MaxAttempts = n
		}
		if f, ok, err := r.number("BackoffRate"); err != nil {
			return nil, err
		} else if ok {
			if f < 1 {
				return nil, defErr(r.at("BackoffRate"), "must be at least 1.0, got %v", f)
			}
			rt.BackoffRate = f
		}
		if n, ok, err := r.integer("MaxDelaySeconds"); err != nil {
			return nil, err
		} else if ok {
			if n < 1 || n > maxDelaySeconds {
				return nil, defErr(r.at("MaxDelaySeconds"), "must be a positive integer of at most %d, got %d", maxDelaySeconds, n)
			}
			rt.MaxDelaySeconds = n
		}
		if s, ok, err := r.str("JitterStrategy"); err != nil {
			return nil, err
		} else if ok {
			if s != "FULL" && s != "NONE" {
				return nil, defErr(r.at("JitterStrategy"), "must be FULL or NONE, got %s", quote(s))
			}
			rt.JitterStrategy = s
		}
		out[i] = rt
	}
	return out, nil
}

// parseCatch reads a Catch field. Each Next is checked by the caller, which knows the states.
func parseCatch(o *object) ([]Catcher, error) {
	raw, ok := o.get("Catch")
	if !ok {
		return nil, nil
	}
	elems, err := arrayOf(o.at("Catch"), raw)
	if err != nil {
		return nil, err
	}
	out := make([]Catcher, len(elems))
	for i, e := range elems {
		c, err := decodeObject(index(o.at("Catch"), i), e)
		if err != nil {
			return nil, err
		}
		if err := c.check("a catcher", "ErrorEquals", "Next", "ResultPath", "Comment"); err != nil {
			return nil, err
		}
		var ct Catcher
		if ct.ErrorEquals, err = parseErrorEquals(c, i == len(elems)-1); err != nil {
			return nil, err
		}
		next, ok, err := c.nonEmpty("Next")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, defErr(c.at("Next"), "required")
		}
		ct.Next = next
		if ct.resultPath, err = c.pathField("ResultPath", true, true); err != nil {
			return nil, err
		}
		ct.ResultPath = ct.resultPath.text
		out[i] = ct
	}
	return out, nil
}

// arrayOf splits a JSON array.
func arrayOf(loc string, raw json.RawMessage) ([]json.RawMessage, error) {
	if jsonKind(raw) != '[' {
		return nil, defErr(loc, "must be an array, got %s", kindName(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, defErr(loc, "invalid array: %v", err)
	}
	return elems, nil
}

// applyResultPath places result in the raw input as a ResultPath says: the default "$" replaces
// the input, null keeps the input. raw and result must be compact (they are returned as they are).
func applyResultPath(p pathField, raw, result json.RawMessage) (json.RawMessage, error) {
	switch {
	case p.null:
		return raw, nil
	case p.path == nil || p.path.IsRoot():
		return result, nil
	}
	return p.path.Set(raw, result)
}

// applyPath applies an InputPath or OutputPath: absent or "$" keeps the document, null gives {}.
// doc must be compact (it is returned as it is).
func applyPath(p pathField, doc json.RawMessage) (json.RawMessage, error) {
	switch {
	case p.null:
		return json.RawMessage("{}"), nil
	case p.path == nil || p.path.IsRoot():
		return doc, nil
	}
	return p.path.Select(doc)
}
