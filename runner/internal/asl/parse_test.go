package asl_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

// processor is a valid ItemProcessor for definitions whose other fields are under test.
const processor = `"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
	"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "fn", "End": true}}}`

// mapState wraps Map state fields (without the ItemProcessor) in a bare Map state object.
func mapState(fields string) string {
	if fields != "" {
		fields += ","
	}
	return `{"Type": "Map", ` + fields + processor + `}`
}

// withStates builds a bare Map state whose ItemProcessor holds states (a JSON object's members).
func withStates(start, states string) string {
	return `{"Type": "Map", "ItemProcessor": {"StartAt": "` + start + `", "States": {` + states + `}}}`
}

func TestParseMapDefinitionErrors(t *testing.T) {
	tests := []struct {
		name, def, loc, reason string
	}{
		{"not JSON", `{"Type":`, "", "the definition is not valid JSON: unexpected end of JSON input"},
		{"neither state nor machine", `{"Comment": "x"}`, "", `the definition must be a Map state object ({"Type":"Map",…}) or a state machine ({"StartAt":…,"States":{…}})`},
		{"other state in machine", `{"StartAt": "M", "States": {"M": ` + strings.TrimSuffix(mapState(`"End": true`), "}") + `}, "Next": {"Type": "Pass", "End": true}}}`,
			"States.Next", `only the Map state "M" (StartAt) is run, so the state machine can hold no other state`},
		{"StartAt not a Map", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`, "States.P", `the StartAt state must be a Map state, got Type "Pass"`},
		{"Map must end the machine", `{"StartAt": "M", "States": {"M": ` + mapState("") + `}}`, "End", `required: the Map state must end the state machine ("End": true)`},
		{"unknown Map field", mapState(`"Items": [1]`), "Items", "field Items is not supported: Items belongs to JSONata states; only JSONPath definitions are supported (use ItemsPath)"},
		{"JSONata", mapState(`"QueryLanguage": "JSONata"`), "QueryLanguage", `"JSONata" is not supported: only JSONPath definitions are run`},
		{"field and its Path", mapState(`"MaxConcurrency": 2, "MaxConcurrencyPath": "$.m"`), "MaxConcurrencyPath", "MaxConcurrency and MaxConcurrencyPath cannot both be given"},
		{"negative MaxConcurrency", mapState(`"MaxConcurrency": -1`), "MaxConcurrency", "must be 0 (no limit) or more, got -1"},
		{"negative count", mapState(`"ToleratedFailureCount": -1`), "ToleratedFailureCount", "must be 0 or more, got -1"},
		{"percentage over 100", mapState(`"ToleratedFailurePercentage": 100.5`), "ToleratedFailurePercentage", "must be between 0 and 100, got 100.5"},
		{"ItemsPath not a reference path", mapState(`"ItemsPath": "$.a[*]"`), "ItemsPath", `"$.a[*]" is not a reference path: use only member names and single indexes, as in $.a.b[0]`},
		{"MaxItems over the limit", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}, "ReaderConfig": {"InputType": "CSV", "MaxItems": 100000001}}`),
			"ItemReader.ReaderConfig.MaxItems", "must be between 0 (no limit) and 100000000, got 100000001"},
		{"reader resource", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}}`),
			"ItemReader.Resource", `must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2, got "arn:aws:states:::s3:putObject"`},
		{"reader InputType", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}, "ReaderConfig": {"InputType": "XML"}}`),
			"ItemReader.ReaderConfig.InputType", `must be CSV, JSON, JSONL, PARQUET or MANIFEST, got "XML"`},
		{"GIVEN without headers", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key.$": "$.k"}, "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"}}`),
			"ItemReader.ReaderConfig.CSVHeaders", "required with CSVHeaderLocation GIVEN"},
		{"getObject without Key", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}, "ReaderConfig": {"InputType": "JSON"}}`),
			"ItemReader.Parameters.Key", "required with arn:aws:states:::s3:getObject"},
		{"empty ResultWriter", mapState(`"ResultWriter": {}`), "ResultWriter", "an empty ResultWriter is invalid: give Resource and Parameters (export), WriterConfig (format), or all three"},
		{"ResultWriter without Parameters", mapState(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"}`), "ResultWriter.Parameters", "required with Resource (Bucket, Prefix)"},
		{"Transformation", mapState(`"ResultWriter": {"WriterConfig": {"OutputType": "JSON", "Transformation": "ALL"}}`), "ResultWriter.WriterConfig.Transformation", `must be NONE, COMPACT or FLATTEN, got "ALL"`},
		{"OutputType", mapState(`"ResultWriter": {"WriterConfig": {"OutputType": "CSV"}}`), "ResultWriter.WriterConfig.OutputType", `must be JSON or JSONL, got "CSV"`},
		{"batcher without limit", mapState(`"ItemBatcher": {"BatchInput": {"a": 1}}`), "ItemBatcher", "needs MaxItemsPerBatch or MaxInputBytesPerBatch (or a Path form of one)"},
		{"ItemSelector path", mapState(`"ItemSelector": {"k.$": "$.a["}`), "ItemSelector.k.$", `invalid JSONPath "$.a[": unexpected end of path at offset 4`},
		{"no processor", `{"Type": "Map"}`, "ItemProcessor", "required"},
		{"bad Mode", `{"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "LOCAL"}, "StartAt": "W", "States": {"W": {"Type": "Succeed"}}}}`,
			"ItemProcessor.ProcessorConfig.Mode", `must be INLINE or DISTRIBUTED, got "LOCAL"`},
		{"Choice state", withStates("C", `"C": {"Type": "Choice", "Choices": [], "Default": "D"}, "D": {"Type": "Succeed"}`),
			"ItemProcessor.States.C.Type", "state type Choice is not supported in an ItemProcessor (Task, Pass, Succeed and Fail are)"},
		{"Parallel in Iterator", `{"Type": "Map", "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [], "End": true}}}}`,
			"Iterator.States.P.Type", "state type Parallel is not supported in an ItemProcessor (Task, Pass, Succeed and Fail are)"},
		{"StartAt names nothing", withStates("X", `"W": {"Type": "Succeed"}`), "ItemProcessor.StartAt", `no state named "X" in States`},
		{"Next names nothing", withStates("P", `"P": {"Type": "Pass", "Next": "Q"}`), "ItemProcessor.States.P.Next", `no state named "Q"`},
		{"unreachable", withStates("P", `"P": {"Type": "Pass", "End": true}, "Q": {"Type": "Succeed"}`), "ItemProcessor.States.Q", `state "Q" cannot be reached from StartAt "P"`},
		{"neither Next nor End", withStates("P", `"P": {"Type": "Pass"}`), "ItemProcessor.States.P.Next", `a Pass state needs Next or "End": true`},
		{"Next and End", withStates("P", `"P": {"Type": "Pass", "Next": "P", "End": true}`), "ItemProcessor.States.P.End", "Next and End cannot both be given"},
		{"Succeed with Next", withStates("S", `"S": {"Type": "Succeed", "Next": "S"}`), "ItemProcessor.States.S.Next", "field Next is not supported in a Succeed state"},
		{"loop without Task", withStates("A", `"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}`),
			"ItemProcessor.States.A.Next", "the states A → B → A loop forever: no Task state in the loop"},
		{"unsupported resource", withStates("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}`),
			"ItemProcessor.States.T.Resource", `resource "arn:aws:states:::sqs:sendMessage" is not supported: use arn:aws:states:::lambda:invoke, a Lambda function ARN, or a function name`},
		{"invoke without FunctionName", withStates("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"Payload.$": "$"}, "End": true}`),
			"ItemProcessor.States.T.Parameters.FunctionName", "required with arn:aws:states:::lambda:invoke"},
		{"Arguments", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Arguments": {}, "End": true}`),
			"ItemProcessor.States.T.Arguments", "field Arguments is not supported: Arguments belongs to JSONata states; only JSONPath definitions are supported (use Parameters)"},
		{"Assign", withStates("P", `"P": {"Type": "Pass", "Assign": {"x": 1}, "End": true}`),
			"ItemProcessor.States.P.Assign", "field Assign is not supported: variables (Assign) are not supported"},
		{"intrinsic", withStates("P", `"P": {"Type": "Pass", "Parameters": {"m.$": "States.Format('{}', $.a)"}, "End": true}`),
			"ItemProcessor.States.P.Parameters.m.$", "intrinsic function States.Format is not supported yet"},
		{"TimeoutSeconds 0", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "TimeoutSeconds": 0, "End": true}`),
			"ItemProcessor.States.T.TimeoutSeconds", "must be a positive integer of at most 99999999, got 0"},
		{"MaxAttempts negative", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}], "End": true}`),
			"ItemProcessor.States.T.Retry[0].MaxAttempts", "must be an integer from 0 to 99999999, got -1"},
		{"BackoffRate below 1", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}], "End": true}`),
			"ItemProcessor.States.T.Retry[0].BackoffRate", "must be at least 1.0, got 0.5"},
		{"IntervalSeconds fraction", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 1.5}], "End": true}`),
			"ItemProcessor.States.T.Retry[0].IntervalSeconds", "must be an integer, got 1.5"},
		{"JitterStrategy", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}], "End": true}`),
			"ItemProcessor.States.T.Retry[0].JitterStrategy", `must be FULL or NONE, got "HALF"`},
		{"States.ALL not alone", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [{"ErrorEquals": ["E", "States.ALL"]}], "End": true}`),
			"ItemProcessor.States.T.Retry[0].ErrorEquals[1]", "States.ALL must appear alone in ErrorEquals"},
		{"States.ALL not last", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}], "End": true}`),
			"ItemProcessor.States.T.Retry[0].ErrorEquals[0]", "States.ALL must appear in the last element of the array only"},
		{"empty ErrorEquals", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Catch": [{"ErrorEquals": [], "Next": "T"}], "End": true}`),
			"ItemProcessor.States.T.Catch[0].ErrorEquals", "must hold at least one error name"},
		{"Catch Next names nothing", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "Catch": [{"ErrorEquals": ["E"], "Next": "F"}], "End": true}`),
			"ItemProcessor.States.T.Catch[0].Next", `no state named "F"`},
		{"Fail without Error", withStates("F", `"F": {"Type": "Fail", "Cause": "c"}`),
			"ItemProcessor.States.F.Error", "a Fail state needs Error or ErrorPath: failed children are reported by their error name"},
		{"InvocationType Event", withStates("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "InvocationType": "Event"}, "End": true}`),
			"ItemProcessor.States.T.Parameters.InvocationType", `only RequestResponse is supported, got "Event"`},
		{"invoke FunctionName", withStates("T", `"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "a b"}, "End": true}`),
			"ItemProcessor.States.T.Parameters.FunctionName", `"a b" is not a function name, a name with a qualifier, or a Lambda function ARN`},
		{"bare function name", withStates("T", `"T": {"Type": "Task", "Resource": "my.fn", "End": true}`),
			"ItemProcessor.States.T.Resource", `"my.fn" is not a function name (1 to 64 letters, digits, hyphens or underscores), a Lambda function ARN or arn:aws:states:::lambda:invoke`},
		{"HeartbeatSeconds not below TimeoutSeconds", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true}`),
			"ItemProcessor.States.T.HeartbeatSeconds", "must be less than TimeoutSeconds (5), got 5"},
		{"TimeoutSeconds and its Path", withStates("T", `"T": {"Type": "Task", "Resource": "fn", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", "End": true}`),
			"ItemProcessor.States.T.TimeoutSecondsPath", "TimeoutSeconds and TimeoutSecondsPath cannot both be given"},
		{"InputPath reads the context", withStates("P", `"P": {"Type": "Pass", "InputPath": "$$.Execution.Input", "End": true}`),
			"ItemProcessor.States.P.InputPath", `the context object ("$$") cannot be read here; use a path starting with "$"`},
		{"ExecutionType with INLINE", `{"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE", "ExecutionType": "EXPRESS"}, "StartAt": "W", "States": {"W": {"Type": "Succeed"}}}}`,
			"ItemProcessor.ProcessorConfig.ExecutionType", "is for Mode DISTRIBUTED only"},
		{"headers with FIRST_ROW", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}, "ReaderConfig": {"InputType": "CSV", "CSVHeaders": ["a"]}}`),
			"ItemReader.ReaderConfig.CSVHeaders", "needs CSVHeaderLocation GIVEN"},
		{"delimiter without CSV", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}, "ReaderConfig": {"InputType": "JSON", "CSVDelimiter": "PIPE"}}`),
			"ItemReader.ReaderConfig.CSVDelimiter", "is for InputType CSV only"},
		{"listObjectsV2 with InputType", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"}, "ReaderConfig": {"InputType": "CSV"}}`),
			"ItemReader.ReaderConfig.InputType", "is for arn:aws:states:::s3:getObject only: arn:aws:states:::s3:listObjectsV2 items are the listed objects"},
		{"reader parameter", mapState(`"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "MaxKeys": 5}}`),
			"ItemReader.Parameters.MaxKeys", "field MaxKeys is not supported with arn:aws:states:::s3:listObjectsV2 (use Bucket, Prefix)"},
		{"writer resource", mapState(`"ResultWriter": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}`),
			"ResultWriter.Resource", `must be arn:aws:states:::s3:putObject, got "arn:aws:states:::s3:getObject"`},
		{"ItemSelector and Parameters", mapState(`"ItemSelector": {}, "Parameters": {}`), "Parameters", "ItemSelector and its legacy alias Parameters cannot both be given"},
		{"Catch on the Map in a machine", `{"StartAt": "M", "States": {"M": ` + strings.TrimSuffix(mapState(`"End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]`), "}") + `}}}`,
			"Catch[0].Next", `no state named "F": only the Map state is run`},
		{"duplicate field", withStates("P", `"P": {"Type": "Pass", "End": true, "End": true}`), "ItemProcessor.States.P.End", `duplicate field "End"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := asl.ParseMap([]byte(tt.def))
			var de *asl.DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T), want a *DefinitionError", err, err)
			}
			if de.Location != tt.loc || de.Reason != tt.reason {
				t.Errorf("got  %q: %q\nwant %q: %q", de.Location, de.Reason, tt.loc, tt.reason)
			}
		})
	}
}

func TestParseMapStateMachine(t *testing.T) {
	def := `{
	  "Comment": "CSV rows through a Lambda function",
	  "StartAt": "MapState",
	  "States": {
	    "MapState": {
	      "Type": "Map",
	      "ItemReader": {
	        "Resource": "arn:aws:states:::s3:getObject",
	        "Parameters": {"Bucket": "data", "Key.$": "$.key"},
	        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.MaxItems"}
	      },
	      "ItemSelector": {"row.$": "$$.Map.Item.Value"},
	      "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"k.$": "$.key"}},
	      "MaxConcurrency": 4,
	      "ToleratedFailurePercentage": 0.5,
	      "Label": "rows",
	      "ItemProcessor": {
	        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
	        "StartAt": "Prepare",
	        "States": {
	          "Prepare": {"Type": "Pass", "Next": "Work"},
	          "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work:$LATEST", "Next": "Save",
	                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]},
	          "Save": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "123456789012:function:save", "Payload.$": "$"}, "Next": "Dynamic"},
	          "Dynamic": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn"}, "Next": "Bare"},
	          "Bare": {"Type": "Task", "Resource": "notify", "End": true},
	          "Failed": {"Type": "Fail", "Error": "RowFailed"}
	        }
	      },
	      "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "runs"}},
	      "ResultPath": null,
	      "End": true
	    }
	  }
	}`
	m, err := asl.ParseMap([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "MapState" || m.Label != "rows" || *m.MaxConcurrency != 4 || *m.ToleratedFailurePercentage != 0.5 {
		t.Errorf("fields: %+v", m)
	}
	if m.ResultPath == nil || *m.ResultPath != asl.NullPath || m.InputPath != nil {
		t.Errorf("paths: ResultPath %v, InputPath %v", m.ResultPath, m.InputPath)
	}
	if m.ItemSelectorField != "ItemSelector" || string(m.ItemSelector) != `{"row.$":"$$.Map.Item.Value"}` {
		t.Errorf("ItemSelector %s %s", m.ItemSelectorField, m.ItemSelector)
	}
	rc := m.ItemReader.ReaderConfig
	if m.ItemReader.Resource != asl.ResourceGetObject || rc.InputType != "CSV" || rc.MaxItemsPath != "$.MaxItems" || rc.MaxItems != nil {
		t.Errorf("ItemReader %+v", m.ItemReader)
	}
	if m.ItemBatcher.MaxItemsPerBatch != 10 || string(m.ItemBatcher.BatchInput) != `{"k.$":"$.key"}` {
		t.Errorf("ItemBatcher %+v", m.ItemBatcher)
	}
	if m.ResultWriter.Resource != asl.ResourcePutObject || m.ResultWriter.WriterConfig != nil {
		t.Errorf("ResultWriter %+v", m.ResultWriter)
	}
	p := m.Processor
	if p.StartAt != "Prepare" || p.Mode != asl.ModeDistributed || p.ExecutionType != asl.ExecutionExpress {
		t.Errorf("Processor %+v", p)
	}
	want := []asl.FunctionRef{
		{Name: "work", Location: "ItemProcessor.States.Work.Resource"},
		{Name: "save", Location: "ItemProcessor.States.Save.Parameters.FunctionName"},
		{Name: "notify", Location: "ItemProcessor.States.Bare.Resource"},
	}
	if got := p.Functions(); !reflect.DeepEqual(got, want) {
		t.Errorf("Functions\ngot  %+v\nwant %+v", got, want)
	}
}

func TestParseMapLegacyForms(t *testing.T) {
	m, err := asl.ParseMap([]byte(`{"Type": "Map", "Parameters": {"v.$": "$$.Map.Item.Value"}, "Next": "Elsewhere",
		"Iterator": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "S", "States": {"S": {"Type": "Succeed"}}},
		"Retry": [{"ErrorEquals": ["States.ItemReaderFailed"]}],
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover", "ResultPath": "$.error"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Map" || m.ItemSelectorField != "Parameters" || m.Processor.Mode != asl.ModeDistributed || m.Processor.ExecutionType != asl.ExecutionStandard {
		t.Errorf("%+v", m)
	}
	r := m.Retry[0]
	if r.IntervalSeconds != 1 || r.MaxAttempts != 3 || r.BackoffRate != 2 || r.JitterStrategy != "NONE" || r.MaxDelaySeconds != 0 {
		t.Errorf("retrier defaults %+v", r)
	}
	if c := m.Catch[0]; c.Next != "Recover" || *c.ResultPath != "$.error" {
		t.Errorf("catcher %+v", c)
	}
	// Without ProcessorConfig the Map is INLINE, as in Step Functions.
	m, err = asl.ParseMap([]byte(withStates("S", `"S": {"Type": "Succeed"}`)))
	if err != nil || m.Processor.Mode != asl.ModeInline {
		t.Errorf("inline: %v %+v", err, m)
	}
}
