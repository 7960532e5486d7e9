package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/internal/jsiichild"
)

// The pipeline's synth step installs the Go and CLI versions this repository pins.
func TestPipelineToolVersionsMatchThePins(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "\ngo "+GoVersion+"\n") {
		t.Errorf("GoVersion %s is not go.mod's go directive", GoVersion)
	}
	raw, err := os.ReadFile("../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ DevDependencies map[string]string }
	_ = json.Unmarshal(raw, &pkg)
	if pkg.DevDependencies["aws-cdk"] != CliVersion {
		t.Errorf("CliVersion %s, package.json pins %s", CliVersion, pkg.DevDependencies["aws-cdk"])
	}
}

func TestIsRepoRelative(t *testing.T) {
	for path, want := range map[string]bool{"transfers.yaml": true, "config/t.yaml": true, "/abs/t.yaml": false, "../t.yaml": false, "": false} {
		if isRepoRelative(path) != want {
			t.Errorf("isRepoRelative(%q) = %t", path, !want)
		}
	}
}

// buildApp builds the app into a temporary directory (once per test binary).
var buildApp = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "app-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "app")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// runApp runs the app binary as the CDK CLI does (CDK_OUTDIR, CDK_CONTEXT_JSON), in
// its own process group, and returns its stderr, the output directory, when it
// ended and the group's id.
func runApp(t *testing.T, env ...string) (stderr, out string, ended time.Time, pgid int) {
	t.Helper()
	bin, err := buildApp()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node on PATH (make test puts the pinned one there)")
	}
	out = t.TempDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"CDK_OUTDIR=" + out, "CDK_CONTEXT_JSON={}", "CDK_VALIDATION=false"}, env...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var buf strings.Builder
	cmd.Stderr = &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid = cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the app has not ended after 3 minutes:\n%s", buf.String())
	}
	if err != nil {
		t.Fatalf("app: %v\n%s", err, buf.String())
	}
	return buf.String(), out, time.Now(), pgid
}

// groupAlive lists the running processes of group pgid (a zombie awaiting its
// reaper has ended).
func groupAlive(pgid int) []string {
	procs, _ := jsiichild.Group(pgid)
	var alive []string
	for _, p := range procs {
		alive = append(alive, p.Args)
	}
	return alive
}

// assertNothingLeft waits a moment for exiting processes, then fails on any process
// of the app's group that still runs.
func assertNothingLeft(t *testing.T, pgid int) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if left = groupAlive(pgid); len(left) == 0 {
			return
		}
	}
	t.Errorf("processes of the app left behind: %q", left)
}

// TestAppRunLeavesNoProcessBehind: a synth ends with its jsii Node.js processes.
func TestAppRunLeavesNoProcessBehind(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	stderr, out, _, pgid := runApp(t)
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Fatalf("no cloud assembly: %v\n%s", err, stderr)
	}
	assertNothingLeft(t, pgid)
	for _, want := range []string{exampleNote, "Synthesized 6 stack(s) into "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestAppEndsAJSIIChildThatHangsAtExit: whatever the Node.js processes do at exit
// (here: block forever in an exit handler, as the deadlock of nodejs/node#54918
// does), the app ends within a few seconds of writing the cloud assembly, says so,
// and leaves no process behind.
func TestAppEndsAJSIIChildThatHangsAtExit(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	hang := filepath.Join(t.TempDir(), "hang-at-exit.js")
	if err := os.WriteFile(hang, []byte("process.on('exit', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr, out, ended, pgid := runApp(t, "NODE_OPTIONS=--max-old-space-size=4069 --require "+hang)
	fi, err := os.Stat(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatalf("no cloud assembly: %v\n%s", err, stderr)
	}
	if lag := ended.Sub(fi.ModTime()); lag > exitGrace+4*time.Second {
		t.Errorf("the app ended %s after writing manifest.json, want at most %s + a few seconds", lag, exitGrace)
	}
	if !strings.Contains(stderr, "note: the synthesis is complete, but the jsii Node.js process had not exited 3s later "+
		"(a known Node.js exit deadlock, nodejs/node#54918); ended it (pid ") {
		t.Errorf("stderr lacks the note on ending the child:\n%s", stderr)
	}
	assertNothingLeft(t, pgid)
}
