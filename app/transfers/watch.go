package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/operate"
)

func newWatch(f *flags) *cobra.Command {
	var interval time.Duration
	var plain bool
	cmd := &cobra.Command{
		Use:   "watch NAME|EXECUTION_ARN...",
		Short: "Follow a run until it ends: phase, files and bytes against DataSync's estimates, rate, time left",
		Long: `watch follows the running execution of each named transfer (or else its latest), or
the execution whose ARN is given, until it ends. In a terminal it shows the phase
(QUEUED, LAUNCHING, PREPARING, TRANSFERRING, VERIFYING), progress bars of files and
bytes written against DataSync's estimates, the write rate and the time left, and the
counters of the task's mode (ENHANCED: listed, prepared, verified, failed; BASIC:
skipped, verified, deleted). Without a terminal (or with --plain) it prints one line
per change.

Exit status 0 when every run ends in SUCCESS; 1 when one ends in ERROR (DataSync's
error code and detail are printed); 130 on Ctrl-C, which stops watching only: the run
goes on in DataSync.`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			ctx := cmd.Context()
			s, err := f.session(ctx)
			if err != nil {
				return err
			}
			var targets []target
			for _, arg := range names {
				t, err := resolve(ctx, f, s, arg)
				if err != nil {
					return err
				}
				targets = append(targets, t)
			}
			return follow(ctx, f, s, targets, interval, plain)
		},
	}
	addInterval(cmd, &interval)
	cmd.Flags().BoolVar(&plain, "plain", false, "print one line per change even in a terminal")
	return cmd
}

// resolve finds the execution to watch for a transfer name or an execution ARN.
func resolve(ctx context.Context, f *flags, s *operate.Session, arg string) (target, error) {
	if strings.HasPrefix(arg, "arn:") {
		e, err := operate.ParseExecutionArn(arg)
		if err != nil {
			return target{}, usageError{err}
		}
		name, err := s.TaskName(ctx, e)
		return target{name: name, exec: e}, err
	}
	cfg, err := f.load()
	if err != nil {
		return target{}, err
	}
	picked, err := pick(cfg, []string{arg}, f.config)
	if err != nil {
		return target{}, err
	}
	task, err := s.FindTask(ctx, picked[0])
	if err != nil {
		return target{}, err
	}
	f.warn(task.Warnings())
	arn, err := s.ExecutionToWatch(ctx, task)
	if err != nil {
		return target{}, err
	}
	e, err := operate.ParseExecutionArn(arn)
	return target{name: picked[0].Name, exec: e}, err
}

// target is one run to follow.
type target struct {
	name string
	exec operate.ExecutionArn
}

// view is what is known of one followed run; renderers read it.
type view struct {
	mu   sync.Mutex
	t    target
	p    operate.Progress
	seen bool
	rate *operate.Rate
}

func (v *view) set(p operate.Progress, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.p, v.seen = p, true
	v.rate.Add(now, p.BytesWritten)
}

// get returns the latest progress and the recent write rate.
func (v *view) get() (operate.Progress, float64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.p, v.rate.BytesPerSecond(), v.seen
}

// renderer shows the followed runs.
type renderer interface {
	add(v *view)
	update(v *view)
	end(v *view)
	wait()
}

// isTerminal says whether w is a terminal that can redraw bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd()) && os.Getenv("TERM") != "dumb"
}

// follow watches the runs until each ends, or ctx ends (Ctrl-C).
func follow(ctx context.Context, f *flags, s *operate.Session, targets []target, interval time.Duration, plain bool) error {
	runs := followRuns(ctx, f, s, targets, interval, plain)
	if ctx.Err() != nil {
		stoppedWatching(f, runs)
		return exitError{exitInterrupted}
	}
	if !reportRuns(f, runs) {
		return exitError{exitFailed}
	}
	return nil
}

// followed is one followed run, as it was last seen.
type followed struct {
	t    target
	p    operate.Progress
	seen bool
	err  error
}

// followRuns shows the runs until each ends, or ctx ends (Ctrl-C), and returns
// what was last seen of each.
func followRuns(ctx context.Context, f *flags, s *operate.Session, targets []target, interval time.Duration, plain bool) []followed {
	var r renderer
	if !plain && isTerminal(f.stdout) {
		r = newBars(f.stdout)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			// the terminal echoes Ctrl-C as ^C where the cursor is: back to the
			// line's start, so that the bars are redrawn where they were
			select {
			case <-ctx.Done():
				fmt.Fprint(f.stdout, "\r")
			case <-stop:
			}
		}()
	} else {
		r = newLines(f.stdout)
	}
	views := make([]*view, len(targets))
	for i, t := range targets {
		views[i] = &view{t: t, rate: operate.NewRate(time.Minute)}
		r.add(views[i])
	}
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, v := range views {
		wg.Go(func() {
			_, errs[i] = s.Follow(ctx, v.t.exec, interval, func(p operate.Progress) {
				v.set(p, time.Now())
				r.update(v)
			})
			r.end(v)
		})
	}
	wg.Wait()
	r.wait()
	runs := make([]followed, len(views))
	for i, v := range views {
		p, _, seen := v.get()
		runs[i] = followed{t: v.t, p: p, seen: seen, err: errs[i]}
	}
	return runs
}

