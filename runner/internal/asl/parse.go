package asl

import (
	"encoding/json"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// NullPath is what a path field of MapState (InputPath, ResultPath, OutputPath) and
// Catcher.ResultPath points to when the definition gives JSON null: InputPath null gives the state
// {} as input, ResultPath null discards the result, OutputPath null gives {} as output. A path
// always starts with "$", so the text cannot be mistaken for one.
const NullPath = "null"

// Resources of the Distributed Map's reader and writer (ASL reference §3.1, §9).
const (
	ResourceGetObject      = "arn:aws:states:::s3:getObject"
	ResourceListObjectsV2  = "arn:aws:states:::s3:listObjectsV2"
	ResourcePutObject      = "arn:aws:states:::s3:putObject"
	ResourceLambdaInvoke   = "arn:aws:states:::lambda:invoke"
	maxItemsLimit          = 100000000
	maxInputBytesPerBatch  = 262144
	defaultMapStateName    = "Map"
	maxToleratedPercentage = 100
)

// MapState is a parsed and validated Map state. Its exported fields are the definition's, as
// given (defaults are applied by Resolve and the runner, not written back); the compiled forms
// are kept unexported. A MapState is immutable and safe for concurrent use: callers must not
// modify its fields or the slices they hold.
type MapState struct {
	// Name is the state's name in its state machine, or "Map" for a bare state object.
	Name string

	// InputPath, ItemsPath, ResultPath and OutputPath are nil when absent (the default "$"), and
	// point to NullPath when the definition gives JSON null (ItemsPath cannot be null).
	InputPath, ItemsPath, ResultPath, OutputPath *string

	ItemReader *ItemReader
	// ItemSelector is the ItemSelector template, or its legacy alias Parameters: compact JSON,
	// nil when absent. ItemSelectorField says which of the two names the definition used, for the
	// Location of the selector package's errors.
	ItemSelector      json.RawMessage
	ItemSelectorField string
	ItemBatcher       *ItemBatcher

	MaxConcurrency                 *int64
	MaxConcurrencyPath             string
	ToleratedFailureCount          *int64
	ToleratedFailureCountPath      string
	ToleratedFailurePercentage     *float64
	ToleratedFailurePercentagePath string
	// Label is as given (empty when absent); its character rules are the caller's to apply.
	Label string

	// Processor is the ItemProcessor, or the legacy Iterator.
	Processor    *Processor
	ResultWriter *ResultWriter
	// ResultSelector is the ResultSelector template, compact, nil when absent.
	ResultSelector json.RawMessage
	// Catch and Retry are the Map state's own, for a failure of the Map Run.
	Catch []Catcher
	Retry []Retrier

	inputPath, itemsPath, resultPath, outputPath pathField
	maxConcurrencyPath                           *selector.Path
	toleratedCountPath, toleratedPercentPath     *selector.Path
	resultSelector                               *selector.Template
}

// ItemReader is the Map state's ItemReader.
type ItemReader struct {
	// Resource is ResourceGetObject or ResourceListObjectsV2.
	Resource string
	// Parameters is the template of the S3 call's parameters (Bucket, Key, VersionId for
	// getObject; Bucket, Prefix for listObjectsV2), compact; keys ending in ".$" hold paths.
	// Resolve evaluates it.
	Parameters   json.RawMessage
	ReaderConfig ReaderConfig

	params       *selector.Template
	maxItemsPath *selector.Path
}

// ReaderConfig is ItemReader.ReaderConfig, as given: empty strings are the defaults
// (CSVHeaderLocation FIRST_ROW, CSVDelimiter COMMA).
type ReaderConfig struct {
	// InputType is CSV, JSON, JSONL, PARQUET or MANIFEST; required with getObject, absent with
	// listObjectsV2.
	InputType         string
	CSVHeaderLocation string
	CSVHeaders        []string
	CSVDelimiter      string
	// MaxItems is the literal limit (0 … 100,000,000; 0 means no limit), nil when absent.
	MaxItems *int64
	// MaxItemsPath is the path of the limit in the effective input, "" when absent.
	MaxItemsPath string
}

// ItemBatcher is the Map state's ItemBatcher. A zero limit is one not given (literal limits are at
// least 1).
type ItemBatcher struct {
	MaxItemsPerBatch          int64
	MaxItemsPerBatchPath      string
	MaxInputBytesPerBatch     int64
	MaxInputBytesPerBatchPath string
	// BatchInput is as given, compact, nil when absent; an object may hold ".$" paths, which
	// Resolve evaluates.
	BatchInput json.RawMessage

	itemsPath, bytesPath *selector.Path
	batchInput           *selector.Template
}

// ResultWriter is the Map state's ResultWriter: Resource with Parameters (export), WriterConfig
// (format the output), or all three.
type ResultWriter struct {
	// Resource is ResourcePutObject, or "" when only WriterConfig is given.
	Resource string
	// Parameters is the template of Bucket and Prefix, compact, nil when absent.
	Parameters   json.RawMessage
	WriterConfig *WriterConfig

	params *selector.Template
}

// WriterConfig is ResultWriter.WriterConfig: OutputType JSON or JSONL; Transformation NONE,
// COMPACT or FLATTEN, "" when absent (the caller's default: NONE when exporting, COMPACT
// otherwise).
type WriterConfig struct {
	OutputType     string
	Transformation string
}

// ParseMap reads a definition file: either a Map state object ({"Type":"Map",…}), or a whole
// state machine ({"StartAt":…,"States":{…}}) whose StartAt state is a Map state and which has no
// other state (only the Map state is run). Every field is validated; an invalid definition is a
// *DefinitionError. The result is immutable and safe for concurrent use; it does not keep data.
func ParseMap(data []byte) (*MapState, error) {
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, &DefinitionError{Reason: "the definition is not valid JSON: " + err.Error()}
	}
	root, err := decodeObject("", data)
	if err != nil {
		return nil, &DefinitionError{Reason: "the definition must be a JSON object: a Map state or a state machine"}
	}
	if root.has("Type") {
		return parseMapState(defaultMapStateName, root, false)
	}
	if !root.has("StartAt") && !root.has("States") {
		return nil, &DefinitionError{Reason: `the definition must be a Map state object ({"Type":"Map",…}) or a state machine ({"StartAt":…,"States":{…}})`}
	}
	if err := root.check("a state machine", "Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"); err != nil {
		return nil, err
	}
	if err := root.checkQueryLanguage(); err != nil {
		return nil, err
	}
	start, ok, err := root.nonEmpty("StartAt")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, defErr("StartAt", "required")
	}
	states, ok, err := root.sub("States")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, defErr("States", "required")
	}
	raw, ok := states.get(start)
	if !ok {
		return nil, defErr("StartAt", "no state named %s in States", quote(start))
	}
	for _, m := range states.members {
		if m.key != start {
			return nil, defErr(states.at(m.key), "only the Map state %s (StartAt) is run, so the state machine can hold no other state", quote(start))
		}
	}
	st, err := decodeObject("", raw)
	if err != nil {
		return nil, defErr(states.at(start), "must be a JSON object")
	}
	if t, _, _ := st.str("Type"); t != "Map" {
		return nil, defErr(states.at(start), "the StartAt state must be a Map state, got Type %s", quote(t))
	}
	return parseMapState(start, st, true)
}

