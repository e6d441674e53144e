package runner_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wasmap/wasmap/runner"
	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/s3test"
)

var imagesN = flag.Int("images.n", 1000, "photos in BenchmarkImages's bucket")

// imagesTurn counts BenchmarkImages's iterations across -count runs: who goes first alternates.
var imagesTurn int

// BenchmarkImages runs samples/images over 1,000 photos (-images.n) in a local S3 server
// (versitygw) and reports items/s of:
//
//   - wasmap: whole map runs through runner.Run: listing, cold starts, each image read through
//     object I/O, decoded, measured and thumbnailed in wasm, the thumbnail put under an s3://
//     output prefix, the results exported to S3 (module loading excluded);
//   - native: samples/images/cmd/native, the same work (list, get, decode, stats, thumbnail
//     with the same code, put, the records to S3) in a plain Go loop, timed by itself.
//
// Both use one worker per CPU (the run's default concurrency). Each iteration is one whole run
// of each, in turns (who goes first alternates, across -count runs too): use -benchtime 1x and
// an even -count, 6. It reports both figures and their ratio (wasmap/native). The photos are uploaded once, by the sample's gen command, and kept under
// the user cache folder (s3test.Cached).
func BenchmarkImages(b *testing.B) {
	n := *imagesN
	root := guesttest.Root()
	srv := s3test.Cached(b, fmt.Sprintf("images-%d", n), func(srv *s3test.Server) {
		cmd := exec.Command("go", "run", "./cmd/gen", "-n", fmt.Sprint(n), "-to", "s3://photos/images/", "-endpoint-url", srv.Endpoint)
		cmd.Dir = filepath.Join(root, "samples/images")
		cmd.Env = s3Environ(srv)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("gen: %v\n%s", err, out)
		}
		b.Logf("%s", out)
	})
	for k, v := range srv.Env() {
		b.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"} {
		b.Setenv(k, "")
		os.Unsetenv(k)
	}
	b.Cleanup(func() { os.RemoveAll(filepath.Join(srv.Dir, "photos", "bench")) }) // thumbnails and results
	wasm := guesttest.Build(b, "samples/images")
	native := filepath.Join(b.TempDir(), "native")
	build := exec.Command("go", "build", "-o", native, "./cmd/native")
	build.Dir = filepath.Join(root, "samples/images")
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building cmd/native: %v\n%s", err, out)
	}
	workers := runtime.NumCPU()

	viaWasmap := func() float64 {
		rep, err := runner.Run(context.Background(), runner.Job{
			ItemReader:     runner.ItemReader{Source: "s3://photos/images/"},
			Functions:      []runner.Function{{Path: wasm}},
			OutputPrefix:   "s3://photos/bench/wasmap/thumbnails/",
			ResultWriter:   &runner.ResultWriter{Bucket: "photos", Prefix: "bench/wasmap/runs"},
			AWS:            runner.AWS{EndpointURL: srv.Endpoint, PathStyle: true},
			MaxConcurrency: workers,
			CacheDir:       cacheDir,
		}, runner.Options{})
		if err != nil || rep.Status != runner.StatusSucceeded || rep.ItemCounts.Succeeded != int64(n) {
			b.Fatalf("%v %+v", err, rep)
		}
		return rep.StopDate.Sub(rep.StartDate).Seconds()
	}
	viaNative := func() float64 {
		cmd := exec.Command(native, "-items", "s3://photos/images/", "-output-prefix", "s3://photos/bench/native/thumbnails/",
			"-results", "s3://photos/bench/native/results.json", "-endpoint-url", srv.Endpoint, "-path-style", "-c", fmt.Sprint(workers))
		cmd.Env = s3Environ(srv)
		out, err := cmd.Output()
		var res struct {
			Items   int
			Seconds float64
		}
		if err != nil || json.Unmarshal(out, &res) != nil || res.Items != n {
			b.Fatalf("native: %v %s", err, out)
		}
		return res.Seconds
	}
	// In turns, so that a noisy machine slows both alike.
	var wasmapSecs, nativeSecs float64
	i := 0
	for b.Loop() {
		if (imagesTurn+i)%2 == 0 {
			wasmapSecs += viaWasmap()
			nativeSecs += viaNative()
		} else {
			nativeSecs += viaNative()
			wasmapSecs += viaWasmap()
		}
		i++
	}
	imagesTurn += i
	w, nat := float64(n*i)/wasmapSecs, float64(n*i)/nativeSecs
	b.ReportMetric(w, "wasmap-items/s")
	b.ReportMetric(nat, "native-items/s")
	b.ReportMetric(w/nat, "ratio")
}

// s3Environ is the environment of a command reaching srv.
func s3Environ(srv *s3test.Server) []string {
	env := append(os.Environ(), "GOWORK=off", "AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ENDPOINT_URL=")
	for k, v := range srv.Env() {
		env = append(env, k+"="+v)
	}
	return env
}
