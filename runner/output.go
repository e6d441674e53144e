package runner

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmap/wasmap/runner/internal/asl"
	"github.com/wasmap/wasmap/runner/internal/resultwriter"
)

// dateFormat is how result records and reports print dates.
const dateFormat = "2006-01-02T15:04:05.000Z"

// openOutputs prepares the result writer, or the spool that holds the COMPACT output array
// until the run's outcome is known.
func (r *mapRun) openOutputs() error {
	logDir := r.job.LogDir
	if rw := r.job.ResultWriter; logDir == "" && rw != nil {
		logDir = rw.Dir
		if dir, ok := r.store.local(rw.Bucket); ok && rw.Bucket != "" {
			logDir = filepath.Join(dir, filepath.FromSlash(rw.Prefix))
		}
	}
	r.transform = "COMPACT"
	var outputType string
	if rw := r.job.ResultWriter; rw != nil {
		if rw.Dir != "" || rw.Bucket != "" {
			r.transform = "NONE"
		}
		if wc := rw.WriterConfig; wc != nil {
			outputType = wc.OutputType
			if wc.Transformation != "" {
				r.transform = wc.Transformation
			}
		}
	}
	if logDir != "" {
		abs, err := filepath.Abs(filepath.Join(logDir, r.id, "logs"))
		if err != nil {
			return err
		}
		// One folder of streams per function, as CloudWatch has a log group per function; a
		// single function's streams are directly under logs/.
		for _, f := range r.job.Functions {
			dir := abs
			if len(r.job.Functions) > 1 {
				dir = filepath.Join(abs, f.Name)
			}
			r.pools[f.Name].logs = newLogStreams(dir)
		}
		r.logDir = abs
	}
	if rw := r.job.ResultWriter; rw != nil && (rw.Dir != "" || rw.Bucket != "") {
		cfg := resultwriter.Config{MapRunID: r.id, MapRunArn: r.arn, OutputType: outputType,
			Transformation: r.transform, MaxFileBytes: rw.MaxFileBytes, Prefix: rw.Prefix}
		where := rw.Dir
		if rw.Bucket != "" {
			where = "s3://" + rw.Bucket + "/" + rw.Prefix
			sink, err := r.store.resultSink(rw.Bucket)
			if err != nil {
				return fmt.Errorf("results in %s: %w", where, err)
			}
			cfg.Sink = sink
		} else {
			dir, err := filepath.Abs(rw.Dir)
			if err != nil {
				return err
			}
			cfg.Dir = dir
		}
		w, err := resultwriter.New(cfg)
		if err != nil {
			return fmt.Errorf("results in %s: %w", where, err)
		}
		r.writer = w
		return nil
	}
	f, err := os.CreateTemp("", "wasmap-output-*.json")
	if err != nil {
		return fmt.Errorf("temporary output file: %w", err)
	}
	os.Remove(f.Name()) // unlinked: gone with the process whatever happens
	r.spool = f
	r.spoolW = bufio.NewWriterSize(f, 1<<16)
	r.spoolW.WriteByte('[')
	return nil
}

// record builds an entry's ResultWriter record (Transformation NONE).
func (r *mapRun) record(e *entry) resultwriter.Record {
	rec := resultwriter.Record{
		ExecutionArn:    r.execPrefix + e.name,
		Input:           string(e.input),
		InputDetails:    &resultwriter.Details{Included: true},
		Name:            e.name,
		StateMachineArn: r.smArn,
		RedriveCount:    0,
	}
	switch {
	case e.pending:
		rec.Status = "PENDING"
		rec.ExecutionArn = ""
		return rec
	case e.err == nil:
		rec.Status = "SUCCEEDED"
		rec.Output = string(e.output)
		rec.OutputDetails = &resultwriter.Details{Included: true}
		rec.RedriveStatus = "NOT_REDRIVABLE"
		rec.RedriveStatusReason = "Execution is SUCCEEDED and cannot be redriven"
	default:
		err := e.err
		rec.Status = "FAILED"
		if err.Aborted {
			rec.Status = "ABORTED"
		}
		rec.Error, rec.Cause = err.Type, err.Cause
		rec.RedriveStatus = "REDRIVABLE_BY_MAP_RUN"
	}
	start, stop := e.start, e.stop
	if start.IsZero() { // failed before it started
		start = time.Now()
		stop = start
	}
	rec.StartDate = start.UTC().Format(dateFormat)
	rec.StopDate = stop.UTC().Format(dateFormat)
	return rec
}

