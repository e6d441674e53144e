package runner

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wasmap/wasmap/runner/internal/asl"
	"github.com/wasmap/wasmap/runner/internal/batcher"
	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/itemreader"
	"github.com/wasmap/wasmap/runner/internal/objectio"
	"github.com/wasmap/wasmap/runner/internal/resultwriter"
	"github.com/wasmap/wasmap/runner/internal/selector"
)

// Options are the run's connections to its caller. The zero value is valid.
type Options struct {
	// Output receives the state output on success: the COMPACT array of child outputs in item
	// order, or, with a ResultWriter, {"MapRunArn":…,"ResultWriterDetails":{…}}.
	Output io.Writer
	// Progress, when set, is called about every ProgressInterval from another goroutine, and
	// once more at the end with Done set.
	Progress func(Progress)
	// ProgressInterval defaults to 200ms.
	ProgressInterval time.Duration
	// MemoryBudget is the memory the environments may use, in bytes. 0: 80% of the memory
	// available when the run starts.
	MemoryBudget uint64
}

// Run executes job and reports how it ended. A map run that fails (a failed item beyond
// tolerance, a reader failure) is a Report with Status FAILED and a nil error; the error is for
// a Job that cannot start: a *ValidationError, or a module that does not load.
//
// Cancelling ctx stops the run: running invocations are aborted, items never started are
// PENDING, and results are still written; the Report's Status is ABORTED.
func Run(ctx context.Context, job Job, opts Options) (*Report, error) {
	var def *definition
	if len(job.Definition) > 0 {
		var failed *Report
		var err error
		if def, failed, err = job.applyDefinition(); err != nil {
			return nil, err
		}
		if failed != nil {
			writeJSON(opts.Output, map[string]string{"Error": failed.Error, "Cause": failed.Cause})
			return failed, nil
		}
	}
	if err := job.normalize(); err != nil {
		return nil, err
	}
	var proc *asl.Processor
	if len(job.ItemProcessor) > 0 {
		var err error
		if proc, err = asl.ParseProcessor(job.ItemProcessor); err != nil { // checked by normalize
			return nil, invalid("ItemProcessor", "%v", err)
		}
	} else {
		proc = asl.SingleTask(job.Functions[0].Name)
	}
	store := &storage{ctx: ctx, job: &job}
	items := job.ItemReader.Source
	if _, err := os.Stat(items); err != nil && !isS3(items) {
		items = "" // the reader reports it, as States.ItemReaderFailed
	}
	objects, err := objectio.NewAccess(ctx, objectio.Config{Items: items, Reads: job.ReadPrefixes,
		Output: job.OutputPrefix, Openers: map[string]objectio.Opener{objectio.SchemeS3: store.opener()}})
	if err != nil {
		return nil, invalid("OutputPrefix", "object I/O: %v", err)
	}
	id := uuid.NewString()
	exts, extAccess, err := loadExtensions(ctx, &job, store, id)
	if err != nil {
		objects.Close()
		return nil, err
	}
	fns := map[string]*execenv.Function{}
	defer func() {
		for _, fn := range fns {
			fn.Close(context.Background())
		}
		objects.Close()
		for _, a := range extAccess {
			a.Close()
		}
	}()
	for _, f := range job.Functions {
		wasm, err := os.ReadFile(f.Path)
		if err != nil {
			return nil, invalid("Functions", "%v", err)
		}
		fn, err := execenv.Load(ctx, wasm, execenv.Config{
			Name:        f.Name,
			MemoryMB:    f.MemoryMB,
			Timeout:     time.Duration(f.Timeout),
			InitTimeout: time.Duration(f.InitTimeout),
			Env:         f.Environment,
			Region:      job.Region,
			Account:     job.Account,
			CacheDir:    job.CacheDir,
			Objects:     objects,
			Extensions:  exts,
			LogFormat:   job.LogFormat,
		})
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", f.Path, err)
		}
		fns[f.Name] = fn
		if err := checkMemory(&job, f.Name, fn, opts.MemoryBudget); err != nil {
			return nil, err
		}
	}
	r := newMapRun(id, &job, proc, fns, opts)
	r.def = def
	r.store = store
	return r.run(ctx)
}

