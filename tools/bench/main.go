// Command bench measures `npx cdk synth` as a user runs it: whole-process wall-clock
// seconds and peak memory for configs of 1, 50 and 200 transfers, with the
// CloudFormation validation plugin on and off, each into a fresh output directory;
// then a repeated synth into the same cdk.out. It prints the median of -runs runs per
// case, and the least (what load from other work on a shared machine inflates least),
// after one warm-up run (which builds the app and the provider Lambda into Go's
// caches), and counts the `go build` runs of the Lambdas (provider, notifier) in every synth (the
// processes seen in the synth's process tree, sampled every 50 ms; such a build takes
// at least a few hundred milliseconds).
//
//	go run ./tools/bench                            (or: make bench)
//	go run ./tools/bench -baseline ../other-checkout (both, runs alternating)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	figures "github.com/s3transfer/cdk-datasync/internal/measure"
)

func main() {
	runs := flag.Int("runs", 3, "runs per case")
	sizes := flag.String("transfers", "1,50,200", "comma-separated config sizes (transfers)")
	appDir := flag.String("dir", ".", "the checkout whose app `npx cdk synth` runs (its cdk.json and node_modules)")
	baseDir := flag.String("baseline", "", "another checkout to measure too, its runs alternating with -dir's (same load for both)")
	repeat := flag.Bool("repeat", true, "also measure a repeated synth into the same cdk.out")
	flag.Parse()

	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			check(fmt.Errorf("-transfers: %q is not a positive number", s))
		}
		ns = append(ns, n)
	}
	dir, err := os.MkdirTemp("", "datasync-bench")
	check(err)
	defer os.RemoveAll(dir)
	benches := []*bench{newBench("this", *appDir)}
	if *baseDir != "" {
		benches = append(benches, newBench("baseline", *baseDir))
	}
	// The app's node_modules/.bin first, as the Makefile does: the pinned Node.js and CLI.
	check(os.Setenv("PATH", filepath.Join(benches[0].app, "node_modules", ".bin")+string(os.PathListSeparator)+os.Getenv("PATH")))

	configs := map[int]string{}
	for _, n := range append([]int{1}, ns...) {
		configs[n] = filepath.Join(dir, fmt.Sprintf("transfers-%d.yaml", n))
		check(os.WriteFile(configs[n], []byte(config(n)), 0o644))
	}
	for _, b := range benches {
		fmt.Printf("%s: %s (%s)\n", b.label, b.app, gitDescribe(b.app))
	}
	fmt.Printf("machine: %d CPUs (%s), %s, %s/%s, %s, %s\n", runtime.NumCPU(), cpuModel(), memTotal(),
		runtime.GOOS, runtime.GOARCH, goVersion(), nodeVersion())
	fmt.Printf("load average at start: %s\n", figures.LoadAvg())
	fmt.Println("warm-up runs (fill Go's build cache for the app and the Lambda bundle) ...")
	for _, b := range benches {
		b.synth(configs[1], filepath.Join(dir, b.label+"-out-warmup"), true)
	}

	fmt.Printf("\n%-30s %-9s %-11s %8s %6s %13s %14s %13s   (median and least of %d; runs)\n",
		"case", "checkout", "validation", "seconds", "least", "peak RSS MiB", "peak tree MiB", "Lambda builds", *runs)
	// measure runs every checkout runs times, alternating, and reports each.
	measure := func(name string, validation bool, run func(b *bench, i int) result) {
		rs := make([][]result, len(benches))
		for i := 0; i < *runs; i++ {
			for k := range benches {
				j := (k + i) % len(benches) // alternate which checkout goes first
				rs[j] = append(rs[j], run(benches[j], i))
			}
		}
		for j, b := range benches {
			report(name, b.label, validation, rs[j])
		}
	}
	for _, n := range ns {
		for _, validation := range []bool{true, false} {
			measure(fmt.Sprintf("%d transfer(s), fresh cdk.out", n), validation, func(b *bench, i int) result {
				return b.synth(configs[n], filepath.Join(dir, fmt.Sprintf("%s-out-%d-%t-%d", b.label, n, validation, i)), validation)
			})
		}
	}
	if *repeat {
		// The same config into the same output directory, as `cdk synth` then `cdk deploy`
		// (or a second `cdk synth`) do: the staged provider bundle is already there.
		for _, validation := range []bool{true, false} {
			out := func(b *bench) string { return filepath.Join(dir, fmt.Sprintf("%s-out-repeat-%t", b.label, validation)) }
			for _, b := range benches {
				b.synth(configs[1], out(b), validation)
			}
			measure("1 transfer, same cdk.out", validation, func(b *bench, i int) result {
				return b.synth(configs[1], out(b), validation)
			})
		}
	}
	fmt.Printf("\nload average at end: %s\n", figures.LoadAvg())
}