// stoppedWatching says, after Ctrl-C, that the runs go on and how to follow them.
func stoppedWatching(f *flags, runs []followed) {
	for _, r := range runs {
		if !r.seen || !r.p.Done() {
			fmt.Fprintf(f.stdout, "Stopped watching %s: its run %s goes on in DataSync. Follow it again with:\n  transfers watch %s\n",
				r.t.name, path.Base(r.t.exec.Arn), r.t.exec.Arn)
		}
	}
}

// reportRuns prints each ended run's summary (or why it could not be followed) and
// says whether all succeeded.
func reportRuns(f *flags, runs []followed) bool {
	ok := true
	for _, r := range runs {
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			fmt.Fprintf(f.stderr, "transfers: %s: %v\n", r.t.name, r.err)
			ok = false
			continue
		}
		fmt.Fprintln(f.stdout, summary(r.t.name, r.p))
		if !r.p.Succeeded() {
			ok = false
		}
	}
	return ok
}

// phases are the steps of a run, in order.
var phases = []string{"QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING"}

// phaseLine shows where the run is: the steps done ticked, the current one in
// capitals; once the run has ended, each step as DataSync's result reports it
// (✗ for the step that failed; no mark for a step that did not run).
func phaseLine(p operate.Progress) string {
	if p.Status == "CANCELLING" {
		return "[CANCELLING]"
	}
	marks := make([]string, len(phases))
	if p.Done() {
		ran := false
		for i, st := range []string{p.VerifyStatus, p.TransferStatus, p.PrepareStatus} {
			switch st {
			case "SUCCESS":
				marks[4-i], ran = " ✓", true
			case "ERROR":
				marks[4-i], ran = " ✗", true
			}
		}
		marks[0], marks[1] = " ✓", " ✓"
		if !ran && !p.Succeeded() {
			marks[1] = " ✗" // it failed before preparing
		}
	}
	parts := make([]string, len(phases))
	for i, ph := range phases {
		switch {
		case p.Done():
			parts[i] = strings.ToLower(ph) + marks[i]
		case ph == p.Status:
			parts[i] = "[" + ph + "]"
		case slices.Index(phases, p.Status) > i:
			parts[i] = strings.ToLower(ph) + " ✓"
		default:
			parts[i] = strings.ToLower(ph)
		}
	}
	line := strings.Join(parts, " › ")
	if p.Done() {
		line += " › " + p.Status
	}
	return line
}

// filesText is files transferred against the estimate.
func filesText(p operate.Progress) string {
	total := p.FilesTotal()
	if total == 0 {
		return count(p.FilesTransferred) + " / estimating…"
	}
	return fmt.Sprintf("%s / %s", count(p.FilesTransferred), count(total))
}

// bytesText is bytes written against the estimate.
func bytesText(p operate.Progress) string {
	if p.EstimatedBytes == 0 {
		return size(p.BytesWritten) + " / estimating…"
	}
	return fmt.Sprintf("%s / %s", size(p.BytesWritten), size(p.EstimatedBytes))
}

// speedText is the recent rate and the time left at it.
func speedText(p operate.Progress, bps float64) string {
	if p.Done() {
		if r := p.AverageRate(time.Now()); r > 0 {
			return "average " + rate(r)
		}
		return ""
	}
	if bps <= 0 {
		return ""
	}
	s := rate(bps)
	if left, ok := operate.TimeLeft(p, bps); ok {
		s += " · " + duration(left) + " left"
	}
	return s
}

// modeText is the counters of the task's mode.
func modeText(p operate.Progress) string {
	if e := p.Enhanced; e != nil {
		return fmt.Sprintf("ENHANCED: listed %s · prepared %s · skipped %s · verified %s · failed %s",
			count(e.Listed), count(e.Prepared), count(p.FilesSkipped), count(p.FilesVerified), count(e.Failed()))
	}
	s := fmt.Sprintf("BASIC: skipped %s · verified %s", count(p.FilesSkipped), count(p.FilesVerified))
	if p.EstimatedDeletes > 0 || p.FilesDeleted > 0 {
		s += fmt.Sprintf(" · deleted %s of %s", count(p.FilesDeleted), count(p.EstimatedDeletes))
	}
	return s
}

// summary is the line printed when a run has ended.
func summary(name string, p operate.Progress) string {
	took := duration(p.Duration(time.Now()))
	if p.Succeeded() {
		s := fmt.Sprintf("%s: SUCCESS in %s: %s files, %s written", name, took, count(p.FilesTransferred), size(p.BytesWritten))
		if r := p.AverageRate(time.Now()); r > 0 {
			s += " at " + rate(r)
		}
		s += fmt.Sprintf("; %s verified, %s skipped", count(p.FilesVerified), count(p.FilesSkipped))
		if e := p.Enhanced; e != nil && e.Failed() > 0 {
			s += fmt.Sprintf("; %s failed (prepare %d, transfer %d, verify %d, delete %d)",
				count(e.Failed()), e.FailedPrepare, e.FailedTransfer, e.FailedVerify, e.FailedDelete)
		}
		return s
	}
	s := fmt.Sprintf("%s: %s after %s: %s of %s files, %s of %s written", name, p.Status, took,
		count(p.FilesTransferred), count(p.FilesTotal()), size(p.BytesWritten), size(p.EstimatedBytes))
	if p.ErrorCode != "" || p.ErrorDetail != "" {
		s += fmt.Sprintf("\n  DataSync error %s: %s", p.ErrorCode, p.ErrorDetail)
	}
	return s
}
