// Command wasmap runs a WebAssembly module over every item of a dataset, the way a Step
// Functions Distributed Map runs a Lambda function, on your own machine.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/wasmap/wasmap/runner"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the map run failed
	exitUsage  = 2 // bad flags, a job that cannot start
)

func main() {
	if path := os.Getenv("WASMAP_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			pprof.StartCPUProfile(f)
			code := run(os.Args, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// usageError marks errors that are the user's to fix before a run can start.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process
	}()
	code := exitOK
	app := newApp(stdout, stderr, &code)
	if err := app.Run(ctx, args); err != nil {
		fmt.Fprintf(stderr, "wasmap: %v\n", err)
		var u usageError
		if errors.As(err, &u) || code == exitOK {
			return exitUsage
		}
	}
	return code
}

func newApp(stdout, stderr io.Writer, code *int) *cli.Command {
	return &cli.Command{
		Name:  "wasmap",
		Usage: "run a WebAssembly module over every item of a dataset, like a Step Functions Distributed Map",
		Description: `wasmap is the idea of an AWS Step Functions Distributed Map state plus AWS Lambda, on your
own machine: it streams the items of a dataset, hands each one to a WebAssembly function module
running in a Lambda-style execution environment (initialised once, reused warm, with a deadline
and a memory limit), and writes the results in the Step Functions ResultWriter layout.

Function modules are built with an SDK from sdk/ (Go: GOOS=wasip1 GOARCH=wasm go build); a handler
written for aws-lambda-go runs after changing its import paths.`,
		Writer:    stderr,
		ErrWriter: stderr,
		OnUsageError: func(ctx context.Context, cmd *cli.Command, err error, isSubcommand bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{runCommand(stdout, stderr, code), inspectCommand(stdout, code), newProjectCommand(stdout)},
	}
}

func runCommand(stdout, stderr io.Writer, code *int) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a function module over a dataset (one map run)",
		ArgsUsage: " ",
		Description: `Runs --function on every item of --items, like a Distributed Map whose ItemProcessor is one
Lambda Task. Each item becomes one invocation (a child execution); its event is the item's JSON.

Items: a JSON file holding an array (each element is an item), a JSON Lines file (each line is
an item) or a CSV file (each row is an item: an object of strings keyed by the header row, or by
--csv-headers), optionally gzip- or zstd-compressed; the type is detected from the name and
content, or set with --input-type. A line that is not JSON fails that item, naming the line.
A folder gives one item per file, shaped like an S3 listObjectsV2 entry
({"Etag","Key","LastModified","Size","StorageClass"}), in key order.

Concurrency: up to --max-concurrency execution environments run at once (default: one per CPU).
An environment is created when first needed (a cold start), then reused for later items (warm).
A trap, a timeout, running out of memory or a malformed response fails that item only, with the
error Lambda reports (Sandbox.Timedout, Runtime.ExitError, Runtime.OutOfMemory, ...), and the
environment is replaced.

Failures: by default any failed item fails the map run with States.ExceedToleratedFailureThreshold
(Step Functions' defaults: tolerated count 0, percentage 0). Items that never started are PENDING.

Object I/O: a module may open objects by key (abi/ABI.md §8; the Go SDK's package object): read
anything under --items (a folder, or the file itself) and under each --read-prefix, and create
objects under --output-prefix only. Any other name, a key with "..", or an absolute path is
refused with EACCES. An object is created when the module closes it; an invocation that fails
first leaves nothing behind.

S3: --items and --results take s3:// URIs, and object I/O reaches s3:// objects, with the
standard AWS configuration (credential chain, profiles, AWS_REGION) and --endpoint-url,
--profile, --path-style. A bucket mapped with --bucket NAME=DIR is served from that folder
instead. Missing buckets and keys, and denied access, fail the map run with
States.ItemReaderFailed or States.ResultWriterFailed naming the bucket and key.

Job files: --job FILE reads the whole job as JSON (runner.Job: Functions, Extensions,
Definition, ItemReader, ResultWriter, MaxConcurrency, ...), so a job with extensions and a Map
state definition can live in one file; flags given beside it win over its fields.

Extensions: --extension EXT.wasm runs a Lambda extension (abi/ABI.md §9-12; in Go, package
github.com/wasmap/wasmap/sdk/go/extension) beside the function in every environment: it
registers before the function initialises, gets INVOKE and SHUTDOWN events, and may subscribe to
the Telemetry API (platform.start, platform.report, ...). An environment takes its next item only
when every extension is back in next-event; the summary reports that wait
(PostRuntimeExtensionsDuration). Each extension may write under <results or logs>/<map-run-id>/
extensions/<name>/. plugins/telemetry is one that writes per-run metrics (JSON and Prometheus).

Definitions: --definition FILE reads a Map state in Amazon States Language (or a state machine
whose StartAt state is the Map state): ItemReader, ItemsPath, ItemSelector/Parameters,
ItemBatcher, MaxConcurrency[Path], ToleratedFailureCount/Percentage[Path], Label,
ItemProcessor (Task, Pass, Succeed and Fail states, with Retry, Catch and TimeoutSeconds),
ResultWriter, ResultSelector, ResultPath and OutputPath. --input is then the state input. A Task
names its function (a Lambda ARN, a name, or arn:aws:states:::lambda:invoke with FunctionName):
give each with --function NAME=FILE.wasm. S3 buckets named by the ItemReader and ResultWriter are
local folders given with --bucket NAME=DIR. Flags given beside --definition win over its fields.

Output: on success stdout gets the state output: the array of the items' outputs in item order
(the COMPACT transformation), or, with --results, {"MapRunArn":...,"ResultWriterDetails":{...}}.
On failure stdout gets {"Error":...,"Cause":...}. Progress and the summary go to stderr.
--results DIR writes DIR/<map-run-id>/manifest.json with SUCCEEDED_n.json, FAILED_n.json and
PENDING_n.json, as a ResultWriter exports to S3.

Exit status: 0 when the map run succeeded (or failed and a definition's Catch on the Map state
matched), 1 when it failed, 2 for bad usage.`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "function", Aliases: []string{"f"}, Usage: "the function module `FILE.wasm`, or NAME=FILE.wasm to name it for a definition's Task states (required; repeatable)", TakesFile: true},
			&cli.StringFlag{Name: "items", Aliases: []string{"i"}, Usage: "the item source: a JSON array, JSON Lines or CSV `FILE` (.gz/.zst allowed), a folder (one item per file), s3://BUCKET/KEY (one object) or s3://BUCKET/PREFIX/ (a listing) (required unless --definition says)", TakesFile: true},
			&cli.StringFlag{Name: "job", Aliases: []string{"j"}, Usage: "read the whole job from `FILE`: a JSON runner Job (Functions, Extensions, Definition, ItemReader, ResultWriter, ...); flags given beside it win", TakesFile: true},
			&cli.StringFlag{Name: "definition", Aliases: []string{"d"}, Usage: "a Map state (or a state machine starting with one) in Amazon States Language, from `FILE`", TakesFile: true},
			&cli.StringFlag{Name: "output-prefix", Usage: "object I/O: the folder `DIR` under which the module may create objects (default: none, no writes)", TakesFile: true},
			&cli.StringSliceFlag{Name: "read-prefix", Usage: "object I/O: a folder or file `PATH` the module may read besides --items (repeatable)", TakesFile: true},
			&cli.StringSliceFlag{Name: "extension", Aliases: []string{"x"}, Usage: "run the Lambda extension module `EXT.wasm` beside the function in every environment (repeatable, at most 10)", TakesFile: true},
			&cli.StringFlag{Name: "log-format", Usage: "`FORMAT` of the log streams and of AWS_LAMBDA_LOG_FORMAT: Text or JSON (default: Text)"},
			&cli.StringFlag{Name: "endpoint-url", Usage: "S3's endpoint `URL`, for an S3-compatible server (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's, else AWS's)"},
			&cli.StringFlag{Name: "profile", Usage: "the AWS shared-config `PROFILE` for S3 (default: AWS_PROFILE, else default)"},
			&cli.BoolFlag{Name: "path-style", Usage: "address S3 buckets in the URL path (most S3-compatible servers need it)"},
			&cli.StringSliceFlag{Name: "bucket", Usage: "serve the S3 bucket NAME of a definition from the local folder DIR: `NAME=DIR` (repeatable)"},
			&cli.StringFlag{Name: "input-type", Usage: "`TYPE` of the items file: json (an array), jsonl, csv, or manifest (an S3 inventory's manifest.json) (default: from the file's name and content)"},
			&cli.StringFlag{Name: "csv-headers", Usage: "the CSV column `NAMES`, comma-separated, when the file has no header row (CSVHeaderLocation GIVEN)"},
			&cli.StringFlag{Name: "csv-delimiter", Usage: "CSV `DELIMITER`: comma, pipe, semicolon, space or tab (default: comma)"},
			&cli.StringFlag{Name: "prefix", Usage: "with a folder as --items, only the files whose paths start with `PREFIX`"},
			&cli.StringFlag{Name: "input", Usage: "the Map state's input, `JSON` that ItemSelector paths starting with $ read (default: {})"},
			&cli.StringFlag{Name: "input-file", Usage: "read the Map state's input from `FILE`", TakesFile: true},
			&cli.StringFlag{Name: "item-selector", Usage: "ItemSelector `JSON`: builds each child input; keys ending in .$ are paths into the input ($...) or the context ($$.Map.Item.Index, $$.Map.Item.Value)"},
			&cli.Int64Flag{Name: "max-items-per-batch", Usage: "ItemBatcher: at most `N` items per child input {\"Items\":[...]}", HideDefault: true},
			&cli.Int64Flag{Name: "max-input-bytes-per-batch", Usage: "ItemBatcher: at most `BYTES` per child input", HideDefault: true},
			&cli.StringFlag{Name: "batch-input", Usage: "ItemBatcher: `JSON` added to every batch as BatchInput"},
			&cli.Int64Flag{Name: "max-items", Usage: "read at most `N` items; 0 reads all (ItemReader.ReaderConfig.MaxItems)", HideDefault: true},
			&cli.IntFlag{Name: "max-concurrency", Aliases: []string{"c"}, Usage: "at most `N` execution environments at once, 1-10000 (default: the number of CPUs)", HideDefault: true},
			&cli.Int64Flag{Name: "tolerated-failure-count", Usage: "the map run fails when more than `N` items fail"},
			&cli.FloatFlag{Name: "tolerated-failure-percentage", Usage: "the map run fails when more than `P` percent of the items fail (0-100)"},
			&cli.StringFlag{Name: "results", Aliases: []string{"o"}, Usage: "export results to `DIR`/<map-run-id>/ (or s3://BUCKET/PREFIX) in the ResultWriter layout", TakesFile: true},
			&cli.Int64Flag{Name: "results-file-size", Usage: "start a new result file (SUCCEEDED_1.json, ...) past `BYTES` (default: 5 GiB, about Step Functions' limit)", HideDefault: true},
			&cli.StringFlag{Name: "transformation", Usage: "ResultWriter WriterConfig.Transformation: `T` is NONE (records with metadata), COMPACT (outputs) or FLATTEN (outputs, arrays spread); default NONE with --results, COMPACT without"},
			&cli.StringFlag{Name: "output-type", Usage: "ResultWriter WriterConfig.OutputType of the result files: `TYPE` JSON (an array per file) or JSONL (a record per line)"},
			&cli.StringFlag{Name: "logs", Usage: "keep each environment's log stream (START/END/REPORT and the function's output) under `DIR`/<map-run-id>/logs/ (default: with --results, its folder)", TakesFile: true},
			&cli.DurationFlag{Name: "timeout", Aliases: []string{"t"}, Value: 3 * time.Second, Usage: "per-invocation `TIMEOUT` (Lambda's default is 3s, its maximum 900s)"},
			&cli.DurationFlag{Name: "init-timeout", Value: 10 * time.Second, Usage: "`TIMEOUT` of an environment's INIT phase (Lambda's on-demand limit is 10s)"},
			&cli.IntFlag{Name: "memory-mb", Aliases: []string{"m"}, Value: 128, Usage: "linear memory limit of each environment in `MB` (AWS_LAMBDA_FUNCTION_MEMORY_SIZE)"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable `K=V` for the function (repeatable)"},
			&cli.StringFlag{Name: "name", Usage: "the function `NAME` (default: the module's file name)"},
			&cli.StringFlag{Name: "label", Usage: "the map run's `LABEL`, used in its ARN (default: Map)"},
			&cli.StringFlag{Name: "cache-dir", Usage: "keep compiled modules in `DIR` (default: the user cache folder)", TakesFile: true},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: "`MODE`: auto (a bar on a terminal, a line every 5s otherwise), bar, lines, or none (no progress and no summary)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			job, err := jobFromFlags(cmd)
			if err != nil {
				return usageError{err}
			}
			p := newProgress(stderr, cmd.String("progress"))
			if p == nil {
				return usageError{fmt.Errorf("--progress %q: use auto, bar, lines or none", cmd.String("progress"))}
			}
			rep, err := runner.Run(ctx, job, runner.Options{Output: stdout, Progress: p.update})
			if err != nil {
				return usageError{err}
			}
			p.summary(rep)
			if rep.Status != runner.StatusSucceeded && !rep.Caught {
				*code = exitFailed
			}
			return nil
		},
	}
}

