package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// mapStateEvent is the id of the Map state's "MapStateEntered" event in the recorded histories:
// the Map state is the state machine's first state (ASL reference §6, §7).
const mapStateEvent = 2

// Settings are the Map state's limits and parameters for one entry into the state, every path
// and template evaluated. The caller owns the slices.
type Settings struct {
	// MaxConcurrency is the limit of concurrent child executions; 0 when none is given (or 0 is
	// given), which means no limit.
	MaxConcurrency int64
	// ToleratedFailureCount and ToleratedFailurePercentage are nil when not given (Step
	// Functions' defaults are 0 and 0.0).
	ToleratedFailureCount      *int64
	ToleratedFailurePercentage *float64
	// MaxItems limits the items read (0: no limit). MaxItemsNegative reports a MaxItemsPath value
	// below 0: not an error here, but the Map Run then fails with States.ItemReaderFailed, cause
	// "field MaxItems must be positive" (ASL reference §3.2); MaxItems is 0 then.
	MaxItems         int64
	MaxItemsNegative bool
	// MaxItemsPerBatch and MaxInputBytesPerBatch are the ItemBatcher's limits (0: not given).
	MaxItemsPerBatch, MaxInputBytesPerBatch int64
	// BatchInput is the ItemBatcher's BatchInput evaluated, nil when absent.
	BatchInput json.RawMessage
	// ReaderParameters is ItemReader.Parameters evaluated (Bucket, Key, Prefix, …), nil when
	// there is no ItemReader or it has no Parameters.
	ReaderParameters json.RawMessage
	// WriterParameters is ResultWriter.Parameters evaluated (Bucket, Prefix), nil when none.
	WriterParameters json.RawMessage
}

