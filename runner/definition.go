package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/wasmap/wasmap/runner/internal/asl"
)

// definition is what a run needs from the Map state its Job came from, beyond the Job's fields.
type definition struct {
	m          *asl.MapState
	stateInput json.RawMessage // the state input, before InputPath
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
	j.context = j.contextObject(m.Name, stateInput, time.Now())
	set, err := m.ResolveContext(eff, j.context)
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
		j.maxItemsNegative = true
	}
	if err := j.applyReader(m, set, eff); err != nil {
		return failed(err)
	}
	if err := j.applyWriter(m, set); err != nil {
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
	// The bucket is S3's, or the folder Job.Buckets maps it to.
	switch m.ItemReader.Resource {
	case asl.ResourceListObjectsV2:
		ir.Source, ir.Prefix = "s3://"+p.Bucket+"/", p.Prefix
	default:
		if p.Key == "" {
			return invalid("Definition.ItemReader.Parameters", "getObject needs a Key")
		}
		ir.Source = "s3://" + p.Bucket + "/" + p.Key
	}
	return nil
}

// applyWriter sets the ResultWriter from the definition's, unless the Job has its own folder.
func (j *Job) applyWriter(m *asl.MapState, set *asl.Settings) error {
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
	if rw.Dir != "" || rw.Bucket != "" || mw.Resource == "" {
		return nil
	}
	var p struct{ Bucket, Prefix string }
	if err := json.Unmarshal(set.WriterParameters, &p); err != nil || p.Bucket == "" {
		return invalid("Definition.ResultWriter.Parameters", "needs a Bucket (or give a results folder with --results)")
	}
	rw.Bucket, rw.Prefix = p.Bucket, p.Prefix
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

// contextObject is the context object ($$) of the Map state named state, for the paths of
// ItemSelector, BatchInput and the ItemReader's and ResultWriter's Parameters: the Execution
// (the state machine execution the Map state is part of; wasmap makes one up per run, with
// the state input as its input), the State and the StateMachine. "$$.Map.Item" is added per
// item. It uses the Job's Region, Account and StateMachineName, with their defaults.
func (j *Job) contextObject(state string, stateInput json.RawMessage, entered time.Time) json.RawMessage {
	region, account, sm := j.arnNames()
	if len(stateInput) == 0 {
		stateInput = json.RawMessage("{}")
	}
	var names nameSource
	names.seed()
	exec := names.next()
	when := entered.UTC().Format(dateFormat)
	type execution struct {
		Id        string          `json:"Id"`
		Input     json.RawMessage `json:"Input"`
		Name      string          `json:"Name"`
		RoleArn   string          `json:"RoleArn"`
		StartTime string          `json:"StartTime"`
	}
	type stateInfo struct {
		EnteredTime string `json:"EnteredTime"`
		Name        string `json:"Name"`
		RetryCount  int    `json:"RetryCount"`
	}
	type named struct {
		Id, Name string
	}
	b, _ := json.Marshal(struct {
		Execution    execution
		State        stateInfo
		StateMachine named
	}{
		execution{"arn:aws:states:" + region + ":" + account + ":execution:" + sm + ":" + exec, stateInput, exec,
			"arn:aws:iam::" + account + ":role/wasmap", when},
		stateInfo{when, state, 0},
		named{"arn:aws:states:" + region + ":" + account + ":stateMachine:" + sm, sm},
	})
	return b
}
