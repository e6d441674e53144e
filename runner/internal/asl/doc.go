// Package asl reads a Distributed Map definition in the Amazon States Language (JSONPath) and
// interprets its child workflow, the ItemProcessor. It is pure Go: it does no I/O and runs no
// function; the runner invokes the functions a child execution asks for.
//
//	m, err := asl.ParseMap(file)                  // once: validates everything, *DefinitionError
//	eff, err := m.Effective(stateInput)           // per entry into the Map state: InputPath
//	set, err := m.Resolve(eff)                    // the "…Path" fields and the reader/writer templates
//	items, err := m.Items(eff)                    // without an ItemReader: the array at ItemsPath
//	…                                             // per item or batch, a child execution:
//	x := m.Processor.Start(childInput, asl.ExecContext{…})
//	for st := x.Next(); st.Invoke != nil; st = x.Complete(result) { result = invoke(st.Invoke) }
//	out, err := m.Output(stateInput, mapResult)   // ResultSelector, ResultPath, OutputPath
//
// A MapState and a Processor are immutable and safe for concurrent use. An Execution is driven by
// one goroutine at a time. Every JSON value this package returns is compact; values taken from an
// input keep their key order, number spelling and string escapes. The caller owns what MapState
// methods return; what an Execution returns (Invocation.Payload, Step.Output) may share memory
// with the execution's documents, so the caller may keep it but must not modify it.
// Errors raised while running are *StatesError values (Name, Cause) with Step Functions' error
// names and cause texts; invalid definitions are *DefinitionError values with the JSON location.
//
// # What is supported
//
// The ItemProcessor may hold Task, Pass, Succeed and Fail states chained with Next/End, with
// InputPath, Parameters, ResultSelector, ResultPath, OutputPath, Retry and Catch. A Task's
// Resource is a Lambda function ARN, a function name, or arn:aws:states:::lambda:invoke with
// Parameters.FunctionName (static or "FunctionName.$") and Payload; the latter's result is the
// Invoke API response ({"ExecutedVersion","Payload","SdkHttpMetadata","SdkResponseMetadata",
// "StatusCode"}) as Step Functions returns it. Templates are the selector package's: ".$" keys
// with "$" paths into the input and "$$" paths into the context object (Execution.Id, Input,
// Name, StartTime; State.EnteredTime, Name, RetryCount; StateMachine.Id, Name).
//
// Refused with a *DefinitionError: Choice, Wait, Parallel and nested Map states; JSONata
// (QueryLanguage JSONata, Arguments, Output, Items) and variables (Assign); intrinsic functions
// (States.Format, …); other Task resources (.sync, .waitForTaskToken, other services); a Fail
// state without Error or ErrorPath; a loop of Next transitions without a Task state. Accepted and
// ignored: Comment, HeartbeatSeconds(Path), Credentials, the lambda:invoke Parameters Qualifier,
// ClientContext and LogType.
//
// # Sources of the cause texts
//
// Recorded from AWS (ASL reference §3.2, §6, §7): "An error occurred while executing the state
// '<state>' (entered at the event id #<n>). " followed by "The MaxConcurrencyPath field refers to
// value \"{}\" which is not a valid integer: $.p", the same for ToleratedFailureCountPath and
// MaxItemsPath, "… which is not a valid float: $.p" for ToleratedFailurePercentagePath (a string
// value is written without JSON quotes: value "NoNumber"), "ToleratedFailureCount cannot be
// negative." and "ToleratedFailurePercentage must be between 0 and 100.".
//
// Seen in AWS execution histories quoted in public reports: "Invalid path '$.Payload' : No results
// for path: $['Payload']" (an OutputPath selecting nothing); "Unable to apply ReferencePath
// $.partitioned to input …" (a ResultPath that cannot be applied, aws/aws-cdk#29473); "The JSONPath
// '$.x' specified for the field 'x.$' could not be found in the input '…'" (a Parameters path, the
// selector package). The "Missing property in path $['a']" text for a missing member before the
// last one follows Jayway JsonPath, which Step Functions uses.
//
// wasmap's own wording, where no AWS text was found: a non-array ItemsPath value ("The ItemsPath
// field refers to value … which is not a valid array: $.p", modelled on the recorded texts), a
// negative MaxConcurrencyPath value ("MaxConcurrency cannot be negative."; AWS's execution stalled
// when recorded), ItemBatcher path values ("MaxItemsPerBatch must be greater than 0."),
// TimeoutSecondsPath, ErrorPath and CausePath values, a dynamic FunctionName that is not a name,
// and the 25,000-event history limit.
//
// # Notes
//
//   - Event ids: a cause names the id of the state's "…StateEntered" event. For the Map state it is
//     always #2 (the Map state is the state machine's first state). In a child execution the ids
//     are counted as Step Functions writes the history: ExecutionStarted is #1, each state adds its
//     Entered and Exited events, and each invocation its Scheduled, Started and
//     Succeeded/Failed events.
//   - Retry: the first retrier whose ErrorEquals matches decides; when its MaxAttempts are spent the
//     catchers decide, as in the AWS guide's example. Each retrier counts its own attempts within
//     one entry into the state. The delay before retry n is IntervalSeconds × BackoffRate^(n-1),
//     capped at MaxDelaySeconds, times a uniform [0, 1) draw with JitterStrategy FULL.
//   - Error matching: States.ALL matches every name but States.Runtime and
//     States.DataLimitExceeded; States.TaskFailed also excludes States.Timeout (and
//     States.HeartbeatTimeout). States.Runtime is never retried or caught.
//   - A catcher's error output is {"Error":name,"Cause":cause}, without Cause when the cause is
//     empty.
//   - lambda:invoke without Payload invokes the function with {}: Lambda passes {} for an empty
//     payload (aws/aws-lambda-dotnet#834).
//   - TimeoutSecondsPath reads the Task's input after InputPath. A Fail state's ErrorPath and
//     CausePath read its raw input.
//   - InputPath and OutputPath accept the selector package's JSONPath subset (an indefinite path
//     gives an array of its matches); ResultPath, ItemsPath and the "…Path" fields must be
//     reference paths. None of them may read the context object.
//   - A definition that is a whole state machine may hold only its Map state, which must end it;
//     a bare Map state object may keep the Next or End it had, which is ignored.
package asl
