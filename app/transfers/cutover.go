package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/app/verify"
)

// cutoverFlags are cutover's own options.
type cutoverFlags struct {
	rerunGaps, plain, asJSON bool
	out                      string
	interval                 time.Duration
	verify                   verifyFlags
}

func newCutover(f *flags) *cobra.Command {
	c := &cutoverFlags{}
	cmd := &cobra.Command{
		Use:   "cutover NAME...",
		Short: "Pause the schedule, run the final transfer, verify every object, re-run the gaps once, and write a sign-off record",
		Long: `cutover is the last step of a migration, once writes at the source have stopped. For
each named transfer it:

  1. pauses the task's schedule (DataSync's schedule status), so that no scheduled run
     starts mid-cutover;
  2. starts the final execution and follows it, as watch does;
  3. verifies the destination against the source, as verify does;
  4. with --rerun-gaps, when something is missing or differs: starts one execution
     limited to those keys (as verify --rerun), follows it, and verifies again;
  5. writes a sign-off record: DIR/cutover-NAME-TIME.json (--out, default the current
     directory) and a summary on stdout: the transfer, its locations, the executions
     and their results, the verify counts and bytes per class, start and end times,
     and who ran it (STS GetCallerIdentity of each account's credentials).

The schedule stays paused afterwards, and the summary says so: resume it with
` + "`transfers resume NAME`" + ` if the task should run again. Ctrl-C stops the cutover, not a
started execution: it goes on in DataSync, and the schedule stays paused.

Exit status 0 only when every transfer is verified clean; 1 otherwise; 2 for a bad
command line; 130 when Ctrl-C stopped it.`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			return runCutover(cmd.Context(), f, c, names)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&c.rerunGaps, "rerun-gaps", false, "re-run the missing and differing keys once, and verify again")
	fl.StringVar(&c.out, "out", ".", "directory of the sign-off records (cutover-NAME-TIME.json)")
	fl.BoolVar(&c.asJSON, "json", false, `print the sign-off records as JSON ({"cutovers": [...]}) instead of the summary`)
	fl.BoolVar(&c.plain, "plain", false, "one line per change even in a terminal")
	fl.BoolVar(&c.verify.checksums, "checksums", false, "verify: read both sides' stored checksums (HeadObject) where the listing cannot prove equality")
	fl.IntVar(&c.verify.partitions, "partitions", 16, "verify: partitions of the key space listed at once per side")
	addInterval(cmd, &c.interval)
	return cmd
}

// signOff is the record of one transfer's cutover.
type signOff struct {
	Transfer    string           `json:"transfer"`
	Source      listing.Location `json:"source"`
	Destination listing.Location `json:"destination"`
	TaskArn     string           `json:"taskArn"`
	// Schedule is the task's schedule as the cutover left it: paused.
	Schedule operate.ScheduleChange `json:"schedule"`
	// Executions are the final run and the re-run of the gaps, in order.
	Executions []execution `json:"executions"`
	// Verifications are after the final run and after the re-run, in order.
	Verifications []*verify.Result `json:"verifications"`
	// Rerun is how the gaps were re-run, nil when they were not.
	Rerun *operate.Rerun `json:"rerun,omitempty"`
	// Identities are who made the calls for each account.
	Identities []identity `json:"identities"`
	Started    time.Time  `json:"started"`
	Ended      time.Time  `json:"ended"`
	// Result is VERIFIED_CLEAN or NOT_CLEAN; Clean is true for the first only.
	Result string   `json:"result"`
	Clean  bool     `json:"clean"`
	Notes  []string `json:"notes,omitempty"`
	// File is where the record was written.
	File string `json:"-"`
}

// execution is one run in a sign-off record.
type execution struct {
	Purpose string `json:"purpose"` // final or rerun
	operate.Progress
}

// identity is a caller identity, or why it is unknown.
type identity struct {
	operate.Identity
	Error string `json:"error,omitempty"`
}

// keptGaps is how many keys of missing and differing objects a record keeps per
// verification (the verify counts cover all; verify --out lists all).
const keptGaps = 100

// cutoverState is one transfer's cutover as it goes.
type cutoverState struct {
	task   *operate.Task
	record *signOff
	final  target
}

