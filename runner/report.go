package runner

import "time"

// Map run statuses, as DescribeMapRun reports them.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusAborted   = "ABORTED"
)

// Error names of the map run itself (ASL reference §12).
const (
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrRuntime                         = "States.Runtime"
	ErrAborted                         = "States.Aborted"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrTimeout                         = "States.Timeout"
)

// Counts are a map run's counters, as DescribeMapRun's itemCounts and executionCounts.
type Counts struct {
	Pending        int64 `json:"pending"`
	Running        int64 `json:"running"`
	Succeeded      int64 `json:"succeeded"`
	Failed         int64 `json:"failed"`
	TimedOut       int64 `json:"timedOut"`
	Aborted        int64 `json:"aborted"`
	Total          int64 `json:"total"`
	ResultsWritten int64 `json:"resultsWritten"`
}

// Report describes a finished map run.
type Report struct {
	MapRunArn string    `json:"mapRunArn"`
	MapRunID  string    `json:"mapRunId"`
	Status    string    `json:"status"`
	Error     string    `json:"error,omitempty"`
	Cause     string    `json:"cause,omitempty"`
	StartDate time.Time `json:"startDate"`
	StopDate  time.Time `json:"stopDate"`
	// MaxConcurrency is the limit in force (after defaults).
	MaxConcurrency int `json:"maxConcurrency"`
	// MaxConcurrencyChosen says why, when the Job gave no limit (Step Functions' "no limit"): as
	// many environments as the CPUs and the memory budget make useful. Empty when it was given.
	MaxConcurrencyChosen string `json:"maxConcurrencyChosen,omitempty"`
	// ToleratedFailureCount and ToleratedFailurePercentage as configured (0 when unset).
	ToleratedFailureCount      int64   `json:"toleratedFailureCount"`
	ToleratedFailurePercentage float64 `json:"toleratedFailurePercentage"`
	ItemCounts                 Counts  `json:"itemCounts"`
	ExecutionCounts            Counts  `json:"executionCounts"`
	// Environments is how many execution environments were started; ColdStarts how many
	// invocations had a cold start.
	Environments int64 `json:"environments"`
	ColdStarts   int64 `json:"coldStarts"`
	// PostRuntimeExtensionsDuration is the time environments waited, summed over invocations,
	// after the function had responded and before every extension was back in next-event
	// (Lambda's postRuntimeExtensionsDuration): the item's result was already recorded, but the
	// environment could not take the next item.
	PostRuntimeExtensionsDuration time.Duration `json:"postRuntimeExtensionsDuration,omitempty"`
	// LogDir is the folder of the environments' log streams, when logs were kept.
	LogDir string `json:"logDir,omitempty"`
	// Caught is true when the map run failed but the definition's Catch on the Map state matched
	// its error: the state output written is the catcher's, and the state did not fail.
	Caught bool `json:"caught,omitempty"`
	// ResultWriterDetails locates manifest.json when the job has a ResultWriter.
	ResultWriterDetails *ResultWriterDetails `json:"resultWriterDetails,omitempty"`
}

// ResultWriterDetails is where the results went: Bucket is the local folder for local results.
type ResultWriterDetails struct {
	Bucket string `json:"Bucket"`
	Key    string `json:"Key"`
}

// Progress is a snapshot of a running map run, passed to Options.Progress.
type Progress struct {
	Counts
	// TotalKnown is false while the source is still being counted; Total is then a lower bound.
	TotalKnown bool
	Elapsed    time.Duration
	Done       bool
}