// mapRun is one execution of a Job.
//
// Environments pull their work: an environment that wants a task calls pull, which reads the
// source, applies the ItemSelector and the ItemBatcher and returns the next child input; when the
// task ends, the same goroutine accounts for it and, in item order, writes it out (deliver). No
// goroutine sits between the source, the environments and the outputs, so a task costs no
// hand-off between goroutines (which on a machine with few cores, or under gVisor, costs more
// than the host's own work per item).
//
// Locks, always taken in this order: src (the source side), out (the ordered output), mu (the
// counters and the run's outcome). None is held while a guest runs.
type mapRun struct {
	job   *Job
	proc  *asl.Processor
	pools map[string]*pool // by function name
	opts  Options
	ctx   context.Context
	wg    sync.WaitGroup
	def   *definition // the Map state definition the Job came from, or nil
	store *storage

	id, arn, smArn, execPrefix string
	start                      time.Time

	stop      chan struct{}
	stopped   sync.Once
	kick      chan struct{} // wakes pullers waiting on cond (see notify)
	driveKick chan struct{} // wakes drive: the run is over, or no environment is left

	// The source side, guarded by src.
	src        sync.Mutex
	cond       *sync.Cond // on src: the window moved, the total became known, the run stopped
	reader     itemreader.Reader
	names      nameSource
	bt         *batcher.Batcher
	btClosed   bool
	ready      []*entry               // child inputs made, not started yet
	seq        int64                  // the next entry's position in the output
	sourceDone bool                   // the reader is exhausted (or failed)
	stopping   bool                   // no new child execution starts
	active     int                    // child executions started and not ended
	delayed    map[*entry]*time.Timer // child executions waiting for a Retry's backoff
	driving    bool                   // the run's own goroutine is in drive
	nwait      atomic.Int32           // pullers blocked on cond
	version    atomic.Uint64          // bumped by every change a blocked puller may wait for

	// The ordered output, guarded by out.
	out     sync.Mutex
	held    map[int64]*entry
	emitted atomic.Int64 // entries written out: the next seq to emit

	live, envs, coldStarts atomic.Int64
	postRuntime            atomic.Int64 // ns of PostRuntimeExtensionsDuration, summed
	started, finishedTasks atomic.Int64
	total                  atomic.Int64
	totalKnown             atomic.Bool
	needTotal              atomic.Bool   // a failure waits for the total (tolerated percentage)
	counted                chan struct{} // closed when the counting pass ends
	read                   atomic.Int64

	mu         sync.Mutex // guards counts, failure
	counts     Counts     // items
	execCounts Counts     // child executions: differ from counts with an ItemBatcher
	failure    *Report    // Error and Cause once the run has failed
	aborted    bool
	runErr     *Report // the run's own failure (reader, selector), Error and Cause
	selector   *selector.Bound
	batch      *batcher.Config
	spool      *os.File
	spoolW     *bufio.Writer
	spoolN     int64
	writer     *resultwriter.Writer
	transform  string // the state output's Transformation
	logDir     string
	writeErr   error
}

// entry is one child execution's way to the output: a child that ran, an item the reader could
// not parse, or an item that never started.
type entry struct {
	seq   int64 // position in the output
	first int64 // index of the (first) item
	items int64 // number of items: 1, or a batch's size
	input []byte
	name  string

	exec *asl.Execution  // the child execution, once started
	inv  *asl.Invocation // the invocation it waits for, while queued
	task *execenv.Task   // its last invocation

	output      []byte         // the child's output, when it succeeded
	err         *execenv.Error // the child's error, or the item's failure before any invocation
	pending     bool           // never started
	start, stop time.Time
}

// succeeded reports whether the child execution ended with an output.
func (e *entry) succeeded() bool { return !e.pending && e.err == nil }

// pool is the environments of one function, and the invocations waiting for one. Its fields
// are guarded by mapRun.src.
type pool struct {
	name    string
	fn      *execenv.Function
	queue   []*entry
	live    int // environments running
	waiters int // environments blocked in pull
	logs    *logStreams
}

