package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
)

// terminal runs the transfers command (this test binary, see TestMain) in a
// pseudo-terminal and keeps what it draws on a terminal emulator's screen.
type terminal struct {
	t    *testing.T
	pty  *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	emu  *vt.Emulator
	done chan struct{}
}

func startTerminal(t *testing.T, cols, rows int, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRANSFERS_TEST_MAIN=1", "TERM=xterm-256color")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, pty: f, cmd: cmd, emu: vt.NewEmulator(cols, rows), done: make(chan struct{})}
	go func() { // what the command writes goes to the screen
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			_, _ = term.emu.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return // EIO once the command has exited
			}
		}
	}()
	go func() { _, _ = io.Copy(f, term.emu) }() // the emulator's answers go back, as a terminal's do
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = f.Close()
	})
	return term
}

// screen is the text on the screen, one line per row, trailing spaces trimmed.
func (term *terminal) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	var rows []string
	for y := range term.emu.Height() {
		var row strings.Builder
		for x := 0; x < term.emu.Width(); x++ {
			cell := term.emu.CellAt(x, y)
			if cell == nil || cell.Width == 0 {
				continue
			}
			row.WriteString(cell.String())
			x += cell.Width - 1
		}
		rows = append(rows, strings.TrimRight(row.String(), " "))
	}
	return strings.TrimRight(strings.Join(rows, "\n"), "\n")
}

