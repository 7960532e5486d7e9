// Command synthstress runs the CDK app's synth many times, in parallel, and counts
// the runs that did not end: the jsii Node.js child can deadlock at exit
// (nodejs/node#54918; see internal/jsiichild). Not part of `make test`: a run of a few
// hundred synths takes many minutes.
//
//	go run ./tools/synthstress -runs 300 -parallel 3 -variant single=--single-threaded
//	go run ./tools/synthstress -runs 300 -baseline ../main      (that checkout's app too)
//
// It builds the app (`go build ./app`) of this checkout and, with -baseline, of another,
// then runs the binaries directly (as `cdk synth` does, with CDK_OUTDIR and
// CDK_CONTEXT_JSON) in rounds that alternate between the variants, so that all see
// the same load:
//
//	this           the app as built: its jsii child ended 3 s after synthesis if it has not exited
//	NAME           with -variant NAME=FLAGS: the same app, its jsii child with those node flags
//	               (DATASYNC_JSII_NODE_FLAGS); -variant plain= runs it with none explicitly
//	baseline       the -baseline checkout's app
//
// Every run gets its own process group. A run is hung when it has not ended -watchdog
// after writing manifest.json (or -stuck after starting without writing it); it is
// then killed (with its group). After each run the tool
// counts processes left in the group (left behind), and notes the runs in which the
// app had to end its jsii child itself (its stderr says so). Per variant it prints
// the runs, hangs, child endings, processes left behind, and the median and worst
// synth seconds and exit lag (process end minus the write of manifest.json).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/s3transfer/cdk-datasync/internal/jsiichild"
	"github.com/s3transfer/cdk-datasync/internal/measure"
)

// endedNote is in what the app prints when it had to end its jsii child
// (jsiichild.Outcome.Describe).
const endedNote = "the jsii Node.js process had not exited"

type variant struct {
	name, dir, bin string
	env            []string
}

type result struct {
	seconds, exitLag float64 // exitLag < 0: no manifest.json
	hung, ended      bool
	leftBehind       []string
	err              string
}

func main() {
	runs := flag.Int("runs", 200, "synths per variant")
	parallel := flag.Int("parallel", 2, "synths at once")
	baseline := flag.String("baseline", "", "another checkout whose app to run too")
	var extra []*variant
	flag.Func("variant", "NAME=FLAGS: also run this app with these node flags for its jsii child (repeatable; FLAGS may be empty)", func(v string) error {
		name, flags, ok := strings.Cut(v, "=")
		if !ok || name == "" || name == "this" || name == "baseline" {
			return fmt.Errorf("%q: want NAME=FLAGS, NAME other than this and baseline", v)
		}
		extra = append(extra, &variant{name: name, env: []string{jsiichild.FlagsVariable + "=" + flags}})
		return nil
	})
	configFile := flag.String("config", "", "config file (-c config=); default: the embedded example")
	watchdog := flag.Duration("watchdog", 30*time.Second, "a run that has not ended this long after it wrote manifest.json is hung")
	stuck := flag.Duration("stuck", 10*time.Minute, "a run that has not written manifest.json this long after it started is hung too")
	burn := flag.Int("burn", 0, "goroutines that keep CPUs busy meanwhile, to add load")
	inject := flag.Bool("inject-exit-hang", false, "make every jsii Node.js process block forever in an exit handler (NODE_OPTIONS=--require), "+
		"to see what each variant does with a child that never exits")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "synthstress")
	check(err)
	defer os.RemoveAll(tmp)
	here, err := filepath.Abs(".")
	check(err)
	node, err := exec.LookPath(filepath.Join(here, "node_modules", ".bin", "node"))
	check(err)
	variants := []*variant{{name: "this", dir: here}}
	for _, v := range extra {
		v.dir = here
		variants = append(variants, v)
	}
	if *baseline != "" {
		dir, err := filepath.Abs(*baseline)
		check(err)
		variants = append(variants, &variant{name: "baseline", dir: dir})
	}
	built := map[string]string{}
	for _, v := range variants {
		if bin, ok := built[v.dir]; ok {
			v.bin = bin
			continue
		}
		v.bin = filepath.Join(tmp, fmt.Sprintf("app-%d", len(built)))
		cmd := exec.Command("go", "build", "-o", v.bin, "./app")
		cmd.Dir, cmd.Stderr = v.dir, os.Stderr
		check(cmd.Run())
		built[v.dir] = v.bin
	}
	if *inject {
		hang := filepath.Join(tmp, "hang-at-exit.js")
		check(os.WriteFile(hang, []byte("process.on('exit', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));\n"), 0o644))
		for _, v := range variants {
			v.env = append(v.env, "NODE_OPTIONS=--max-old-space-size=4069 --require "+hang)
		}
	}
	context := "{}"
	if *configFile != "" {
		path, err := filepath.Abs(*configFile)
		check(err)
		context = fmt.Sprintf(`{"config":%q}`, path)
	}
	for i := 0; i < *burn; i++ {
		go func() {
			for x := 0; ; x++ {
				_ = x * x
			}
		}()
	}
	fmt.Printf("machine: %d CPUs, %s; load average at start: %s\n", runtime.NumCPU(), runtime.GOOS, measure.LoadAvg())
	fmt.Printf("%d run(s) per variant, %d at once, hung: alive %s after writing manifest.json (or %s without it), %d burning goroutine(s), exit hang injected: %t\n",
		*runs, *parallel, *watchdog, *stuck, *burn, *inject)

	// Each variant synthesizes into -parallel output directories, reused from run to
	// run, as repeated `cdk synth`s into one cdk.out (the staged provider bundle is
	// reused, so a run is mostly the app and its jsii child).
	dirs := make([]chan string, len(variants))
	for j, v := range variants {
		dirs[j] = make(chan string, *parallel)
		for k := 0; k < *parallel; k++ {
			dirs[j] <- filepath.Join(tmp, fmt.Sprintf("%s-out-%d", v.name, k))
		}
	}
	results := make([][]result, len(variants))
	var mu sync.Mutex
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *runs; i++ {
		for k := range variants {
			j := (k + i) % len(variants) // alternate which variant goes first
			v := variants[j]
			sem <- struct{}{}
			wg.Add(1)
			go func(n int) {
				defer func() { <-sem; wg.Done() }()
				out := <-dirs[j]
				r := synth(v, out, context, node, *watchdog, *stuck)
				dirs[j] <- out
				mu.Lock()
				results[j] = append(results[j], r)
				done := 0
				for _, rs := range results {
					done += len(rs)
				}
				mu.Unlock()
				if r.hung || r.ended || len(r.leftBehind) > 0 || r.err != "" {
					fmt.Printf("  %s run %d: hung %t, child ended by the app %t, left behind %q, exit lag %.1f s %s\n",
						v.name, n, r.hung, r.ended, r.leftBehind, r.exitLag, r.err)
				}
				if done%60 == 0 {
					mu.Lock()
					fmt.Printf("after %d runs, %s, load average %s:\n", done, time.Since(start).Round(time.Second), measure.LoadAvg())
					table(variants, results)
					mu.Unlock()
				}
			}(i)
		}
	}
	wg.Wait()
	fmt.Println()
	table(variants, results)
	fmt.Printf("\nwall %s; load average at end: %s\n", time.Since(start).Round(time.Second), measure.LoadAvg())
}