func newMapRun(id string, job *Job, proc *asl.Processor, fns map[string]*execenv.Function, opts Options) *mapRun {
	sm := job.StateMachineName + "/" + job.Label
	r := &mapRun{
		job: job, proc: proc, opts: opts, id: id, pools: map[string]*pool{}, delayed: map[*entry]*time.Timer{},
		arn:        "arn:aws:states:" + job.Region + ":" + job.Account + ":mapRun:" + sm + ":" + id,
		smArn:      "arn:aws:states:" + job.Region + ":" + job.Account + ":stateMachine:" + sm,
		execPrefix: "arn:aws:states:" + job.Region + ":" + job.Account + ":execution:" + sm + ":",
		stop:       make(chan struct{}),
		kick:       make(chan struct{}, 1),
		driveKick:  make(chan struct{}, 1),
		counted:    make(chan struct{}),
		held:       map[int64]*entry{},
	}
	for name, fn := range fns {
		r.pools[name] = &pool{name: name, fn: fn}
	}
	r.cond = sync.NewCond(&r.src)
	r.names.seed()
	return r
}

// windowSize bounds how far dispatch may run ahead of the oldest unfinished item, which bounds
// the memory that ordered output needs.
func windowSize(concurrency int) int64 { return int64(max(1024, 16*concurrency)) }

// halt stops dispatch: no child execution starts after it. It takes no lock.
func (r *mapRun) halt() {
	r.stopped.Do(func() { close(r.stop) })
	r.notify()
	r.kickDrive()
}

// isHalted reports, without blocking, whether the run has stopped dispatching.
func (r *mapRun) isHalted() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// changed records a change that a blocked puller may wait for (an invocation queued, a child
// execution ended, the output window moved, the total became known, the run stopped) and wakes
// the blocked pullers, if any. It never blocks and takes no lock, so it may be called with any
// lock held: the waking is done by waker, which takes src.
func (r *mapRun) changed() {
	r.version.Add(1)
	if r.nwait.Load() > 0 {
		r.notify()
	}
}

func (r *mapRun) notify() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *mapRun) waker(done <-chan struct{}) {
	for {
		select {
		case <-r.kick:
			r.src.Lock()
			r.cond.Broadcast()
			r.src.Unlock()
		case <-done:
			return
		}
	}
}

