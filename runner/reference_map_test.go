package runner_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner"
)

// §4: ItemSelector and the context object.
func TestReference4ItemSelector(t *testing.T) {
	legacy := func(fields string) string {
		return `{"Type":"Map",` + fields + `"Iterator":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`
	}
	runRefTable(t, []refCase{
		{name: "§4 REC:distributed_item_selector: \"fromInput.$\": \"$\" gives the whole Map input in every item",
			def: refPass(`"ItemSelector":{"fromInput.$":"$","item.$":"$$.Map.Item.Value"},`), input: `[{"a":1},{"a":2}]`,
			want: `[{"fromInput":[{"a":1},{"a":2}],"item":{"a":1}},{"fromInput":[{"a":1},{"a":2}],"item":{"a":2}}]`},
		{name: "§4 ✔ IS: .$ paths read the Map state's input, not the item",
			def: refPass(`"ItemsPath":"$.items","ItemSelector":{"k.$":"$.k"},`), input: `{"k":"input","items":[{"k":"item0"},{"k":"item1"}]}`,
			want: `[{"k":"input"},{"k":"input"}]`},
		{name: "§4 ✔ IS: $$.Map.Item.Value is the item and $$.Map.Item.Index its 0-based position",
			def: refPass(`"ItemsPath":"$.items","ItemSelector":{"index.$":"$$.Map.Item.Index","value.$":"$$.Map.Item.Value"},`), input: `{"items":["a","b","c"]}`,
			want: `[{"index":0,"value":"a"},{"index":1,"value":"b"},{"index":2,"value":"c"}]`},
		{name: "§4 REC:distributed_item_selector_variable_not_expanded_without_dollar_suffix: \"bucketName\": \"$bucket\" is a literal",
			def: refPass(`"ItemsPath":"$.items","ItemSelector":{"bucketName":"$bucket","item.$":"$$.Map.Item.Value"},`), input: `{"items":[1,2],"bucket":"real"}`,
			want: `[{"bucketName":"$bucket","item":1},{"bucketName":"$bucket","item":2}]`},
		{name: "§4 ✔ IS: keys without .$ are literals even when they look like paths",
			def: refPass(`"ItemsPath":"$.items","ItemSelector":{"p":"$.items","c":"$$.Map.Item.Value","n":{"q":"$"}},`), input: `{"items":[1]}`,
			want: `[{"p":"$.items","c":"$$.Map.Item.Value","n":{"q":"$"}}]`},
		{name: "§4 REC:distributed_nested_no_max_concurrency_with_task: nested fields such as $$.Map.Item.Value.innerJobs",
			def:   refPass(`"ItemsPath":"$.jobs","ItemSelector":{"inner.$":"$$.Map.Item.Value.innerJobs","first.$":"$$.Map.Item.Value.innerJobs[0].id"},`),
			input: `{"jobs":[{"innerJobs":[{"id":1},{"id":2}]},{"innerJobs":[{"id":3}]}]}`,
			want:  `[{"inner":[{"id":1},{"id":2}],"first":1},{"inner":[{"id":3}],"first":3}]`},
		{name: "§4 ✔ IS: a nested object in the template is evaluated too",
			def: refPass(`"ItemsPath":"$.items","ItemSelector":{"outer":{"index.$":"$$.Map.Item.Index","cfg.$":"$.cfg"},"lit":[1,"$"]},`), input: `{"items":["x"],"cfg":{"m":"fast"}}`,
			want: `[{"outer":{"index":0,"cfg":{"m":"fast"}},"lit":[1,"$"]}]`},
		{name: "§4 REC:inline_item_selector_jsonpath: InputPath applies first, so ItemsPath and ItemSelector read the filtered input",
			def:   refPass(`"InputPath":"$.detail","ItemsPath":"$.shipped","ItemSelector":{"parcel.$":"$$.Map.Item.Value","courier.$":"$.delivery-partner"},`),
			input: `{"detail":{"delivery-partner":"UQS","shipped":[{"prod":"R31","dest-code":9511,"quantity":1344},{"prod":"S39","dest-code":9511,"quantity":40}]},"delivery-partner":"outer"}`,
			want:  `[{"parcel":{"prod":"R31","dest-code":9511,"quantity":1344},"courier":"UQS"},{"parcel":{"prod":"S39","dest-code":9511,"quantity":40},"courier":"UQS"}]`},
		{name: "§4 ✔ IS: without ItemSelector the child input is the raw item",
			def: refPass(`"ItemsPath":"$.items",`), input: `{"items":[{"k":[1,{"x":null}]},"s",2.50,true,null]}`,
			want: `[{"k":[1,{"x":null}]},"s",2.50,true,null]`},
		{name: "§4 ✔ IS: ItemSelector over ItemReader items (CSV): $$.Map.Item.Value.Col1",
			def:  refPass(refCSV(``) + `"ItemSelector":{"name.$":"$$.Map.Item.Value.name","index.$":"$$.Map.Item.Index","src.$":"$.src"},`),
			data: map[string]string{"data.csv": "name,age\nada,36\nbob,41\n"}, input: `{"src":"people"}`,
			want: `[{"name":"ada","index":0,"src":"people"},{"name":"bob","index":1,"src":"people"}]`},
		{name: "§4 ◌ FIELDS/IB: ItemSelector runs per item, before batching",
			def: refPass(`"ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},"ItemBatcher":{"MaxItemsPerBatch":2},`), input: `{"items":["a","b","c"]}`,
			want: `[{"Items":[{"v":"a","i":0},{"v":"b","i":1}]},{"Items":[{"v":"c","i":2}]}]`},
		{name: "§4 REC:distributed_parameters: legacy Parameters behaves as ItemSelector",
			def: refPass(`"ItemsPath":"$.items","Parameters":{"v.$":"$$.Map.Item.Value","k.$":"$.k","lit":"$k"},`), input: `{"items":[1,2],"k":"K"}`,
			want: `[{"v":1,"k":"K","lit":"$k"},{"v":2,"k":"K","lit":"$k"}]`},
		{name: "§1 REC:distributed_legacy_iterator_field: Iterator with ProcessorConfig DISTRIBUTED runs as a Distributed Map",
			def: legacy(`"ItemsPath":"$.items",`), input: `{"items":[1,2,3]}`, want: `[1,2,3]`},
		{name: "§4 REC:distributed_legacy_iterator_parameters: legacy Iterator and Parameters",
			def: legacy(`"ItemsPath":"$.items","Parameters":{"v.$":"$$.Map.Item.Value"},`), input: `{"items":[1,2]}`, want: `[{"v":1},{"v":2}]`},
	})
}

