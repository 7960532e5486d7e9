// Command benchverify measures `transfers verify` against a local S3 server that
// serves a synthetic key space (internal/s3synth: objects computed from their
// index, never stored), with a delay per request, beside a plain sequential
// ListObjectsV2 walk of both sides with the same delay and with none (the CPU
// floor). Each measured run is a child process, so its peak RSS is its own (the
// server runs in this process). Run it with `make bench-verify`.
//
//	go run ./tools/benchverify [-objects 100000,1000000] [-layouts flat,nested] [-delay 20ms] [-partitions 32]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/app/verify"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/internal/s3synth"
)

func main() {
	child := flag.String("child", "", "internal: run one measured run (verify or walk) against -url")
	url := flag.String("url", "", "internal: the server's URL")
	objectsFlag := flag.String("objects", "100000,1000000", "objects per side, comma-separated")
	layoutsFlag := flag.String("layouts", "flat,nested", "key layouts: flat, nested")
	delay := flag.Duration("delay", 20*time.Millisecond, "delay the server adds to every request")
	partitions := flag.Int("partitions", 16, "verify's partitions of the key space")
	skipWalk := flag.Bool("verify-only", false, "measure verify only, not the sequential walks")
	flag.Parse()
	if *child != "" {
		if err := runChild(*child, *url, *partitions); err != nil {
			fmt.Fprintln(os.Stderr, "benchverify:", err)
			os.Exit(1)
		}
		return
	}
	if err := bench(*objectsFlag, *layoutsFlag, *delay, *partitions, *skipWalk); err != nil {
		fmt.Fprintln(os.Stderr, "benchverify:", err)
		os.Exit(1)
	}
}

func client(url string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", "")})
}

// childResult is what a child prints.
type childResult struct {
	Objects int64 `json:"objects"`
	Missing int64 `json:"missing"`
}

func runChild(mode, url string, partitions int) error {
	ctx := context.Background()
	c := client(url)
	var out childResult
	switch mode {
	case "verify":
		verify.LimitMemory() // as transfers verify does
		t := spec.Transfer{Name: "bench",
			Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "src"},
			Destination: spec.Destination{Account: "222222222222", Region: "us-east-1", Bucket: "dst"}}
		deps := verify.Deps{S3: func(context.Context, string, string) (*s3.Client, error) { return c, nil }}
		counters := &listing.Counters{}
		res, err := verify.Run(ctx, deps, t, verify.Options{Listing: listing.Options{Partitions: partitions, Counters: counters}})
		if err != nil {
			return err
		}
		out.Objects = counters.Source.Load() + counters.Destination.Load()
		out.Missing = res.Counts[verify.Missing].Objects
	case "walk":
		for _, b := range []string{"src", "dst"} {
			p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				out.Objects += int64(len(page.Contents))
			}
		}
	default:
		return fmt.Errorf("unknown -child %q", mode)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// measured is one child run.
type measured struct {
	seconds, cpu float64
	requests     int64
	objects      int64
	missing      int64
	rssMB        float64
}

func bench(objectsFlag, layoutsFlag string, delay time.Duration, partitions int, verifyOnly bool) error {
	var sizes []int
	for _, s := range strings.Split(objectsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-objects %q: want positive numbers, comma-separated", objectsFlag)
		}
		sizes = append(sizes, n)
	}
	srv := &s3synth.Server{Modified: time.Now().Add(-time.Hour), Buckets: map[string]s3synth.Bucket{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("verify benchmark: %d CPUs (GOMAXPROCS %d), load average at start %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), string(load))
	fmt.Printf("server: synthetic key space, the destination lacks every 1000th object; delay %s per request unless said\n\n", delay)
	fmt.Printf("%-7s %10s  %-30s %8s %8s %9s %11s %9s %8s\n", "LAYOUT", "PER SIDE", "RUN", "SECONDS", "CPU s", "REQUESTS", "OBJECTS/S", "PEAK RSS", "SPEEDUP")
	for _, layout := range strings.Split(layoutsFlag, ",") {
		l := s3synth.Layout(strings.TrimSpace(layout))
		if l != s3synth.Flat && l != s3synth.Nested {
			return fmt.Errorf("-layouts: %q is not flat or nested", layout)
		}
		for _, n := range sizes {
			srv.Buckets["src"] = s3synth.Bucket{Layout: l, Objects: n}
			srv.Buckets["dst"] = s3synth.Bucket{Layout: l, Objects: n, Skip: 1000}
			runs := []struct {
				name, mode string
				delay      time.Duration
			}{
				{fmt.Sprintf("verify, %d partitions", partitions), "verify", delay},
			}
			if !verifyOnly {
				runs = append(runs,
					struct {
						name, mode string
						delay      time.Duration
					}{"sequential walk, " + delay.String(), "walk", delay},
					struct {
						name, mode string
						delay      time.Duration
					}{"sequential walk, 0s (CPU floor)", "walk", 0})
			}
			var first measured
			for i, r := range runs {
				srv.Delay = r.delay
				m, err := measure(self, r.mode, url, partitions, srv)
				if err != nil {
					return fmt.Errorf("%s %d %s: %w", l, n, r.name, err)
				}
				speed := ""
				if i == 0 {
					first = m
				} else {
					speed = fmt.Sprintf("%.1fx", m.seconds/first.seconds)
				}
				fmt.Printf("%-7s %10d  %-30s %8.1f %8.1f %9d %11.0f %7.0fMB %8s\n", l, n, r.name, m.seconds, m.cpu, m.requests,
					float64(m.objects)/m.seconds, m.rssMB, speed)
				if r.mode == "verify" && m.missing != int64(n/1000) {
					return fmt.Errorf("verify found %d missing, want %d", m.missing, n/1000)
				}
			}
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("\nload average at end %sSPEEDUP: the walk's seconds over verify's (verify also joins and classifies).\n", string(load))
	return nil
}

func measure(self, mode, url string, partitions int, srv *s3synth.Server) (measured, error) {
	before := srv.Requests.Load()
	cmd := exec.Command(self, "-child", mode, "-url", url, "-partitions", strconv.Itoa(partitions))
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return measured{}, err
	}
	m := measured{seconds: time.Since(start).Seconds(), requests: srv.Requests.Load() - before}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return measured{}, fmt.Errorf("child said %q: %w", out, err)
	}
	m.objects, m.missing = res.Objects, res.Missing
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) / 1024 // KiB on Linux
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return m, nil
}