func (r *mapRun) run(ctx context.Context) (*Report, error) {
	r.start = time.Now()
	r.ctx = ctx
	var reader itemreader.Reader
	var err error
	if src := r.job.ItemReader; len(src.Items) > 0 {
		reader, err = itemreader.OpenJSON("the Map state's items", src.Items, src.ReaderConfig.MaxItems)
	} else {
		reader, err = r.store.openItems(src.Source, r.readerConfig())
	}
	if err != nil {
		var re *itemreader.ReaderError
		if errors.As(err, &re) {
			return r.failedBeforeStart(ErrItemReaderFailed, re.Cause), nil
		}
		return r.failedBeforeStart(ErrItemReaderFailed, err.Error()), nil
	}
	defer reader.Close()
	r.reader = reader

	if r.job.maxItemsNegative {
		return r.failedBeforeStart(ErrItemReaderFailed, "field MaxItems must be positive"), nil
	}
	if len(r.job.ItemSelector) > 0 {
		sel, err := selector.Compile(r.job.ItemSelector)
		if err == nil {
			if r.job.context == nil {
				r.job.context = r.job.contextObject(r.def.stateName(), r.job.Input, r.start)
			}
			r.selector, err = sel.BindContext(r.job.Input, r.job.context)
		}
		if err != nil {
			return r.failedBeforeStart(ErrRuntime, err.Error()), nil
		}
	}
	if b := r.job.ItemBatcher; b != nil {
		r.batch = &batcher.Config{MaxItemsPerBatch: b.MaxItemsPerBatch, MaxInputBytesPerBatch: b.MaxInputBytesPerBatch, BatchInput: b.BatchInput}
		if r.bt, err = batcher.New(*r.batch, r.batched); err != nil { // validated in normalize
			return nil, invalid("ItemBatcher", "%v", err)
		}
	}
	if err := r.openOutputs(); err != nil {
		return r.failedBeforeStart(ErrResultWriterFailed, err.Error()), nil
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopOnCancel := context.AfterFunc(ctx, r.halt)
	defer stopOnCancel()
	wakerDone := make(chan struct{})
	go r.waker(wakerDone)
	go r.count(runCtx)
	progressDone := r.reportProgress()

	r.drive()
	r.wg.Wait()
	close(wakerDone)
	r.pendRest()
	cancel()
	if ctx.Err() != nil {
		r.mu.Lock()
		r.aborted = true
		r.mu.Unlock()
	}
	rep := r.finish()
	progressDone()
	return rep, nil
}

// drive is the run's own goroutine's part: it starts child executions while no environment
// runs (at the start, after every environment ended on a fault, and all along for an
// ItemProcessor without Task states), and returns when the run is over. Once an environment
// runs, the environments start child executions themselves (see pull) and drive only waits.
func (r *mapRun) drive() {
	r.src.Lock()
	for {
		v := r.version.Load()
		if !r.stopping && r.isHalted() {
			r.stopping = true
		}
		if r.over() || (r.stopping && r.live.Load() == 0) { // pendRest ends what is left
			r.src.Unlock()
			return
		}
		if r.live.Load() == 0 {
			if !r.stopping && r.startOne(nil) {
				continue
			}
			// No environment: queued invocations need one (a fault ended the last).
			for _, p := range r.pools {
				if len(p.queue) > 0 {
					r.spawn(p)
				}
			}
			if r.live.Load() == 0 { // nothing can start yet: a backoff, the window, the total
				r.wait(v)
				continue
			}
		}
		// Environments run the map run; drive waits for the end or for the last of them to exit,
		// on its own channel so that their progress costs it no wake-up.
		r.src.Unlock()
		<-r.driveKick
		r.src.Lock()
	}
}

// kickDrive wakes drive. It never blocks.
func (r *mapRun) kickDrive() {
	select {
	case r.driveKick <- struct{}{}:
	default:
	}
}

// over reports whether the run has nothing left to do: no child execution runs or waits, and
// none will start. Called with src held.
func (r *mapRun) over() bool {
	if r.active > 0 {
		return false
	}
	return r.stopping || (r.sourceDone && len(r.ready) == 0)
}

// startOne starts the next child execution if the limits allow, reading the source as far as
// needed. It reports whether it made progress (started one, or read items). Called with src held.
func (r *mapRun) startOne(from *pool) bool {
	if r.active >= r.job.MaxConcurrency || r.awaitingTotal() {
		return false
	}
	if len(r.ready) == 0 {
		if r.sourceDone || r.windowFull() {
			return false
		}
		r.readSome()
		return true
	}
	e := r.ready[0]
	r.ready[0] = nil
	r.ready = r.ready[1:]
	r.active++
	e.start = time.Now()
	e.exec = r.proc.Start(e.input, asl.ExecContext{ExecutionArn: r.execPrefix + e.name, Name: e.name,
		StateMachineArn: r.smArn, StateMachineName: r.job.StateMachineName + "/" + r.job.Label, StartTime: e.start})
	r.step(e, e.exec.Next(), from)
	return true
}

// step carries out what a child execution needs next: an invocation, queued on its function's
// pool (after a Retry's backoff), or its end. from is the pool of the environment calling, which
// takes the invocation itself, or nil. Called with src held.
func (r *mapRun) step(e *entry, s asl.Step, from *pool) {
	if s.Invoke == nil {
		if s.Error != "" {
			e.err = &execenv.Error{Type: s.Error, Cause: s.Cause}
		} else {
			e.output = s.Output
		}
		r.end(e)
		return
	}
	p := r.pools[s.Invoke.Function]
	if p == nil { // a FunctionName.$ path chose a function that is not given: the Task fails
		r.step(e, e.exec.Complete(asl.Result{Error: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf(
			"Function not found: arn:aws:lambda:%s:%s:function:%s (no function module has this name)", r.job.Region, r.job.Account, s.Invoke.Function)}), from)
		return
	}
	e.inv = s.Invoke
	if d := s.Invoke.Delay; d > 0 {
		r.delayed[e] = time.AfterFunc(d, func() {
			r.src.Lock()
			defer r.src.Unlock()
			if _, ok := r.delayed[e]; !ok { // pendRest took it
				return
			}
			delete(r.delayed, e)
			r.queue(p, e, nil)
		})
		return
	}
	r.queue(p, e, from)
}

// queue puts e's invocation on p, starting an environment for it when none of p's is free and
// the caller is not one of p's. Called with src held.
func (r *mapRun) queue(p *pool, e *entry, from *pool) {
	p.queue = append(p.queue, e)
	if from != p && p.waiters == 0 && p.live < r.job.MaxConcurrency && !r.stopping {
		r.spawn(p)
	}
	r.changed()
}

// end records the end of a started child execution and writes it out. Called with src held.
func (r *mapRun) end(e *entry) {
	e.stop = time.Now()
	e.exec, e.inv = nil, nil
	r.active--
	r.deliver(e)
	r.changed()
	if r.active == 0 {
		r.kickDrive()
	}
}

// pull is the environments' Queue.Pull: it returns the next invocation for the environment's
// function, starting child executions as far as needed, or false when the environment should
// shut down. It blocks while there is nothing to do yet: every allowed child execution is
// running elsewhere, the output window is full, or a failure waits for the total.
func (r *mapRun) pull(p *pool) (*execenv.Task, bool) {
	r.src.Lock()
	defer r.src.Unlock()
	for {
		v := r.version.Load()
		if !r.stopping && r.isHalted() {
			r.stopping = true
		}
		if r.stopping || r.over() {
			return nil, false
		}
		if len(p.queue) > 0 {
			e := p.queue[0]
			p.queue[0] = nil
			p.queue = p.queue[1:]
			r.started.Add(1)
			inv := e.inv
			e.task = &execenv.Task{Index: e.first, Event: inv.Payload, Ref: e, StateTimeout: inv.Timeout}
			// Another environment is useful when no other one is waiting here for work.
			if p.waiters == 0 && p.live < r.job.MaxConcurrency && r.moreWork() {
				r.spawn(p)
			}
			return e.task, true
		}
		if r.startOne(p) {
			continue
		}
		p.waiters++
		r.wait(v)
		p.waiters--
	}
}

// moreWork reports whether another child execution could start now. Called with src held.
func (r *mapRun) moreWork() bool {
	return r.active < r.job.MaxConcurrency && (len(r.ready) > 0 || !r.sourceDone)
}

// awaitingTotal reports whether the next child execution must wait: a failure has happened, a
// tolerated percentage is set, and the counting pass is still running. Whether the run must
// stop depends on the total, and no item should start that Step Functions would have left
// PENDING.
func (r *mapRun) awaitingTotal() bool {
	if !r.needTotal.Load() || r.totalKnown.Load() {
		return false
	}
	select {
	case <-r.counted:
		return false
	default:
		return true
	}
}

// windowFull reports whether dispatch is a window ahead of the output. Called with src held.
func (r *mapRun) windowFull() bool {
	return r.seq-r.emitted.Load() >= windowSize(r.job.MaxConcurrency)
}

// wait blocks on cond until something changed since the caller read version v. Called with
// src held.
//
// changed bumps version, then wakes only when a puller waits (nwait), so the common path costs
// no wake-up. nwait is raised before version is read again: either changed sees the waiter, or
// the waiter sees the new version.
func (r *mapRun) wait(v uint64) {
	r.nwait.Add(1)
	if r.version.Load() == v {
		r.cond.Wait()
	}
	r.nwait.Add(-1)
}

// readSome reads the source until it has made a child input (in ready), met its end or failed,
// or the run stopped. Items that fail before any invocation go straight to the output. Called
// with src held.
func (r *mapRun) readSome() {
	for len(r.ready) == 0 {
		if r.isHalted() {
			r.stopping = true
			return
		}
		it, err := r.reader.Next()
		if err == io.EOF {
			r.endSource()
			return
		}
		if err != nil {
			var re *itemreader.ReaderError
			cause := err.Error()
			if errors.As(err, &re) {
				cause = re.Cause
			}
			r.fail(ErrItemReaderFailed, cause)
			r.sourceDone, r.stopping = true, true
			return
		}
		r.read.Add(1)
		if it.Err != nil {
			r.deliver(r.newEntry(&entry{first: it.Index, items: 1, input: it.Value,
				err: &execenv.Error{Type: ErrItemReaderFailed, Cause: it.Err.Error()}}))
			continue
		}
		input := it.Value
		if r.selector != nil {
			if input, err = r.selector.Apply(it.Index, it.Value); err != nil {
				// A path that matches nothing is States.Runtime: terminal for the Map state.
				r.fail(ErrRuntime, "An error occurred while executing the state '"+r.def.stateName()+"' (entered at the event id #2). "+err.Error())
				r.stopping = true
				r.closeBatcher() // its items come first in the output
				r.deliver(r.newEntry(&entry{first: it.Index, items: 1, input: it.Value, pending: true}))
				return
			}
		}
		if r.bt == nil {
			r.ready = append(r.ready, r.newEntry(&entry{first: it.Index, items: 1, input: input}))
			continue
		}
		if err := r.bt.Add(input); err != nil {
			var dl *batcher.DataLimitError
			if errors.As(err, &dl) {
				r.deliver(r.newEntry(&entry{first: it.Index, items: 1, input: input,
					err: &execenv.Error{Type: dl.Name(), Cause: dl.Error()}}))
				continue
			}
			r.fail(ErrRuntime, err.Error())
			r.stopping = true
			return
		}
	}
}

// endSource closes the batcher and, as the source has ended, makes the total known. Called
// with src held.
func (r *mapRun) endSource() {
	if r.sourceDone {
		return
	}
	r.sourceDone = true
	r.closeBatcher()
	// Without a count (it failed), the total is known now that the source has ended.
	r.knowTotal(r.read.Load())
}

// closeBatcher makes the batcher emit its last batch, once. Called with src held.
func (r *mapRun) closeBatcher() {
	if r.bt != nil && !r.btClosed {
		r.btClosed = true
		r.bt.Close()
	}
}

// batched receives the ItemBatcher's batches (with src held).
func (r *mapRun) batched(b batcher.Batch) error {
	r.ready = append(r.ready, r.newEntry(&entry{first: b.FirstIndex, items: b.Count, input: b.Input}))
	return nil
}

// newEntry numbers e in output order and names its child execution. Called with src held.
func (r *mapRun) newEntry(e *entry) *entry {
	e.seq = r.seq
	r.seq++
	e.name = r.names.next()
	return e
}

// pendRest records, once every environment has ended, what did not finish: child executions
// waiting for an environment or a Retry's backoff (ABORTED, as Step Functions aborts the
// children of a failed Map Run), and what never started, child inputs made and the rest of the
// source (PENDING).
func (r *mapRun) pendRest() {
	r.src.Lock()
	defer r.src.Unlock()
	r.stopping = true
	aborted := func(e *entry) {
		e.err = &execenv.Error{Type: ErrAborted, Cause: "The Map Run stopped before this child execution ended.", Aborted: true}
		r.end(e)
	}
	var left []*entry
	for e, t := range r.delayed {
		t.Stop()
		left = append(left, e)
	}
	clear(r.delayed)
	for _, p := range r.pools {
		left = append(left, p.queue...)
		p.queue = nil
	}
	slices.SortFunc(left, func(a, b *entry) int { return int(a.seq - b.seq) })
	for _, e := range left {
		aborted(e)
	}
	r.closeBatcher() // the items it holds come before the rest of the source
	for _, e := range r.ready {
		e.pending = true
		r.deliver(e)
	}
	r.ready = nil
	for !r.sourceDone {
		it, err := r.reader.Next()
		if err != nil {
			if err != io.EOF {
				var re *itemreader.ReaderError
				cause := err.Error()
				if errors.As(err, &re) {
					cause = re.Cause
				}
				r.fail(ErrItemReaderFailed, cause)
			}
			r.sourceDone = true
			break
		}
		r.read.Add(1)
		r.deliver(r.newEntry(&entry{first: it.Index, items: 1, input: it.Value, pending: true}))
	}
	r.deliverAll()
}

// fail records the run's first failure of its own (not an item's) and stops dispatch.
func (r *mapRun) fail(name, cause string) {
	r.mu.Lock()
	if r.runErr == nil {
		r.runErr = &Report{Error: name, Cause: cause}
	}
	r.mu.Unlock()
	r.halt()
}

// spawn starts one more environment for p. Called with src held.
func (r *mapRun) spawn(p *pool) {
	r.live.Add(1)
	p.live++
	n := r.envs.Add(1)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		q := execenv.Queue{Pull: func() (*execenv.Task, bool) { return r.pull(p) }, Done: r.taskDone, Report: r.invocationReport}
		if p.logs != nil {
			q.Log = p.logs.append
		}
		exit := p.fn.Serve(r.ctx, int(n), q)
		if p.logs != nil {
			p.logs.closeEnv(int(n))
		}
		r.src.Lock()
		p.live--
		r.live.Add(-1)
		// An environment that ended on a fault is replaced while its function has work.
		if exit.Reason != "spindown" && !r.stopping && !r.isHalted() && p.live < r.job.MaxConcurrency &&
			(len(p.queue) > 0 || (p.live == 0 && r.moreWork())) {
			r.spawn(p)
		}
		r.changed()
		if p.live == 0 {
			r.kickDrive() // drive may have to take over
		}
		r.src.Unlock()
	}()
}