// §5: ItemBatcher.
func TestReference5ItemBatcher(t *testing.T) {
	str100 := func(c string) string { return `"` + strings.Repeat(c, 98) + `"` } // 100 bytes of JSON
	big := `[` + str100("a") + `,` + str100("b") + `,` + str100("c") + `,` + str100("d") + `,` + str100("e") + `]`
	five := `{"items":[1,2,3,4,5]}`
	runRefTable(t, []refCase{
		{name: "§5 REC:itembatcher_path_variables: MaxItemsPerBatchPath and MaxInputBytesPerBatchPath take numeric strings; one output per batch",
			def:   refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatchPath":"$.n","MaxInputBytesPerBatchPath":"$.bytes"},`),
			input: `{"items":[1,2,3,4],"n":"2","bytes":"15000"}`,
			want:  `[{"Items":[1,2]},{"Items":[3,4]}]`},
		{name: "§5 ✔ IB: the child input is {\"Items\":[…]} with no BatchInput key when BatchInput is not set",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":3},`), input: five,
			want: `[{"Items":[1,2,3]},{"Items":[4,5]}]`},
		{name: "§5 REC:itembatcher_*_with_batch_input: with BatchInput the child input is {\"BatchInput\":…,\"Items\":[…]}",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"k":"v","n":[1]}},`), input: `{"items":[1,2,3]}`,
			want: `[{"BatchInput":{"k":"v","n":[1]},"Items":[1,2]},{"BatchInput":{"k":"v","n":[1]},"Items":[3]}]`},
		{name: "§5 SCHEMA: BatchInput may be any JSON value",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":[1,"$.x",null]},`), input: `{"items":[1],"x":2}`,
			want: `[{"BatchInput":[1,"$.x",null],"Items":[1]}]`},
		{name: "§5 REC: BatchInput paths read the Map state's input",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":5,"BatchInput":{"cfg.$":"$.cfg","lit":"$cfg"}},`), input: `{"items":[1,2],"cfg":{"mode":"fast"}}`,
			want: `[{"BatchInput":{"cfg":{"mode":"fast"},"lit":"$cfg"},"Items":[1,2]}]`},
		{name: "§5 ✔ IB: MaxInputBytesPerBatch closes a batch before it would pass the limit",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxInputBytesPerBatch":250},"ItemSelector":{"n.$":"$$.Map.Item.Index"},`), input: `{"items":` + big + `}`,
			want: `[{"Items":[{"n":0},{"n":1},{"n":2},{"n":3},{"n":4}]}]`},
		{name: "§5 ✔ IB: MaxInputBytesPerBatch counts the serialized items (100-byte items, 250 bytes: 2 a batch)",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxInputBytesPerBatch":250},`), input: `{"items":` + big + `}`,
			want: `[{"Items":[` + str100("a") + `,` + str100("b") + `]},{"Items":[` + str100("c") + `,` + str100("d") + `]},{"Items":[` + str100("e") + `]}]`},
		{name: "§5 ✔ IB: with both limits, the first reached closes the batch",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":3,"MaxInputBytesPerBatch":250},"ItemSelector":{"n.$":"$$.Map.Item.Index"},`), input: `{"items":` + big + `}`,
			want: `[{"Items":[{"n":0},{"n":1},{"n":2}]},{"Items":[{"n":3},{"n":4}]}]`},
		{name: "§5 SCHEMA: MaxItemsPerBatch is at least 1",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":0},`), input: five, invalid: "Definition.ItemBatcher.MaxItemsPerBatch"},
		{name: "§5 ◌ IB: MaxInputBytesPerBatch is at most the 256 KiB payload",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxInputBytesPerBatch":262145},`), input: five, invalid: "Definition.ItemBatcher.MaxInputBytesPerBatch"},
		{name: "§5 ◌ CDK: an ItemBatcher needs an item or a byte limit",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"BatchInput":{"a":1}},`), input: five, invalid: "Definition.ItemBatcher"},
		{name: "§5 API: itemCounts count items, executionCounts child executions",
			def: refPass(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2},`), input: five,
			want:  `[{"Items":[1,2]},{"Items":[3,4]},{"Items":[5]}]`,
			check: refCounts(runner.Counts{Succeeded: 5, Total: 5, ResultsWritten: 5}, runner.Counts{Succeeded: 3, Total: 3, ResultsWritten: 3})},
		{name: "§5 ✔ IB/API: tolerance counts items: 3 failed batches of 5 items exceed ToleratedFailureCount 4",
			def: refFail(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2},"MaxConcurrency":1,"ToleratedFailureCount":4,`), input: five,
			wantErr: "States.ExceedToleratedFailureThreshold", causeRE: `.`,
			check: refCounts(runner.Counts{Failed: 5, Total: 5, ResultsWritten: 5}, runner.Counts{Failed: 3, Total: 3, ResultsWritten: 3})},
		{name: "§5 ✔ IB/API: tolerance counts items: ToleratedFailureCount 5 tolerates 3 failed batches of 5 items",
			def: refFail(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2},"MaxConcurrency":1,"ToleratedFailureCount":5,`), input: five,
			check: refAll(refNoneOutput("Map",
				refFailedRec(`{"Items":[1,2]}`, "Child.Failed", "on purpose"),
				refFailedRec(`{"Items":[3,4]}`, "Child.Failed", "on purpose"),
				refFailedRec(`{"Items":[5]}`, "Child.Failed", "on purpose")),
				refCounts(runner.Counts{Failed: 5, Total: 5, ResultsWritten: 5}, runner.Counts{Failed: 3, Total: 3, ResultsWritten: 3}))},
		{name: "§5 ✔ IB/API: ToleratedFailurePercentage counts items: a failed batch of 2 of 3 items (66.7%) exceeds 60",
			def: refPickFirst(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2},"MaxConcurrency":1,"ToleratedFailurePercentage":60,`), guest: true,
			input: `{"items":[{"op":"error"},{"op":"x"},{"op":"echo"}]}`, wantErr: "States.ExceedToleratedFailureThreshold", causeRE: `.`},
		{name: "§5 ✔ IB/API: ToleratedFailurePercentage counts items: a failed batch of 2 of 3 items (66.7%) is within 67",
			def: refPickFirst(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":2},"MaxConcurrency":1,"ToleratedFailurePercentage":67,`), guest: true,
			input: `{"items":[{"op":"error"},{"op":"x"},{"op":"echo"}]}`,
			check: refAll(refNoneOutput("Map",
				refFailedRec(`{"Items":[{"op":"error"},{"op":"x"}]}`, "InvalidOrderError", `{"errorMessage":"order is invalid","errorType":"InvalidOrderError"}`),
				`[{"op":"echo"}]`),
				refCounts(runner.Counts{Succeeded: 1, Failed: 2, Total: 3, ResultsWritten: 3}, runner.Counts{Succeeded: 1, Failed: 1, Total: 2, ResultsWritten: 2}))},
	})
}

