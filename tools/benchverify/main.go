// Command benchverify measures `transfers verify` against a local S3 server that
// serves a synthetic key space (internal/s3synth: objects computed from their
// index, never stored), with a delay per request, beside a plain sequential
// ListObjectsV2 walk of both sides with the same delay and with none (the CPU
// floor). Each measured run is a child process, so its peak RSS is its own (the
// server runs in this process). Run it with `make bench-verify`.
//
//	go run ./tools/benchverify [-objects 100000,1000000] [-layouts flat,nested] [-delay 20ms] [-partitions 32] [-estimate]
//
// -estimate also measures `transfers estimate`'s listing (estimate.FromListing: the
// same join, plus its sums and the directory count of DataSync's LIST requests).
package main

import (
	"context"
	"encoding/json"
	"errors"
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

	"github.com/s3transfer/cdk-datasync/app/estimate"
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
	withEstimate := flag.Bool("estimate", false, "also measure estimate's listing")
	peer := flag.String("rclone", "rclone", `an rclone binary to measure "rclone check" beside verify, when on PATH ("" for none)`)
	peerMax := flag.Int("rclone-max", 100000, "objects per side up to which rclone check runs (it holds a directory's listing in memory: 831 MB at 100,000 flat keys)")
	flag.Parse()
	if *child != "" {
		if err := runChild(*child, *url, *partitions); err != nil {
			fmt.Fprintln(os.Stderr, "benchverify:", err)
			os.Exit(1)
		}
		return
	}
	rclone := ""
	if *peer != "" && !*skipWalk {
		if p, err := exec.LookPath(*peer); err == nil {
			rclone = p
		}
	}
	if err := bench(*objectsFlag, *layoutsFlag, *delay, *partitions, *skipWalk, *withEstimate, rclone, *peerMax); err != nil {
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
	case "estimate":
		t := spec.Transfer{Name: "bench",
			Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "src"},
			Destination: spec.Destination{Account: "222222222222", Region: "us-east-1", Bucket: "dst"}}
		p, err := estimate.Table()
		if err != nil {
			return err
		}
		counters := &listing.Counters{}
		d, err := estimate.FromListing(ctx, t, c, c, nil, p.Assumptions, listing.Options{Partitions: partitions, Counters: counters})
		if err != nil {
			return err
		}
		out.Objects = counters.Source.Load() + counters.Destination.Load()
		out.Missing = d.Objects // the objects to copy: those the destination lacks
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

func bench(objectsFlag, layoutsFlag string, delay time.Duration, partitions int, verifyOnly, withEstimate bool, rclone string, rcloneMax int) error {
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
			if withEstimate {
				runs = append(runs, struct {
					name, mode string
					delay      time.Duration
				}{fmt.Sprintf("estimate, %d partitions", partitions), "estimate", delay})
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
				if (r.mode == "verify" || r.mode == "estimate") && m.missing != int64(n/1000) {
					return fmt.Errorf("verify found %d missing, want %d", m.missing, n/1000)
				}
			}
			if rclone != "" && n > rcloneMax {
				fmt.Printf("%-7s %10d  %-30s (not run above -rclone-max %d: its memory grows with a directory's objects)\n", l, n, "rclone check", rcloneMax)
			}
			if rclone != "" && n <= rcloneMax {
				srv.Delay = delay
				m, err := measureRclone(rclone, url, partitions, srv)
				if err != nil {
					return fmt.Errorf("%s %d rclone check: %w", l, n, err)
				}
				m.objects = int64(2*n - n/1000)
				fmt.Printf("%-7s %10d  %-30s %8.1f %8.1f %9d %11.0f %7.0fMB %7.1fx\n", l, n, fmt.Sprintf("rclone check, %s, %d checkers", delay, partitions),
					m.seconds, m.cpu, m.requests, float64(m.objects)/m.seconds, m.rssMB, m.seconds/first.seconds)
			}
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("\nload average at end %sSPEEDUP: the run's seconds over verify's (verify also joins and classifies).\n", string(load))
	return nil
}

// measureRclone runs `rclone check` of the two buckets (sizes and MD5s from the
// listings, in both directions, directories listed in parallel by its checkers): the
// check of a well-known sync tool, on the same server. It exits 1 when it finds
// differences, as it must here.
func measureRclone(rclone, url string, checkers int, srv *s3synth.Server) (measured, error) {
	before := srv.Requests.Load()
	cmd := exec.Command(rclone, "check", "syn:src", "syn:dst", "--checkers", strconv.Itoa(checkers), "--log-level", "ERROR")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "RCLONE_") { // the machine's AWS settings are not the server's
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "RCLONE_CONFIG_SYN_TYPE=s3", "RCLONE_CONFIG_SYN_PROVIDER=Other",
		"RCLONE_CONFIG_SYN_ENDPOINT="+url, "RCLONE_CONFIG_SYN_ACCESS_KEY_ID=AKIDBENCH", "RCLONE_CONFIG_SYN_SECRET_ACCESS_KEY=secret",
		"RCLONE_CONFIG_SYN_FORCE_PATH_STYLE=true", "RCLONE_CONFIG_SYN_LIST_VERSION=2", "RCLONE_CONFIG=/dev/null")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	m := measured{seconds: time.Since(start).Seconds(), requests: srv.Requests.Load() - before}
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return m, fmt.Errorf("%v: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "differences found") && !strings.Contains(stderr.String(), "not in") {
		return m, fmt.Errorf("rclone check found no differences, and there are: %s", stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) / 1024
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return m, nil
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
