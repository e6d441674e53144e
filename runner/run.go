package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wasmap/wasmap/runner/internal/batcher"
	"github.com/wasmap/wasmap/runner/internal/execenv"
	"github.com/wasmap/wasmap/runner/internal/itemreader"
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
	if err := job.normalize(); err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(job.Function.Path)
	if err != nil {
		return nil, invalid("Function.Path", "%v", err)
	}
	fn, err := execenv.Load(ctx, wasm, execenv.Config{
		Name:        job.Function.Name,
		MemoryMB:    job.Function.MemoryMB,
		Timeout:     time.Duration(job.Function.Timeout),
		InitTimeout: time.Duration(job.Function.InitTimeout),
		Env:         job.Function.Environment,
		Region:      job.Region,
		Account:     job.Account,
		CacheDir:    job.CacheDir,
	})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", job.Function.Path, err)
	}
	defer fn.Close(context.Background())
	if err := checkMemory(&job, fn, opts.MemoryBudget); err != nil {
		return nil, err
	}
	r := newMapRun(&job, fn, opts)
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
	job  *Job
	fn   *execenv.Function
	opts Options
	ctx  context.Context
	wg   sync.WaitGroup

	id, arn, smArn, execPrefix string
	start                      time.Time

	stop    chan struct{}
	stopped sync.Once
	kick    chan struct{} // wakes pullers waiting on cond (see notify)

	// The source side, guarded by src.
	src        sync.Mutex
	cond       *sync.Cond // on src: the window moved, the total became known, the run stopped
	reader     itemreader.Reader
	bt         *batcher.Batcher
	btClosed   bool
	ready      []*entry // child inputs made by the batcher, not started yet
	seq        int64    // the next entry's position in the output
	sourceDone bool     // the reader is exhausted (or failed)
	stopping   bool     // no new child execution starts
	waiters    int      // pullers blocked on cond
	nwait      atomic.Int32

	// The ordered output, guarded by out.
	out     sync.Mutex
	held    map[int64]*entry
	emitted atomic.Int64 // entries written out: the next seq to emit

	live, envs, coldStarts atomic.Int64
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
	logs       *logStreams
	logDir     string
	writeErr   error
}

// entry is one child execution's way to the output: a task that ran, an item the reader could
// not parse, or an item that never started.
type entry struct {
	seq     int64 // position in the output
	first   int64 // index of the (first) item
	items   int64 // number of items: 1, or a batch's size
	task    *execenv.Task
	input   []byte
	name    string
	err     *execenv.Error
	pending bool
}

func newMapRun(job *Job, fn *execenv.Function, opts Options) *mapRun {
	id := uuid.NewString()
	sm := job.StateMachineName + "/" + job.Label
	r := &mapRun{
		job: job, fn: fn, opts: opts, id: id,
		arn:        "arn:aws:states:" + job.Region + ":" + job.Account + ":mapRun:" + sm + ":" + id,
		smArn:      "arn:aws:states:" + job.Region + ":" + job.Account + ":stateMachine:" + sm,
		execPrefix: "arn:aws:states:" + job.Region + ":" + job.Account + ":execution:" + sm + ":",
		stop:       make(chan struct{}),
		kick:       make(chan struct{}, 1),
		counted:    make(chan struct{}),
		held:       map[int64]*entry{},
	}
	r.cond = sync.NewCond(&r.src)
	return r
}

// windowSize bounds how far dispatch may run ahead of the oldest unfinished item, which bounds
// the memory that ordered output needs.
func windowSize(concurrency int) int64 { return int64(max(1024, 16*concurrency)) }

