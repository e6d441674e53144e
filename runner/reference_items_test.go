package runner_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner"
)

// §2: where items come from.
func TestReference2ItemsSources(t *testing.T) {
	jsonItems := map[string]string{"items.json": `[{"a":1},{"a":2}]`}
	reader := refGetObject("items.json", `{"InputType":"JSON"}`)
	runRefTable(t, []refCase{
		{name: "§2 REC:distributed_items_path_from_previous_state: ItemsPath selects the items in the state input",
			def: refPass(`"ItemsPath":"$.items",`), input: `{"items":[{"a":1},{"b":2}],"other":3}`,
			want: `[{"a":1},{"b":2}]`},
		{name: "§2 SCHEMA: ItemsPath defaults to $",
			def: refPass(``), input: `[1,"two",{"three":3},null]`,
			want: `[1,"two",{"three":3},null]`},
		{name: "§2 REC:itemreader_json_with_items_path_from_previous: with an ItemReader, ItemsPath does not read the state input",
			def: refPass(reader + `"ItemsPath":"$.items",`), input: `{"items":[9,9,9]}`, data: jsonItems,
			want: `[{"a":1},{"a":2}]`},
		{name: "§2 REC:itemreader_json_with_items_path_into_reader_output: with an ItemReader, ItemsPath does not apply to the reader output",
			def: refPass(reader + `"ItemsPath":"$.a",`), input: `{}`, data: jsonItems,
			want: `[{"a":1},{"a":2}]`},
		{name: "§2 REC:itemreader_json_with_items_path_invalid: with an ItemReader, an ItemsPath that matches nothing does not fail",
			def: refMachine(refPass(reader + `"ItemsPath":"$.nothing.here",`)), input: `{"x":1}`, data: jsonItems,
			want: `[{"a":1},{"a":2}]`},
		{name: "§2 SCHEMA: ItemsPath is a reference path: a wildcard is refused",
			def: refPass(`"ItemsPath":"$.items[*]",`), input: `{"items":[1]}`, invalid: "Definition.ItemsPath"},
		{name: "§2 REC:itemreader_csv_*: with an ItemReader, ItemsPath is ignored for CSV too",
			def: refPass(refCSV(``) + `"ItemsPath":"$.rows",`), input: `{"rows":[1]}`, data: map[string]string{"data.csv": "h\nx\n"},
			want: `[{"h":"x"}]`},
	})
}

const (
	refCSV4  = "Col1,Col2,Col3\nValue1,Value2,Value3\nValue4,Value5,Value6\nValue7,Value8,Value9\nValue10,Value11,Value12\n"
	refRows4 = `{"Col1":"Value1","Col2":"Value2","Col3":"Value3"},{"Col1":"Value4","Col2":"Value5","Col3":"Value6"},` +
		`{"Col1":"Value7","Col2":"Value8","Col3":"Value9"},{"Col1":"Value10","Col2":"Value11","Col3":"Value12"}`
	refRows2 = `{"Col1":"Value1","Col2":"Value2","Col3":"Value3"},{"Col1":"Value4","Col2":"Value5","Col3":"Value6"}`
)