// emit writes one entry, in item order, to the result writer or the output spool.
func (r *mapRun) emit(e *entry) {
	if r.writer != nil {
		if r.writeErr == nil {
			if err := r.writer.Add(r.record(e)); err != nil {
				r.mu.Lock()
				r.writeErr = err
				r.mu.Unlock()
				r.halt()
			}
		}
		return
	}
	if e.pending {
		return
	}
	succeeded := e.succeeded()
	switch {
	case succeeded && r.transform == "COMPACT":
		r.spoolElem(e.output)
	case succeeded && r.transform == "FLATTEN":
		var elems []json.RawMessage
		if json.Unmarshal(e.output, &elems) != nil { // not an array: the output itself
			r.spoolElem(e.output)
			return
		}
		for _, el := range elems {
			r.spoolElem(el)
		}
	default: // NONE, and failed children within tolerance, which are always NONE-shaped
		b, _ := json.Marshal(r.record(e))
		r.spoolElem(b)
	}
}

// spoolElem appends one element to the state output array.
func (r *mapRun) spoolElem(b []byte) {
	if r.spoolN > 0 {
		r.spoolW.WriteByte(',')
	}
	r.spoolN++
	r.spoolW.Write(b)
}

// failedBeforeStart reports a run that failed before any item ran.
func (r *mapRun) failedBeforeStart(name, cause string) *Report {
	now := time.Now()
	if r.start.IsZero() {
		r.start = now
	}
	rep := r.baseReport()
	rep.Status, rep.Error, rep.Cause, rep.StopDate = StatusFailed, name, cause, now
	r.writeFailure(rep)
	return rep
}

func (r *mapRun) baseReport() *Report {
	rep := &Report{MapRunArn: r.arn, MapRunID: r.id, StartDate: r.start, MaxConcurrency: r.job.MaxConcurrency,
		MaxConcurrencyChosen: r.job.concurrencyChosen}
	if c := r.job.ToleratedFailureCount; c != nil {
		rep.ToleratedFailureCount = *c
	}
	if p := r.job.ToleratedFailurePercentage; p != nil {
		rep.ToleratedFailurePercentage = *p
	}
	return rep
}

// finish decides the run's outcome, closes the outputs and writes the state output.
func (r *mapRun) finish() *Report {
	rep := r.baseReport()
	r.mu.Lock()
	rep.ItemCounts = r.counts
	rep.ExecutionCounts = r.execCounts
	switch {
	case r.aborted:
		rep.Status, rep.Error, rep.Cause = StatusAborted, ErrAborted, "The map run was stopped before it finished."
	case r.runErr != nil:
		rep.Status, rep.Error, rep.Cause = StatusFailed, r.runErr.Error, r.runErr.Cause
	case r.failure != nil:
		rep.Status, rep.Error, rep.Cause = StatusFailed, r.failure.Error, r.failure.Cause
	case r.writeErr != nil:
		rep.Status, rep.Error, rep.Cause = StatusFailed, ErrResultWriterFailed, r.writeErr.Error()
	default:
		rep.Status = StatusSucceeded
	}
	r.mu.Unlock()
	rep.Environments = r.envs.Load()
	rep.LogDir = r.logDir
	rep.ColdStarts = r.coldStarts.Load()
	rep.PostRuntimeExtensionsDuration = time.Duration(r.postRuntime.Load())

	if r.writer != nil {
		if _, err := r.writer.Close(); err != nil {
			if rep.Status == StatusSucceeded {
				rep.Status, rep.Error, rep.Cause = StatusFailed, ErrResultWriterFailed, err.Error()
			}
		} else {
			d := r.writer.Details()
			rep.ResultWriterDetails = &ResultWriterDetails{Bucket: d.Bucket, Key: d.Key}
		}
	}
	rep.StopDate = time.Now()
	if rep.Status != StatusSucceeded {
		r.writeFailure(rep)
		if r.spool != nil {
			r.spool.Close()
		}
		return rep
	}
	if r.def.shapesOutput() {
		r.writeShaped(rep)
		return rep
	}
	if r.writer != nil {
		r.writeJSON(map[string]any{"MapRunArn": r.arn, "ResultWriterDetails": rep.ResultWriterDetails})
		return rep
	}
	r.spoolW.WriteByte(']')
	r.spoolW.Flush()
	if r.opts.Output != nil {
		r.spool.Seek(0, io.SeekStart)
		io.Copy(r.opts.Output, r.spool)
		io.WriteString(r.opts.Output, "\n")
	}
	r.spool.Close()
	return rep
}