// parseMapState validates a Map state object. Its locations are relative to the object.
func parseMapState(name string, o *object, inMachine bool) (*MapState, error) {
	if err := o.check("a Map state", "Type", "Comment", "QueryLanguage", "Next", "End",
		"InputPath", "OutputPath", "ResultPath", "ItemsPath", "ItemReader", "ItemSelector", "Parameters",
		"ItemBatcher", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
		"ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
		"Label", "ItemProcessor", "Iterator", "ResultWriter", "ResultSelector", "Retry", "Catch"); err != nil {
		return nil, err
	}
	if t, _, err := o.str("Type"); err != nil {
		return nil, err
	} else if t != "Map" {
		return nil, defErr("Type", "must be \"Map\": only a Map state is run, got %s", quote(t))
	}
	if err := o.checkQueryLanguage(); err != nil {
		return nil, err
	}
	m := &MapState{Name: name}
	if err := m.parseFlow(o, inMachine); err != nil {
		return nil, err
	}
	var err error
	if m.inputPath, err = o.pathField("InputPath", false, true); err != nil {
		return nil, err
	}
	if m.outputPath, err = o.pathField("OutputPath", false, true); err != nil {
		return nil, err
	}
	if m.resultPath, err = o.pathField("ResultPath", true, true); err != nil {
		return nil, err
	}
	if m.itemsPath, err = o.pathField("ItemsPath", true, false); err != nil {
		return nil, err
	}
	m.InputPath, m.OutputPath, m.ResultPath, m.ItemsPath = m.inputPath.text, m.outputPath.text, m.resultPath.text, m.itemsPath.text

	if o.has("ItemSelector") && o.has("Parameters") {
		return nil, defErr("Parameters", "ItemSelector and its legacy alias Parameters cannot both be given")
	}
	for _, f := range []string{"ItemSelector", "Parameters"} {
		if raw, ok := o.get(f); ok {
			if _, err := selector.CompileField(f, raw); err != nil {
				return nil, compileErr(f, err)
			}
			m.ItemSelector, m.ItemSelectorField = compact(raw), f
		}
	}
	if m.ResultSelector, m.resultSelector, err = o.template("ResultSelector"); err != nil {
		return nil, err
	}
	if err := m.parseLimits(o); err != nil {
		return nil, err
	}
	if l, ok, err := o.str("Label"); err != nil {
		return nil, err
	} else if ok {
		if l == "" {
			return nil, defErr("Label", "must not be empty")
		}
		m.Label = l
	}
	if r, ok, err := o.sub("ItemReader"); err != nil {
		return nil, err
	} else if ok {
		if m.ItemReader, err = parseItemReader(r); err != nil {
			return nil, err
		}
	}
	if b, ok, err := o.sub("ItemBatcher"); err != nil {
		return nil, err
	} else if ok {
		if m.ItemBatcher, err = parseItemBatcher(b); err != nil {
			return nil, err
		}
	}
	if w, ok, err := o.sub("ResultWriter"); err != nil {
		return nil, err
	} else if ok {
		if m.ResultWriter, err = parseResultWriter(w); err != nil {
			return nil, err
		}
	}
	switch {
	case o.has("ItemProcessor") && o.has("Iterator"):
		return nil, defErr("Iterator", "ItemProcessor and its legacy alias Iterator cannot both be given")
	case o.has("ItemProcessor"):
		m.Processor, err = parseProcessor(o, "ItemProcessor")
	case o.has("Iterator"):
		m.Processor, err = parseProcessor(o, "Iterator")
	default:
		return nil, defErr("ItemProcessor", "required")
	}
	if err != nil {
		return nil, err
	}
	if m.Retry, err = parseRetry(o); err != nil {
		return nil, err
	}
	if m.Catch, err = parseCatch(o); err != nil {
		return nil, err
	}
	if inMachine {
		for i, c := range m.Catch {
			// The state machine holds no other state (checked by ParseMap), so no Next exists.
			return nil, defErr(index("Catch", i)+".Next", "no state named %s: only the Map state is run", quote(c.Next))
		}
	}
	return m, nil
}