// §3.2: MaxItems (all REC). The state is named MapState, as in the recordings.
func TestReference32MaxItems(t *testing.T) {
	data := map[string]string{"data.csv": refCSV4}
	csvMap := func(config string) string {
		return refMachine(refPass(refCSV(`"CSVHeaderLocation":"FIRST_ROW",` + config)))
	}
	runRefTable(t, []refCase{
		{name: "§3.2 REC:itemreader_csv_max_items_0: MaxItems 0 is no limit",
			def: csvMap(`"MaxItems":0`), data: data, want: `[` + refRows4 + `]`, anyKeyOrder: true},
		{name: "§3.2 REC:itemreader_csv_max_items_2: MaxItems 2 reads the first 2 data rows (the header row does not count)",
			def: csvMap(`"MaxItems":2`), data: data, want: `[` + refRows2 + `]`, anyKeyOrder: true},
		{name: "§3.2 REC:itemreader_csv_max_items_100000000: MaxItems 100000000 reads all rows",
			def: csvMap(`"MaxItems":100000000`), data: data, want: `[` + refRows4 + `]`, anyKeyOrder: true},
		{name: "§3.2 REC:itemreader_csv_max_items_path_100000001: a MaxItemsPath value over the maximum is accepted and reads all rows",
			def: csvMap(`"MaxItemsPath":"$.MaxItems"`), input: `{"MaxItems":100000001}`, data: data, want: `[` + refRows4 + `]`, anyKeyOrder: true},
		{name: "§3.2 REC:itemreader_csv_max_items_path_0: MaxItemsPath 0 reads all rows",
			def: csvMap(`"MaxItemsPath":"$.MaxItems"`), input: `{"MaxItems":0}`, data: data, want: `[` + refRows4 + `]`, anyKeyOrder: true},
		{name: "§3.2 REC:itemreader_csv_max_items_path_1_5: a non-integer MaxItemsPath value is States.Runtime before the Map Run",
			def: csvMap(`"MaxItemsPath":"$.MaxItems"`), input: `{"MaxItems":1.5}`, data: data, noMapRun: true,
			wantErr: "States.Runtime", wantCause: runtimePrefix + `The MaxItemsPath field refers to value "1.5" which is not a valid integer: $.MaxItems`},
		{name: "§3.2 REC (as recorded for 1.5): a MaxItemsPath value \"NoNumber\" is States.Runtime before the Map Run",
			def: csvMap(`"MaxItemsPath":"$.MaxItems"`), input: `{"MaxItems":"NoNumber"}`, data: data, noMapRun: true,
			wantErr: "States.Runtime", wantCause: runtimePrefix + `The MaxItemsPath field refers to value "NoNumber" which is not a valid integer: $.MaxItems`},
		{name: "§3.2 REC:itemreader_csv_max_items_2: with GIVEN headers MaxItems counts from the first row",
			def:  refMachine(refPass(refCSV(`"CSVHeaderLocation":"GIVEN","CSVHeaders":["A"],"MaxItems":2`))),
			data: map[string]string{"data.csv": "r1\nr2\nr3\n"}, want: `[{"A":"r1"},{"A":"r2"}]`},
		{name: "§3.2 REC:itemreader_json_max_items_path_variable: a MaxItemsPath value \"2\" (a string) is 2",
			def:   refMachine(refPass(refGetObject("items.json", `{"InputType":"JSON","MaxItemsPath":"$.MaxItems"}`))),
			input: `{"MaxItems":"2"}`, data: map[string]string{"items.json": `[{"verdict":"a"},{"verdict":"b"},{"verdict":"c"}]`},
			want: `[{"verdict":"a"},{"verdict":"b"}]`},
		{name: "§3.2 REC:itemreader_csv_max_items_2: MaxItems applies to JSON Lines items too",
			def:  refPass(refGetObject("items.jsonl", `{"InputType":"JSONL","MaxItems":2}`)),
			data: map[string]string{"items.jsonl": "1\n2\n3\n"}, want: `[1,2]`},
		{name: "§3.2 LS: a literal MaxItems over 100000000 is refused when the state machine is created",
			def: csvMap(`"MaxItems":100000001`), data: data, invalid: "Definition.ItemReader.ReaderConfig.MaxItems"},
		{name: "§3.2 LS: a literal negative MaxItems is refused when the state machine is created",
			def: csvMap(`"MaxItems":-1`), data: data, invalid: "Definition.ItemReader.ReaderConfig.MaxItems"},
	})
}