func newBench(label, dir string) *bench {
	app, err := filepath.Abs(dir)
	check(err)
	if _, err := os.Stat(filepath.Join(app, "cdk.json")); err != nil {
		check(fmt.Errorf("%s: no cdk.json (-dir and -baseline name checkouts of this repository)", app))
	}
	return &bench{label: label, app: app}
}

func report(name, label string, validation bool, rs []result) {
	var secs, rss, tree, builds []float64
	for _, r := range rs {
		secs, rss, tree, builds = append(secs, r.seconds), append(rss, r.maxRSS), append(tree, r.treeRSS), append(builds, float64(r.lambdaBuilds))
	}
	onOff := map[bool]string{true: "on", false: "off"}[validation]
	fmt.Printf("%-30s %-9s %-11s %8.1f %6.1f %13.0f %14.0f %13s   %s\n", name, label, onOff, figures.Median(secs), slices.Min(secs),
		figures.Median(rss), figures.Median(tree), join(builds, 0), join(secs, 1))
}

type bench struct {
	label string // "this" or "baseline"
	app   string // checkout whose app runs
}

type result struct {
	seconds, maxRSS, treeRSS float64
	lambdaBuilds             int
}

// synth runs `npx cdk synth` of a config and measures it. maxRSS is the largest
// process's peak (from wait4); treeRSS the peak sum over the process tree, sampled
// every 50 ms from /proc; lambdaBuilds the `go build` runs that wrote a bootstrap.
func (b *bench) synth(configPath, outdir string, validation bool) result {
	cmd := exec.Command("npx", "cdk", "synth", "--quiet", "-c", "config="+configPath, "--output", outdir)
	cmd.Dir = b.app
	cmd.Env = append(os.Environ(), "CDK_VALIDATION="+strconv.FormatBool(validation),
		"PATH="+filepath.Join(b.app, "node_modules", ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = nil, &stderr
	start := time.Now()
	check(cmd.Start())
	done := make(chan struct{})
	sampled := make(chan result)
	go func() {
		var r result
		builds := map[int]bool{}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				r.lambdaBuilds = len(builds)
				sampled <- r
				return
			case <-t.C:
				v, parents := processTree(cmd.Process.Pid)
				r.treeRSS = max(r.treeRSS, v)
				for pid, parent := range parents {
					// A child between fork and exec still shows its parent's command line.
					if !builds[pid] && isLambdaBuild(pid) && !isLambdaBuild(parent) {
						builds[pid] = true
					}
				}
			}
		}
	}()
	err := cmd.Wait()
	elapsed := time.Since(start).Seconds()
	close(done)
	r := <-sampled
	if err != nil {
		fmt.Fprintf(os.Stderr, "cdk synth of %s failed: %v\n%s", configPath, err, stderr.String())
		os.Exit(1)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.seconds, r.maxRSS = elapsed, float64(ru.Maxrss)/1024
	return r
}

// isLambdaBuild tells whether pid is a `go build` writing a Lambda's bootstrap (the
// provider's or the notifier's).
func isLambdaBuild(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	return len(args) > 2 && filepath.Base(args[0]) == "go" && args[1] == "build" &&
		(strings.HasSuffix(args[len(args)-1], "/constructs/provider/lambda") || strings.HasSuffix(args[len(args)-1], "/constructs/monitor/lambda")) &&
		strings.Contains(string(raw), "bootstrap")
}

// processTree returns the resident memory (MiB) of pid and its descendants, and
// their parents by pid.
func processTree(root int) (float64, map[int]int) {
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
	parents := map[int]int{}
	stack := []int{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		sum += rss[p]
		for _, c := range children[p] {
			parents[c] = p
		}
		stack = append(stack, children[p]...)
	}
	return sum, parents
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

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "go: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

func gitDescribe(dir string) string {
	out, err := exec.Command("git", "-C", dir, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "not a git checkout"
	}
	return "commit " + strings.TrimSpace(string(out))
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name")
}

func memTotal() string {
	kb, err := strconv.ParseFloat(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0], 64)
	if err != nil || kb == 0 {
		return "memory unknown"
	}
	return fmt.Sprintf("%.0f GiB", kb/(1<<20))
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func join(v []float64, prec int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', prec, 64)
	}
	return strings.Join(parts, " ")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