// parseFlow checks Next and End. In a state machine the Map state must end it; a bare state
// object may keep the Next/End it had in its own state machine, which is ignored.
func (m *MapState) parseFlow(o *object, inMachine bool) error {
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
		return defErr("End", "Next and End cannot both be given")
	case hasEnd && !end:
		return defErr("End", "must be true when given")
	case inMachine && hasNext:
		return defErr("Next", "no state named %s: only the Map state is run, so it must end the state machine (\"End\": true)", quote(next))
	case inMachine && !hasEnd:
		return defErr("End", "required: the Map state must end the state machine (\"End\": true)")
	}
	return nil
}

// parseLimits reads MaxConcurrency and the tolerated failures, literal or Path.
func (m *MapState) parseLimits(o *object) error {
	for _, f := range []string{"MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage"} {
		if err := o.exclusive(f); err != nil {
			return err
		}
	}
	if n, ok, err := o.integer("MaxConcurrency"); err != nil {
		return err
	} else if ok {
		if n < 0 {
			return defErr("MaxConcurrency", "must be 0 (no limit) or more, got %d", n)
		}
		m.MaxConcurrency = &n
	}
	if n, ok, err := o.integer("ToleratedFailureCount"); err != nil {
		return err
	} else if ok {
		if n < 0 {
			return defErr("ToleratedFailureCount", "must be 0 or more, got %d", n)
		}
		m.ToleratedFailureCount = &n
	}
	if f, ok, err := o.number("ToleratedFailurePercentage"); err != nil {
		return err
	} else if ok {
		if f < 0 || f > maxToleratedPercentage {
			return defErr("ToleratedFailurePercentage", "must be between 0 and 100, got %v", f)
		}
		m.ToleratedFailurePercentage = &f
	}
	var err error
	if m.MaxConcurrencyPath, m.maxConcurrencyPath, err = o.refPath("MaxConcurrencyPath"); err != nil {
		return err
	}
	if m.ToleratedFailureCountPath, m.toleratedCountPath, err = o.refPath("ToleratedFailureCountPath"); err != nil {
		return err
	}
	if m.ToleratedFailurePercentagePath, m.toleratedPercentPath, err = o.refPath("ToleratedFailurePercentagePath"); err != nil {
		return err
	}
	return nil
}