// §3.3: CSV, through an ItemReader reading a mapped bucket. AWS's key order is not the header
// order, so objects are compared without regard to key order.
func TestReference33CSV(t *testing.T) {
	csv := func(content string) map[string]string { return map[string]string{"data.csv": content} }
	firstRow := refPass(refCSV(`"CSVHeaderLocation":"FIRST_ROW"`))
	given := func(headers string) string {
		return refPass(refCSV(`"CSVHeaderLocation":"GIVEN","CSVHeaders":` + headers))
	}
	delim := func(d string) string { return refPass(refCSV(`"CSVDelimiter":"` + d + `"`)) }
	runRefTable(t, []refCase{
		{name: "§3.3 REC:itemreader_csv_first_row_headers: every value is a string (true, 1, Null, None, 'HelloWorld')",
			def: firstRow, data: csv("Col1,Col2,Col3\ntrue,1,Null\n'HelloWorld',None,1.5\n"), anyKeyOrder: true,
			want: `[{"Col1":"true","Col2":"1","Col3":"Null"},{"Col1":"'HelloWorld'","Col2":"None","Col3":"1.5"}]`},
		{name: "§3.3 REC:itemreader_csv_first_row_typed_looking_headers: header names are strings (0, True, {})",
			def: firstRow, data: csv("0,True,{}\nfalse,0,[]\n"), anyKeyOrder: true,
			want: `[{"0":"false","True":"0","{}":"[]"}]`},
		{name: "§3.3 REC: CSVHeaderLocation defaults to FIRST_ROW",
			def: refPass(refCSV(``)), data: csv("a,b\n1,2\n"), anyKeyOrder: true,
			want: `[{"a":"1","b":"2"}]`},
		{name: "§3.3 REC: missing trailing fields become empty strings (Null,None, and a one-field row)",
			def: firstRow, data: csv("Col1,Col2,Col3\nNull,None,\nonly\n"), anyKeyOrder: true,
			want: `[{"Col1":"Null","Col2":"None","Col3":""},{"Col1":"only","Col2":"","Col3":""}]`},
		{name: "§3.3 REC: extra fields are dropped (,,, under 3 headers gives three empty strings)",
			def: firstRow, data: csv("Col1,Col2,Col3\n,,,\n"), anyKeyOrder: true,
			want: `[{"Col1":"","Col2":"","Col3":""}]`},
		{name: "§3.3 REC:itemreader_csv_given_headers_fewer_than_fields: GIVEN [H1] keeps the first field only",
			def: given(`["H1"]`), data: csv("Value1,Value2,Value3\n"), anyKeyOrder: true,
			want: `[{"H1":"Value1"}]`},
		{name: "§3.3 REC: with GIVEN headers the first row is data",
			def: given(`["A","B"]`), data: csv("a1,b1\na2,b2\n"), anyKeyOrder: true,
			want: `[{"A":"a1","B":"b1"},{"A":"a2","B":"b2"}]`},
		{name: "§3.3 REC: white space is kept and a line of spaces is a row",
			def: firstRow, data: csv("Col1,Col2,Col3\n   \n a , b ,c \n"), anyKeyOrder: true,
			want: `[{"Col1":"   ","Col2":"","Col3":""},{"Col1":" a ","Col2":" b ","Col3":"c "}]`},
		{name: "§3.3 REC:map_run_describe_and_list: a last line without a newline is an item",
			def: firstRow, data: csv("Col1\na\nb"), anyKeyOrder: true,
			want:  `[{"Col1":"a"},{"Col1":"b"}]`,
			check: refCounts(runner.Counts{Succeeded: 2, Total: 2, ResultsWritten: 2}, runner.Counts{Succeeded: 2, Total: 2, ResultsWritten: 2})},
		{name: "§3.3 REC: a trailing newline makes no empty item",
			def: firstRow, data: csv("Col1\na\nb\n"), anyKeyOrder: true,
			want: `[{"Col1":"a"},{"Col1":"b"}]`},
		{name: "§3.3 REC: an empty header name is allowed (H1, gives headers H1 and \"\")",
			def: firstRow, data: csv("H1,\nValue4,Value5,Value6\n"), anyKeyOrder: true,
			want: `[{"H1":"Value4","":"Value5"}]`},
		{name: "§3.3 REC: duplicate GIVEN headers fail the Map Run",
			def: given(`["H1","H1","H3"]`), data: csv("a,b,c\n"),
			wantErr: "States.ItemReaderFailed", wantCause: "CSV headers cannot contain duplicates."},
		{name: "§3.3 ◌ duplicate FIRST_ROW headers fail the Map Run as GIVEN ones do",
			def: firstRow, data: csv("H1,H1,H3\na,b,c\n"),
			wantErr: "States.ItemReaderFailed", wantCause: "CSV headers cannot contain duplicates."},
		{name: "§3.3 ◌ RFC 4180: a quoted field may hold the delimiter, a line break and a doubled quote",
			def: firstRow, data: csv("Col1,Col2\n\"a,b\",\"line1\nline2\"\n\"say \"\"hi\"\"\",x\n"), anyKeyOrder: true,
			want: `[{"Col1":"a,b","Col2":"line1\nline2"},{"Col1":"say \"hi\"","Col2":"x"}]`},
		{name: "§3.3 ◌ RFC 4180: CRLF line endings",
			def: firstRow, data: csv("a,b\r\n1,2\r\n3,4\r\n"), anyKeyOrder: true,
			want: `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`},
		{name: "§3.3 ◌ a header row alone gives no items",
			def: firstRow, data: csv("Col1,Col2\n"), want: `[]`},
		{name: "§3.3 SCHEMA: CSVDelimiter COMMA is the default and may be given",
			def: delim("COMMA"), data: csv("a,b\n1,2\n"), anyKeyOrder: true, want: `[{"a":"1","b":"2"}]`},
		{name: "§3.3 SCHEMA: CSVDelimiter PIPE",
			def: delim("PIPE"), data: csv("a|b\n1,x|2\n"), anyKeyOrder: true, want: `[{"a":"1,x","b":"2"}]`},
		{name: "§3.3 SCHEMA: CSVDelimiter SEMICOLON",
			def: delim("SEMICOLON"), data: csv("a;b\n1;2\n"), anyKeyOrder: true, want: `[{"a":"1","b":"2"}]`},
		{name: "§3.3 SCHEMA: CSVDelimiter SPACE",
			def: delim("SPACE"), data: csv("a b\n1 2\n"), anyKeyOrder: true, want: `[{"a":"1","b":"2"}]`},
		{name: "§3.3 SCHEMA: CSVDelimiter TAB",
			def: delim("TAB"), data: csv("a\tb\n1 x\t2\n"), anyKeyOrder: true, want: `[{"a":"1 x","b":"2"}]`},
	})
}

