// Command benchreport runs wasmap's benchmarks and prints each figure beside its native or raw
// baseline and the project's goal. It is the `bench` task: go run ./runner/internal/benchreport.
//
// Every figure is the median of several runs of `go test -bench`; the exact commands are printed
// first, so any line can be reproduced (and compared with benchstat) by hand.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// run is one `go test -bench` invocation.
type run struct {
	dir, pkg, bench, benchtime string
	count                      int
}

func (r run) args() []string {
	return []string{"test", "-run", "^$", "-bench", r.bench, "-benchtime", r.benchtime, "-count", strconv.Itoa(r.count), r.pkg}
}

func (r run) String() string {
	s := "go " + strings.Join(r.args(), " ")
	if r.dir != "" {
		s = "go -C " + r.dir + " " + strings.Join(r.args(), " ")
	}
	return s
}

// results maps "BenchmarkName/sub metric" to every value seen.
type results map[string][]float64

var line = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func (res results) exec(r run) error {
	fmt.Fprintln(os.Stderr, "running:", r)
	cmd := exec.Command("go", r.args()...)
	cmd.Dir = r.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", r, err, out.String())
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				res[m[1]+" "+f[i+1]] = append(res[m[1]+" "+f[i+1]], v)
			}
		}
	}
	return nil
}

func (res results) median(key string) float64 {
	v := append([]float64(nil), res[key]...)
	if len(v) == 0 {
		fmt.Fprintf(os.Stderr, "benchreport: no result for %q\n", key)
		os.Exit(1)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func main() {
	count := flag.Int("count", 5, "runs of each benchmark (the median is reported)")
	withS3 := flag.Bool("s3", false, "also the S3 benchmarks against a local versitygw: listing 100,000 keys and the images sample (about 10 more minutes; the first run uploads their data, then keeps it in the user cache folder)")
	flag.Parse()
	runs := []run{
		{pkg: "./runner/internal/execenv", bench: "OverheadEnvironment|OverheadRawCall|Guest/transform|BesideSpinner", benchtime: "3000x", count: *count},
		{pkg: "./runner/internal/execenv", bench: "ColdStart", benchtime: "200x", count: *count},
		{pkg: "./runner", bench: "Transform", benchtime: "20000x", count: *count},
		{dir: "runner/testdata/guests/transform", pkg: "./...", bench: "Native", benchtime: "20000x", count: *count},
	}
	if *withS3 {
		// An even count: who goes first alternates between runs.
		even := *count + *count%2
		runs = append(runs,
			run{pkg: "./runner/internal/itemreader", bench: "S3List$", benchtime: "1x", count: even},
			run{pkg: "./runner", bench: "Images", benchtime: "1x", count: even})
	}
	res := results{}
	for _, r := range runs {
		if err := res.exec(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	m := res.median
	env, raw := m("BenchmarkOverheadEnvironment ns/op"), m("BenchmarkOverheadRawCall ns/op")
	native := m("BenchmarkNative ns/op")
	one, two := m("BenchmarkTransform/envs=1 items/s"), m("BenchmarkTransform/envs=2 items/s")
	inst, none, ctxDone := m("BenchmarkGuest/transform/instrument guest-ns/op"), m("BenchmarkGuest/transform/none guest-ns/op"), m("BenchmarkGuest/transform/contextdone guest-ns/op")
	alone, beside := m("BenchmarkBesideSpinner/alone ns/op"), m("BenchmarkBesideSpinner/beside-spinner ns/op")
	cold, coldFresh := m("BenchmarkColdStart/go-transform init-ms"), m("BenchmarkColdStart/go-transform/fresh-memory init-ms")

	fmt.Println("\nfigure                                             measured        baseline        ratio    goal")
	row := func(name, measured, baseline, ratio, goal string, ok bool) {
		mark := "ok"
		if !ok {
			mark = "MISSED"
		}
		fmt.Printf("%-50s %-15s %-15s %-8s %s %s\n", name, measured, baseline, ratio, goal, mark)
	}
	row("warm per-item overhead (WAT echo)", fmt.Sprintf("%.0f ns", env), fmt.Sprintf("raw call %.0f ns", raw),
		fmt.Sprintf("%.1fx", env/raw), fmt.Sprintf("<= 1000 ns over raw (%.0f ns)", env-raw), env-raw <= 1000)
	row("Go JSON transform, 1 environment", fmt.Sprintf("%.0f items/s", one), fmt.Sprintf("native %.0f/s", 1e9/native),
		fmt.Sprintf("%.3f", one/(1e9/native)), ">= 60000 items/s per core", one >= 60000)
	row("Go JSON transform, 2 environments", fmt.Sprintf("%.0f items/s", two), fmt.Sprintf("1 env %.0f/s", one),
		fmt.Sprintf("%.2fx", two/one), ">= 1.85x", two/one >= 1.85)
	row("cold start, Go guest (INIT), reused memory", fmt.Sprintf("%.2f ms", cold), "", "", "<= 5 ms", cold <= 5)
	row("cold start, Go guest (INIT), fresh memory", fmt.Sprintf("%.2f ms", coldFresh), "", "", "<= 5 ms", coldFresh <= 5)
	row("timeout enforcement (instrumented guest time)", fmt.Sprintf("%.1f us", inst/1000), fmt.Sprintf("none %.1f us", none/1000),
		fmt.Sprintf("%.2fx", inst/none), "<= 1.2x", inst/none <= 1.2)
	row("  for comparison: WithCloseOnContextDone", fmt.Sprintf("%.1f us", ctxDone/1000), fmt.Sprintf("none %.1f us", none/1000),
		fmt.Sprintf("%.2fx", ctxDone/none), "", true)
	row("throughput beside a spinning environment", fmt.Sprintf("%.0f items/s", 1e9/beside), fmt.Sprintf("alone %.0f/s", 1e9/alone),
		fmt.Sprintf("%.2f", alone/beside), ">= 0.8", alone/beside >= 0.8)
	if *withS3 {
		reader, paginator, ratio := m("BenchmarkS3List reader-items/s"), m("BenchmarkS3List paginator-items/s"), m("BenchmarkS3List ratio")
		row("S3 listing of 100,000 keys (itemreader.OpenS3)", fmt.Sprintf("%.0f items/s", reader), fmt.Sprintf("SDK paginator %.0f/s", paginator),
			fmt.Sprintf("%.2f", ratio), ">= 0.9", ratio >= 0.9)
		wasmap, native, ratio := m("BenchmarkImages wasmap-items/s"), m("BenchmarkImages native-items/s"), m("BenchmarkImages ratio")
		row("images sample on S3, whole map run", fmt.Sprintf("%.1f items/s", wasmap), fmt.Sprintf("native Go %.1f/s", native),
			fmt.Sprintf("%.2f", ratio), "(recorded)", true)
	}
}
