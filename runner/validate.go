package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/wasmap/wasmap/runner/internal/asl"
	"github.com/wasmap/wasmap/runner/internal/batcher"
	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/selector"
)

// MaxConcurrencyLimit is the most environments a run may ask for (Step Functions' 10,000).
const MaxConcurrencyLimit = 10000

// ValidationError is a Job that cannot run. Field names the offending field.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, a ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// normalize applies defaults and checks every field, returning the first problem.
func (j *Job) normalize() error {
	if j.Label == "" {
		j.Label = "Map"
	}
	if err := checkLabel(j.Label); err != nil {
		return err
	}
	j.Region, j.Account, j.StateMachineName = j.arnNames()
	switch {
	case j.ItemReader.Source == "" && len(j.ItemReader.Items) == 0:
		return invalid("ItemReader.Source", "no item source given")
	case j.ItemReader.Source != "" && len(j.ItemReader.Items) > 0:
		return invalid("ItemReader.Items", "give items or a source, not both")
	}
	rc := &j.ItemReader.ReaderConfig
	rc.InputType = strings.ToUpper(rc.InputType)
	switch rc.InputType {
	case "", "JSON", "JSONL", "CSV":
	case "MANIFEST":
		if !isS3(j.ItemReader.Source) {
			return invalid("ItemReader.ReaderConfig.InputType", "MANIFEST reads an S3 inventory's manifest.json: give its s3:// URI")
		}
	default:
		return invalid("ItemReader.ReaderConfig.InputType", "%q is not JSON, JSONL, CSV or MANIFEST", rc.InputType)
	}
	rc.CSVHeaderLocation = strings.ToUpper(rc.CSVHeaderLocation)
	switch rc.CSVHeaderLocation {
	case "", "FIRST_ROW":
		if len(rc.CSVHeaders) > 0 {
			return invalid("ItemReader.ReaderConfig.CSVHeaders", "headers are given, so CSVHeaderLocation must be GIVEN")
		}
	case "GIVEN":
		if len(rc.CSVHeaders) == 0 {
			return invalid("ItemReader.ReaderConfig.CSVHeaders", "CSVHeaderLocation GIVEN needs at least one header")
		}
	default:
		return invalid("ItemReader.ReaderConfig.CSVHeaderLocation", "%q is not FIRST_ROW or GIVEN", rc.CSVHeaderLocation)
	}
	rc.CSVDelimiter = strings.ToUpper(rc.CSVDelimiter)
	switch rc.CSVDelimiter {
	case "", "COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB":
	default:
		return invalid("ItemReader.ReaderConfig.CSVDelimiter", "%q is not COMMA, PIPE, SEMICOLON, SPACE or TAB", rc.CSVDelimiter)
	}
	if rc.MaxItems < 0 {
		return invalid("ItemReader.ReaderConfig.MaxItems", "must be 0 (all items) or more, got %d", rc.MaxItems)
	}
	if len(j.Input) == 0 {
		j.Input = json.RawMessage("{}")
	} else if !json.Valid(j.Input) {
		return invalid("Input", "is not JSON")
	}
	if len(j.ItemSelector) > 0 {
		if _, err := selector.Compile(j.ItemSelector); err != nil {
			var ce *selector.CompileError
			if errors.As(err, &ce) {
				return &ValidationError{Field: ce.Location, Reason: ce.Reason}
			}
			return invalid("ItemSelector", "%v", err)
		}
	}
	if b := j.ItemBatcher; b != nil {
		if err := (batcher.Config{MaxItemsPerBatch: b.MaxItemsPerBatch, MaxInputBytesPerBatch: b.MaxInputBytesPerBatch, BatchInput: b.BatchInput}).Validate(); err != nil {
			return invalid("ItemBatcher", "%v", err)
		}
	}
	if j.MaxConcurrency < 0 || j.MaxConcurrency > MaxConcurrencyLimit {
		return invalid("MaxConcurrency", "must be between 0 and %d, got %d", MaxConcurrencyLimit, j.MaxConcurrency)
	}
	if j.MaxConcurrency == 0 {
		j.MaxConcurrency = execenv.NumCPU()
		j.concurrencyChosen = fmt.Sprintf("none given: one environment per CPU (%d)", j.MaxConcurrency)
	}
	if c := j.ToleratedFailureCount; c != nil && *c < 0 {
		return invalid("ToleratedFailureCount", "cannot be negative, got %d", *c)
	}
	if p := j.ToleratedFailurePercentage; p != nil && (*p < 0 || *p > 100) {
		return invalid("ToleratedFailurePercentage", "must be between 0 and 100, got %g", *p)
	}
	if rw := j.ResultWriter; rw != nil {
		if rw.MaxFileBytes < 0 {
			return invalid("ResultWriter.MaxFileBytes", "cannot be negative, got %d", rw.MaxFileBytes)
		}
		if rw.Dir != "" && rw.Bucket != "" {
			return invalid("ResultWriter", "give a folder or a bucket, not both")
		}
		if rw.Prefix != "" && rw.Bucket == "" {
			return invalid("ResultWriter.Prefix", "a Prefix needs a Bucket")
		}
		if rw.Dir == "" && rw.Bucket == "" && rw.WriterConfig == nil {
			return invalid("ResultWriter", "an empty ResultWriter is invalid: give a folder, a WriterConfig, or both")
		}
		if wc := rw.WriterConfig; wc != nil {
			wc.OutputType = strings.ToUpper(wc.OutputType)
			switch wc.OutputType {
			case "", "JSON", "JSONL":
			default:
				return invalid("ResultWriter.WriterConfig.OutputType", "%q is not JSON or JSONL", wc.OutputType)
			}
			wc.Transformation = strings.ToUpper(wc.Transformation)
			switch wc.Transformation {
			case "", "NONE", "COMPACT", "FLATTEN":
			default:
				return invalid("ResultWriter.WriterConfig.Transformation", "%q is not NONE, COMPACT or FLATTEN", wc.Transformation)
			}
		}
	}
	if len(j.Functions) == 0 && len(j.ItemProcessor) == 0 {
		return invalid("Functions", "no function module given")
	}
	switch strings.ToUpper(j.LogFormat) {
	case "", "TEXT":
		j.LogFormat = execenv.LogFormatText
	case "JSON":
		j.LogFormat = execenv.LogFormatJSON
	default:
		return invalid("LogFormat", "%q is not Text or JSON", j.LogFormat)
	}
	for i, x := range j.Extensions {
		if x.Path == "" {
			return invalid(fmt.Sprintf("Extensions[%d].Path", i), "no extension module given")
		}
	}
	names := map[string]bool{}
	for i := range j.Functions {
		f := &j.Functions[i]
		field := fmt.Sprintf("Functions[%d]", i)
		if err := f.normalize(field); err != nil {
			return err
		}
		if names[f.Name] {
			return invalid(field+".Name", "%q is given twice", f.Name)
		}
		names[f.Name] = true
	}
	if len(j.ItemProcessor) == 0 {
		if len(j.Functions) > 1 {
			return invalid("Functions", "%d functions are given but no ItemProcessor says which Task invokes which", len(j.Functions))
		}
	} else {
		p, err := asl.ParseProcessor(j.ItemProcessor)
		if err != nil {
			var de *asl.DefinitionError
			if errors.As(err, &de) {
				return &ValidationError{Field: de.Location, Reason: de.Reason}
			}
			return invalid("ItemProcessor", "%v", err)
		}
		for _, ref := range p.Functions() {
			if !names[ref.Name] {
				return &ValidationError{Field: ref.Location, Reason: fmt.Sprintf("no function module is named %q (give one with --function %s=FILE.wasm)", ref.Name, ref.Name)}
			}
		}
	}
	if j.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			j.CacheDir = filepath.Join(d, "wasmap")
		}
	}
	return nil
}

