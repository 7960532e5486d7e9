// Package jsiichild keeps a CDK app from hanging on its jsii Node.js child at exit.
//
// A Go CDK app talks to a Node.js process (the jsii kernel) that jsii-runtime-go
// starts at the first CDK call: `node jsii-runtime.js`, which runs the kernel,
// `node --preserve-symlinks program.js`, as its own child. jsii.Close() asks that
// process to exit and then waits, without a time limit, for its stderr to close and
// for it to end. Node.js can deadlock while exiting (nodejs/node#54918: at exit the
// main thread joins V8's platform workers while a worker, in a concurrent Maglev or
// Sparkplug compile job, waits for a main-thread garbage collection that never
// comes; every thread sits in a futex wait). The app then waits forever after the
// cloud assembly is complete, and `cdk synth`, `make test` and CI wait with it.
//
// Two measures (app/main.go uses both):
//
//   - Close bounds jsii.Close(): when the child has not ended within the grace
//     period, it kills the jsii processes among this process's descendants (and
//     theirs), so the app ends and leaves no process behind. Synthesis is complete
//     by then (app.Synth() returned), so nothing is lost.
//   - Prepare can make the jsii child run with node flags, e.g. SingleThreaded, V8's
//     --single-threaded: V8 then posts no background tasks at all (no concurrent
//     compile jobs, no concurrent GC), so no worker can wait for the main thread at
//     exit. V8 flags are not allowed in NODE_OPTIONS, so Prepare points JSII_NODE
//     (the Node.js executable jsii-runtime-go starts) at a two-line launcher script
//     that runs the node on PATH with the flags; jsii-runtime.js passes its own flags
//     (process.execArgv) on to the kernel. Off by default (NodeFlags is empty):
//     measured, --single-threaded costs 0.2 to 0.6 s per synth on an idle-ish
//     machine and more under load, while the hang it prevents is rare and Close
//     bounds it at a few seconds (docs/synth-exit.md). DATASYNC_JSII_NODE_FLAGS
//     turns it on.
package jsiichild

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/jsii-runtime-go"
)

// SingleThreaded is V8's flag that removes the exit race (see the package comment).
const SingleThreaded = "--single-threaded"

// NodeFlags are the flags the jsii Node.js processes run with, unless
// FlagsVariable is set: none (see the package comment for why).
var NodeFlags []string

// FlagsVariable, when set, replaces NodeFlags (split at spaces), e.g.
// DATASYNC_JSII_NODE_FLAGS=--single-threaded; set and empty, the jsii child runs as
// jsii-runtime-go starts it, without a launcher.
const FlagsVariable = "DATASYNC_JSII_NODE_FLAGS"

// flags are the flags Prepare gives the jsii child.
func flags() []string {
	if v, ok := os.LookupEnv(FlagsVariable); ok {
		return strings.Fields(v)
	}
	return NodeFlags
}

// Marker is in the command line of both jsii Node.js processes: jsii-runtime-go
// extracts its runtime into a temporary directory named jsii-runtime.<random>
// (bin/jsii-runtime.js, lib/program.js).
const Marker = "jsii-runtime"

