// Package runner runs map runs: a dataset's items through a wasm function module in Lambda-style
// execution environments, with the semantics of a Step Functions Distributed Map state.
//
// The public surface is a Job (one configuration, shaped like a Map state and JSON-serialisable)
// and Run. The CLI, definition files and tests all build a Job; Run validates it once.
package runner

import (
	"encoding/json"
	"fmt"
	"time"
)

// Job is one map run's configuration. Field names follow the Map state's where one exists.
type Job struct {
	// Label names the map run, as a Distributed Map's Label (at most 40 characters, none of
	// white space, brackets, wildcards or the specials listed in the ASL reference). Default "Map".
	Label string `json:"Label,omitempty"`
	// StateMachineName is the name used in ARNs. Default "wasmap".
	StateMachineName string `json:"StateMachineName,omitempty"`
	// ItemReader says where the items come from.
	ItemReader ItemReader `json:"ItemReader"`
	// Input is the Map state's input, which ItemSelector paths starting "$" read. Default {}.
	Input json.RawMessage `json:"Input,omitempty"`
	// ItemSelector, when set, builds each child input from the item: keys ending in ".$" are
	// paths into Input ("$…") or the context object ("$$.Map.Item.Index", "$$.Map.Item.Value");
	// other keys are literals.
	ItemSelector json.RawMessage `json:"ItemSelector,omitempty"`
	// ItemBatcher, when set, groups items into batches: each child input is
	// {"BatchInput":…,"Items":[…]} (no BatchInput key when it is unset).
	ItemBatcher *ItemBatcher `json:"ItemBatcher,omitempty"`
	// MaxConcurrency is the number of execution environments at most. 0: one per CPU.
	MaxConcurrency int `json:"MaxConcurrency,omitempty"`
	// ToleratedFailureCount, when set, is how many items may fail before the run fails.
	ToleratedFailureCount *int64 `json:"ToleratedFailureCount,omitempty"`
	// ToleratedFailurePercentage, when set, is the share of items (0-100) that may fail.
	// With neither set, any failed item fails the run (Step Functions' defaults, 0 and 0.0).
	ToleratedFailurePercentage *float64 `json:"ToleratedFailurePercentage,omitempty"`
	// ResultWriter, when set, exports results in the Step Functions layout.
	ResultWriter *ResultWriter `json:"ResultWriter,omitempty"`
	// LogDir, when set, receives each execution environment's log stream under
	// LogDir/<map-run-id>/logs/ (default: the ResultWriter folder, when there is one).
	LogDir string `json:"LogDir,omitempty"`
	// Functions are the function modules. Without an ItemProcessor there must be exactly one,
	// invoked once per child execution; an ItemProcessor's Task states name them (one without
	// Task states needs none).
	Functions []Function `json:"Functions"`
	// Extensions run beside every function in each execution environment, as Lambda
	// extensions do (at most 10). Each may write under <run folder>/extensions/<name>/ through
	// object I/O, where the run folder is the results' <map-run-id>/ (or the logs').
	Extensions []Extension `json:"Extensions,omitempty"`
	// LogFormat is Text (default) or JSON: the functions' and extensions' log lines and the
	// platform's START/END/REPORT, as Lambda's LoggingConfig.LogFormat (AWS_LAMBDA_LOG_FORMAT).
	LogFormat string `json:"LogFormat,omitempty"`
	// ItemProcessor, when set, is the child workflow in Amazon States Language
	// ({"StartAt":…,"States":{…}}): Task, Pass, Succeed and Fail states, with Retry, Catch and
	// TimeoutSeconds on Tasks. A Task's Resource names a function by its Name (a bare name, a
	// Lambda function ARN, or arn:aws:states:::lambda:invoke with Parameters.FunctionName).
	// Empty: one Task invoking the only function.
	ItemProcessor json.RawMessage `json:"ItemProcessor,omitempty"`
	// Definition, when set, is a Map state in Amazon States Language (or a state machine whose
	// StartAt state is a Map state). Run reads the Map state's fields into the Job's empty ones:
	// a field set in the Job (as by a CLI flag) wins over the definition's. Input is then the
	// state input: the definition's InputPath selects the Map state's effective input, its *Path
	// fields are resolved against that, and its ResultSelector, ResultPath and OutputPath shape
	// the state output.
	Definition json.RawMessage `json:"Definition,omitempty"`
	// OutputPrefix is the one location where modules may create objects through object I/O
	// (abi/ABI.md §8): a local folder, created if missing. Empty: modules cannot write.
	OutputPrefix string `json:"OutputPrefix,omitempty"`
	// ReadPrefixes are locations modules may read besides the item source: local folders or
	// files.
	ReadPrefixes []string `json:"ReadPrefixes,omitempty"`
	// Buckets maps S3 bucket names to local folders: the object "Key" of bucket B is the file
	// Buckets[B]/Key. Any s3:// location (item source, ResultWriter, object I/O) of a bucket not
	// mapped here is S3's.
	Buckets map[string]string `json:"Buckets,omitempty"`
	// AWS configures the S3 client, beside the standard AWS configuration (credential chain,
	// profiles, AWS_REGION, AWS_ENDPOINT_URL_S3).
	AWS AWS `json:"AWS,omitempty"`
	// CacheDir holds the compilation cache. Empty: the user's cache folder.
	CacheDir string `json:"CacheDir,omitempty"`
	// Region and Account appear in ARNs. Defaults: $AWS_REGION or us-east-1, and 000000000000.
	Region  string `json:"Region,omitempty"`
	Account string `json:"Account,omitempty"`

	concurrencyChosen string          // set by normalize when MaxConcurrency was 0
	context           json.RawMessage // the context object ($$), without Map; made by Run when nil
	maxItemsNegative  bool            // a definition's MaxItemsPath gave a negative value
}

