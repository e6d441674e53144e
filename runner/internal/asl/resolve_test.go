package asl_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

// machine wraps Map state fields in a state machine whose Map state is named "MapState", as in
// the recorded AWS cases.
func machine(fields string) []byte {
	return []byte(`{"StartAt": "MapState", "States": {"MapState": ` + strings.TrimSuffix(mapState(fields), "}") + `, "End": true}}}`)
}

const prefix = "An error occurred while executing the state 'MapState' (entered at the event id #2). "

const csvReader = `"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"},
	"ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", %s}}`

func reader(cfg string) string { return strings.Replace(csvReader, "%s", cfg, 1) }

func TestResolve(t *testing.T) {
	type want struct {
		maxConcurrency, maxItems int64
		negative                 bool
		count                    *int64
		percent                  *float64
	}
	i64 := func(n int64) *int64 { return &n }
	f64 := func(f float64) *float64 { return &f }
	tests := []struct {
		name, fields, input string
		want                want
		cause               string // States.Runtime cause after the prefix, "" for success
	}{
		// ASL reference §6: MaxConcurrencyPath.
		{"MaxConcurrencyPath object", `"MaxConcurrencyPath": "$.MaxConcurrencyValue"`, `{"MaxConcurrencyValue": {}}`, want{},
			`The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue`},
		{"MaxConcurrencyPath string", `"MaxConcurrencyPath": "$.MaxConcurrencyValue"`, `{"MaxConcurrencyValue": "NoNumber"}`, want{},
			`The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue`},
		{"MaxConcurrencyPath 0", `"MaxConcurrencyPath": "$.MaxConcurrencyValue"`, `{"MaxConcurrencyValue": 0}`, want{}, ""},
		{"MaxConcurrencyPath 1", `"MaxConcurrencyPath": "$.MaxConcurrencyValue"`, `{"MaxConcurrencyValue": 1}`, want{maxConcurrency: 1}, ""},
		{"MaxConcurrencyPath numeric string", `"MaxConcurrencyPath": "$.MaxConcurrencyValue"`, `{"MaxConcurrencyValue": "1"}`, want{maxConcurrency: 1}, ""},
		{"MaxConcurrency literal", `"MaxConcurrency": 7`, `{}`, want{maxConcurrency: 7}, ""},
		// §7: ToleratedFailureCountPath.
		{"count object", `"ToleratedFailureCountPath": "$.ToleratedFailureCount"`, `{"ToleratedFailureCount": {}}`, want{},
			`The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.ToleratedFailureCount`},
		{"count string", `"ToleratedFailureCountPath": "$.ToleratedFailureCount"`, `{"ToleratedFailureCount": "NoNumber"}`, want{},
			`The ToleratedFailureCountPath field refers to value "NoNumber" which is not a valid integer: $.ToleratedFailureCount`},
		{"count negative", `"ToleratedFailureCountPath": "$.ToleratedFailureCount"`, `{"ToleratedFailureCount": -1}`, want{},
			`ToleratedFailureCount cannot be negative.`},
		{"count 0", `"ToleratedFailureCountPath": "$.ToleratedFailureCount"`, `{"ToleratedFailureCount": 0}`, want{count: i64(0)}, ""},
		{"count 1", `"ToleratedFailureCountPath": "$.ToleratedFailureCount"`, `{"ToleratedFailureCount": 1}`, want{count: i64(1)}, ""},
		{"count numeric string", `"ToleratedFailureCountPath": "$.ToleratedFailureCount"`, `{"ToleratedFailureCount": "1"}`, want{count: i64(1)}, ""},
		{"count literal", `"ToleratedFailureCount": 3`, `{}`, want{count: i64(3)}, ""},
		// §7: ToleratedFailurePercentagePath.
		{"percentage object", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": {}}`, want{},
			`The ToleratedFailurePercentagePath field refers to value "{}" which is not a valid float: $.ToleratedFailurePercentage`},
		{"percentage string", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": "NoNumber"}`, want{},
			`The ToleratedFailurePercentagePath field refers to value "NoNumber" which is not a valid float: $.ToleratedFailurePercentage`},
		{"percentage -1", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": -1}`, want{},
			`ToleratedFailurePercentage must be between 0 and 100.`},
		{"percentage -1.1", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": -1.1}`, want{},
			`ToleratedFailurePercentage must be between 0 and 100.`},
		{"percentage 100.1", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": 100.1}`, want{},
			`ToleratedFailurePercentage must be between 0 and 100.`},
		{"percentage 0", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": 0}`, want{percent: f64(0)}, ""},
		{"percentage 1.1", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": 1.1}`, want{percent: f64(1.1)}, ""},
		{"percentage 100", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": 100}`, want{percent: f64(100)}, ""},
		{"percentage numeric string", `"ToleratedFailurePercentagePath": "$.ToleratedFailurePercentage"`, `{"ToleratedFailurePercentage": "1"}`, want{percent: f64(1)}, ""},
		{"percentage literal", `"ToleratedFailurePercentage": 0.5`, `{}`, want{percent: f64(0.5)}, ""},
		// §3.2: MaxItems.
		{"MaxItems 0", reader(`"MaxItems": 0`), `{}`, want{}, ""},
		{"MaxItems 2", reader(`"MaxItems": 2`), `{}`, want{maxItems: 2}, ""},
		{"MaxItems 100000000", reader(`"MaxItems": 100000000`), `{}`, want{maxItems: 100000000}, ""},
		{"MaxItemsPath 100000001", reader(`"MaxItemsPath": "$.MaxItems"`), `{"MaxItems": 100000001}`, want{maxItems: 100000001}, ""},
		{"MaxItemsPath 0", reader(`"MaxItemsPath": "$.MaxItems"`), `{"MaxItems": 0}`, want{}, ""},
		{"MaxItemsPath -1", reader(`"MaxItemsPath": "$.MaxItems"`), `{"MaxItems": -1}`, want{negative: true}, ""},
		{"MaxItemsPath 1.5", reader(`"MaxItemsPath": "$.MaxItems"`), `{"MaxItems": 1.5}`, want{},
			`The MaxItemsPath field refers to value "1.5" which is not a valid integer: $.MaxItems`},
		{"MaxItemsPath string 2", reader(`"MaxItemsPath": "$.MaxItems"`), `{"MaxItems": "2"}`, want{maxItems: 2}, ""},
		// A path that selects nothing: Jayway's message, as for InputPath.
		{"MaxConcurrencyPath missing", `"MaxConcurrencyPath": "$.m"`, `{}`, want{}, `Invalid path '$.m' : No results for path: $['m']`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := asl.ParseMap(machine(tt.fields))
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.Resolve(json.RawMessage(tt.input))
			if tt.cause != "" {
				var se *asl.StatesError
				if !errors.As(err, &se) || se.Name != "States.Runtime" || se.Cause != prefix+tt.cause {
					t.Fatalf("error %v\nwant States.Runtime: %s%s", err, prefix, tt.cause)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if s.MaxConcurrency != w.maxConcurrency || s.MaxItems != w.maxItems || s.MaxItemsNegative != w.negative {
				t.Errorf("MaxConcurrency %d, MaxItems %d, negative %v; want %+v", s.MaxConcurrency, s.MaxItems, s.MaxItemsNegative, w)
			}
			if (s.ToleratedFailureCount == nil) != (w.count == nil) || w.count != nil && *s.ToleratedFailureCount != *w.count {
				t.Errorf("ToleratedFailureCount %v, want %v", s.ToleratedFailureCount, w.count)
			}
			if (s.ToleratedFailurePercentage == nil) != (w.percent == nil) || w.percent != nil && *s.ToleratedFailurePercentage != *w.percent {
				t.Errorf("ToleratedFailurePercentage %v, want %v", s.ToleratedFailurePercentage, w.percent)
			}
		})
	}
}

func TestResolveTemplates(t *testing.T) {
	m, err := asl.ParseMap(machine(`"InputPath": "$.job",
		"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket.$": "$.bucket", "Prefix": "in/"}},
		"ItemBatcher": {"MaxItemsPerBatchPath": "$.per", "MaxInputBytesPerBatch": 15000, "BatchInput": {"run.$": "$.run", "at.$": "$$.Execution.StartTime"}},
		"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix.$": "$.run"}, "WriterConfig": {"OutputType": "JSONL"}}`))
	if err != nil {
		t.Fatal(err)
	}
	eff, err := m.Effective(json.RawMessage(`{"job": {"bucket": "photos", "per": "2", "run": "r1"}, "other": 1}`))
	if err != nil || string(eff) != `{"bucket":"photos","per":"2","run":"r1"}` {
		t.Fatalf("Effective: %s, %v", eff, err)
	}
	s, err := m.ResolveContext(eff, json.RawMessage(`{"Execution": {"StartTime": "2025-01-01T00:00:00.000Z"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.ReaderParameters) != `{"Bucket":"photos","Prefix":"in/"}` || string(s.WriterParameters) != `{"Bucket":"out","Prefix":"r1"}` {
		t.Errorf("parameters: %s %s", s.ReaderParameters, s.WriterParameters)
	}
	if s.MaxItemsPerBatch != 2 || s.MaxInputBytesPerBatch != 15000 || string(s.BatchInput) != `{"run":"r1","at":"2025-01-01T00:00:00.000Z"}` {
		t.Errorf("batcher: %d %d %s", s.MaxItemsPerBatch, s.MaxInputBytesPerBatch, s.BatchInput)
	}
	_, err = m.Resolve(json.RawMessage(`{"per": 1, "run": "r"}`))
	want := prefix + `The JSONPath '$.bucket' specified for the field 'Bucket.$' could not be found in the input '{"per":1,"run":"r"}'`
	if se, ok := err.(*asl.StatesError); !ok || se.Cause != want {
		t.Errorf("missing bucket: %v\nwant %s", err, want)
	}
}

func TestEffectiveAndItems(t *testing.T) {
	m, err := asl.ParseMap(machine(`"InputPath": "$.detail", "ItemsPath": "$.shipped"`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Effective(json.RawMessage(`{"other": 1}`)); err == nil || err.(*asl.StatesError).Cause != prefix+`Invalid path '$.detail' : No results for path: $['detail']` {
		t.Errorf("Effective: %v", err)
	}
	eff, _ := m.Effective(json.RawMessage(`{"detail": {"shipped": [{"b": 1, "a": 2}, 3]}}`))
	items, err := m.Items(eff)
	if err != nil || string(items) != `[{"b":1,"a":2},3]` {
		t.Errorf("Items: %s, %v", items, err)
	}
	_, err = m.Items(json.RawMessage(`{"shipped": {"a": 1}}`))
	if se, ok := err.(*asl.StatesError); !ok || se.Name != "States.Runtime" || se.Cause != prefix+`The ItemsPath field refers to value "{"a":1}" which is not a valid array: $.shipped` {
		t.Errorf("non-array: %v", err)
	}
	if _, err = m.Items(json.RawMessage(`{}`)); err == nil || err.(*asl.StatesError).Cause != prefix+`Invalid path '$.shipped' : No results for path: $['shipped']` {
		t.Errorf("missing: %v", err)
	}
	// InputPath null gives {}; no ItemsPath means the whole effective input.
	m, _ = asl.ParseMap(machine(`"InputPath": null`))
	if eff, _ := m.Effective(json.RawMessage(`[1]`)); string(eff) != `{}` {
		t.Errorf("InputPath null: %s", eff)
	}
	if items, err := m.Items(json.RawMessage(`[1, 2]`)); string(items) != `[1,2]` || err != nil {
		t.Errorf("Items $: %s %v", items, err)
	}
}

func TestOutput(t *testing.T) {
	input := json.RawMessage(`{"z": 1, "job": {"id": "j"}}`)
	result := json.RawMessage(`[{"ok": true}, {"ok": false}]`)
	tests := []struct{ fields, want, cause string }{
		{``, `[{"ok":true},{"ok":false}]`, ""},
		{`"ResultPath": null`, `{"z":1,"job":{"id":"j"}}`, ""},
		{`"ResultPath": "$.job.results"`, `{"z":1,"job":{"id":"j","results":[{"ok":true},{"ok":false}]}}`, ""},
		{`"ResultPath": "$.out", "OutputPath": "$.out[1]"`, `{"ok":false}`, ""},
		{`"ResultSelector": {"first.$": "$[0]", "n": 2}, "ResultPath": "$.r"`, `{"z":1,"job":{"id":"j"},"r":{"first":{"ok":true},"n":2}}`, ""},
		{`"OutputPath": null`, `{}`, ""},
		{`"ResultPath": "$.z.x"`, "", `Unable to apply ReferencePath $.z.x to input {"z":1,"job":{"id":"j"}}`},
		{`"OutputPath": "$.nothing"`, "", `Invalid path '$.nothing' : No results for path: $['nothing']`},
		{`"ResultSelector": {"x.$": "$.a"}`, "", `The JSONPath '$.a' specified for the field 'x.$' could not be found in the input '[{"ok":true},{"ok":false}]'`},
	}
	for _, tt := range tests {
		m, err := asl.ParseMap(machine(tt.fields))
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Output(input, result)
		if tt.cause != "" {
			if se, ok := err.(*asl.StatesError); !ok || se.Name != "States.Runtime" || se.Cause != prefix+tt.cause {
				t.Errorf("%s: %v\nwant %s", tt.fields, err, tt.cause)
			}
			continue
		}
		if err != nil || string(out) != tt.want {
			t.Errorf("%s: %s, %v\nwant %s", tt.fields, out, err, tt.want)
		}
	}
}

func TestCaught(t *testing.T) {
	m, err := asl.ParseMap([]byte(mapState(`"Catch": [
		{"ErrorEquals": ["States.ItemReaderFailed"], "ResultPath": "$.readError", "Next": "A"},
		{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "B"}]`)))
	if err != nil {
		t.Fatal(err)
	}
	input := json.RawMessage(`{"k": "v"}`)
	out, ok, err := m.Caught(input, "States.ItemReaderFailed", "CSV headers cannot contain duplicates.")
	if !ok || err != nil || string(out) != `{"k":"v","readError":{"Error":"States.ItemReaderFailed","Cause":"CSV headers cannot contain duplicates."}}` {
		t.Errorf("reader failure: %s %v %v", out, ok, err)
	}
	out, ok, _ = m.Caught(input, "States.ExceedToleratedFailureThreshold", `The "cause"`)
	if !ok || string(out) != `{"k":"v"}` {
		t.Errorf("States.ALL with ResultPath null: %s %v", out, ok)
	}
	if _, ok, _ := m.Caught(input, "States.Runtime", "x"); ok {
		t.Error("States.Runtime was caught")
	}
	m, _ = asl.ParseMap([]byte(mapState(`"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}]`)))
	if out, _, _ := m.Caught(input, "E", "a \"quoted\"\ncause"); string(out) != `{"Error":"E","Cause":"a \"quoted\"\ncause"}` {
		t.Errorf("default ResultPath: %s", out)
	}
}