func parseItemReader(o *object) (*ItemReader, error) {
	if err := o.check("an ItemReader", "Resource", "Parameters", "ReaderConfig"); err != nil {
		return nil, err
	}
	r := &ItemReader{}
	res, ok, err := o.str("Resource")
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		return nil, defErr(o.at("Resource"), "required")
	case res != ResourceGetObject && res != ResourceListObjectsV2:
		return nil, defErr(o.at("Resource"), "must be %s or %s, got %s", ResourceGetObject, ResourceListObjectsV2, quote(res))
	}
	r.Resource = res
	if r.Parameters, r.params, err = o.template("Parameters"); err != nil {
		return nil, err
	}
	allowed := []string{"Bucket", "Prefix"}
	required := []string{"Bucket"}
	if res == ResourceGetObject {
		allowed, required = []string{"Bucket", "Key", "VersionId"}, []string{"Bucket", "Key"}
	}
	if err := checkTemplateKeys(o, "Parameters", res, allowed, required); err != nil {
		return nil, err
	}
	rc, ok, err := o.sub("ReaderConfig")
	if err != nil {
		return nil, err
	}
	if !ok {
		if res == ResourceGetObject {
			return nil, defErr(o.at("ReaderConfig"), "required with %s: its InputType says how to read the object", res)
		}
		return r, nil
	}
	if err := rc.check("a ReaderConfig", "InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "MaxItemsPath"); err != nil {
		return nil, err
	}
	c := &r.ReaderConfig
	if c.InputType, ok, err = rc.str("InputType"); err != nil {
		return nil, err
	}
	switch {
	case res == ResourceGetObject && !ok:
		return nil, defErr(rc.at("InputType"), "required with %s", res)
	case res == ResourceListObjectsV2 && ok:
		return nil, defErr(rc.at("InputType"), "is for %s only: %s items are the listed objects", ResourceGetObject, res)
	case ok && !oneOf(c.InputType, "CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"):
		return nil, defErr(rc.at("InputType"), "must be CSV, JSON, JSONL, PARQUET or MANIFEST, got %s", quote(c.InputType))
	}
	csv := c.InputType == "CSV"
	if c.CSVHeaderLocation, ok, err = rc.str("CSVHeaderLocation"); err != nil {
		return nil, err
	} else if ok {
		if !csv {
			return nil, defErr(rc.at("CSVHeaderLocation"), "is for InputType CSV only")
		}
		if !oneOf(c.CSVHeaderLocation, "FIRST_ROW", "GIVEN") {
			return nil, defErr(rc.at("CSVHeaderLocation"), "must be FIRST_ROW or GIVEN, got %s", quote(c.CSVHeaderLocation))
		}
	}
	if c.CSVHeaders, ok, err = rc.strings("CSVHeaders"); err != nil {
		return nil, err
	}
	switch {
	case ok && c.CSVHeaderLocation != "GIVEN":
		return nil, defErr(rc.at("CSVHeaders"), "needs CSVHeaderLocation GIVEN")
	case ok && len(c.CSVHeaders) == 0:
		return nil, defErr(rc.at("CSVHeaders"), "must hold at least one header")
	case !ok && c.CSVHeaderLocation == "GIVEN":
		return nil, defErr(rc.at("CSVHeaders"), "required with CSVHeaderLocation GIVEN")
	}
	if c.CSVDelimiter, ok, err = rc.str("CSVDelimiter"); err != nil {
		return nil, err
	} else if ok {
		if !csv {
			return nil, defErr(rc.at("CSVDelimiter"), "is for InputType CSV only")
		}
		if !oneOf(c.CSVDelimiter, "COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB") {
			return nil, defErr(rc.at("CSVDelimiter"), "must be COMMA, PIPE, SEMICOLON, SPACE or TAB, got %s", quote(c.CSVDelimiter))
		}
	}
	if err := rc.exclusive("MaxItems"); err != nil {
		return nil, err
	}
	if n, ok, err := rc.integer("MaxItems"); err != nil {
		return nil, err
	} else if ok {
		if n < 0 || n > maxItemsLimit {
			return nil, defErr(rc.at("MaxItems"), "must be between 0 (no limit) and %d, got %d", maxItemsLimit, n)
		}
		c.MaxItems = &n
	}
	if c.MaxItemsPath, r.maxItemsPath, err = rc.refPath("MaxItemsPath"); err != nil {
		return nil, err
	}
	return r, nil
}

