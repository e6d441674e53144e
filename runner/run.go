package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
type mapRun struct {
	job  *Job
	fn   *execenv.Function
	opts Options

	id, arn, smArn, execPrefix string
	start                      time.Time

	work    chan *execenv.Task
	results chan *entry
	window  chan struct{}
	stop    chan struct{}
	stopped sync.Once
	exited  chan struct{}

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

// entry is one item's way through the collector: a task that ran, an item the reader could not
// parse, or an item that never started.
type entry struct {
	seq     int64 // position in the output
	first   int64 // index of the (first) item
	items   int64 // number of items: 1, or a batch's size
	task    *execenv.Task
	input   []byte
	name    string
	err     *execenv.Error
	pending bool
	window  bool // holds a slot of the dispatch window
}

func newMapRun(job *Job, fn *execenv.Function, opts Options) *mapRun {
	id := uuid.NewString()
	sm := job.StateMachineName + "/" + job.Label
	r := &mapRun{
		job: job, fn: fn, opts: opts, id: id,
		arn:        "arn:aws:states:" + job.Region + ":" + job.Account + ":mapRun:" + sm + ":" + id,
		smArn:      "arn:aws:states:" + job.Region + ":" + job.Account + ":stateMachine:" + sm,
		execPrefix: "arn:aws:states:" + job.Region + ":" + job.Account + ":execution:" + sm + ":",
		work:       make(chan *execenv.Task, queueSize(job.MaxConcurrency)),
		results:    make(chan *entry, 1024),
		window:     make(chan struct{}, windowSize(job.MaxConcurrency)),
		stop:       make(chan struct{}),
		exited:     make(chan struct{}, 1),
		counted:    make(chan struct{}),
	}
	return r
}

// queueSize is how many tasks wait for a free environment: enough that an environment finishing
// an item finds the next one ready, few enough that a stop leaves little queued.
func queueSize(concurrency int) int { return min(max(2*concurrency, 4), 256) }

// windowSize bounds how far dispatch may run ahead of the oldest unfinished item, which bounds
// the memory that ordered output needs.
func windowSize(concurrency int) int { return max(1024, 16*concurrency) }

func (r *mapRun) halt() { r.stopped.Do(func() { close(r.stop) }) }

// halted reports, without blocking, whether the run has stopped dispatching.
func (r *mapRun) halted(ctx context.Context) bool {
	select {
	case <-r.stop:
		return true
	case <-ctx.Done():
		r.halt()
		return true
	default:
		return false
	}
}

func (r *mapRun) run(ctx context.Context) (*Report, error) {
	r.start = time.Now()
	reader, err := itemreader.Open(r.job.ItemReader.Source, r.readerConfig())
	if err != nil {
		var re *itemreader.ReaderError
		if errors.As(err, &re) {
			return r.failedBeforeStart(ErrItemReaderFailed, re.Cause), nil
		}
		return r.failedBeforeStart(ErrItemReaderFailed, err.Error()), nil
	}
	defer reader.Close()

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
	}
	if err := r.openOutputs(); err != nil {
		return r.failedBeforeStart(ErrResultWriterFailed, err.Error()), nil
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go r.count(runCtx)
	progressDone := r.reportProgress()

	collected := make(chan struct{})
	go func() { r.collect(); close(collected) }()

	var wg sync.WaitGroup
	r.dispatch(ctx, reader, &wg)
	close(r.work)
	r.drain(ctx, &wg)
	wg.Wait()
	close(r.results)
	<-collected
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

// dispatch reads items, applies the ItemSelector and the ItemBatcher, and hands the child
// inputs to environments until the source ends or the run stops. What it does not start goes to
// the collector as PENDING.
func (r *mapRun) dispatch(ctx context.Context, reader itemreader.Reader, wg *sync.WaitGroup) {
	d := &dispatcher{r: r, ctx: ctx, wg: wg}
	var bt *batcher.Batcher
	if r.batch != nil {
		var err error
		bt, err = batcher.New(*r.batch, d.batch)
		if err != nil { // validated in normalize
			panic(err)
		}
	}
	for {
		it, err := reader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *itemreader.ReaderError
			cause := err.Error()
			if errors.As(err, &re) {
				cause = re.Cause
			}
			r.fail(ErrItemReaderFailed, cause)
			break
		}
		r.read.Add(1)
		if d.stopping || r.halted(ctx) {
			d.stopping = true
			d.pending(it.Index, 1, it.Value)
			continue
		}
		if it.Err != nil {
			d.failed(it.Index, it.Value, &execenv.Error{Type: ErrItemReaderFailed, Cause: it.Err.Error()})
			continue
		}
		input := it.Value
		if r.selector != nil {
			if input, err = r.selector.Apply(it.Index, it.Value); err != nil {
				// A path that matches nothing is States.Runtime: terminal for the Map state.
				r.fail(ErrRuntime, "An error occurred while executing the state '"+r.job.Label+"'. "+err.Error())
				d.stopping = true
				d.pending(it.Index, 1, it.Value)
				continue
			}
		}
		if bt == nil {
			d.submit(&entry{first: it.Index, items: 1, input: input})
			continue
		}
		if err := bt.Add(input); err != nil {
			var dl *batcher.DataLimitError
			if errors.As(err, &dl) {
				d.failed(it.Index, input, &execenv.Error{Type: dl.Name(), Cause: dl.Error()})
				continue
			}
			r.fail(ErrRuntime, err.Error())
			d.stopping = true
		}
	}
	if bt != nil {
		bt.Close()
	}
	// Without a count (it failed), the total is known now that the source has ended.
	if !d.stopping {
		r.knowTotal(r.read.Load())
	}
}

// dispatcher is dispatch's state: entries are numbered in the order they are made, which is the
// order of the output.
type dispatcher struct {
	r        *mapRun
	ctx      context.Context
	wg       *sync.WaitGroup
	seq      int64
	stopping bool
}

// batch receives the ItemBatcher's batches.
func (d *dispatcher) batch(b batcher.Batch) error {
	if d.stopping || d.r.halted(d.ctx) {
		d.stopping = true
		d.pending(b.FirstIndex, b.Count, b.Input)
		return nil
	}
	d.submit(&entry{first: b.FirstIndex, items: b.Count, input: b.Input})
	return nil
}

func (d *dispatcher) next(e *entry) *entry {
	e.seq = d.seq
	d.seq++
	e.name = uuid.NewString()
	return e
}

// pending records child inputs that never start.
func (d *dispatcher) pending(first, items int64, input []byte) {
	e := d.next(&entry{first: first, items: items, input: input, pending: true})
	d.r.account(e)
	d.r.results <- e
}

// failed records an item that fails before any invocation (it could not be read, or is too big).
func (d *dispatcher) failed(index int64, input []byte, err *execenv.Error) {
	e := d.next(&entry{first: index, items: 1, input: input, err: err})
	d.r.account(e)
	d.r.results <- e
}

// submit starts a child execution, or records it PENDING when the run stops first.
func (d *dispatcher) submit(e *entry) {
	r := d.r
	d.next(e)
	r.awaitTotal(d.ctx)
	if !d.stopping && r.halted(d.ctx) {
		d.stopping = true
	}
	if !d.stopping {
		select {
		case <-r.stop:
			d.stopping = true
		case <-d.ctx.Done():
			r.halt()
			d.stopping = true
		case r.window <- struct{}{}:
			e.window = true
		}
	}
	if !d.stopping {
		t := &execenv.Task{Index: e.first, Event: e.input, Ref: e}
		e.task = t
		if r.send(d.ctx, t, d.wg) {
			r.started.Add(1)
			return
		}
		d.stopping = true
		e.task = nil
		e.window = false
		<-r.window
	}
	e.pending = true
	r.account(e)
	r.results <- e
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

// send gives t to an environment, starting a new one when none is free and the limit allows.
// It reports false when the run stopped first.
func (r *mapRun) send(ctx context.Context, t *execenv.Task, wg *sync.WaitGroup) bool {
	for {
		if r.halted(ctx) {
			return false
		}
		select {
		case r.work <- t:
			if r.live.Load() == 0 {
				r.spawn(ctx, wg)
			}
			return true
		default:
		}
		if r.live.Load() < int64(r.job.MaxConcurrency) {
			r.spawn(ctx, wg)
		}
		select {
		case r.work <- t:
			return true
		case <-r.exited:
		case <-r.stop:
			return false
		case <-ctx.Done():
			r.halt()
			return false
		}
	}
}

// drain makes sure every task left in the closed work channel ends: environments run them, or,
// once the run has stopped, they are handed back unrun as PENDING.
func (r *mapRun) drain(ctx context.Context, wg *sync.WaitGroup) {
	for {
		if r.live.Load() == 0 {
			if len(r.work) == 0 {
				return
			}
			if r.halted(ctx) {
				for t := range r.work {
					t.Skipped = true
					r.taskDone(t)
				}
				return
			}
			r.spawn(ctx, wg)
		}
		<-r.exited
	}
}

func (r *mapRun) spawn(ctx context.Context, wg *sync.WaitGroup) {
	r.live.Add(1)
	n := r.envs.Add(1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.fn.Serve(ctx, int(n), execenv.Queue{Work: r.work, Done: r.taskDone, Accept: r.accept})
		if r.logs != nil {
			r.logs.closeEnv(int(n))
		}
		r.live.Add(-1)
		select {
		case r.exited <- struct{}{}:
		default:
		}
	}()
}

// accept lets a queued task start unless the run has stopped dispatching.
func (r *mapRun) accept(*execenv.Task) bool {
	r.awaitTotal(context.Background())
	select {
	case <-r.stop:
		return false
	default:
		return true
	}
}

// taskDone is called by environments, from their goroutines, once per task, before the
// environment can take another task: a failure beyond tolerance halts dispatch before any
// further item starts.
func (r *mapRun) taskDone(t *execenv.Task) {
	e := t.Ref.(*entry)
	r.finishedTasks.Add(1)
	if t.Skipped {
		e.task = nil
		e.pending = true
		r.account(e)
		r.results <- e
		return
	}
	if t.ColdStart {
		r.coldStarts.Add(1)
	}
	if r.logs != nil {
		r.logs.write(t)
	}
	t.Logs = nil
	r.account(e)
	r.results <- e
}

// collect receives finished (already counted) entries in any order and emits them in item order
// to the outputs.
func (r *mapRun) collect() {
	next := int64(0)
	held := map[int64]*entry{}
	for e := range r.results {
		held[e.seq] = e
		for {
			h, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			next++
			r.emit(h)
			if h.window {
				<-r.window
			}
		}
	}
	// Entries after a gap cannot exist: every index is sent exactly once.
	for len(held) > 0 {
		h := held[next]
		delete(held, next)
		next++
		if h != nil {
			r.emit(h)
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
	defer close(r.counted)
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
}

// awaitTotal holds back the next child execution while a failure has happened, a tolerated
// percentage is set, and the counting pass has not finished: whether the run must stop depends
// on the total, and no item should start that Step Functions would have left PENDING.
func (r *mapRun) awaitTotal(ctx context.Context) {
	if !r.needTotal.Load() || r.totalKnown.Load() {
		return
	}
	select {
	case <-r.counted:
	case <-ctx.Done():
	case <-r.stop:
	}
}

func (r *mapRun) readerConfig() itemreader.Config {
	rc := r.job.ItemReader.ReaderConfig
	return itemreader.Config{InputType: rc.InputType, MaxItems: rc.MaxItems, CSVHeaderLocation: rc.CSVHeaderLocation,
		CSVHeaders: rc.CSVHeaders, CSVDelimiter: rc.CSVDelimiter, Prefix: r.job.ItemReader.Prefix}
}