// compactValid compacts a document given to a MapState method; one that is not valid JSON is an
// error (not a *StatesError: the caller passed it).
func compactValid(doc json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return nil, fmt.Errorf("asl: the document is not valid JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// runtimeErr is a States.Runtime error of the Map state.
func (m *MapState) runtimeErr(detail string) error {
	return &StatesError{Name: ErrorRuntime, Cause: runtimeCause(m.Name, mapStateEvent, detail)}
}

// Effective applies InputPath to the state input, which must be valid JSON: the result is the
// effective input that ItemsPath, ItemSelector, the ItemReader's parameters and the "…Path"
// fields read. A path that selects nothing is a *StatesError States.Runtime with AWS's cause:
//
//	An error occurred while executing the state 'Map' (entered at the event id #2). Invalid path '$.x' : No results for path: $['x']
//
// The result is compact JSON that the caller owns.
func (m *MapState) Effective(stateInput json.RawMessage) (json.RawMessage, error) {
	in, err := compactValid(stateInput)
	if err != nil {
		return nil, err
	}
	out, err := applyPath(m.inputPath, in)
	if err != nil {
		return nil, m.pathErr(err)
	}
	return out, nil
}

// pathErr turns a selector error into the Map state's States.Runtime error.
func (m *MapState) pathErr(err error) error {
	return m.runtimeErr(err.Error())
}

// Items returns the array at ItemsPath in the effective input, for a Map state without an
// ItemReader (with one, ItemsPath is ignored: ASL reference §2). A path that selects nothing is
// States.Runtime with AWS's "Invalid path" cause, as for InputPath. A value that is not an array
// is States.Runtime too, with a cause written like AWS's for the other "…Path" fields (no AWS
// recording of this case was found; it is a data error found before the Map Run starts, like
// those):
//
//	An error occurred while executing the state 'Map' (entered at the event id #2). The ItemsPath field refers to value "{}" which is not a valid array: $.items
//
// The result is compact JSON that the caller owns.
func (m *MapState) Items(effective json.RawMessage) (json.RawMessage, error) {
	eff, err := compactValid(effective)
	if err != nil {
		return nil, err
	}
	out, err := applyPath(pathField{path: m.itemsPath.path}, eff)
	if err != nil {
		return nil, m.pathErr(err)
	}
	if jsonKind(out) != '[' {
		path := "$"
		if m.ItemsPath != nil {
			path = *m.ItemsPath
		}
		return nil, m.runtimeErr(fmt.Sprintf("The ItemsPath field refers to value \"%s\" which is not a valid array: %s", valueText(out), path))
	}
	return out, nil
}

// Resolve is ResolveContext without a context object.
func (m *MapState) Resolve(effective json.RawMessage) (*Settings, error) {
	return m.ResolveContext(effective, nil)
}

// ResolveContext evaluates every "…Path" field and every template of the ItemReader, ItemBatcher
// and ResultWriter against the effective input and the context object (nil: {}), for one entry
// into the Map state. Invalid values are a *StatesError States.Runtime with the causes recorded
// from AWS (ASL reference §3.2, §6, §7), e.g.
//
//	An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue
//
// A number, or a string holding one ("1"), is accepted; the percentage may have decimals. The
// fields are checked in this order, and the first failure is returned: MaxConcurrencyPath, the
// ItemReader (Parameters, MaxItemsPath), the ItemBatcher, ToleratedFailureCountPath,
// ToleratedFailurePercentagePath, the ResultWriter.
func (m *MapState) ResolveContext(effective, context json.RawMessage) (*Settings, error) {
	s := &Settings{}
	if m.MaxConcurrency != nil {
		s.MaxConcurrency = *m.MaxConcurrency
	}
	if m.maxConcurrencyPath != nil {
		n, err := m.intAt(m.maxConcurrencyPath, "MaxConcurrencyPath", effective)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			// AWS's behaviour was not recorded: its execution did not finish (ASL reference §6).
			return nil, m.runtimeErr("MaxConcurrency cannot be negative.")
		}
		s.MaxConcurrency = n
	}
	if r := m.ItemReader; r != nil {
		if r.params != nil {
			p, err := r.params.Evaluate(effective, context)
			if err != nil {
				return nil, m.pathErr(err)
			}
			s.ReaderParameters = p
		}
		if r.ReaderConfig.MaxItems != nil {
			s.MaxItems = *r.ReaderConfig.MaxItems
		}
		if r.maxItemsPath != nil {
			n, err := m.intAt(r.maxItemsPath, "MaxItemsPath", effective)
			if err != nil {
				return nil, err
			}
			if n < 0 {
				s.MaxItemsNegative = true
				n = 0
			}
			s.MaxItems = n
		}
	}
	if b := m.ItemBatcher; b != nil {
		s.MaxItemsPerBatch, s.MaxInputBytesPerBatch = b.MaxItemsPerBatch, b.MaxInputBytesPerBatch
		for _, f := range []struct {
			path  *selector.Path
			field string
			dst   *int64
		}{{b.itemsPath, "MaxItemsPerBatch", &s.MaxItemsPerBatch}, {b.bytesPath, "MaxInputBytesPerBatch", &s.MaxInputBytesPerBatch}} {
			if f.path == nil {
				continue
			}
			n, err := m.intAt(f.path, f.field+"Path", effective)
			if err != nil {
				return nil, err
			}
			if n < 1 {
				return nil, m.runtimeErr(f.field + " must be greater than 0.")
			}
			*f.dst = n
		}
		s.BatchInput = append(json.RawMessage(nil), b.BatchInput...)
		if b.batchInput != nil {
			v, err := b.batchInput.Evaluate(effective, context)
			if err != nil {
				return nil, m.pathErr(err)
			}
			s.BatchInput = v
		}
	}
	if m.ToleratedFailureCount != nil {
		n := *m.ToleratedFailureCount
		s.ToleratedFailureCount = &n
	}
	if m.toleratedCountPath != nil {
		n, err := m.intAt(m.toleratedCountPath, "ToleratedFailureCountPath", effective)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, m.runtimeErr("ToleratedFailureCount cannot be negative.")
		}
		s.ToleratedFailureCount = &n
	}
	if m.ToleratedFailurePercentage != nil {
		f := *m.ToleratedFailurePercentage
		s.ToleratedFailurePercentage = &f
	}
	if m.toleratedPercentPath != nil {
		v, err := m.toleratedPercentPath.Select(effective)
		if err != nil {
			return nil, m.pathErr(err)
		}
		f, ok := floatValue(v)
		if !ok {
			return nil, m.runtimeErr(fmt.Sprintf("The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", valueText(v), m.ToleratedFailurePercentagePath))
		}
		if f < 0 || f > maxToleratedPercentage {
			return nil, m.runtimeErr("ToleratedFailurePercentage must be between 0 and 100.")
		}
		s.ToleratedFailurePercentage = &f
	}
	if w := m.ResultWriter; w != nil && w.params != nil {
		p, err := w.params.Evaluate(effective, context)
		if err != nil {
			return nil, m.pathErr(err)
		}
		s.WriterParameters = p
	}
	return s, nil
}