// checkTemplateKeys checks the top-level keys of a Parameters template: each one, without its
// ".$", must be allowed, and the required ones present.
func checkTemplateKeys(o *object, field, resource string, allowed, required []string) error {
	raw, ok := o.get(field)
	if !ok {
		return defErr(o.at(field), "required with %s (%s)", resource, strings.Join(required, ", "))
	}
	p, err := decodeObject(o.at(field), raw)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, mb := range p.members {
		k := strings.TrimSuffix(mb.key, ".$")
		if !oneOf(k, allowed...) {
			return defErr(p.at(mb.key), "field %s is not supported with %s (use %s)", k, resource, strings.Join(allowed, ", "))
		}
		seen[k] = true
	}
	for _, k := range required {
		if !seen[k] {
			return defErr(p.at(k), "required with %s", resource)
		}
	}
	return nil
}

func parseItemBatcher(o *object) (*ItemBatcher, error) {
	if err := o.check("an ItemBatcher", "MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"); err != nil {
		return nil, err
	}
	b := &ItemBatcher{}
	for _, f := range []string{"MaxItemsPerBatch", "MaxInputBytesPerBatch"} {
		if err := o.exclusive(f); err != nil {
			return nil, err
		}
	}
	if n, ok, err := o.integer("MaxItemsPerBatch"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 {
			return nil, defErr(o.at("MaxItemsPerBatch"), "must be at least 1, got %d", n)
		}
		b.MaxItemsPerBatch = n
	}
	if n, ok, err := o.integer("MaxInputBytesPerBatch"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > maxInputBytesPerBatch {
			return nil, defErr(o.at("MaxInputBytesPerBatch"), "must be between 1 and %d (256 KiB), got %d", maxInputBytesPerBatch, n)
		}
		b.MaxInputBytesPerBatch = n
	}
	var err error
	if b.MaxItemsPerBatchPath, b.itemsPath, err = o.refPath("MaxItemsPerBatchPath"); err != nil {
		return nil, err
	}
	if b.MaxInputBytesPerBatchPath, b.bytesPath, err = o.refPath("MaxInputBytesPerBatchPath"); err != nil {
		return nil, err
	}
	if b.MaxItemsPerBatch == 0 && b.MaxInputBytesPerBatch == 0 && b.itemsPath == nil && b.bytesPath == nil {
		return nil, defErr(o.loc, "needs MaxItemsPerBatch or MaxInputBytesPerBatch (or a Path form of one)")
	}
	if raw, ok := o.get("BatchInput"); ok {
		b.BatchInput = compact(raw)
		if jsonKind(raw) == '{' {
			if _, b.batchInput, err = o.template("BatchInput"); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func parseResultWriter(o *object) (*ResultWriter, error) {
	if err := o.check("a ResultWriter", "Resource", "Parameters", "WriterConfig"); err != nil {
		return nil, err
	}
	if len(o.members) == 0 {
		return nil, defErr(o.loc, "an empty ResultWriter is invalid: give Resource and Parameters (export), WriterConfig (format), or all three")
	}
	w := &ResultWriter{}
	res, hasRes, err := o.str("Resource")
	if err != nil {
		return nil, err
	}
	switch {
	case hasRes && res != ResourcePutObject:
		return nil, defErr(o.at("Resource"), "must be %s, got %s", ResourcePutObject, quote(res))
	case hasRes && !o.has("Parameters"):
		return nil, defErr(o.at("Parameters"), "required with Resource (Bucket, Prefix)")
	case !hasRes && o.has("Parameters"):
		return nil, defErr(o.at("Resource"), "required with Parameters (%s)", ResourcePutObject)
	}
	w.Resource = res
	if hasRes {
		if w.Parameters, w.params, err = o.template("Parameters"); err != nil {
			return nil, err
		}
		if err := checkTemplateKeys(o, "Parameters", res, []string{"Bucket", "Prefix"}, []string{"Bucket"}); err != nil {
			return nil, err
		}
	}
	wc, ok, err := o.sub("WriterConfig")
	if err != nil || !ok {
		return w, err
	}
	if err := wc.check("a WriterConfig", "OutputType", "Transformation"); err != nil {
		return nil, err
	}
	w.WriterConfig = &WriterConfig{}
	if w.WriterConfig.OutputType, ok, err = wc.str("OutputType"); err != nil {
		return nil, err
	} else if !ok {
		return nil, defErr(wc.at("OutputType"), "required (JSON or JSONL)")
	} else if !oneOf(w.WriterConfig.OutputType, "JSON", "JSONL") {
		return nil, defErr(wc.at("OutputType"), "must be JSON or JSONL, got %s", quote(w.WriterConfig.OutputType))
	}
	if w.WriterConfig.Transformation, ok, err = wc.str("Transformation"); err != nil {
		return nil, err
	} else if ok && !oneOf(w.WriterConfig.Transformation, "NONE", "COMPACT", "FLATTEN") {
		return nil, defErr(wc.at("Transformation"), "must be NONE, COMPACT or FLATTEN, got %s", quote(w.WriterConfig.Transformation))
	}
	return w, nil
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
