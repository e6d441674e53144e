package resultwriter

import "time"

// Child execution statuses, as Record.Status. Each status but PENDING is an execution status of
// the Step Functions API.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
	StatusPending   = "PENDING" // the item never started because the Map Run failed
)

// Record is one child execution's result, with AWS's field names. It is both what the caller
// gives Add and the wire shape of a NONE-transformed record, so a result file decodes into
// []Record.
//
// Add fills InputDetails when Input is set and, for a SUCCEEDED record, OutputDetails (and Output
// "null" if it is empty). For FAILED, TIMED_OUT and ABORTED records it drops Output and
// OutputDetails: they carry Error and Cause instead. Input and Output are JSON text, written as
// JSON strings ({"Input":"{\"a\":1}"}), as AWS writes them; Add checks Output only when it
// writes it as JSON itself (COMPACT, FLATTEN), and never checks Input.
type Record struct {
	Cause               string   `json:"Cause,omitempty"`
	Error               string   `json:"Error,omitempty"`
	ExecutionArn        string   `json:"ExecutionArn,omitempty"`
	Input               string   `json:"Input,omitempty"`
	InputDetails        *Details `json:"InputDetails,omitempty"`
	Name                string   `json:"Name,omitempty"`
	Output              string   `json:"Output,omitempty"`
	OutputDetails       *Details `json:"OutputDetails,omitempty"`
	RedriveCount        int64    `json:"RedriveCount"`
	RedriveStatus       string   `json:"RedriveStatus,omitempty"`
	RedriveStatusReason string   `json:"RedriveStatusReason,omitempty"`
	StartDate           string   `json:"StartDate,omitempty"`
	StateMachineArn     string   `json:"StateMachineArn,omitempty"`
	Status              string   `json:"Status"`
	StopDate            string   `json:"StopDate,omitempty"`
}

// Details tells whether a record's Input or Output is included: {"Included":true}.
type Details struct {
	Included bool `json:"Included"`
}

// included is the Details of every Input and Output this package writes. Callers must not
// modify it.
var included = &Details{Included: true}

// FormatDate formats t as a record's StartDate or StopDate: UTC, milliseconds,
// "2024-05-01T12:00:00.123Z".
func FormatDate(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// kind is the result file a status goes to.
type kind int

const (
	kindFailed kind = iota
	kindPending
	kindSucceeded
	numKinds
)

var kindNames = [numKinds]string{"FAILED", "PENDING", "SUCCEEDED"}

func kindOf(status string) (kind, bool) {
	switch status {
	case StatusSucceeded:
		return kindSucceeded, true
	case StatusFailed, StatusTimedOut, StatusAborted:
		return kindFailed, true
	case StatusPending:
		return kindPending, true
	}
	return 0, false
}
