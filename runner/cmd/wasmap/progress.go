package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/wasmap/wasmap/runner"
)

// progress draws a bar on a terminal, or prints a quiet line every few seconds when stderr is
// not one.
type progress struct {
	w        io.Writer
	mode     string // bar, lines, none
	mu       sync.Mutex
	last     time.Time
	width    int
	lastDone int64
	lastAt   time.Duration
	rate     float64
}

func newProgress(w io.Writer, mode string) *progress {
	p := &progress{w: w, mode: mode, width: 80}
	if mode == "auto" {
		p.mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			p.mode = "bar"
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
				p.width = cols
			}
		}
	}
	switch p.mode {
	case "bar", "lines", "none":
		return p
	}
	return nil
}

func (p *progress) update(s runner.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := s.Succeeded + s.Failed + s.TimedOut + s.Aborted
	if dt := (s.Elapsed - p.lastAt).Seconds(); dt >= 0.5 || p.lastAt == 0 {
		inst := float64(done-p.lastDone) / max(dt, 1e-9)
		if p.rate == 0 {
			p.rate = float64(done) / max(s.Elapsed.Seconds(), 1e-9)
		} else {
			p.rate = 0.7*p.rate + 0.3*inst
		}
		p.lastDone, p.lastAt = done, s.Elapsed
	}
	switch p.mode {
	case "bar":
		if s.Done {
			fmt.Fprint(p.w, "\r\033[K")
			return
		}
		fmt.Fprint(p.w, "\r\033[K"+p.bar(s, done))
	case "lines":
		if s.Done || time.Since(p.last) < 5*time.Second {
			return
		}
		p.last = time.Now()
		fmt.Fprintln(p.w, "wasmap: "+p.line(s, done))
	}
}

func (p *progress) line(s runner.Progress, done int64) string {
	total := fmt.Sprint(s.Total)
	if !s.TotalKnown {
		total = fmt.Sprintf("%d+", s.Total)
	}
	out := fmt.Sprintf("%d/%s items, %.0f items/s, %d succeeded, %d failed, %d running", done, total, p.rate, s.Succeeded, s.Failed+s.TimedOut, s.Running)
	if eta := p.eta(s, done); eta != "" {
		out += ", ETA " + eta
	}
	return out
}

func (p *progress) eta(s runner.Progress, done int64) string {
	if !s.TotalKnown || p.rate <= 0 || done >= s.Total {
		return ""
	}
	left := time.Duration(float64(s.Total-done) / p.rate * float64(time.Second))
	return left.Round(time.Second).String()
}

func (p *progress) bar(s runner.Progress, done int64) string {
	text := " " + p.line(s, done)
	n := p.width - len(text) - 3
	if n < 10 {
		return strings.TrimSpace(text)
	}
	n = min(n, 40)
	fill := 0
	if s.TotalKnown && s.Total > 0 {
		fill = int(float64(n) * float64(done) / float64(s.Total))
	}
	return "[" + strings.Repeat("#", fill) + strings.Repeat("-", n-fill) + "]" + text
}

// summary prints the map run's counters, time and rate, and where the results are.
func (p *progress) summary(r *runner.Report) {
	if p.mode == "none" {
		return
	}
	c := r.ItemCounts
	secs := r.StopDate.Sub(r.StartDate).Seconds()
	done := c.Succeeded + c.Failed + c.TimedOut + c.Aborted
	fmt.Fprintf(p.w, "map run %s %s\n", r.MapRunArn, r.Status)
	fmt.Fprintf(p.w, "  items   total %d  succeeded %d  failed %d  timedOut %d  aborted %d  pending %d  running %d  resultsWritten %d\n",
		c.Total, c.Succeeded, c.Failed, c.TimedOut, c.Aborted, c.Pending, c.Running, c.ResultsWritten)
	limit := fmt.Sprint(r.MaxConcurrency)
	if r.MaxConcurrencyChosen != "" {
		limit += ": " + r.MaxConcurrencyChosen
	}
	fmt.Fprintf(p.w, "  time    %.2fs, %.0f items/s, %d environments (max concurrency %s), %d cold starts\n",
		secs, float64(done)/max(secs, 1e-9), r.Environments, limit, r.ColdStarts)
	if d := r.PostRuntimeExtensionsDuration; d > 0 && done > 0 {
		fmt.Fprintf(p.w, "  extensions  %.3f ms per item after the function's response (PostRuntimeExtensionsDuration), %.2fs in all\n",
			float64(d.Microseconds())/1000/float64(done), d.Seconds())
	}
	if d := r.ResultWriterDetails; d != nil {
		fmt.Fprintf(p.w, "  results %s/%s\n", d.Bucket, d.Key)
	}
	if r.LogDir != "" {
		fmt.Fprintf(p.w, "  logs    %s\n", r.LogDir)
	}
	if r.Error != "" {
		fmt.Fprintf(p.w, "  error   %s: %s\n", r.Error, r.Cause)
	}
	if r.Caught {
		fmt.Fprintf(p.w, "  caught  by the Map state's Catch: stdout has the catcher's state output\n")
	}
}
