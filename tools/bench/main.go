// Command bench measures `npx cdk synth` as a user runs it: whole-process wall-clock
// seconds and peak memory for configs of 1 and 50 transfers, with the CloudFormation
// validation plugin on and off. It prints the median of -runs runs per case after one
// warm-up run (which builds the app and the provider Lambda into Go's caches).
//
//	go run ./tools/bench            (or: make bench)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	runs := flag.Int("runs", 3, "runs per case")
	flag.Parse()
	dir, err := os.MkdirTemp("", "datasync-bench")
	check(err)
	defer os.RemoveAll(dir)

	configs := map[int]string{}
	for _, n := range []int{1, 50} {
		configs[n] = filepath.Join(dir, fmt.Sprintf("transfers-%d.yaml", n))
		check(os.WriteFile(configs[n], []byte(config(n)), 0o644))
	}
	fmt.Printf("machine: %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, nodeVersion())
	fmt.Println("warm-up run (fills Go's build cache for the app and the Lambda bundle) ...")
	synth(configs[1], filepath.Join(dir, "out-warmup"), true)

	fmt.Printf("\n%-10s %-11s %12s %14s %16s   (median of %d; runs)\n", "transfers", "validation", "seconds", "peak RSS MiB", "peak tree MiB", *runs)
	for _, n := range []int{1, 50} {
		for _, validation := range []bool{true, false} {
			var secs, rss, tree []float64
			for i := 0; i < *runs; i++ {
				r := synth(configs[n], filepath.Join(dir, fmt.Sprintf("out-%d-%t-%d", n, validation, i)), validation)
				secs, rss, tree = append(secs, r.seconds), append(rss, r.maxRSS), append(tree, r.treeRSS)
			}
			onOff := map[bool]string{true: "on", false: "off"}[validation]
			fmt.Printf("%-10d %-11s %12.1f %14.0f %16.0f   %s\n", n, onOff, median(secs), median(rss), median(tree), join(secs))
		}
	}
}

type result struct{ seconds, maxRSS, treeRSS float64 }

// synth runs `npx cdk synth` of a config and measures it. maxRSS is the largest
// process's peak (from wait4); treeRSS the peak sum over the process tree, sampled
// every 50 ms from /proc.
func synth(configPath, outdir string, validation bool) result {
	cmd := exec.Command("npx", "cdk", "synth", "--quiet", "-c", "config="+configPath, "--output", outdir)
	cmd.Env = append(os.Environ(), "CDK_VALIDATION="+strconv.FormatBool(validation))
	cmd.Stdout, cmd.Stderr = nil, nil
	start := time.Now()
	check(cmd.Start())
	done := make(chan struct{})
	peak := make(chan float64)
	go func() {
		var max float64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				peak <- max
				return
			case <-t.C:
				if v := treeRSS(cmd.Process.Pid); v > max {
					max = v
				}
			}
		}
	}()
	err := cmd.Wait()
	elapsed := time.Since(start).Seconds()
	close(done)
	tree := <-peak
	if err != nil {
		fmt.Fprintf(os.Stderr, "cdk synth of %s failed: %v\n", configPath, err)
		os.Exit(1)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return result{seconds: elapsed, maxRSS: float64(ru.Maxrss) / 1024, treeRSS: tree}
}

// treeRSS sums the resident memory (MiB) of pid and its descendants.
func treeRSS(root int) float64 {
	children := map[int][]int{}
	rss := map[int]float64{}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(raw)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		fields := strings.Fields(s[end+2:])
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		ppid, _ := strconv.Atoi(fields[1])
		pages, _ := strconv.ParseFloat(fields[21], 64)
		children[ppid] = append(children[ppid], pid)
		rss[pid] = pages * float64(os.Getpagesize()) / (1 << 20)
	}
	var sum float64
	stack := []int{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		sum += rss[p]
		stack = append(stack, children[p]...)
	}
	return sum
}

// config writes n transfers that together use every feature: existing and created
// buckets, same and cross Region, ENHANCED and BASIC, KMS, filters, notifications.
func config(n int) string {
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"}
	var b strings.Builder
	b.WriteString("transfers:\n")
	for i := 0; i < n; i++ {
		src, dst := regions[i%len(regions)], regions[(i+1+i/len(regions))%len(regions)]
		fmt.Fprintf(&b, `  - name: transfer-%03d
    source: {account: "%012d", region: %s, bucket: bench-src-%03d, prefix: data}
    destination: {account: "222222222222", region: %s, bucket: bench-dst-%03d, createBucket: %t}
    task: {mode: %s, excludes: ["*.tmp"], schedule: "rate(1 day)"}
`, i, 100000000000+i, src, i, dst, i, i%2 == 0, map[bool]string{true: "BASIC", false: "ENHANCED"}[i%3 == 0])
		if i%4 == 0 {
			fmt.Fprintf(&b, "    notifications: {email: ops-%d@example.com}\n", i)
		}
	}
	return b.String()
}

func nodeVersion() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "node: " + err.Error()
	}
	return "node " + strings.TrimSpace(string(out))
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func join(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strings.Join(parts, " ")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