func runCutover(ctx context.Context, f *flags, c *cutoverFlags, names []string) error {
	if c.verify.partitions < 1 || c.verify.partitions > 1000 {
		return usageError{fmt.Errorf("--partitions %d: allowed 1 to 1000", c.verify.partitions)}
	}
	c.verify.pageSize, c.verify.every, c.verify.plain = 1000, 5*time.Second, c.plain
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return usageError{fmt.Errorf("--out %s: %w", c.out, err)}
	}
	// with --json, stdout holds the records only: what a person reads goes to stderr
	stdout := f.stdout
	if c.asJSON {
		human := *f
		human.stdout = f.stderr
		f = &human
	}
	// every task is found before anything changes
	s, tasks, err := findTasks(ctx, f, names)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(f.stdout, "Cutover interrupted before anything changed: no schedule was paused, no run started.")
			return exitError{exitInterrupted}
		}
		return err
	}
	states := make([]*cutoverState, len(tasks))
	for i, task := range tasks {
		t := task.Transfer
		states[i] = &cutoverState{task: task, record: &signOff{Transfer: t.Name, TaskArn: task.Arn,
			Source:      listing.Location{Account: t.Source.Account, Region: t.Source.Region, Bucket: t.Source.Bucket, Prefix: t.Source.Prefix},
			Destination: listing.Location{Account: t.Destination.Account, Region: t.Destination.Region, Bucket: t.Destination.Bucket, Prefix: t.Destination.Prefix},
			Started:     time.Now().UTC()}}
	}

	// 1. pause every schedule first: no scheduled run may start from here on
	failed := false
	for _, st := range states {
		ch, err := s.SetSchedule(ctx, st.task, types.ScheduleStatusDisabled)
		st.record.Schedule = ch
		if err != nil && ctx.Err() != nil {
			// Ctrl-C: the answer may be lost, not the change.
			fmt.Fprintf(f.stdout, "%s: Ctrl-C while its schedule was being paused: it may be paused; see `transfers status %s`\n",
				st.task.Transfer.Name, st.task.Transfer.Name)
			return interrupted(f, states, nil)
		}
		if err != nil {
			fmt.Fprintf(f.stderr, "transfers: %v\n", err)
			failed = true
			continue
		}
		fmt.Fprintln(f.stdout, scheduleText(ch))
	}
	if failed {
		fmt.Fprintln(f.stderr, "transfers: cutover stopped before any run started: a schedule could not be paused.")
		pausedNote(f, states)
		return exitError{exitFailed}
	}

	// 2. the final runs, followed together
	var targets []target
	for _, st := range states {
		arn, err := s.Start(ctx, st.task)
		if err != nil {
			interrupt := ctx.Err() != nil
			if interrupt {
				// Ctrl-C: DataSync may have started the run and the answer be lost.
				fmt.Fprintf(f.stdout, "%s: Ctrl-C while its final run was being started: it may have started and goes on in DataSync if so; "+
					"see `transfers status %s`\n", st.task.Transfer.Name, st.task.Transfer.Name)
			} else {
				fmt.Fprintf(f.stderr, "transfers: %v\n", err)
			}
			for _, started := range targets {
				fmt.Fprintf(f.stdout, "%s: its final run goes on in DataSync: transfers watch %s\n", started.name, started.exec.Arn)
			}
			if interrupt {
				return interrupted(f, states, nil)
			}
			pausedNote(f, states)
			return exitError{exitFailed}
		}
		e, err := operate.ParseExecutionArn(arn)
		if err != nil {
			return err
		}
		st.final = target{name: st.task.Transfer.Name, exec: e}
		targets = append(targets, st.final)
		fmt.Fprintf(f.stdout, "%s: final run started: %s\n", st.task.Transfer.Name, arn)
	}
	runs := followRuns(ctx, f, s, targets, c.interval, c.plain)
	if ctx.Err() != nil {
		return interrupted(f, states, runs)
	}
	reportRuns(f, runs)
	for i, st := range states {
		st.record.Executions = append(st.record.Executions, execution{Purpose: "final", Progress: runs[i].p})
	}

	// 3. and 4. verify, re-run the gaps once, verify again
	deps := verify.Deps{S3: s.S3, LastRun: lastRun(s)}
	verify.LimitMemory()
	allClean := true
	var records []*signOff
	for _, st := range states {
		if err := cutoverVerify(ctx, f, c, s, deps, st); err != nil {
			var exit exitError
			if errors.As(err, &exit) {
				return err
			}
			if ctx.Err() != nil {
				return interrupted(f, states, nil)
			}
			st.record.Notes = append(st.record.Notes, err.Error())
			fmt.Fprintf(f.stderr, "transfers: %v\n", err)
		}
		// 5. the sign-off record
		finish(ctx, s, st.record)
		path, err := writeRecord(c.out, st.record)
		if err != nil {
			return err
		}
		st.record.File = path
		records = append(records, st.record)
		allClean = allClean && st.record.Clean
	}
	if c.asJSON {
		if err := writeJSON(stdout, map[string]any{"cutovers": records}); err != nil {
			return err
		}
	} else {
		for _, r := range records {
			printSignOff(f, r)
		}
	}
	if !allClean {
		return exitError{exitFailed}
	}
	return nil
}

