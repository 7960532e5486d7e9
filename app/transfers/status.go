package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

func newStatus(f *flags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [NAME...]",
		Short: "One row per transfer: deployed, task status, last run, next scheduled run",
		Long: `status reads every transfer of the config file (or those named): whether its task is deployed, the
task's status, its last run (result, start, duration, files and bytes written, average
rate of the transfer phase) and the next scheduled run. Times are UTC. A next run marked
~ is estimated: a rate() schedule counts from when it was set, which DataSync does not
report exactly. A transfer whose account has no usable credentials (or that the
credentials may not read) shows as unknown, with the reason: it is not known whether it
is deployed.
Then the console links of the transfers' dashboards; with --json they are in
"dashboards" ({"name", "url", "transfers"}).

Exit status 0 when every transfer could be read (deployed or not), 1 otherwise.`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, names []string) error {
			transfers, err := f.selected(names)
			if err != nil {
				return err
			}
			s, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			rows := s.Status(cmd.Context(), transfers, time.Now())
			if asJSON {
				enc := json.NewEncoder(f.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"transfers": rows, "dashboards": spec.Dashboards(transfers)}); err != nil {
					return err
				}
			} else {
				printStatus(f.stdout, rows)
				printDashboards(f.stdout, transfers)
			}
			for _, r := range rows {
				var notDeployed *operate.NotDeployedError
				if r.Err != nil && !errors.As(r.Err, &notDeployed) {
					return exitError{exitFailed}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts ({\"transfers\": [...]}, one object per transfer)")
	return cmd
}

const stamp = "2006-01-02 15:04"

// printStatus prints the table, then what needs saying about single rows.
func printStatus(w io.Writer, rows []operate.Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRANSFER\tREGION\tTASK\tLAST RUN\tSTARTED (UTC)\tTOOK\tFILES\tWRITTEN\tRATE\tNEXT RUN (UTC)")
	var notes []string
	estimated := false
	for _, r := range rows {
		task, last, started, took, files, written, rate, next := "-", "-", "-", "-", "-", "-", "-", "-"
		switch {
		case r.Err != nil && !r.Deployed:
			var notDeployed *operate.NotDeployedError
			switch {
			case errors.As(r.Err, &notDeployed):
				task = "not deployed"
			case r.Unknown:
				task = "unknown"
			default:
				task = "?"
			}
			notes = append(notes, r.Error)
		case r.Err != nil:
			task = r.TaskStatus
			notes = append(notes, r.Error)
		default:
			task = r.TaskStatus
			if r.TaskError != "" {
				notes = append(notes, fmt.Sprintf("%s: task %s: %s", r.Name, r.TaskStatus, r.TaskError))
			}
		}
		notes = append(notes, r.Warnings...)
		if run := r.LastRun; run != nil {
			last = run.Status
			if !run.Start.IsZero() {
				started = run.Start.UTC().Format(stamp)
			}
			took = duration(time.Duration(run.DurationSeconds * float64(time.Second)))
			files = count(run.FilesTransferred)
			written = size(run.BytesWritten)
			if run.BytesPerSecond > 0 {
				rate = size(int64(run.BytesPerSecond)) + "/s"
			}
			if run.Status == "ERROR" {
				notes = append(notes, fmt.Sprintf("%s: last run %s: %s", r.Name, run.ErrorCode, run.ErrorDetail))
			}
		} else if r.Deployed {
			last = "never ran"
		}
		if sc := r.Schedule; sc != nil {
			switch {
			case sc.Status != "ENABLED":
				next = "disabled"
				if sc.DisabledBy != "" {
					next += " by " + sc.DisabledBy
					notes = append(notes, fmt.Sprintf("%s: schedule %s disabled by %s: %s", r.Name, sc.Expression, sc.DisabledBy, sc.DisabledReason))
				}
			case sc.Problem != "":
				next = "?"
				notes = append(notes, fmt.Sprintf("%s: %s", r.Name, sc.Problem))
			default:
				next = sc.NextRun.UTC().Format(stamp)
				if sc.Estimated {
					next += "~"
					estimated = true
				}
			}
			next += "  " + sc.Expression
		} else if r.Deployed {
			next = "no schedule"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Region, task, last, started, took, files, written, rate, next)
	}
	_ = tw.Flush()
	if estimated {
		fmt.Fprintln(w, "~ estimated: a rate() schedule counts from when it was set, which DataSync does not report exactly")
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.Join(notes, "\n"))
	}
}