// refPickFirst is a Distributed Map state with fields whose child invokes the test guest with the
// op of its batch's first item, and the batch's items as the value to echo.
func refPickFirst(fields string) string {
	return `{"Type":"Map",` + fields + refProcessor("Pick", `"Pick":{"Type":"Pass","Parameters":{"op.$":"$.Items[0].op","value.$":"$.Items"},"Next":"T"},`+
		`"T":{"Type":"Task","Resource":"guest","End":true}`) + `,"End":true}`
}

// §6: concurrency. The state is named MapState, as in the recordings.
func TestReference6Concurrency(t *testing.T) {
	mc := refMachine(refPass(`"ItemsPath":"$.items","MaxConcurrencyPath":"$.MaxConcurrencyValue",`))
	prefix := runtimePrefix
	maxConcurrency := func(n int) func(r *refResult) error {
		return func(r *refResult) error {
			if r.rep.MaxConcurrency != n {
				return fmt.Errorf("maxConcurrency %d, want %d", r.rep.MaxConcurrency, n)
			}
			return nil
		}
	}
	var slow []string
	var want []string
	for i := range 6 {
		slow = append(slow, fmt.Sprintf(`{"op":"echo","value":%d,"sleepMs":%d}`, i, 20*(5-i)))
		want = append(want, fmt.Sprint(i))
	}
	runRefTable(t, []refCase{
		{name: "§6 REC: MaxConcurrencyPath to {} is States.Runtime before the Map Run",
			def: mc, input: `{"items":[1],"MaxConcurrencyValue":{}}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue`},
		{name: "§6 REC: MaxConcurrencyPath to \"NoNumber\" is States.Runtime before the Map Run",
			def: mc, input: `{"items":[1],"MaxConcurrencyValue":"NoNumber"}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue`},
		{name: "§6 REC (as recorded for {}): MaxConcurrencyPath to 1.5 is States.Runtime before the Map Run",
			def: mc, input: `{"items":[1],"MaxConcurrencyValue":1.5}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The MaxConcurrencyPath field refers to value "1.5" which is not a valid integer: $.MaxConcurrencyValue`},
		{name: "§6 ◌ ERR: States.Runtime is terminal: the Map state's Catch on States.ALL does not catch it",
			def:   `{"Type":"Map","ItemsPath":"$.items","MaxConcurrencyPath":"$.m","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handler"}],` + refProcessor("P", `"P":{"Type":"Pass","End":true}`) + `,"Next":"Next"}`,
			input: `{"items":[1],"m":{}}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'Map' (entered at the event id #2). The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: $.m"},
		{name: "§6 REC: MaxConcurrencyPath to 0 runs (no limit)",
			def: mc, input: `{"items":[1,2],"MaxConcurrencyValue":0}`, want: `[1,2]`},
		{name: "§6 REC: MaxConcurrencyPath to 1 runs, and the Map Run reports maxConcurrency 1",
			def: mc, input: `{"items":[1,2],"MaxConcurrencyValue":1}`, want: `[1,2]`, check: maxConcurrency(1)},
		{name: "§6 REC: MaxConcurrencyPath to the numeric string \"1\" is 1",
			def: mc, input: `{"items":[1,2],"MaxConcurrencyValue":"1"}`, want: `[1,2]`, check: maxConcurrency(1)},
		{name: "§6 REC:map_run_describe_and_list: MaxConcurrency 1 is reported as configured",
			def: refPass(`"ItemsPath":"$.items","MaxConcurrency":1,`), input: `{"items":[1,2]}`, want: `[1,2]`, check: maxConcurrency(1)},
		{name: "§6 REC:map_run_describe_and_list: MaxConcurrency 1 runs one child at a time (one environment, invoked in turn)",
			def: refTask(`"ItemsPath":"$.items","MaxConcurrency":1,`), guest: true, input: `{"items":[{"op":"counter"},{"op":"counter"},{"op":"counter"}]}`,
			want: `[1,2,3]`, check: maxConcurrency(1)},
		{name: "§6 SCHEMA: a literal negative MaxConcurrency is refused",
			def: refPass(`"ItemsPath":"$.items","MaxConcurrency":-1,`), input: `{"items":[1]}`, invalid: "Definition.MaxConcurrency"},
		{name: "§6 SCHEMA: MaxConcurrency 0 means no limit",
			def: refPass(`"ItemsPath":"$.items","MaxConcurrency":0,`), input: `{"items":[1,2,3]}`, want: `[1,2,3]`},
		{name: "§6 REC: child outputs come in item order whatever the order they finish in",
			def: refTask(`"ItemsPath":"$.items","MaxConcurrency":6,`), guest: true, input: `{"items":[` + strings.Join(slow, ",") + `]}`,
			want: `[` + strings.Join(want, ",") + `]`},
	})
}

// §7: failure tolerance. Validation cases are named MapState, as in the recordings; runtime
// cases run 4 items of which 2 fail, one at a time.
func TestReference7Tolerance(t *testing.T) {
	count := refMachine(refPass(`"ItemsPath":"$.items","ToleratedFailureCountPath":"$.ToleratedFailureCount",`))
	pct := refMachine(refPass(`"ItemsPath":"$.items","ToleratedFailurePercentagePath":"$.ToleratedFailurePercentage",`))
	prefix := runtimePrefix
	configured := func(c int64, p float64) func(r *refResult) error {
		return func(r *refResult) error {
			if r.rep.ToleratedFailureCount != c || r.rep.ToleratedFailurePercentage != p {
				return fmt.Errorf("toleratedFailureCount %d, toleratedFailurePercentage %v; want %d, %v", r.rep.ToleratedFailureCount, r.rep.ToleratedFailurePercentage, c, p)
			}
			return nil
		}
	}
	mixed := `{"items":[{"op":"echo","value":0},{"op":"error","message":"bad 1"},{"op":"echo","value":2},{"op":"error","message":"bad 3"}]}`
	guestMap := func(fields string) string { return refTask(`"ItemsPath":"$.items","MaxConcurrency":1,` + fields) }
	tolerated := refNoneOutput("Map", `0`,
		refFailedRec(`{"op":"error","message":"bad 1"}`, "InvalidOrderError", `{"errorMessage":"bad 1","errorType":"InvalidOrderError"}`),
		`2`,
		refFailedRec(`{"op":"error","message":"bad 3"}`, "InvalidOrderError", `{"errorMessage":"bad 3","errorType":"InvalidOrderError"}`))
	exceeded := "States.ExceedToleratedFailureThreshold"
	var firstFails []string
	firstFails = append(firstFails, `{"op":"error"}`)
	for i := 1; i < 10; i++ {
		firstFails = append(firstFails, fmt.Sprintf(`{"op":"echo","value":%d}`, i))
	}
	cases := []refCase{
		// Validation of the path values (REC): States.Runtime, before the Map Run.
		{name: "§7 REC: ToleratedFailureCountPath to {} is States.Runtime",
			def: count, input: `{"items":[1],"ToleratedFailureCount":{}}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.ToleratedFailureCount`},
		{name: "§7 REC: ToleratedFailureCountPath to \"NoNumber\" is States.Runtime",
			def: count, input: `{"items":[1],"ToleratedFailureCount":"NoNumber"}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The ToleratedFailureCountPath field refers to value "NoNumber" which is not a valid integer: $.ToleratedFailureCount`},
		{name: "§7 REC (as recorded for {}): ToleratedFailureCountPath to 1.5 is States.Runtime",
			def: count, input: `{"items":[1],"ToleratedFailureCount":1.5}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The ToleratedFailureCountPath field refers to value "1.5" which is not a valid integer: $.ToleratedFailureCount`},
		{name: "§7 REC: ToleratedFailureCountPath to -1 is States.Runtime",
			def: count, input: `{"items":[1],"ToleratedFailureCount":-1}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `ToleratedFailureCount cannot be negative.`},
		{name: "§7 REC: ToleratedFailurePercentagePath to {} is States.Runtime",
			def: pct, input: `{"items":[1],"ToleratedFailurePercentage":{}}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The ToleratedFailurePercentagePath field refers to value "{}" which is not a valid float: $.ToleratedFailurePercentage`},
		{name: "§7 REC: ToleratedFailurePercentagePath to \"NoNumber\" is States.Runtime",
			def: pct, input: `{"items":[1],"ToleratedFailurePercentage":"NoNumber"}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `The ToleratedFailurePercentagePath field refers to value "NoNumber" which is not a valid float: $.ToleratedFailurePercentage`},
	}
	for _, v := range []string{"-1", "-1.1", "100.1"} {
		cases = append(cases, refCase{name: "§7 REC: ToleratedFailurePercentagePath to " + v + " is States.Runtime",
			def: pct, input: `{"items":[1],"ToleratedFailurePercentage":` + v + `}`, noMapRun: true,
			wantErr: "States.Runtime", wantCause: prefix + `ToleratedFailurePercentage must be between 0 and 100.`})
	}
	for _, v := range []struct {
		json string
		n    int64
	}{{"0", 0}, {"1", 1}, {`"1"`, 1}} {
		cases = append(cases, refCase{name: "§7 REC: ToleratedFailureCountPath to " + v.json + " is accepted",
			def: count, input: `{"items":[1],"ToleratedFailureCount":` + v.json + `}`, want: `[1]`, check: configured(v.n, 0)})
	}
	for _, v := range []struct {
		json string
		f    float64
	}{{"0", 0}, {"1", 1}, {"1.1", 1.1}, {"100", 100}, {`"1"`, 1}} {
		cases = append(cases, refCase{name: "§7 REC: ToleratedFailurePercentagePath to " + v.json + " is accepted",
			def: pct, input: `{"items":[1],"ToleratedFailurePercentage":` + v.json + `}`, want: `[1]`, check: configured(0, v.f)})
	}
	cases = append(cases, []refCase{
		{name: "§7 REC: a literal ToleratedFailurePercentage 0.5 is accepted",
			def: refPass(`"ItemsPath":"$.items","ToleratedFailurePercentage":0.5,`), input: `{"items":[1]}`, want: `[1]`, check: configured(0, 0.5)},
		{name: "§7 SCHEMA: a literal negative ToleratedFailureCount is refused",
			def: refPass(`"ItemsPath":"$.items","ToleratedFailureCount":-1,`), input: `{"items":[1]}`, invalid: "Definition.ToleratedFailureCount"},
		{name: "§7 API: a literal ToleratedFailurePercentage over 100 is refused",
			def: refPass(`"ItemsPath":"$.items","ToleratedFailurePercentage":100.5,`), input: `{"items":[1]}`, invalid: "Definition.ToleratedFailurePercentage"},

		// Runtime semantics (◌ DM, with the API's counters).
		{name: "§7 REC:map_run_describe_and_list: the defaults are 0 and 0.0, so one failed child fails the Map Run",
			def: refFail(`"ItemsPath":"$.items","MaxConcurrency":1,`), input: `{"items":[1,2,3]}`,
			wantErr: exceeded, causeRE: `.`,
			check: refAll(configured(0, 0), func(r *refResult) error {
				if c := r.rep.ItemCounts; c.Failed != 1 || c.Succeeded != 0 || c.Total != 3 {
					return fmt.Errorf("itemCounts %+v: want 1 failed of 3, the others never started", c)
				}
				return nil
			})},
		{name: "§7 ◌ DM: with the defaults, a failed Task fails the Map Run",
			def: guestMap(``), guest: true, input: mixed, wantErr: exceeded, causeRE: `.`},
		{name: "§7 ◌ DM: ToleratedFailureCount 2 tolerates 2 failed items; their entries are NONE-shaped (✔ RW)",
			def: guestMap(`"ToleratedFailureCount":2,`), guest: true, input: mixed,
			check: refAll(tolerated, refCounts(runner.Counts{Succeeded: 2, Failed: 2, Total: 4, ResultsWritten: 4}, runner.Counts{Succeeded: 2, Failed: 2, Total: 4, ResultsWritten: 4}))},
		{name: "§7 ◌ DM: ToleratedFailureCount 1 is exceeded by 2 failed items",
			def: guestMap(`"ToleratedFailureCount":1,`), guest: true, input: mixed, wantErr: exceeded, causeRE: `.`},
		{name: "§7 ◌ DM: ToleratedFailurePercentage 50 tolerates 2 failed items of 4",
			def: guestMap(`"ToleratedFailurePercentage":50,`), guest: true, input: mixed, check: tolerated},
		{name: "§7 ◌ DM: ToleratedFailurePercentage 49.9 is exceeded by 2 failed items of 4",
			def: guestMap(`"ToleratedFailurePercentage":49.9,`), guest: true, input: mixed, wantErr: exceeded, causeRE: `.`},
		{name: "§7 ◌ DM: with both set, exceeding the percentage fails the run (count 5, 25%)",
			def: guestMap(`"ToleratedFailureCount":5,"ToleratedFailurePercentage":25,`), guest: true, input: mixed, wantErr: exceeded, causeRE: `.`},
		{name: "§7 ◌ DM: with both set, exceeding the count fails the run (count 1, 100%)",
			def: guestMap(`"ToleratedFailureCount":1,"ToleratedFailurePercentage":100,`), guest: true, input: mixed, wantErr: exceeded, causeRE: `.`},
		{name: "§7 ◌ DM: with both set and neither exceeded, the run succeeds (count 2, 50%)",
			def: guestMap(`"ToleratedFailureCount":2,"ToleratedFailurePercentage":50,`), guest: true, input: mixed, check: tolerated},
		{name: "§7 ◌ DM: the percentage is of all the items, not of those run so far (the first of 10 fails, 10%)",
			def: guestMap(`"ToleratedFailurePercentage":10,`), guest: true, input: `{"items":[` + strings.Join(firstFails, ",") + `]}`,
			check: refCounts(runner.Counts{Succeeded: 9, Failed: 1, Total: 10, ResultsWritten: 10}, runner.Counts{Succeeded: 9, Failed: 1, Total: 10, ResultsWritten: 10})},
		{name: "§7 ◌ DM with §3.2: the percentage is of the items read under MaxItems (1 of 4 is over 20%)",
			def: refTask(refGetObject("items.jsonl", `{"InputType":"JSONL","MaxItems":4}`) + `"MaxConcurrency":1,"ToleratedFailurePercentage":20,`), guest: true,
			data:    map[string]string{"items.jsonl": strings.Join(firstFails, "\n") + "\n"},
			wantErr: exceeded, causeRE: `.`},
		{name: "§7 ◌ DM with §3.2: the percentage is of the items read under MaxItems (1 of 4 is within 25%)",
			def: refTask(refGetObject("items.jsonl", `{"InputType":"JSONL","MaxItems":4}`) + `"MaxConcurrency":1,"ToleratedFailurePercentage":25,`), guest: true,
			data:  map[string]string{"items.jsonl": strings.Join(firstFails, "\n") + "\n"},
			check: refCounts(runner.Counts{Succeeded: 3, Failed: 1, Total: 4, ResultsWritten: 4}, runner.Counts{Succeeded: 3, Failed: 1, Total: 4, ResultsWritten: 4})},
		{name: "§7 ◌ DM: ToleratedFailurePercentage 100 tolerates every child failing",
			def: refFail(`"ItemsPath":"$.items","ToleratedFailurePercentage":100,`), input: `{"items":[1,2]}`,
			check: refNoneOutput("Map", refFailedRec(`1`, "Child.Failed", "on purpose"), refFailedRec(`2`, "Child.Failed", "on purpose"))},
	}...)
	runRefTable(t, cases)
}

// A NONE-shaped result record (§9): its fields as the reference lists them. Input and Output are
// JSON text, written as JSON strings.
var (
	refSucceededKeys = []string{"ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount",
		"RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn", "Status", "StopDate"}
	// A FAILED record has Error and Cause instead of Output and OutputDetails; the reference
	// does not say which Redrive* fields it has.
	refFailedKeys = []string{"Cause", "Error", "ExecutionArn", "Input", "InputDetails", "Name", "RedriveCount",
		"StartDate", "StateMachineArn", "Status", "StopDate"}
	refFailedOptional = []string{"RedriveStatus", "RedriveStatusReason"}
	refISODate        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)
)

// refRec is an expected NONE-shaped result record.
type refRec struct {
	status, input, output, err, cause string
}

func refFailedRec(input, err, cause string) refRec {
	return refRec{status: "FAILED", input: input, err: err, cause: cause}
}

func refSucceededRec(input, output string) refRec {
	return refRec{status: "SUCCEEDED", input: input, output: output}
}

// refNoneOutput checks a state output array element by element: a string gives the exact
// element, a refRec a NONE-shaped record of a child of the Map Run labelled label.
func refNoneOutput(label string, want ...any) func(r *refResult) error {
	return func(r *refResult) error {
		var elems []json.RawMessage
		if err := json.Unmarshal([]byte(r.out), &elems); err != nil {
			return fmt.Errorf("output %s: %v", r.out, err)
		}
		return refCheckRecords(label, elems, want)
	}
}

func refCheckRecords(label string, elems []json.RawMessage, want []any) error {
	if len(elems) != len(want) {
		return fmt.Errorf("%d elements, want %d: %s", len(elems), len(want), elems)
	}
	for i, w := range want {
		if s, ok := w.(string); ok {
			if string(elems[i]) != s {
				return fmt.Errorf("element %d is %s, want %s", i, elems[i], s)
			}
			continue
		}
		if err := refCheckRecord(label, elems[i], w.(refRec)); err != nil {
			return fmt.Errorf("element %d: %v\n\t%s", i, err, elems[i])
		}
	}
	return nil
}

// refCheckRecord checks one NONE-shaped record.
func refCheckRecord(label string, raw json.RawMessage, w refRec) error {
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("not a record: %v", err)
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	switch w.status {
	case "SUCCEEDED":
		if !slices.Equal(keys, refSucceededKeys) {
			bad("keys %v, want %v", keys, refSucceededKeys)
		}
		if rec["Output"] != w.output {
			bad("Output %#v, want the string %q", rec["Output"], w.output)
		}
		if d, _ := rec["OutputDetails"].(map[string]any); d == nil || d["Included"] != true || len(d) != 1 {
			bad("OutputDetails %v", rec["OutputDetails"])
		}
	case "FAILED":
		var extra []string
		for _, k := range keys {
			if !slices.Contains(refFailedKeys, k) && !slices.Contains(refFailedOptional, k) {
				extra = append(extra, k)
			}
		}
		for _, k := range refFailedKeys {
			if _, ok := rec[k]; !ok {
				bad("no %s", k)
			}
		}
		if len(extra) > 0 {
			bad("unexpected keys %v", extra)
		}
		if rec["Error"] != w.err || rec["Cause"] != w.cause {
			bad("Error %#v Cause %#v, want %q %q", rec["Error"], rec["Cause"], w.err, w.cause)
		}
	case "PENDING":
		if _, ok := rec["Output"]; ok {
			bad("a PENDING record has an Output")
		}
	}
	if rec["Status"] != w.status {
		bad("Status %#v, want %s", rec["Status"], w.status)
	}
	if rec["Input"] != w.input {
		bad("Input %#v, want the string %q", rec["Input"], w.input)
	}
	if d, _ := rec["InputDetails"].(map[string]any); d == nil || d["Included"] != true || len(d) != 1 {
		bad("InputDetails %v", rec["InputDetails"])
	}
	if w.status != "PENDING" {
		name, _ := rec["Name"].(string)
		if !refUUID.MatchString(name) || len(name) != 36 {
			bad("Name %#v: a STANDARD child's name is a UUID (◌ RW sample)", rec["Name"])
		}
		sm := "arn:aws:states:" + refRegion + ":" + refAccount + ":stateMachine:wasmap/" + label
		if rec["StateMachineArn"] != sm {
			bad("StateMachineArn %#v, want %s", rec["StateMachineArn"], sm)
		}
		if x := "arn:aws:states:" + refRegion + ":" + refAccount + ":execution:wasmap/" + label + ":" + name; rec["ExecutionArn"] != x {
			bad("ExecutionArn %#v, want %s", rec["ExecutionArn"], x)
		}
		for _, k := range []string{"StartDate", "StopDate"} {
			if s, _ := rec[k].(string); !refISODate.MatchString(s) {
				bad("%s %#v", k, rec[k])
			}
		}
		if rec["RedriveCount"] != float64(0) {
			bad("RedriveCount %#v, want 0", rec["RedriveCount"])
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
