package asl_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

func TestParseProcessor(t *testing.T) {
	p, err := asl.ParseProcessor(json.RawMessage(`{"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "fn", "End": true}}}`))
	if err != nil || p.StartAt != "W" || len(p.Functions()) != 1 {
		t.Fatalf("%v %+v", err, p)
	}
	_, err = asl.ParseProcessor(json.RawMessage(`{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}`))
	var de *asl.DefinitionError
	if !errors.As(err, &de) || de.Location != "ItemProcessor.States.W.Type" {
		t.Errorf("%v", err)
	}
}
