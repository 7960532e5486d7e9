//go:build linux

package jsiichild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestJSIIDescendantsAreTheMarkedProcessesAndTheirChildren(t *testing.T) {
	procs := []Process{
		{PID: 10, PPID: 1, Args: "go run ./app"},
		{PID: 11, PPID: 10, Args: "/tmp/go-build/app"},
		{PID: 12, PPID: 11, Args: "node /tmp/jsii-runtime.123/bin/jsii-runtime.js"},
		{PID: 13, PPID: 12, Args: "node --preserve-symlinks /tmp/jsii-runtime.123/lib/program.js"},
		{PID: 14, PPID: 13, Args: "go build -o bootstrap ./constructs/provider/lambda"}, // started by the kernel
		{PID: 15, PPID: 11, Args: "ps -A"},                                              // the app's own, not jsii's
		{PID: 16, PPID: 1, Args: "node /tmp/jsii-runtime.999/bin/jsii-runtime.js"},      // another app's
	}
	var pids []int
	for _, p := range JSIIDescendants(procs, 11) {
		pids = append(pids, p.PID)
	}
	if !slices.Equal(pids, []int{12, 13, 14}) {
		t.Errorf("descendants of 11 to end = %v, want [12 13 14]", pids)
	}
}

func TestParsePS(t *testing.T) {
	got := parsePS("  PID  PPID  PGID STAT ARGS\n  12    11    11 S    node /tmp/jsii-runtime.1/bin/jsii-runtime.js\n  13    12    11 Z+   node --preserve-symlinks x\n")
	want := []Process{{12, 11, 11, false, "node /tmp/jsii-runtime.1/bin/jsii-runtime.js"}, {13, 12, 11, true, "node --preserve-symlinks x"}}
	if !slices.Equal(got, want) {
		t.Errorf("parsePS = %+v", got)
	}
}

// TestCloseEndsAChildThatDoesNotExit: closeFn waits for a child that never exits (as
// jsii.Close waits for a Node.js deadlocked at exit); Close kills it, and its own
// child, after the grace period and returns.
func TestCloseEndsAChildThatDoesNotExit(t *testing.T) {
	// The shell's command line carries the marker; its child, sleep, does not.
	child := exec.Command("/bin/sh", "-c", "sleep 300 & wait", Marker)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var sleepPID int
	for deadline := time.Now().Add(5 * time.Second); sleepPID == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		procs, _ := Processes()
		for _, p := range procs {
			if p.PPID == child.Process.Pid && strings.HasPrefix(p.Args, "sleep") {
				sleepPID = p.PID
			}
		}
	}
	if sleepPID == 0 {
		t.Fatal("the shell did not start sleep")
	}
	start := time.Now()
	out, err := Close(func() { child.Wait() }, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %s", took)
	}
	var killed []int
	for _, p := range out.Killed {
		killed = append(killed, p.PID)
	}
	slices.Sort(killed)
	if !slices.Equal(killed, []int{child.Process.Pid, sleepPID}) {
		t.Errorf("killed %v, want the shell %d and its sleep %d", killed, child.Process.Pid, sleepPID)
	}
	// A killed orphan is reaped by init a moment later.
	for deadline := time.Now().Add(time.Second); alive(sleepPID) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(child.Process.Pid) || alive(sleepPID) {
		t.Errorf("a process survived: shell %t, sleep %t", alive(child.Process.Pid), alive(sleepPID))
	}
	if d := out.Describe(); !strings.Contains(d, "the jsii Node.js process had not exited 300ms later") ||
		!strings.Contains(d, "nodejs/node#54918") || !strings.Contains(d, strconv.Itoa(sleepPID)) {
		t.Errorf("note = %q", d)
	}
}

func TestCloseReturnsAtOnceWhenTheChildExits(t *testing.T) {
	out, err := Close(func() {}, time.Minute)
	if err != nil || len(out.Killed) != 0 || out.Waited > time.Second || out.Describe() != "" {
		t.Errorf("Close of an exiting child = %+v, %v", out, err)
	}
}

// alive tells whether pid runs (and is not a zombie).
func alive(pid int) bool {
	procs, _ := Processes()
	return slices.ContainsFunc(procs, func(p Process) bool { return p.PID == pid && !p.Zombie })
}

// TestPrepareWritesALauncherWithTheFlags: with DATASYNC_JSII_NODE_FLAGS, JSII_NODE
// names a script that runs the node on PATH with those flags; without flags (the
// default, or the variable set and empty), or with JSII_NODE set by the user,
// nothing changes.
func TestPrepareWritesALauncherWithTheFlags(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	for _, c := range []struct {
		flags, jsiiNode, want string
	}{
		{"unset", "", ""}, // NodeFlags: none
		{"--single-threaded", "", "--single-threaded"},
		{"--no-maglev --stack-size=2000", "", "--no-maglev --stack-size=2000"},
		{"", "", ""},
		{"--single-threaded", "/opt/node/bin/node", ""},
	} {
		if c.flags == "unset" {
			os.Unsetenv(FlagsVariable)
		} else {
			t.Setenv(FlagsVariable, c.flags)
		}
		t.Setenv("JSII_NODE", c.jsiiNode)
		cleanup, err := Prepare()
		if err != nil {
			t.Fatal(err)
		}
		got := os.Getenv("JSII_NODE")
		if c.want == "" {
			if got != c.jsiiNode {
				t.Errorf("flags %q, JSII_NODE %q: JSII_NODE became %q", c.flags, c.jsiiNode, got)
			}
		} else {
			script, _ := os.ReadFile(got)
			if want := fmt.Sprintf("#!/bin/sh\nexec '%s' %s \"$@\"\n", node, c.want); string(script) != want {
				t.Errorf("flags %q: launcher %q, want %q", c.flags, script, want)
			}
			js := filepath.Join(t.TempDir(), "argv.js")
			os.WriteFile(js, []byte("console.log(process.execArgv.join(' '))\n"), 0o644)
			out, err := exec.Command(got, js).Output()
			if err != nil || strings.TrimSpace(string(out)) != c.want {
				t.Errorf("the launcher runs node with %q (%v), want %q", out, err, c.want)
			}
		}
		cleanup()
		if c.want != "" {
			if _, err := os.Stat(got); !os.IsNotExist(err) {
				t.Errorf("cleanup left %s", got)
			}
		}
	}
}