func checkLabel(l string) error {
	if n := len([]rune(l)); n > 40 {
		return invalid("Label", "%q is %d characters; at most 40", l, n)
	}
	for _, r := range l {
		if unicode.IsSpace(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~$&,;:/`", r) || r <= 0x1f || (r >= 0x7f && r <= 0x9f) {
			return invalid("Label", "%q contains %q, which a label may not contain", l, r)
		}
	}
	return nil
}

// nameFromPath derives a function name from a module's file name: "my_func.v2.wasm" gives
// "my_func-v2".
func nameFromPath(p string) string {
	n := []rune(strings.TrimSuffix(filepath.Base(p), ".wasm"))
	for i, r := range n {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			n[i] = '-'
		}
	}
	if len(n) > 64 {
		n = n[:64]
	}
	if len(n) == 0 {
		return "function"
	}
	return string(n)
}

// normalize applies a function's defaults and checks its limits; field names it in errors.
func (f *Function) normalize(field string) error {
	if f.Path == "" {
		return invalid(field+".Path", "no function module given")
	}
	if f.Name == "" {
		f.Name = nameFromPath(f.Path)
	}
	if !asl.ValidFunctionName(f.Name) {
		return invalid(field+".Name", "%q: use 1-64 letters, digits, hyphens or underscores (Lambda's rule)", f.Name)
	}
	if f.MemoryMB == 0 {
		f.MemoryMB = 128
	}
	if f.MemoryMB < 1 || f.MemoryMB > 10240 {
		return invalid(field+".MemoryMB", "must be between 1 and 10240 (Lambda's maximum), got %d", f.MemoryMB)
	}
	if f.Timeout == 0 {
		f.Timeout = Duration(3 * time.Second)
	}
	if f.Timeout < 0 || time.Duration(f.Timeout) > 900*time.Second {
		return invalid(field+".Timeout", "must be more than 0 and at most 900s (Lambda's maximum), got %v", time.Duration(f.Timeout))
	}
	if f.InitTimeout == 0 {
		f.InitTimeout = Duration(10 * time.Second)
	}
	if f.InitTimeout < 0 {
		return invalid(field+".InitTimeout", "must be more than 0, got %v", time.Duration(f.InitTimeout))
	}
	for k := range f.Environment {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return invalid(field+".Environment", "%q is not a valid variable name", k)
		}
		if execenv.IsReserved(k) {
			return invalid(field+".Environment", "%s is reserved by Lambda and set by wasmap", k)
		}
	}
	return nil
}

// arnNames returns the Region, Account and StateMachineName that ARNs use: the Job's, or their
// defaults ($AWS_REGION, else us-east-1; 000000000000; wasmap).
func (j *Job) arnNames() (region, account, stateMachine string) {
	region, account, stateMachine = j.Region, j.Account, j.StateMachineName
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "000000000000"
	}
	if stateMachine == "" {
		stateMachine = "wasmap"
	}
	return region, account, stateMachine
}