// intAt reads the integer a "…Path" field selects.
func (m *MapState) intAt(p *selector.Path, field string, doc json.RawMessage) (int64, error) {
	v, err := p.Select(doc)
	if err != nil {
		return 0, m.pathErr(err)
	}
	n, ok := intValue(v)
	if !ok {
		return 0, m.runtimeErr(fmt.Sprintf("The %s field refers to value \"%s\" which is not a valid integer: %s", field, valueText(v), p))
	}
	return n, nil
}

// intValue reads an integer: a JSON number written without fraction or exponent, or a string
// holding one ("2" from a variable is accepted, ASL reference §3.2, §5).
func intValue(v []byte) (int64, bool) {
	if jsonKind(v) == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return literalInt(v)
}

// floatValue reads a number, or a string holding one in JSON's number syntax.
func floatValue(v []byte) (float64, bool) {
	text := bytes.TrimSpace(v)
	if jsonKind(v) == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		text = []byte(s)
		if jsonKind(text) != '0' || !json.Valid(text) || len(bytes.TrimSpace(text)) != len(text) {
			return 0, false
		}
	} else if jsonKind(v) != '0' {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// Output is OutputContext without a context object.
func (m *MapState) Output(stateInput, result json.RawMessage) (json.RawMessage, error) {
	return m.OutputContext(stateInput, result, nil)
}

// OutputContext turns the Map result (the array of child outputs, or the ResultWriter's object)
// into the state output: ResultSelector (whose "$$" paths read context, nil: {}), then ResultPath,
// which places the result in the raw state input (before InputPath; null keeps the input as it
// is), then OutputPath. Path failures are a *StatesError States.Runtime with AWS's cause, e.g.
// "… Unable to apply ReferencePath $.a.b to input 1". The result is compact JSON that the caller
// owns.
func (m *MapState) OutputContext(stateInput, result, context json.RawMessage) (json.RawMessage, error) {
	in, err := compactValid(stateInput)
	if err != nil {
		return nil, err
	}
	if result, err = compactValid(result); err != nil {
		return nil, err
	}
	if m.resultSelector != nil {
		if result, err = m.resultSelector.Evaluate(result, context); err != nil {
			return nil, m.pathErr(err)
		}
	}
	out, err := applyResultPath(m.resultPath, in, result)
	if err != nil {
		return nil, m.pathErr(err)
	}
	if out, err = applyPath(m.outputPath, out); err != nil {
		return nil, m.pathErr(err)
	}
	return out, nil
}

// Caught applies the Map state's Catch to a failure of the state (States.ItemReaderFailed,
// States.ExceedToleratedFailureThreshold, …): the first catcher whose ErrorEquals matches name
// gives the state output, the error output {"Error":name,"Cause":cause} placed in the raw state
// input at the catcher's ResultPath, and true; the caller then goes to the catcher's Next state.
// States.Runtime is never caught. A ResultPath that cannot be applied is a *StatesError
// States.Runtime.
func (m *MapState) Caught(stateInput json.RawMessage, name, cause string) (json.RawMessage, bool, error) {
	stateInput, err := compactValid(stateInput)
	if err != nil {
		return nil, false, err
	}
	for i := range m.Catch {
		c := &m.Catch[i]
		if !c.Matches(name) {
			continue
		}
		out, err := applyResultPath(c.resultPath, stateInput, errorOutput(name, cause))
		if err != nil {
			return nil, false, m.pathErr(err)
		}
		return out, true, nil
	}
	return nil, false, nil
}