// taskDone is called by environments, from their goroutines, once per task, before the
// environment can take another task: the child execution goes on (or ends, and a failure
// beyond tolerance halts dispatch) before any further item starts.
func (r *mapRun) taskDone(t *execenv.Task) {
	e := t.Ref.(*entry)
	r.finishedTasks.Add(1)
	if t.ColdStart {
		r.coldStarts.Add(1)
	}
	p := r.pools[e.inv.Function]
	t.Logs = nil
	res := asl.Result{Output: t.Output, RequestID: t.RequestID}
	r.src.Lock()
	defer r.src.Unlock()
	if t.Err != nil {
		if t.Err.Aborted { // no Retry or Catch applies to a stopped run
			e.err = t.Err
			r.end(e)
			return
		}
		res.Error, res.Cause = t.Err.Type, t.Err.Cause
	}
	r.step(e, e.exec.Complete(res), p)
}

// invocationReport receives each invocation's report once its invoke phase has ended (the
// extensions are back in next-event): the run adds up the time extensions took after the
// function had responded.
func (r *mapRun) invocationReport(rep *execenv.Report) {
	if d := rep.PostRuntimeExtensionsDuration; d > 0 {
		r.postRuntime.Add(int64(d))
	}
}

// deliver accounts for a finished entry and writes out, in item order, every entry that is now
// next. Any goroutine may call it, with src held or not.
func (r *mapRun) deliver(e *entry) {
	r.account(e)
	r.out.Lock()
	r.held[e.seq] = e
	r.flushHeld()
	r.out.Unlock()
}

