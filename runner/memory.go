package runner

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/execenv"
)

// envOverhead is the host memory an environment needs beyond its linear memory: the wazero
// module instance, its goroutine and buffers (measured at about 60-100 KiB; rounded up).
const envOverhead = 256 << 10

// checkMemory refuses a concurrency whose environments cannot fit in the memory budget, saying
// why and how many fit.
func checkMemory(job *Job, name string, fn *execenv.Function, budget uint64) error {
	if budget == 0 {
		avail := availableMemory()
		if avail == 0 {
			return nil
		}
		budget = avail / 10 * 8
	}
	per := fn.InitialMemoryBytes + fn.ExtensionsInitialMemoryBytes + envOverhead
	need := per * uint64(job.MaxConcurrency)
	if need <= budget {
		return nil
	}
	fit := budget / per
	if job.concurrencyChosen != "" && fit >= 1 { // no limit was given: use what fits
		job.MaxConcurrency = int(fit)
		job.concurrencyChosen = fmt.Sprintf("none given: %d environments of %s fit in the memory budget (%s)", fit, name, size(budget))
		return nil
	}
	return invalid("MaxConcurrency", "%d environments of %s need about %s (each starts with %s of linear memory plus %s of host state), but the memory budget is %s (80%% of available memory); at most %d fit",
		job.MaxConcurrency, name, size(need), size(fn.InitialMemoryBytes), size(envOverhead), size(budget), fit)
}

// availableMemory reads MemAvailable from /proc/meminfo; 0 when unknown.
func availableMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func size(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", b>>10)
	}
}