// AWS holds the S3 client's settings that the standard AWS configuration does not cover.
type AWS struct {
	// Profile is the shared-config profile (default: AWS_PROFILE, else "default").
	Profile string `json:"Profile,omitempty"`
	// EndpointURL replaces S3's endpoint, e.g. "http://127.0.0.1:7070" (default:
	// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS's).
	EndpointURL string `json:"EndpointURL,omitempty"`
	// PathStyle puts the bucket in the path (http://host/bucket/key), as most S3-compatible
	// servers need.
	PathStyle bool `json:"PathStyle,omitempty"`
}

// ItemReader is the item source. ReaderConfig has the fields of the Map state's
// ItemReader.ReaderConfig.
type ItemReader struct {
	// Source is a JSON array file, a JSON Lines file or a CSV file (each optionally gzip- or
	// zstd-compressed), or a folder: one item per file, shaped like an S3 listObjectsV2 entry.
	// An s3://bucket/key URI reads one object; s3://bucket/prefix/ (ending in "/", or the bucket
	// alone) lists the objects under the prefix.
	Source string `json:"Source,omitempty"`
	// Items, instead of Source, is the items themselves: a JSON array, as a Map state without
	// an ItemReader takes them from its input (ItemsPath).
	Items json.RawMessage `json:"Items,omitempty"`
	// Prefix keeps only a folder's files whose keys (paths relative to the folder) start with it.
	Prefix string `json:"Prefix,omitempty"`
	// ReaderConfig says how to read a file.
	ReaderConfig ReaderConfig `json:"ReaderConfig,omitempty"`
}

// ReaderConfig is ItemReader.ReaderConfig.
type ReaderConfig struct {
	// InputType is JSON, JSONL or CSV; empty detects it from the file's name and content.
	InputType string `json:"InputType,omitempty"`
	// CSVHeaderLocation is FIRST_ROW (default) or GIVEN.
	CSVHeaderLocation string `json:"CSVHeaderLocation,omitempty"`
	// CSVHeaders are the column names when CSVHeaderLocation is GIVEN.
	CSVHeaders []string `json:"CSVHeaders,omitempty"`
	// CSVDelimiter is COMMA (default), PIPE, SEMICOLON, SPACE or TAB.
	CSVDelimiter string `json:"CSVDelimiter,omitempty"`
	// MaxItems limits the items read; 0 reads all.
	MaxItems int64 `json:"MaxItems,omitempty"`
}

// ItemBatcher is the Map state's ItemBatcher; at least one limit must be set.
type ItemBatcher struct {
	MaxItemsPerBatch      int64           `json:"MaxItemsPerBatch,omitempty"`
	MaxInputBytesPerBatch int64           `json:"MaxInputBytesPerBatch,omitempty"`
	BatchInput            json.RawMessage `json:"BatchInput,omitempty"`
}

// ResultWriter exports the map run's results, formats the state output, or both: Dir alone
// exports with Transformation NONE; WriterConfig alone formats the state output; both export
// with that format. An empty ResultWriter is invalid, as in Step Functions.
type ResultWriter struct {
	// Dir is a local folder; the run writes Dir/<map-run-id>/manifest.json and its files.
	Dir string `json:"Dir,omitempty"`
	// Bucket and Prefix, instead of Dir, export to S3 (or to the folder Job.Buckets maps the
	// bucket to): <Prefix>/<map-run-id>/manifest.json, a "/" added after a Prefix without one.
	Bucket string `json:"Bucket,omitempty"`
	Prefix string `json:"Prefix,omitempty"`
	// WriterConfig formats the results.
	WriterConfig *WriterConfig `json:"WriterConfig,omitempty"`
	// MaxFileBytes starts a new result file (SUCCEEDED_1.json, …) when the current one would
	// pass this size. Default 5 GiB, about Step Functions' limit. A record larger than it goes
	// alone in one file.
	MaxFileBytes int64 `json:"MaxFileBytes,omitempty"`
}

// WriterConfig is ResultWriter.WriterConfig.
type WriterConfig struct {
	// OutputType is JSON (each result file a JSON array) or JSONL (a record per line).
	OutputType string `json:"OutputType,omitempty"`
	// Transformation is NONE (records with the output and the execution's metadata), COMPACT
	// (the outputs alone) or FLATTEN (the outputs, an array output contributing its elements).
	// Default: NONE when exporting, COMPACT otherwise. Failed children are always NONE-shaped.
	Transformation string `json:"Transformation,omitempty"`
}

// Function is the function module and the limits of its execution environments.
type Function struct {
	// Path is the .wasm file.
	Path string `json:"Path"`
	// Name is the function name (default: the file name without .wasm).
	Name string `json:"Name,omitempty"`
	// MemoryMB caps each environment's linear memory. Default 128.
	MemoryMB int `json:"MemoryMB,omitempty"`
	// Timeout bounds each invocation. Default 3s.
	Timeout Duration `json:"Timeout,omitempty"`
	// InitTimeout bounds each environment's INIT phase. Default 10s.
	InitTimeout Duration `json:"InitTimeout,omitempty"`
	// Environment holds extra environment variables; reserved Lambda names are refused.
	Environment map[string]string `json:"Environment,omitempty"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration string ("3s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "3s"-style strings, or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration must be a string like \"3s\" or a number of seconds: %s", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}
