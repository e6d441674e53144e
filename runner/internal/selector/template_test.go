package selector_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

func TestTemplateEvaluate(t *testing.T) {
	ctx := json.RawMessage(`{"Execution":{"Id":"arn:x","Input":{"k":1}},"State":{"Name":"Work","RetryCount":2},"Map":{"Item":{"Index":3}}}`)
	tests := []struct {
		name, template, input, want string
		context                     bool
	}{
		{"literal", `{"a": [1, 2], "b": {"c": "$.x"}}`, `{}`, `{"a":[1,2],"b":{"c":"$.x"}}`, false},
		{"input paths keep order and text", `{"z.$": "$.b", "a.$": "$"}`, `{"b": {"y": 1.50, "x": "\u00e9"}}`, `{"z":{"y":1.50,"x":"\u00e9"},"a":{"b":{"y":1.50,"x":"\u00e9"}}}`, false},
		{"nested and arrays", `{"l": [{"v.$": "$.a[0]"}, "k"]}`, `{"a": [7]}`, `{"l":[{"v":7},"k"]}`, false},
		{"indefinite path", `{"ids.$": "$.a[*].id"}`, `{"a": [{"id": 1}, {"id": 2}]}`, `{"ids":[1,2]}`, false},
		{"context", `{"id.$": "$$.Execution.Id", "n.$": "$$.State.RetryCount", "in.$": "$$.Execution.Input.k"}`, `{}`, `{"id":"arn:x","n":2,"in":1}`, true},
		{"whole context map member", `{"i.$": "$$.Map.Item.Index"}`, `{}`, `{"i":3}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := selector.CompileTemplate("Parameters", json.RawMessage(tt.template))
			if err != nil {
				t.Fatal(err)
			}
			if tm.UsesContext() != tt.context {
				t.Errorf("UsesContext = %v, want %v", tm.UsesContext(), tt.context)
			}
			got, err := tm.Evaluate(json.RawMessage(tt.input), ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	_, err := selector.CompileTemplate("Parameters", json.RawMessage(`{"m.$": "States.Format('{}', $.a)"}`))
	var ce *selector.CompileError
	if !errors.As(err, &ce) || ce.Location != "Parameters.m.$" || !errors.Is(err, selector.ErrNotSupported) {
		t.Errorf("intrinsic: %v", err)
	}
	if _, err := selector.CompileTemplate("ResultSelector", json.RawMessage(`[1]`)); err == nil || err.Error() != "ResultSelector: must be a JSON object" {
		t.Errorf("array template: %v", err)
	}
	tm, _ := selector.CompileTemplate("Parameters", json.RawMessage(`{"x.$": "$.missing", "c.$": "$$.Execution.Id"}`))
	_, err = tm.Evaluate(json.RawMessage(`{"a":1}`), nil)
	var re *selector.RuntimeError
	if !errors.As(err, &re) || err.Error() != `The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{"a":1}'` {
		t.Errorf("missing path: %v", err)
	}
	tm, _ = selector.CompileTemplate("Parameters", json.RawMessage(`{"c.$": "$$.Execution.Id"}`))
	if _, err = tm.Evaluate(json.RawMessage(`{}`), nil); err == nil || err.Error() != `The JSONPath '$$.Execution.Id' specified for the field 'c.$' could not be found in the input '{}'` {
		t.Errorf("no context: %v", err)
	}
	if _, err = tm.Evaluate(json.RawMessage(`{`), nil); !errors.Is(err, selector.ErrInvalidJSON) {
		t.Errorf("invalid input: %v", err)
	}
}