// table prints the counts and times of each variant's runs so far.
func table(variants []*variant, results [][]result) {
	fmt.Printf("%-14s %5s %5s %13s %12s %7s %9s %9s %9s %9s\n", "variant", "runs", "hung", "child ended", "left behind", "failed",
		"synth s", "max s", "exit lag", "max lag")
	for j, v := range variants {
		var secs, lags []float64
		var hung, ended, left, failed int
		for _, r := range results[j] {
			secs = append(secs, r.seconds)
			if r.exitLag >= 0 {
				lags = append(lags, r.exitLag)
			}
			hung += b2i(r.hung)
			ended += b2i(r.ended)
			left += b2i(len(r.leftBehind) > 0)
			failed += b2i(r.err != "")
		}
		fmt.Printf("%-14s %5d %5d %13d %12d %7d %9.2f %9.2f %9.2f %9.2f\n", v.name, len(results[j]), hung, ended, left, failed,
			measure.Median(secs), slices.Max(append(secs, 0)), measure.Median(lags), slices.Max(append(lags, 0)))
	}
}

// synth runs one synth of v into out. It is hung when it has not ended watchdog
// after writing manifest.json, or stuck after starting.
func synth(v *variant, out, context, node string, watchdog, stuck time.Duration) result {
	cmd := exec.Command(v.bin)
	cmd.Dir = v.dir
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "CDK_CONTEXT_JSON="+context, "CDK_VALIDATION=false",
		"PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, v.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{err: err.Error(), exitLag: -1}
	}
	pgid := cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var r result
	var err error
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err = <-waited:
			break wait
		case now := <-tick.C:
			fi, statErr := os.Stat(filepath.Join(out, "manifest.json"))
			written := statErr == nil && fi.ModTime().After(start)
			if (written && now.Sub(fi.ModTime()) > watchdog) || (!written && now.Sub(start) > stuck) {
				r.hung = true
				fmt.Printf("  hung (manifest.json written: %t): %s\n", written, describeGroup(pgid))
				syscall.Kill(-pgid, syscall.SIGKILL)
				err = <-waited
				break wait
			}
		}
	}
	end := time.Now()
	r.seconds = end.Sub(start).Seconds()
	r.exitLag = -1
	if fi, statErr := os.Stat(filepath.Join(out, "manifest.json")); statErr == nil {
		r.exitLag = end.Sub(fi.ModTime()).Seconds()
	}
	r.ended = strings.Contains(stderr.String(), endedNote)
	if err != nil && !r.hung {
		r.err = fmt.Sprintf("%v: %s", err, lastLines(stderr.String(), 3))
	}
	// Whatever is still in the run's process group was left behind.
	time.Sleep(200 * time.Millisecond)
	for _, p := range group(pgid) {
		r.leftBehind = append(r.leftBehind, p)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	os.Remove(filepath.Join(out, "manifest.json"))
	return r
}

// group lists the running processes of a process group ("pid command line").
func group(pgid int) []string {
	procs, _ := jsiichild.Group(pgid)
	var out []string
	for _, p := range procs {
		out = append(out, fmt.Sprintf("%d %s", p.PID, p.Args))
	}
	return out
}

// describeGroup names a hung group's processes and the state of each thread.
func describeGroup(pgid int) string {
	var b strings.Builder
	for _, p := range group(pgid) {
		pid := strings.Fields(p)[0]
		fmt.Fprintf(&b, "\n    %s:", p)
		tasks, _ := filepath.Glob("/proc/" + pid + "/task/*")
		for _, t := range tasks {
			comm, _ := os.ReadFile(t + "/comm")
			wchan, _ := os.ReadFile(t + "/wchan")
			fmt.Fprintf(&b, " %s(%s)", strings.TrimSpace(string(comm)), string(wchan))
		}
	}
	return b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