// cutoverVerify verifies one transfer, and with --rerun-gaps re-runs its gaps once
// and verifies again.
func cutoverVerify(ctx context.Context, f *flags, c *cutoverFlags, s *operate.Session, deps verify.Deps, st *cutoverState) error {
	t := st.task.Transfer
	var gaps *operate.Gaps
	if c.rerunGaps {
		var err error
		if gaps, err = operate.NewGaps(""); err != nil {
			return err
		}
		defer closeGaps(gaps)
	}
	res, err := verifyOne(ctx, f, &c.verify, deps, t, nil, gaps)
	if err != nil {
		return fmt.Errorf("%s: verify: %w", t.Name, err)
	}
	st.record.Verifications = append(st.record.Verifications, kept(res))
	printVerify(f.stdout, res)
	if res.Clean || gaps == nil {
		return nil
	}
	r, err := rerunGaps(ctx, f, f.stdout, s, t, res, gaps)
	if err != nil || r == nil {
		return err
	}
	st.record.Rerun = r
	e, err := operate.ParseExecutionArn(r.ExecutionArn)
	if err != nil {
		return err
	}
	runs := followRuns(ctx, f, s, []target{{name: t.Name, exec: e}}, c.interval, c.plain)
	if ctx.Err() != nil {
		return interrupted(f, []*cutoverState{st}, runs)
	}
	reportRuns(f, runs)
	st.record.Executions = append(st.record.Executions, execution{Purpose: "rerun", Progress: runs[0].p})
	res, err = verifyOne(ctx, f, &c.verify, deps, t, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: verify after the re-run: %w", t.Name, err)
	}
	st.record.Verifications = append(st.record.Verifications, kept(res))
	printVerify(f.stdout, res)
	return nil
}

// kept is a verify result with at most keptGaps keys.
func kept(r *verify.Result) *verify.Result {
	k := *r
	if len(k.Gaps) > keptGaps {
		k.Gaps, k.GapsTruncated = k.Gaps[:keptGaps], true
	}
	return &k
}

// finish sets a record's result, end and identities.
func finish(ctx context.Context, s *operate.Session, r *signOff) {
	r.Ended = time.Now().UTC()
	if n := len(r.Verifications); n > 0 && r.Verifications[n-1].Clean {
		r.Result, r.Clean = "VERIFIED_CLEAN", true
	} else {
		r.Result = "NOT_CLEAN"
	}
	seen := map[string]bool{}
	for _, account := range []string{r.Source.Account, r.Destination.Account} {
		if seen[account] || (!s.PerAccount() && len(seen) > 0) {
			continue // one credential chain: one identity
		}
		seen[account] = true
		id, err := s.CallerIdentity(ctx, account, r.Destination.Region)
		ident := identity{Identity: id}
		if err != nil {
			ident.Error = err.Error()
		}
		r.Identities = append(r.Identities, ident)
	}
}

// writeRecord writes a record as DIR/cutover-NAME-TIME.json (never over an earlier
// record: -2, -3... when that name is taken) and returns its path.
func writeRecord(dir string, r *signOff) (string, error) {
	base := filepath.Join(dir, fmt.Sprintf("cutover-%s-%s", r.Transfer, r.Started.Format("20060102T150405Z")))
	p := base + ".json"
	file, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	for n := 2; errors.Is(err, os.ErrExist); n++ {
		p = fmt.Sprintf("%s-%d.json", base, n)
		file, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("the sign-off record: %w", err)
	}
	if err := writeJSON(file, r); err != nil {
		file.Close()
		return "", fmt.Errorf("the sign-off record %s: %w", p, err)
	}
	return p, file.Close()
}