// Prepare sets JSII_NODE to a launcher that runs the node on PATH with the flags of
// FlagsVariable (or NodeFlags). Call it first in main, before any CDK call. It
// changes nothing when there are no flags, when JSII_NODE or JSII_RUNTIME is already
// set (the user chose the runtime), on Windows (no shell
// launcher), when no node is on PATH (jsii-runtime-go then reports that), or when
// the temporary directory does not allow executing files. The returned cleanup
// removes the launcher; call it after Close.
func Prepare() (cleanup func(), err error) {
	noop := func() {}
	nodeFlags := flags()
	if len(nodeFlags) == 0 || os.Getenv("JSII_NODE") != "" || os.Getenv("JSII_RUNTIME") != "" || runtime.GOOS == "windows" {
		return noop, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return noop, nil
	}
	if node, err = filepath.Abs(node); err != nil {
		return noop, nil
	}
	dir, err := os.MkdirTemp("", "jsii-node-launcher.")
	if err != nil {
		return noop, fmt.Errorf("jsii launcher: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	launcher := filepath.Join(dir, "node")
	script := fmt.Sprintf("#!/bin/sh\nexec %s %s \"$@\"\n", shellQuote(node), strings.Join(nodeFlags, " "))
	if err := os.WriteFile(launcher, []byte(script), 0o700); err != nil {
		cleanup()
		return noop, fmt.Errorf("jsii launcher: %w", err)
	}
	// access(2) with X_OK fails on a noexec mount: then run node as jsii-runtime-go
	// would without the launcher, rather than fail to start it.
	if !executable(launcher) {
		cleanup()
		return noop, nil
	}
	if err := os.Setenv("JSII_NODE", launcher); err != nil {
		cleanup()
		return noop, err
	}
	// jsii-runtime-go prepared its child, with the environment of that moment, while
	// the CDK packages registered their types at init, before main ran; it starts it
	// at the first request. Closing that client (nothing has started yet: this only
	// removes its extracted runtime) makes the next CDK call prepare a new one, with
	// JSII_NODE set ("If a jsii Client is used after CloseClient was called, a new
	// jsii kernel process will be initialized": jsii-runtime-go, kernel.CloseClient).
	jsii.Close()
	return cleanup, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Outcome is what Close did.
type Outcome struct {
	// Waited is how long the child took to end, or the grace period when it was killed.
	Waited time.Duration
	// Killed are the processes Close ended (empty when the child ended by itself).
	Killed []Process
}

// Close runs closeFn (jsii.Close) and waits for it at most grace. Past that, it
// kills the jsii processes among this process's descendants, with their own
// descendants, and waits up to 2 seconds more for closeFn to return (it does once
// the child's pipes close). It never waits longer than grace plus those 2 seconds.
func Close(closeFn func(), grace time.Duration) (Outcome, error) {
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		closeFn()
	}()
	select {
	case <-done:
		return Outcome{Waited: time.Since(start)}, nil
	case <-time.After(grace):
	}
	out := Outcome{Waited: grace}
	procs, err := Processes()
	if err != nil {
		return out, fmt.Errorf("listing processes to end the jsii child: %w", err)
	}
	var errs []error
	for _, p := range JSIIDescendants(procs, os.Getpid()) {
		// SIGKILL: a process deadlocked at exit has no handler left that could run.
		if err := kill(p.PID); err != nil {
			errs = append(errs, fmt.Errorf("killing %d (%s): %w", p.PID, p.Args, err))
			continue
		}
		out.Killed = append(out.Killed, p)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		errs = append(errs, errors.New("jsii.Close() did not return after its processes were killed"))
	}
	return out, errors.Join(errs...)
}

// Process is one entry of the process table.
type Process struct {
	PID, PPID, PGID int
	// Zombie: the process has ended, and its parent has not reaped it yet.
	Zombie bool
	Args   string // the command line, arguments separated by spaces
}

// JSIIDescendants returns the descendants of root whose command line contains
// Marker, and every descendant of those, children after their parents.
func JSIIDescendants(procs []Process, root int) []Process {
	children := map[int][]Process{}
	for _, p := range procs {
		children[p.PPID] = append(children[p.PPID], p)
	}
	var out []Process
	var walk func(pid int, inside bool)
	walk = func(pid int, inside bool) {
		for _, c := range children[pid] {
			in := inside || strings.Contains(c.Args, Marker)
			if in {
				out = append(out, c)
			}
			walk(c.PID, in)
		}
	}
	walk(root, false)
	return out
}

// Processes lists the processes of the machine: from /proc where there is one,
// otherwise from `ps`.
func Processes() ([]Process, error) {
	if dirs, err := filepath.Glob("/proc/[0-9]*"); err == nil && len(dirs) > 0 {
		var out []Process
		for _, d := range dirs {
			pid, _ := strconv.Atoi(filepath.Base(d))
			stat, err := os.ReadFile(d + "/stat")
			if err != nil {
				continue // ended meanwhile
			}
			// pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
			s := string(stat)
			end := strings.LastIndexByte(s, ')')
			if end < 0 || end+2 > len(s) {
				continue
			}
			fields := strings.Fields(s[end+2:])
			if len(fields) < 3 {
				continue
			}
			ppid, _ := strconv.Atoi(fields[1])
			pgid, _ := strconv.Atoi(fields[2])
			cmdline, _ := os.ReadFile(d + "/cmdline")
			out = append(out, Process{PID: pid, PPID: ppid, PGID: pgid, Zombie: fields[0] == "Z",
				Args: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))})
		}
		return out, nil
	}
	raw, err := exec.Command("ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "pgid=", "-o", "stat=", "-o", "args=").Output()
	if err != nil {
		return nil, fmt.Errorf("ps: %w", err)
	}
	return parsePS(string(raw)), nil
}

// parsePS reads `ps -o pid= -o ppid= -o pgid= -o stat= -o args=` output.
func parsePS(out string) []Process {
	var procs []Process
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		pid, err1 := strconv.Atoi(f[0])
		ppid, err2 := strconv.Atoi(f[1])
		pgid, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		procs = append(procs, Process{PID: pid, PPID: ppid, PGID: pgid, Zombie: strings.HasPrefix(f[3], "Z"), Args: strings.Join(f[4:], " ")})
	}
	return procs
}

// Group lists the running processes of a process group (zombies left out).
func Group(pgid int) ([]Process, error) {
	procs, err := Processes()
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, p := range procs {
		if p.PGID == pgid && !p.Zombie {
			out = append(out, p)
		}
	}
	return out, nil
}

// Describe is the note the app prints when Close had to end the child.
func (o Outcome) Describe() string {
	if len(o.Killed) == 0 {
		return ""
	}
	pids := make([]string, len(o.Killed))
	for i, p := range o.Killed {
		pids[i] = strconv.Itoa(p.PID)
	}
	slices.Sort(pids)
	return fmt.Sprintf("note: the synthesis is complete, but the jsii Node.js process had not exited %s later "+
		"(a known Node.js exit deadlock, nodejs/node#54918); ended it (pid %s)", o.Waited.Round(100*time.Millisecond), strings.Join(pids, ", "))
}