// flushHeld emits the held entries that come next in order. Called with out held.
func (r *mapRun) flushHeld() {
	next := r.emitted.Load()
	moved := false
	for {
		h, ok := r.held[next]
		if !ok {
			break
		}
		delete(r.held, next)
		next++
		r.emit(h)
		moved = true
	}
	if moved {
		r.emitted.Store(next)
		if r.nwait.Load() > 0 {
			r.notify()
		}
	}
}

// deliverAll emits whatever is still held at the end of the run. Every position is delivered
// exactly once, so nothing can be missing; this only guards the output against a bug.
func (r *mapRun) deliverAll() {
	r.out.Lock()
	defer r.out.Unlock()
	r.flushHeld()
	if len(r.held) > 0 {
		keys := make([]int64, 0, len(r.held))
		for k := range r.held {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			r.emit(r.held[k])
			delete(r.held, k)
		}
	}
}

// account updates the counters for a finished entry and applies the failure tolerance.
func (r *mapRun) account(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	add := func(c *Counts, n int64) {
		c.Total += n
		switch {
		case e.pending:
			c.Pending += n
			return
		case e.err == nil:
			c.Succeeded += n
		case e.err.Aborted:
			c.Aborted += n
		default:
			c.Failed += n
		}
		c.ResultsWritten += n
	}
	add(&r.counts, e.items)
	add(&r.execCounts, 1)
	if !e.pending {
		r.checkTolerance()
	}
}

