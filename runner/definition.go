package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

// definition is what a run needs from the Map state its Job came from, beyond the Job's fields.
type definition struct {
	m          *asl.MapState
	stateInput json.RawMessage // the state input, before InputPath
	// bucket and prefix name the ResultWriter's S3 location when it was mapped to a folder, so
	// the state output names it as Step Functions would.
	bucket, prefix string
}

// shapesOutput reports whether the state output differs from the Map result.
func (d *definition) shapesOutput() bool {
	return d != nil && (d.m.ResultSelector != nil || d.m.ResultPath != nil || d.m.OutputPath != nil)
}

// stateName is the Map state's name, for States.Runtime causes.
func (d *definition) stateName() string {
	if d == nil {
		return "Map"
	}
	return d.m.Name
}

// applyDefinition reads j.Definition into j's empty fields (see Job.Definition). An invalid
// definition is a *ValidationError; a Map state that fails before its Map Run starts (an
// invalid *Path value, say) is a FAILED Report.
func (j *Job) applyDefinition() (*definition, *Report, error) {
	m, err := asl.ParseMap(j.Definition)
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return nil, nil, &ValidationError{Field: "Definition." + de.Location, Reason: de.Reason}
		}
		return nil, nil, invalid("Definition", "%v", err)
	}
	raw, err := mapStateObject(j.Definition)
	if err != nil {
		return nil, nil, invalid("Definition", "%v", err)
	}
	stateInput := j.Input
	if len(stateInput) == 0 {
		stateInput = json.RawMessage("{}")
	} else if !json.Valid(stateInput) {
		return nil, nil, invalid("Input", "is not JSON")
	}
	d := &definition{m: m, stateInput: stateInput}
	failed := func(err error) (*definition, *Report, error) {
		var se *asl.StatesError
		if errors.As(err, &se) {
			return nil, &Report{Status: StatusFailed, Error: se.Name, Cause: se.Cause}, nil
		}
		return nil, nil, err
	}
	eff, err := m.Effective(stateInput)
	if err != nil {
		return failed(err)
	}
	set, err := m.Resolve(eff)
	if err != nil {
		return failed(err)
	}
	j.Input = eff
	if j.Label == "" {
		j.Label = m.Label
	}
	if len(j.ItemSelector) == 0 {
		j.ItemSelector = m.ItemSelector
	}
	if j.ItemBatcher == nil && m.ItemBatcher != nil {
		j.ItemBatcher = &ItemBatcher{MaxItemsPerBatch: set.MaxItemsPerBatch,
			MaxInputBytesPerBatch: set.MaxInputBytesPerBatch, BatchInput: set.BatchInput}
	}
	if j.MaxConcurrency == 0 {
		j.MaxConcurrency = int(min(set.MaxConcurrency, MaxConcurrencyLimit))
	}
	if j.ToleratedFailureCount == nil {
		j.ToleratedFailureCount = set.ToleratedFailureCount
	}
	if j.ToleratedFailurePercentage == nil {
		j.ToleratedFailurePercentage = set.ToleratedFailurePercentage
	}
	if len(j.ItemProcessor) == 0 {
		j.ItemProcessor = raw["ItemProcessor"]
		if j.ItemProcessor == nil {
			j.ItemProcessor = raw["Iterator"]
		}
		// One module given without a name takes the name of the only function the Tasks invoke.
		if refs := m.Processor.Functions(); len(j.Functions) == 1 && j.Functions[0].Name == "" {
			names := map[string]bool{}
			for _, r := range refs {
				names[r.Name] = true
			}
			if len(names) == 1 {
				j.Functions[0].Name = refs[0].Name
			}
		}
	}
	if set.MaxItemsNegative && j.ItemReader.ReaderConfig.MaxItems == 0 {
		// Step Functions starts the Map Run, then fails it (ASL reference §3.2).
		return nil, &Report{Status: StatusFailed, Error: ErrItemReaderFailed, Cause: "field MaxItems must be positive"}, nil
	}
	if err := j.applyReader(m, set, eff); err != nil {
		return failed(err)
	}
	if err := j.applyWriter(m, set, d); err != nil {
		return nil, nil, err
	}
	return d, nil, nil
}

