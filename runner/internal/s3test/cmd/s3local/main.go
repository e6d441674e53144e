// Command s3local runs a local S3 server for demos and benchmarks: versitygw (installed with go
// install on first use, as the tests do) serving a folder on loopback, with the test
// credentials. It prints the endpoint and the environment variables that point the AWS SDKs
// and wasmap at it, then serves until Ctrl-C.
//
//	go run ./runner/internal/s3test/cmd/s3local [-dir DIR] [-addr 127.0.0.1:7070]
//	go run ./runner/internal/s3test/cmd/s3local [-dir DIR] [-addr …] COMMAND [ARG…]
//
// With a command, it runs the command with those variables set once the server answers, stops
// the server when the command ends, and exits with the command's status.
//
// The folder holds one subfolder per bucket and one file per object: what a run wrote can be
// looked at there. Without -dir, a temporary folder is used and removed at the end.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/wasmap/wasmap/runner/internal/s3test"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("dir", "", "the server's folder, created if missing and kept (default: a temporary one)")
	addr := flag.String("addr", "127.0.0.1:7070", "the address to listen on")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: s3local [-dir DIR] [-addr HOST:PORT] [COMMAND [ARG...]]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "s3local: "+format+"\n", args...) }

	root := *dir
	if root == "" {
		tmp, err := os.MkdirTemp("", "s3local-")
		if err != nil {
			logf("%v", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		root = tmp
	} else if err := os.MkdirAll(root, 0o755); err != nil {
		logf("%v", err)
		return 1
	}
	// Ctrl-C reaches the whole foreground process group: the command and versitygw stop by
	// themselves, and this process stops the server (again) when the command is done.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)

	srv, err := s3test.Launch(root, *addr, logf)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer srv.Stop()
	vars := []string{"AWS_ENDPOINT_URL_S3=" + srv.Endpoint, "AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=" + s3test.Region}
	logf("versitygw serves %s on %s", root, srv.Endpoint)

	if flag.NArg() == 0 {
		fmt.Printf("export %s %s %s %s\n", vars[0], vars[1], vars[2], vars[3])
		logf("Ctrl-C stops it")
		select {
		case <-sig:
			return 0
		case <-srv.Done():
			logf("versitygw exited:\n%s", srv.Log())
			return 1
		}
	}

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Env = append(environ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"), vars...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		logf("%v", err)
		return 1
	}
	go func() {
		for s := range sig {
			cmd.Process.Signal(s) // for a SIGTERM, or a Ctrl-C the command did not see
		}
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 {
			return 1
		}
		return ee.ExitCode()
	}
	if err != nil {
		logf("%v", err)
		return 1
	}
	return 0
}

// environ returns os.Environ() without the named variables.
func environ(drop ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(drop, k) {
			env = append(env, kv)
		}
	}
	return env
}