// checkTolerance fails the run when failed items exceed the tolerated count or percentage.
// Called with r.mu held.
func (r *mapRun) checkTolerance() {
	if r.failure != nil {
		return
	}
	failed := r.counts.Failed + r.counts.TimedOut
	if failed == 0 {
		return
	}
	cnt, pct := r.job.ToleratedFailureCount, r.job.ToleratedFailurePercentage
	exceeded := false
	switch {
	case cnt == nil && pct == nil:
		exceeded = true
	default:
		if cnt != nil && failed > *cnt {
			exceeded = true
		}
		if pct != nil && !r.totalKnown.Load() {
			r.needTotal.Store(true)
		}
		if pct != nil && r.totalKnown.Load() {
			if total := r.total.Load(); total > 0 && float64(failed)*100 > *pct*float64(total) {
				exceeded = true
			}
		}
	}
	if exceeded {
		r.failure = &Report{Error: ErrExceedToleratedFailureThreshold, Cause: r.thresholdCause(failed)}
		r.halt()
	}
}

func (r *mapRun) thresholdCause(failed int64) string {
	limit := "the tolerated failure count (0) and percentage (0%)"
	cnt, pct := r.job.ToleratedFailureCount, r.job.ToleratedFailurePercentage
	switch {
	case cnt != nil && pct != nil:
		limit = fmt.Sprintf("the tolerated failure count (%d) or percentage (%g%%)", *cnt, *pct)
	case cnt != nil:
		limit = fmt.Sprintf("the tolerated failure count (%d)", *cnt)
	case pct != nil:
		limit = fmt.Sprintf("the tolerated failure percentage (%g%%)", *pct)
	}
	return fmt.Sprintf("The Map Run failed: %d failed items exceeded %s.", failed, limit)
}