// applyReader sets the item source from the definition's ItemReader (or, without one, the items
// at ItemsPath), unless the Job names one.
func (j *Job) applyReader(m *asl.MapState, set *asl.Settings, eff json.RawMessage) error {
	ir := &j.ItemReader
	if m.ItemReader != nil {
		rc := &ir.ReaderConfig
		mc := m.ItemReader.ReaderConfig
		if rc.InputType == "" {
			rc.InputType = mc.InputType
		}
		if rc.CSVHeaderLocation == "" && len(rc.CSVHeaders) == 0 {
			rc.CSVHeaderLocation, rc.CSVHeaders = mc.CSVHeaderLocation, mc.CSVHeaders
		}
		if rc.CSVDelimiter == "" {
			rc.CSVDelimiter = mc.CSVDelimiter
		}
		if rc.MaxItems == 0 {
			rc.MaxItems = set.MaxItems
		}
	}
	if ir.Source != "" || len(ir.Items) > 0 {
		return nil
	}
	if m.ItemReader == nil {
		items, err := m.Items(eff)
		if err != nil {
			return err
		}
		ir.Items = items
		return nil
	}
	var p struct{ Bucket, Key, Prefix string }
	if err := json.Unmarshal(set.ReaderParameters, &p); err != nil || p.Bucket == "" {
		return invalid("Definition.ItemReader.Parameters", "needs a Bucket (give the items with --items instead)")
	}
	dir, ok := j.Buckets[p.Bucket]
	if !ok {
		return invalid("Buckets", "the ItemReader reads bucket %q: map it to a local folder (--bucket %s=DIR) or give the items with --items", p.Bucket, p.Bucket)
	}
	switch m.ItemReader.Resource {
	case asl.ResourceListObjectsV2:
		ir.Source, ir.Prefix = dir, p.Prefix
	default:
		if p.Key == "" {
			return invalid("Definition.ItemReader.Parameters", "getObject needs a Key")
		}
		if !localKey(p.Key) {
			return invalid("Definition.ItemReader.Parameters.Key", "%q leaves the bucket's folder", p.Key)
		}
		ir.Source = filepath.Join(dir, filepath.FromSlash(p.Key))
	}
	return nil
}

// applyWriter sets the ResultWriter from the definition's, unless the Job has its own folder.
func (j *Job) applyWriter(m *asl.MapState, set *asl.Settings, d *definition) error {
	mw := m.ResultWriter
	if mw == nil {
		return nil
	}
	if j.ResultWriter == nil {
		j.ResultWriter = &ResultWriter{}
	}
	rw := j.ResultWriter
	if rw.WriterConfig == nil && mw.WriterConfig != nil {
		rw.WriterConfig = &WriterConfig{OutputType: mw.WriterConfig.OutputType, Transformation: mw.WriterConfig.Transformation}
	}
	if rw.Dir != "" || mw.Resource == "" {
		return nil
	}
	var p struct{ Bucket, Prefix string }
	if err := json.Unmarshal(set.WriterParameters, &p); err != nil || p.Bucket == "" {
		return invalid("Definition.ResultWriter.Parameters", "needs a Bucket (or give a results folder with --results)")
	}
	dir, ok := j.Buckets[p.Bucket]
	if !ok {
		return invalid("Buckets", "the ResultWriter writes to bucket %q: map it to a local folder (--bucket %s=DIR) or give --results DIR", p.Bucket, p.Bucket)
	}
	if p.Prefix != "" && !localKey(p.Prefix) {
		return invalid("Definition.ResultWriter.Parameters.Prefix", "%q leaves the bucket's folder", p.Prefix)
	}
	rw.Dir = filepath.Join(dir, filepath.FromSlash(p.Prefix))
	d.bucket, d.prefix = p.Bucket, p.Prefix
	return nil
}

// localKey reports whether an S3 key stays inside its bucket's folder.
func localKey(k string) bool {
	if strings.HasPrefix(k, "/") || strings.Contains(k, "\\") {
		return false
	}
	c := path.Clean(k)
	return c != ".." && !strings.HasPrefix(c, "../")
}

// mapStateObject returns the Map state's members: the definition itself, or its state
// machine's StartAt state.
func mapStateObject(def json.RawMessage) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(def, &obj); err != nil {
		return nil, err
	}
	if obj["States"] == nil {
		return obj, nil
	}
	var start string
	var states map[string]map[string]json.RawMessage
	if err := json.Unmarshal(obj["StartAt"], &start); err != nil {
		return nil, fmt.Errorf("StartAt: %v", err)
	}
	if err := json.Unmarshal(obj["States"], &states); err != nil {
		return nil, fmt.Errorf("States: %v", err)
	}
	return states[start], nil
}

// resultWriterKey is the manifest's key as Step Functions reports it: "<Prefix>/<uuid>/manifest.json",
// a "/" inserted after a prefix that lacks one (ASL reference §9).
func resultWriterKey(prefix, id string) string {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix + id + "/manifest.json"
}
