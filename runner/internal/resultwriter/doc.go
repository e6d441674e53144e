// Package resultwriter writes the results of a map run in the layout of a Step Functions
// Distributed Map ResultWriter (ASL reference §9):
//
//	<Prefix>/<MapRunID>/manifest.json
//	<Prefix>/<MapRunID>/SUCCEEDED_0.json, SUCCEEDED_1.json, …
//	<Prefix>/<MapRunID>/FAILED_0.json, …
//	<Prefix>/<MapRunID>/PENDING_0.json, …
//
// Each result file holds the records of one status, as a JSON array (OutputType JSON) or one
// record per line (OutputType JSONL; the names keep ".json", as AWS's do). A file exists only if
// it has at least one record; a new one is started when the current one would pass MaxFileBytes.
// manifest.json lists every file with its size and is written last: a run whose manifest exists
// is complete, and a run that fails or is aborted leaves no result file under its final name.
//
// The destination is a [Sink]: [DirSink] writes to a local folder (temporary file, fsync,
// rename, fsync of the folder); an S3 sink (multipart upload, completed at commit) can implement
// the same interface.
//
// # Notes
//
// Where the reference is silent (◌) the choices are:
//   - Records list their fields in alphabetical order, as AWS's listed fields are: Cause and
//     Error, present only on failed records, come first.
//   - TIMED_OUT and ABORTED children go to the FAILED files, keeping their own Status.
//   - A PENDING record is the minimum needed to redrive the item: Input, InputDetails,
//     RedriveCount (always written) and Status "PENDING"; other fields only if the caller set them.
//   - StartDate and StopDate are ISO 8601 UTC with milliseconds, as [FormatDate] writes them.
//   - Files and the manifest are compact JSON without a final newline (JSONL: one record and "\n"
//     per line).
package resultwriter