// count runs the source's counting pass, so progress has an ETA and the tolerated percentage
// can be applied before the reader reaches the end.
func (r *mapRun) count(ctx context.Context) {
	defer func() {
		close(r.counted)
		r.notify()
	}()
	if len(r.job.ItemReader.Items) > 0 {
		return // known when the reader ends
	}
	n, err := r.store.countItems(ctx, r.job.ItemReader.Source, r.readerConfig())
	if err != nil {
		return
	}
	r.knowTotal(n)
}

// knowTotal records the number of items and applies the tolerated percentage with it.
func (r *mapRun) knowTotal(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.totalKnown.Load() {
		return
	}
	r.total.Store(n)
	r.totalKnown.Store(true)
	r.checkTolerance()
	r.notify()
}

func (r *mapRun) readerConfig() itemreader.Config {
	rc := r.job.ItemReader.ReaderConfig
	return itemreader.Config{InputType: rc.InputType, MaxItems: rc.MaxItems, CSVHeaderLocation: rc.CSVHeaderLocation,
		CSVHeaders: rc.CSVHeaders, CSVDelimiter: rc.CSVDelimiter, Prefix: r.job.ItemReader.Prefix}
}

// nameSource makes child execution names: random (version 4) UUIDs from a ChaCha8 stream seeded
// once from crypto/rand, as a name must be unique, not secret; uuid.NewString reads the system's
// random source for each, a system call per child. Not goroutine-safe (used with src held).
type nameSource struct {
	rng *rand.ChaCha8
	buf [36]byte
}

func (n *nameSource) seed() {
	var s [32]byte
	if _, err := crand.Read(s[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	n.rng = rand.NewChaCha8(s)
}

func (n *nameSource) next() string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], n.rng.Uint64())
	binary.LittleEndian.PutUint64(u[8:], n.rng.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}