// jobFromFlags builds the Job; runner.Run validates it.
func jobFromFlags(cmd *cli.Command) (runner.Job, error) {
	if cmd.Args().Len() > 0 {
		return runner.Job{}, fmt.Errorf("unexpected argument %q: give the module with --function and the items with --items", cmd.Args().First())
	}
	job := runner.Job{
		Label:          cmd.String("label"),
		LogDir:         cmd.String("logs"),
		MaxConcurrency: cmd.Int("max-concurrency"),
		CacheDir:       cmd.String("cache-dir"),
		ItemReader: runner.ItemReader{
			Source: cmd.String("items"),
			Prefix: cmd.String("prefix"),
			ReaderConfig: runner.ReaderConfig{
				InputType:    cmd.String("input-type"),
				MaxItems:     cmd.Int64("max-items"),
				CSVDelimiter: cmd.String("csv-delimiter"),
			},
		},
	}
	for _, f := range cmd.StringSlice("function") {
		fn := runner.Function{Path: f, MemoryMB: cmd.Int("memory-mb"), Timeout: runner.Duration(cmd.Duration("timeout")),
			InitTimeout: runner.Duration(cmd.Duration("init-timeout"))}
		if name, path, ok := strings.Cut(f, "="); ok && !strings.ContainsAny(name, `/\`) {
			fn.Name, fn.Path = name, path
		}
		job.Functions = append(job.Functions, fn)
	}
	jobFile := cmd.String("job")
	if len(job.Functions) == 0 && jobFile == "" && cmd.String("definition") == "" {
		return job, errors.New("--function is required: the .wasm module to run on each item")
	}
	if n := cmd.String("name"); n != "" {
		if len(job.Functions) != 1 || job.Functions[0].Name != "" {
			return job, errors.New("--name names a single unnamed --function; use --function NAME=FILE.wasm")
		}
		job.Functions[0].Name = n
	}
	job.AWS = runner.AWS{Profile: cmd.String("profile"), EndpointURL: cmd.String("endpoint-url"), PathStyle: cmd.Bool("path-style")}
	job.OutputPrefix = cmd.String("output-prefix")
	job.LogFormat = cmd.String("log-format")
	for _, x := range cmd.StringSlice("extension") {
		job.Extensions = append(job.Extensions, runner.Extension{Path: x})
	}
	job.ReadPrefixes = cmd.StringSlice("read-prefix")
	if d := cmd.String("definition"); d != "" {
		b, err := os.ReadFile(d)
		if err != nil {
			return job, fmt.Errorf("--definition: %w", err)
		}
		job.Definition = b
	}
	for _, kv := range cmd.StringSlice("bucket") {
		name, dir, ok := strings.Cut(kv, "=")
		if !ok || name == "" || dir == "" {
			return job, fmt.Errorf("--bucket %q: use NAME=DIR", kv)
		}
		if job.Buckets == nil {
			job.Buckets = map[string]string{}
		}
		job.Buckets[name] = dir
	}
	if job.ItemReader.Source == "" && len(job.Definition) == 0 && jobFile == "" {
		return job, errors.New("--items is required: a JSON, JSON Lines or CSV file of items, or a folder")
	}
	if in, file := cmd.String("input"), cmd.String("input-file"); in != "" || file != "" {
		if in != "" && file != "" {
			return job, errors.New("give --input or --input-file, not both")
		}
		if file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				return job, fmt.Errorf("--input-file: %w", err)
			}
			in = string(b)
		}
		job.Input = json.RawMessage(in)
	}
	if sel := cmd.String("item-selector"); sel != "" {
		job.ItemSelector = json.RawMessage(sel)
	}
	if n, b, in := cmd.Int64("max-items-per-batch"), cmd.Int64("max-input-bytes-per-batch"), cmd.String("batch-input"); n != 0 || b != 0 || in != "" {
		job.ItemBatcher = &runner.ItemBatcher{MaxItemsPerBatch: n, MaxInputBytesPerBatch: b}
		if in != "" {
			job.ItemBatcher.BatchInput = json.RawMessage(in)
		}
	}
	if h := cmd.String("csv-headers"); h != "" {
		job.ItemReader.ReaderConfig.CSVHeaderLocation = "GIVEN"
		job.ItemReader.ReaderConfig.CSVHeaders = strings.Split(h, ",")
	}
	if cmd.IsSet("max-concurrency") && job.MaxConcurrency == 0 {
		return job, errors.New("--max-concurrency must be between 1 and 10000")
	}
	if cmd.IsSet("tolerated-failure-count") {
		v := cmd.Int64("tolerated-failure-count")
		job.ToleratedFailureCount = &v
	}
	if cmd.IsSet("tolerated-failure-percentage") {
		v := cmd.Float("tolerated-failure-percentage")
		job.ToleratedFailurePercentage = &v
	}
	if d, tr, ot := cmd.String("results"), cmd.String("transformation"), cmd.String("output-type"); d != "" || tr != "" || ot != "" {
		job.ResultWriter = &runner.ResultWriter{Dir: d, MaxFileBytes: cmd.Int64("results-file-size")}
		if strings.HasPrefix(d, "s3://") {
			bucket, prefix, _ := strings.Cut(strings.TrimPrefix(d, "s3://"), "/")
			if bucket == "" {
				return job, fmt.Errorf("--results %q: use s3://BUCKET/PREFIX", d)
			}
			job.ResultWriter.Dir, job.ResultWriter.Bucket, job.ResultWriter.Prefix = "", bucket, prefix
		}
		if tr != "" || ot != "" {
			job.ResultWriter.WriterConfig = &runner.WriterConfig{OutputType: ot, Transformation: tr}
		}
	}
	for _, kv := range cmd.StringSlice("env") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return job, fmt.Errorf("--env %q: use K=V", kv)
		}
		for i := range job.Functions {
			if job.Functions[i].Environment == nil {
				job.Functions[i].Environment = map[string]string{}
			}
			job.Functions[i].Environment[k] = v
		}
	}
	if jobFile != "" {
		return withJobFile(jobFile, job)
	}
	return job, nil
}

// withJobFile reads a Job from its JSON file (runner.Job's fields: Functions, Extensions,
// Definition, ItemReader, ResultWriter, …) and sets on it every field the flags set: flags win.
func withJobFile(path string, flags runner.Job) (runner.Job, error) {
	var job runner.Job
	b, err := os.ReadFile(path)
	if err != nil {
		return job, fmt.Errorf("--job: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&job); err != nil {
		return job, fmt.Errorf("--job %s: %w", path, err)
	}
	set, _ := json.Marshal(flags)
	var fields map[string]json.RawMessage
	json.Unmarshal(set, &fields)
	if len(flags.Functions) == 0 {
		delete(fields, "Functions")
	}
	set, _ = json.Marshal(fields)
	if err := json.Unmarshal(set, &job); err != nil {
		return job, fmt.Errorf("--job %s: %w", path, err)
	}
	if len(job.Functions) == 0 && len(job.Definition) == 0 && len(job.ItemProcessor) == 0 {
		return job, fmt.Errorf("--job %s: no Functions, and no --function", path)
	}
	return job, nil
}

func inspectCommand(stdout io.Writer, code *int) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "list a module's imports and exports and check it against ABI v1",
		ArgsUsage: "FILE.wasm",
		Description: `Prints the module's imports and exports, then whether it fits wasmap's ABI v1 (abi/ABI.md):
every import must be a wasmap_runtime_v1 function with ABI v1's signature or a WASI preview 1
function, and a function module must export _start and its memory. Exit status 0 when it fits,
1 when it does not, 2 when the file is not a module.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return usageError{errors.New("inspect takes one argument: the .wasm file")}
			}
			path := cmd.Args().First()
			wasm, err := os.ReadFile(path)
			if err != nil {
				return usageError{err}
			}
			info, err := runner.Inspect(ctx, wasm)
			if err != nil {
				return usageError{fmt.Errorf("%s: %w", path, err)}
			}
			fmt.Fprint(stdout, info.String())
			if !info.FitsABI {
				*code = exitFailed
			}
			return nil
		},
	}
}