// refEtag is a listObjectsV2 item's Etag for content: its MD5, in quotes (◌ IR's example).
func refEtag(content string) string {
	sum := md5.Sum([]byte(content))
	return `\"` + hex.EncodeToString(sum[:]) + `\"`
}

// refListed is the listObjectsV2 item of an object of the data bucket (§3.4).
func refListed(key, content string) string {
	return fmt.Sprintf(`{"Etag":"%s","Key":"%s","LastModified":%d,"Size":%d,"StorageClass":"STANDARD"}`, refEtag(content), key, refMTime, len(content))
}

// §3.4: JSON, JSON Lines and listObjectsV2 items.
func TestReference34ItemShapes(t *testing.T) {
	list := func(params string) string {
		return `"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":` + params + `},`
	}
	keyOnly := `"ItemSelector":{"Key.$":"$$.Map.Item.Value.Key"},`
	tree := map[string]string{"b.txt": "b", "a/2.txt": "2", "a/1.txt": "1", "B.txt": "B", "a.txt": "a"}
	many := map[string]string{}
	for i := range 1001 {
		many[fmt.Sprintf("many/%04d", i)] = ""
	}
	logs := map[string]string{"logs/2024-01.txt": "x", "logs/2024/b.txt": "y", "logs/2023.txt": "z", "other.txt": "o"}
	runRefTable(t, []refCase{
		{name: "§3.4 REC:itemreader_json_basic: each element of the top-level array is an item, in file order, key order kept",
			def:  refPass(refGetObject("facts.json", `{"InputType":"JSON"}`)),
			data: map[string]string{"facts.json": "[\n  {\"verdict\": \"true\", \"statement_date\": \"6/11/2008\", \"statement_source\": \"speech\"},\n  {\"verdict\": \"false\", \"statement_date\": \"6/7/2022\", \"statement_source\": \"television\"}\n]\n"},
			want: `[{"verdict":"true","statement_date":"6/11/2008","statement_source":"speech"},{"verdict":"false","statement_date":"6/7/2022","statement_source":"television"}]`},
		{name: "§3.4 REC:itemreader_json_not_an_array: a top-level object fails the Map Run",
			def: refPass(refGetObject("facts.json", `{"InputType":"JSON"}`)), data: map[string]string{"facts.json": `{"verdict":"true"}`},
			wantErr: "States.ItemReaderFailed", wantCause: "Attempting to map over non-iterable node."},
		{name: "§3.4 REC:itemreader_json_basic: an empty array has no items",
			def: refPass(refGetObject("facts.json", `{"InputType":"JSON"}`)), data: map[string]string{"facts.json": "[ ]\n"},
			want: `[]`},
		{name: "§3.4 ◌ a top-level JSON value other than an array fails as an object does",
			def: refPass(refGetObject("facts.json", `{"InputType":"JSON"}`)), data: map[string]string{"facts.json": `"just a string"`},
			wantErr: "States.ItemReaderFailed", wantCause: "Attempting to map over non-iterable node."},
		{name: "§3.1 ✔ IR: getObject Parameters may hold a VersionId",
			def:  refPass(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"data-bucket","Key":"items.json","VersionId":"BcK42coT2jE1234VHLUvBV1yLNod2OEt"}},`),
			data: map[string]string{"items.json": `[1]`}, want: `[1]`},
		{name: "§3.4 REC: ItemReader Parameters take paths (Bucket.$, Key.$) into the state input",
			def:   refPass(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket.$":"$.bucket","Key.$":"$.key"}},`),
			input: `{"bucket":"data-bucket","key":"dir/items.json"}`, data: map[string]string{"dir/items.json": `[1,2]`},
			want: `[1,2]`},
		{name: "§1 ✔ FIELDS: InputPath applies first: the ItemReader's Parameters read the filtered input",
			def:   refPass(`"InputPath":"$.cfg","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"data-bucket","Key.$":"$.key"}},`),
			input: `{"cfg":{"key":"inner.json"},"key":"outer.json"}`, data: map[string]string{"inner.json": `["inner"]`, "outer.json": `["outer"]`},
			want: `["inner"]`},
		{name: "§3.4 ◌ IR: JSON Lines holds one JSON value per line",
			def: refPass(refGetObject("items.jsonl", `{"InputType":"JSONL"}`)), data: map[string]string{"items.jsonl": "{\"a\":1,\"b\":[2]}\n[3]\n\"four\"\n5\n"},
			want: `[{"a":1,"b":[2]},[3],"four",5]`},
		{name: "§3.4 ◌ IR: JSON Lines blank lines are not items",
			def: refPass(refGetObject("items.jsonl", `{"InputType":"JSONL"}`)), data: map[string]string{"items.jsonl": "{\"a\":1}\n\n   \n{\"a\":2}"},
			want: `[{"a":1},{"a":2}]`},
		{name: "§3.4 REC:itemreader_listobjectsv2_basic: items are exactly {Etag, Key, LastModified, Size, StorageClass} (Etag, not ETag)",
			def: refPass(list(`{"Bucket":"data-bucket"}`)), data: map[string]string{"file1.txt": "hello world\n"},
			want: `[` + refListed("file1.txt", "hello world\n") + `]`},
		{name: "§3.4 ◌ IR: listObjectsV2 lists in key order (S3 listing order), nested keys with /",
			def: refPass(list(`{"Bucket":"data-bucket"}`) + keyOnly), data: tree,
			want: `[{"Key":"B.txt"},{"Key":"a.txt"},{"Key":"a/1.txt"},{"Key":"a/2.txt"},{"Key":"b.txt"}]`},
		{name: "§3.4 ◌ IR: listObjectsV2 Prefix keeps the keys that start with it",
			def: refPass(list(`{"Bucket":"data-bucket","Prefix":"logs/"}`)), data: logs,
			want: `[` + refListed("logs/2023.txt", "z") + `,` + refListed("logs/2024-01.txt", "x") + `,` + refListed("logs/2024/b.txt", "y") + `]`},
		{name: "§3.4 ◌ IR: listObjectsV2 Prefix is a key prefix, not a folder name",
			def: refPass(list(`{"Bucket":"data-bucket","Prefix":"logs/2024"}`) + keyOnly), data: logs,
			want: `[{"Key":"logs/2024-01.txt"},{"Key":"logs/2024/b.txt"}]`},
		{name: "§3.4 ◌ IR: listObjectsV2 Prefix.$ reads the state input",
			def: refPass(list(`{"Bucket":"data-bucket","Prefix.$":"$.p"}`) + keyOnly), data: logs, input: `{"p":"other"}`,
			want: `[{"Key":"other.txt"}]`},
		{name: "§3.4 ◌ IR: every page of the listing is read (1001 objects)",
			def: refPass(list(`{"Bucket":"data-bucket","Prefix":"many/"}`)), data: many,
			check: refCounts(runner.Counts{Succeeded: 1001, Total: 1001, ResultsWritten: 1001}, runner.Counts{Succeeded: 1001, Total: 1001, ResultsWritten: 1001})},
		{name: "§3.2 ◌ IR: MaxItems limits a listObjectsV2 listing too",
			def: refPass(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"data-bucket"},"ReaderConfig":{"MaxItems":2}},` + keyOnly), data: tree,
			want: `[{"Key":"B.txt"},{"Key":"a.txt"}]`},
		{name: "§3.4 ◌ IR: an empty listing has no items",
			def: refPass(list(`{"Bucket":"data-bucket","Prefix":"nothing/"}`)), data: logs,
			want: `[]`},
	})
}

// §3.5: reader failures are States.ItemReaderFailed, on the Map Run and on the state (the
// harness checks that the state's failure carries the Map Run's Error and Cause, and that the
// Map Run started). Where the reference gives no cause text, the cause must name the problem.
func TestReference35ReaderFailures(t *testing.T) {
	longHeader := strings.Repeat("h", 10*1024) + ",x\n1,2\n"
	runRefTable(t, []refCase{
		{name: "§3.5 REC:itemreader_json_not_an_array: the Map Run's failure is the state's",
			def: refMachine(refPass(refGetObject("o.json", `{"InputType":"JSON"}`))), data: map[string]string{"o.json": `{"a":[1]}`},
			wantErr: "States.ItemReaderFailed", wantCause: "Attempting to map over non-iterable node."},
		{name: "§3.5 REC: duplicate CSV headers: the Map Run's failure is the state's",
			def:  refMachine(refPass(refCSV(`"CSVHeaderLocation":"GIVEN","CSVHeaders":["H1","H1","H3"]`))),
			data: map[string]string{"data.csv": "1,2,3\n"}, wantErr: "States.ItemReaderFailed", wantCause: "CSV headers cannot contain duplicates."},
		{name: "§3.5 ◌ ERR: an object that does not exist is States.ItemReaderFailed",
			def: refPass(refGetObject("nope.json", `{"InputType":"JSON"}`)), data: map[string]string{"other.json": `[]`},
			wantErr: "States.ItemReaderFailed", causeRE: `nope\.json`},
		{name: "§3.5 ◌ ERR: a JSON syntax error is States.ItemReaderFailed",
			def: refPass(refGetObject("bad.json", `{"InputType":"JSON"}`)), data: map[string]string{"bad.json": `[{"a":1},{"a":}]`},
			wantErr: "States.ItemReaderFailed", causeRE: `(?i)json`},
		{name: "§3.5 ◌ RFC 4180: a CSV quote left open at the end of the object is States.ItemReaderFailed",
			def: refPass(refCSV(``)), data: map[string]string{"data.csv": "a,b\n1,\"open\n2,3\n"},
			wantErr: "States.ItemReaderFailed", causeRE: `(?i)quote`},
		{name: "§3.5 ◌ ERR: States.ItemReaderFailed is a Map state error, caught by the Map state's Catch",
			def: `{"Type":"Map",` + refGetObject("o.json", `{"InputType":"JSON"}`) +
				`"Catch":[{"ErrorEquals":["States.ItemReaderFailed"],"ResultPath":"$.error","Next":"Handler"}],` +
				refProcessor("P", `"P":{"Type":"Pass","End":true}`) + `,"Next":"Next"}`,
			input: `{"k":1}`, data: map[string]string{"o.json": `{"not":"an array"}`},
			wantErr: "States.ItemReaderFailed", wantCause: "Attempting to map over non-iterable node.",
			caught: `{"k":1,"error":{"Error":"States.ItemReaderFailed","Cause":"Attempting to map over non-iterable node."}}`},
		{name: "§3.5 ✔ IR: a CSV header row over 10 KiB is States.ItemReaderFailed",
			def: refPass(refCSV(``)), data: map[string]string{"data.csv": longHeader},
			wantErr: "States.ItemReaderFailed", causeRE: `10 KiB`},
		{name: "§3.5 ✔ IR: a CSV header row of 10 KiB is read",
			def: refPass(refCSV(``) + `"ItemSelector":{"x.$":"$$.Map.Item.Value.x"},`), data: map[string]string{"data.csv": strings.Repeat("h", 10*1024-2) + ",x\n1,2\n"},
			want: `[{"x":"2"}]`},
	})
}
