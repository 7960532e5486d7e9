// Command coldbuild measures what the library costs a CDK app that embeds it: for each
// library directory given, a Go module outside it (the app below, the library by
// `replace`) is tidied offline, and then built with an empty Go build cache, as on a
// fresh machine or CI runner. It prints the app module's go.mod requirements (direct
// and indirect), the packages the build compiles (`go list -deps`), how many of them
// are the provider Lambda's runtime (aws-sdk-go-v2, smithy-go, aws-lambda-go: the
// definition of test/deps_test.go), and the cold build's wall-clock and
// CPU seconds per run, with the median. With several libraries their runs alternate,
// so that all see the same load.
//
//	go run ./tools/coldbuild -runs 3 /path/to/old/checkout .
//
// Every module must already be in the module cache (`go mod download` in each library):
// the tool runs with GOPROXY=off.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// app is the embedding app: the README's embedding examples in short, the
// destination side in one stack and the source side in another.
const app = `package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	t := spec.Transfer{
		Name:        "media-archive",
		Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "acme-media-src"},
		Destination: spec.Destination{Account: "222222222222", Region: "us-west-2", Bucket: "acme-media-dst"},
	}
	shared := awscdk.NewStack(app, jsii.String("SharedBuckets"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")},
	})
	transfer.NewDestinationAccess(shared, "MediaArchiveAccess", &transfer.DestinationAccessProps{
		Transfer: &t,
		Bucket:   awss3.Bucket_FromBucketName(shared, jsii.String("Landing"), jsii.String("acme-media-dst")),
	})
	platform := awscdk.NewStack(app, jsii.String("Platform"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	transfer.NewSourceTransfer(platform, "MediaArchive", &transfer.SourceTransferProps{Transfer: &t})
	app.Synth(nil)
}
`

type library struct {
	dir, user              string
	direct, indirect, pkgs int
	heavy                  []string
	wall, cpu              []float64
}

func main() {
	runs := flag.Int("runs", 3, "cold builds per library")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: coldbuild [-runs N] LIBRARY_DIR...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var libs []*library
	for _, dir := range flag.Args() {
		abs, err := filepath.Abs(dir)
		check(err)
		l := &library{dir: abs}
		setUp(l)
		libs = append(libs, l)
	}
	for i := 0; i < *runs; i++ {
		for _, l := range libs {
			wall, cpu := coldBuild(l.user)
			l.wall, l.cpu = append(l.wall, wall), append(l.cpu, cpu)
			fmt.Fprintf(os.Stderr, "run %d %s: %.1fs wall, %.1fs CPU\n", i+1, l.dir, wall, cpu)
		}
	}
	for _, l := range libs {
		os.RemoveAll(l.user)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("load average after the runs: %s", load)
	for _, l := range libs {
		fmt.Printf("\n%s\n", l.dir)
		fmt.Printf("  go.mod requires: %d (%d direct, %d indirect)\n", l.direct+l.indirect, l.direct, l.indirect)
		fmt.Printf("  packages built: %d, of which aws-sdk-go-v2, smithy-go or aws-lambda-go: %d\n", l.pkgs, len(l.heavy))
		fmt.Printf("  cold build (empty GOCACHE), %d runs: wall %s s (median %.1f), CPU %s s (median %.1f)\n",
			len(l.wall), list(l.wall), median(l.wall), list(l.cpu), median(l.cpu))
	}
}

// setUp writes and tidies the app's module, and reads its go.mod and package list.
func setUp(l *library) {
	user, err := os.MkdirTemp("", "coldbuild-app-")
	check(err)
	l.user = user
	check(os.WriteFile(filepath.Join(user, "main.go"), []byte(app), 0o644))
	run(user, nil, "go", "mod", "init", "example.com/platform")
	run(user, nil, "go", "mod", "edit", "-replace=github.com/s3transfer/cdk-datasync="+l.dir)
	run(user, nil, "go", "mod", "tidy", "-e")
	var mod struct {
		Require []struct {
			Path     string
			Indirect bool
		}
	}
	check(json.Unmarshal(run(user, nil, "go", "mod", "edit", "-json"), &mod))
	for _, r := range mod.Require {
		if r.Indirect {
			l.indirect++
		} else {
			l.direct++
		}
	}
	for _, p := range strings.Fields(string(run(user, nil, "go", "list", "-deps", "."))) {
		l.pkgs++
		for _, prefix := range []string{"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go", "github.com/aws/aws-lambda-go"} {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				l.heavy = append(l.heavy, p)
			}
		}
	}
}

// coldBuild builds the app with an empty build cache and returns its wall-clock and
// CPU (user + system, the go command and its children) seconds.
func coldBuild(user string) (float64, float64) {
	cache, err := os.MkdirTemp("", "coldbuild-gocache-")
	check(err)
	defer os.RemoveAll(cache)
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Dir, cmd.Env = user, append(env(), "GOCACHE="+cache)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail("go build in %s: %v\n%s", user, err, out.String())
	}
	wall := time.Since(start).Seconds()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return wall, cpu
}

// env is offline: every module comes from the module cache.
func env() []string {
	return append(os.Environ(), "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOFLAGS=")
}

func run(dir string, extra []string, name string, args ...string) []byte {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, append(env(), extra...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		fail("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, stderr.String())
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func list(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.1f", x))
	}
	return strings.Join(parts, ", ")
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "coldbuild: "+format+"\n", args...)
	os.Exit(1)
}