// waitFor waits until the screen matches re, and returns the screen.
func (term *terminal) waitFor(re *regexp.Regexp) string {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := term.screen(); re.MatchString(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	term.t.Fatalf("the screen never showed %s; it shows:\n%s", re, term.screen())
	return ""
}

// exit waits for the command to end and returns its exit status.
func (term *terminal) exit() int {
	term.t.Helper()
	err := term.cmd.Wait()
	<-term.done
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	term.t.Fatal(err)
	return -1
}

// liveRun is an ENHANCED run that moves 1.5 GB in ten polls, for a screen that
// shows a rate and the time left.
func liveRun() []fakedatasync.Step {
	steps := []fakedatasync.Step{
		{Status: "QUEUED"},
		{Status: "LAUNCHING", Elapsed: 15 * time.Second},
		{Status: "PREPARING", Elapsed: 40 * time.Second, FilesListed: 9000, FilesPrepared: 6000},
	}
	for i := int64(1); i <= 10; i++ {
		steps = append(steps, fakedatasync.Step{Status: "TRANSFERRING", Elapsed: time.Minute + time.Duration(i)*10*time.Second,
			EstimatedFiles: 12000, EstimatedBytes: 1500 * mb, FilesListed: 12000, FilesPrepared: 12000,
			FilesTransferred: i * 1200, BytesWritten: i * 150 * mb, BytesTransferred: i * 150 * mb, FilesVerified: (i - 1) * 1100})
	}
	return append(steps,
		fakedatasync.Step{Status: "VERIFYING", Elapsed: 170 * time.Second, EstimatedFiles: 12000, EstimatedBytes: 1500 * mb,
			FilesListed: 12000, FilesPrepared: 12000, FilesTransferred: 12000, BytesWritten: 1500 * mb, FilesVerified: 11500},
		fakedatasync.Step{Status: "SUCCESS", Elapsed: 3 * time.Minute, EstimatedFiles: 12000, EstimatedBytes: 1500 * mb,
			FilesListed: 12000, FilesPrepared: 12000, FilesTransferred: 12000, BytesWritten: 1500 * mb, FilesVerified: 12000,
			PrepareDuration: 25 * time.Second, TransferDuration: 100 * time.Second, VerifyDuration: 15 * time.Second})
}

func TestWatchInTerminal(t *testing.T) {
	// GIVEN photos is running
	e := newEnv(t)
	task := e.photos()
	task.Run = liveRun()
	e.srv.AddExecution(task, time.Now())

	// WHEN watched in a terminal
	term := startTerminal(t, 100, 12, "watch", "photos", "-c", e.config, "--interval", "300ms")

	// THEN while it transfers: the phases, two bars with percentages, the rate and the time left
	mid := term.waitFor(regexp.MustCompile(`(?s)\[TRANSFERRING\].*files\s+\[=+>?-*\]\s+[1-9][0-9]%\s+[0-9,]+ / 12,000.*bytes\s+\[=+>?-*\]\s+[1-9][0-9]%\s+[0-9.]+ [MG]B / 1.5 GB.*B/s · [0-9ms]+ left`))
	t.Logf("screen while transferring:\n%s", mid)
	for _, w := range []string{
		"photos  us-west-2  exec-",
		"queued ✓ › launching ✓ › preparing ✓ › [TRANSFERRING] › verifying",
		"ENHANCED: listed 12,000 · prepared 12,000",
	} {
		if !strings.Contains(mid, w) {
			t.Errorf("the screen lacks %q", w)
		}
	}
	// and at the end, the result under the final bars
	if code := term.exit(); code != 0 {
		t.Errorf("exit %d", code)
	}
	end := term.screen()
	t.Logf("screen at the end:\n%s", end)
	for _, re := range []string{
		`queued ✓ › launching ✓ › preparing ✓ › transferring ✓ › verifying ✓ › SUCCESS`,
		`files\s+\[=+>?\]\s+100%\s+12,000 / 12,000`,
		`bytes\s+\[=+>?\]\s+100%\s+1.5 GB / 1.5 GB`,
		`(?m)^  average 15 MB/s$`,
		`(?m)^photos: SUCCESS in 3m00s: 12,000 files, 1.5 GB written at 15 MB/s; 12,000 verified, 0 skipped$`,
	} {
		if !regexp.MustCompile(re).MatchString(end) {
			t.Errorf("the final screen does not match %s", re)
		}
	}
	if len(regexp.MustCompile(`files\s+\[`).FindAllString(end, -1)) != 1 {
		t.Errorf("the bars were drawn more than once instead of in place")
	}
}

func TestWatchInTerminalCtrlC(t *testing.T) {
	// GIVEN a BASIC run that keeps going
	e := newEnv(t)
	task := e.logs()
	task.Run = stillGoing()
	arn := e.srv.AddExecution(task, time.Now())

	// WHEN Ctrl-C is typed while watching
	term := startTerminal(t, 100, 12, "watch", "logs", "-c", e.config, "--interval", "100ms")
	term.waitFor(regexp.MustCompile(`\[TRANSFERRING\]`))
	if _, err := term.pty.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}

	// THEN watching stops, the screen says the run goes on and how to follow it, exit 130
	if code := term.exit(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	end := term.screen()
	t.Logf("screen:\n%s", end)
	if !strings.HasPrefix(end, "logs  eu-west-1  exec-") || !strings.Contains(end, "BASIC: skipped 0 · verified 0") || !strings.Contains(end, "Stopped watching logs: its run exec-") ||
		!strings.Contains(strings.ReplaceAll(end, "\n", ""), "transfers watch "+arn) {
		t.Errorf("the screen does not say the run goes on")
	}
}

func TestWatchInTerminalBasicError(t *testing.T) {
	// GIVEN logs (BASIC) is running a run that will fail while transferring
	e := newEnv(t)
	task := e.logs()
	task.Run = basicError()
	e.srv.AddExecution(task, time.Now())

	// WHEN watched in a terminal
	term := startTerminal(t, 100, 12, "watch", "logs", "-c", e.config, "--interval", "50ms")

	// THEN the failed step is marked, the bars stop where the run stopped, DataSync's error is shown
	if code := term.exit(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	end := term.screen()
	t.Logf("screen:\n%s", end)
	for _, re := range []string{
		`queued ✓ › launching ✓ › preparing ✓ › transferring ✗ › verifying › ERROR`,
		`files\s+\[=+>?-+\]\s+38%\s+310 / 800`,
		`bytes\s+\[=+>?-+\]\s+38%\s+1.6 GB / 4.0 GB`,
		`(?m)^  BASIC: skipped 12 · verified 0$`,
		`(?m)^logs: ERROR after 1m30s: 310 of 800 files, 1.6 GB of 4.0 GB written$`,
		`(?m)^  DataSync error S3AccessDenied: DataSync could not write to s3://acme-logs-dst: Access Denied$`,
	} {
		if !regexp.MustCompile(re).MatchString(end) {
			t.Errorf("the screen does not match %s", re)
		}
	}
}