// printSignOff is the human summary of a record.
func printSignOff(f *flags, r *signOff) {
	w := f.stdout
	verdict := "VERIFIED CLEAN"
	if !r.Clean {
		verdict = "NOT CLEAN"
	}
	fmt.Fprintf(w, "\nCutover sign-off: %s: %s\n", r.Transfer, verdict)
	fmt.Fprintf(w, "  source       %s (account %s, %s)\n", r.Source, r.Source.Account, r.Source.Region)
	fmt.Fprintf(w, "  destination  %s (account %s, %s)\n", r.Destination, r.Destination.Account, r.Destination.Region)
	for _, e := range r.Executions {
		label := map[string]string{"final": "final run", "rerun": "re-run"}[e.Purpose]
		line := fmt.Sprintf("  %-12s %s %s: %s files, %s written", label, path.Base(e.Arn), e.Status, count(e.FilesTransferred), size(e.BytesWritten))
		if e.ErrorCode != "" {
			line += fmt.Sprintf(" (DataSync error %s: %s)", e.ErrorCode, e.ErrorDetail)
		}
		fmt.Fprintln(w, line)
	}
	if rr := r.Rerun; rr != nil {
		how := "Includes of exact paths"
		if rr.Method == "manifest" {
			how = "manifest " + rr.Manifest
		}
		fmt.Fprintf(w, "  %-12s %s objects (%s) by %s\n", "re-run gaps", count(rr.Objects), size(rr.Bytes), how)
	}
	for i, v := range r.Verifications {
		label := "verify"
		if i > 0 {
			label = "verify again"
		}
		var parts []string
		for _, c := range verify.Classes {
			k := v.Counts[c]
			parts = append(parts, fmt.Sprintf("%s %s (%s)", c, count(k.Objects), size(k.Bytes)))
		}
		fmt.Fprintf(w, "  %-12s %s\n", label, strings.Join(parts, " · "))
	}
	if n := len(r.Verifications); n > 0 {
		if k := r.Verifications[n-1].Counts[verify.Unsupported]; k.Objects > 0 {
			fmt.Fprintf(w, "  %-12s %s objects (%s) under keys DataSync cannot transfer are not at the destination: copy them another way (verify --out DIR lists them)\n",
				"not copied", count(k.Objects), size(k.Bytes))
		}
	}
	fmt.Fprintf(w, "  %-12s %s to %s\n", "time", r.Started.Format("2006-01-02 15:04:05Z"), r.Ended.Format("2006-01-02 15:04:05Z"))
	for _, id := range r.Identities {
		who := id.CallerArn
		if id.Error != "" {
			who = "unknown (" + id.Error + ")"
		}
		profile := ""
		if id.Profile != "" {
			profile = fmt.Sprintf(", profile %q", id.Profile)
		}
		fmt.Fprintf(w, "  %-12s %s (for account %s%s)\n", "by", who, id.Account, profile)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  %-12s %s\n", "note", n)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "schedule", stillPaused(r.Transfer, r.Schedule))
	fmt.Fprintf(w, "  %-12s %s\n", "record", r.File)
}

// stillPaused says that a schedule stays paused, and how to resume it.
func stillPaused(name string, c operate.ScheduleChange) string {
	if c.Expression == "" {
		return "the task has no schedule: nothing starts it but `transfers start`"
	}
	return fmt.Sprintf("%s stays paused: no scheduled run starts; resume it with `transfers resume %s` if the task should run again", c.Expression, name)
}

// pausedNote says, when a cutover stops early, which schedules it paused.
func pausedNote(f *flags, states []*cutoverState) {
	for _, st := range states {
		if c := st.record.Schedule; c.Expression != "" && c.After == string(types.ScheduleStatusDisabled) {
			fmt.Fprintf(f.stdout, "%s: schedule %s\n", st.task.Transfer.Name, stillPaused(st.task.Transfer.Name, c))
		}
	}
}

// interrupted is Ctrl-C during a cutover: started runs go on, schedules stay paused.
func interrupted(f *flags, states []*cutoverState, runs []followed) error {
	if runs != nil {
		stoppedWatching(f, runs)
	}
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = st.task.Transfer.Name
	}
	fmt.Fprintf(f.stdout, "Cutover of %s interrupted: no sign-off record was written; a started run goes on in DataSync.\n", strings.Join(names, ", "))
	pausedNote(f, states)
	return exitError{exitInterrupted}
}