// writeShaped writes the state output made from the Map result by the definition's
// ResultSelector, ResultPath and OutputPath; a path that fails them fails the state.
func (r *mapRun) writeShaped(rep *Report) {
	var result []byte
	if r.writer != nil {
		result, _ = json.Marshal(map[string]any{"MapRunArn": r.arn, "ResultWriterDetails": rep.ResultWriterDetails})
	} else {
		r.spoolW.WriteByte(']')
		r.spoolW.Flush()
		r.spool.Seek(0, io.SeekStart)
		result, _ = io.ReadAll(r.spool)
		r.spool.Close()
	}
	out, err := r.def.m.Output(r.def.stateInput, result)
	if err != nil {
		rep.Status, rep.Error, rep.Cause = StatusFailed, ErrRuntime, err.Error()
		var se *asl.StatesError
		if errors.As(err, &se) {
			rep.Error, rep.Cause = se.Name, se.Cause
		}
		r.writeFailure(rep)
		return
	}
	if r.opts.Output != nil {
		r.opts.Output.Write(append(out, '\n'))
	}
}

// writeFailure writes the failed state's {"Error","Cause"} to the output, or, when the
// definition's Catch on the Map state matches the error, the catcher's state output.
func (r *mapRun) writeFailure(rep *Report) {
	if r.def != nil && rep.Status == StatusFailed {
		out, ok, err := r.def.m.Caught(r.def.stateInput, rep.Error, rep.Cause)
		if err == nil && ok {
			rep.Caught = true
			if r.opts.Output != nil {
				r.opts.Output.Write(append(out, '\n'))
			}
			return
		}
	}
	r.writeJSON(map[string]string{"Error": rep.Error, "Cause": rep.Cause})
}

func (r *mapRun) writeJSON(v any) { writeJSON(r.opts.Output, v) }

func writeJSON(w io.Writer, v any) {
	if w == nil {
		return
	}
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
}

// reportProgress calls opts.Progress periodically; the returned func sends the last call.
func (r *mapRun) reportProgress() func() {
	if r.opts.Progress == nil {
		return func() {}
	}
	every := r.opts.ProgressInterval
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				r.opts.Progress(r.snapshot(false))
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		r.opts.Progress(r.snapshot(true))
	}
}

func (r *mapRun) snapshot(done bool) Progress {
	r.mu.Lock()
	c := r.counts
	r.mu.Unlock()
	p := Progress{Counts: c, Elapsed: time.Since(r.start), Done: done}
	if done {
		p.TotalKnown = true
		return p
	}
	p.Running = max(r.started.Load()-r.finishedTasks.Load(), 0)
	if r.totalKnown.Load() {
		p.TotalKnown = true
		p.Total = max(r.total.Load(), c.Total)
	} else {
		p.Total = max(r.read.Load(), c.Total)
	}
	p.Pending = max(p.Total-c.Succeeded-c.Failed-c.TimedOut-c.Aborted-p.Running, 0)
	return p
}