// halt stops dispatch: no child execution starts after it. It takes no lock.
func (r *mapRun) halt() {
	r.stopped.Do(func() { close(r.stop) })
	r.notify()
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

// notify wakes the pullers waiting on cond. It never blocks and takes no lock, so it may be
// called with any lock held: the waking is done by waker, which takes src.
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
	reader, err := itemreader.Open(r.job.ItemReader.Source, r.readerConfig())
	if err != nil {
		var re *itemreader.ReaderError
		if errors.As(err, &re) {
			return r.failedBeforeStart(ErrItemReaderFailed, re.Cause), nil
		}
		return r.failedBeforeStart(ErrItemReaderFailed, err.Error()), nil
	}
	defer reader.Close()
	r.reader = reader

	if len(r.job.ItemSelector) > 0 {
		sel, err := selector.Compile(r.job.ItemSelector)
		if err == nil {
			r.selector, err = sel.Bind(r.job.Input)
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

	r.src.Lock()
	r.spawn()
	r.src.Unlock()
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

// pull is the environments' Queue.Pull: it returns the next child execution to run, reading
// the source as far as needed, or false when the environment should shut down. It blocks while
// the output window is full or while a failure waits for the total.
func (r *mapRun) pull() (*execenv.Task, bool) {
	r.src.Lock()
	defer r.src.Unlock()
	for {
		if !r.stopping && r.isHalted() {
			r.stopping = true
		}
		if r.stopping {
			return nil, false
		}
		if r.awaitingTotal() {
			r.wait(r.awaitingTotal)
			continue
		}
		if len(r.ready) == 0 && !r.sourceDone {
			if r.windowFull() {
				r.wait(r.windowFull)
				continue
			}
			r.readSome()
			continue
		}
		if len(r.ready) == 0 {
			return nil, false
		}
		e := r.ready[0]
		r.ready[0] = nil
		r.ready = r.ready[1:]
		r.started.Add(1)
		e.task = &execenv.Task{Index: e.first, Event: e.input, Ref: e}
		// Another environment is useful when no other one is waiting here for work.
		if r.waiters == 0 && r.live.Load() < int64(r.job.MaxConcurrency) && (len(r.ready) > 0 || !r.sourceDone) {
			r.spawn()
		}
		return e.task, true
	}
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

// wait blocks on cond while blocked() holds, or until the run stops. Called with src held.
//
// Notifiers change what blocked reads, then call notify only when a puller waits (nwait), so
// the common path costs no wake-up. nwait is raised before blocked is checked again: either
// the notifier sees the waiter, or the waiter sees the change.
func (r *mapRun) wait(blocked func() bool) {
	r.waiters++
	r.nwait.Add(1)
	if blocked() && !r.isHalted() {
		r.cond.Wait()
	}
	r.nwait.Add(-1)
	r.waiters--
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
				r.fail(ErrRuntime, "An error occurred while executing the state '"+r.job.Label+"'. "+err.Error())
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
	e.name = uuid.NewString()
	return e
}

// pendRest records, once every environment has ended, what never started: child inputs made
// but not started, and the rest of the source.
func (r *mapRun) pendRest() {
	r.src.Lock()
	defer r.src.Unlock()
	r.stopping = true
	r.closeBatcher() // the items it holds come before the rest of the source
	for _, e := range r.ready {
		e.task, e.pending = nil, true
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

// spawn starts one more environment. Called with src held.
func (r *mapRun) spawn() {
	r.live.Add(1)
	n := r.envs.Add(1)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		exit := r.fn.Serve(r.ctx, int(n), execenv.Queue{Pull: r.pull, Done: r.taskDone})
		if r.logs != nil {
			r.logs.closeEnv(int(n))
		}
		r.src.Lock()
		r.live.Add(-1)
		// An environment that ended on a fault is replaced while work remains.
		if exit.Reason != "spindown" && !r.stopping && !r.isHalted() && (len(r.ready) > 0 || !r.sourceDone) && r.live.Load() < int64(r.job.MaxConcurrency) {
			r.spawn()
		}
		r.src.Unlock()
	}()
}

// taskDone is called by environments, from their goroutines, once per task, before the
// environment can take another task: a failure beyond tolerance halts dispatch before any
// further item starts.
func (r *mapRun) taskDone(t *execenv.Task) {
	e := t.Ref.(*entry)
	r.finishedTasks.Add(1)
	if t.ColdStart {
		r.coldStarts.Add(1)
	}
	if r.logs != nil {
		r.logs.write(t)
	}
	t.Logs = nil
	r.deliver(e)
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
		case e.task != nil && e.task.Err == nil:
			c.Succeeded += n
		case e.task != nil && e.task.Err.Aborted:
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
	n, err := itemreader.Count(ctx, r.job.ItemReader.Source, r.readerConfig())
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
