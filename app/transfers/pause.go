package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/operate"
)

func newPause(f *flags) *cobra.Command {
	return scheduleCommand(f, "pause", types.ScheduleStatusDisabled,
		"Pause the schedule of each named transfer, so that no scheduled run starts",
		`pause disables the schedule of each named transfer's task (DataSync's schedule status,
UpdateTask), so that no scheduled run starts until `+"`transfers resume`"+`. A run already going
goes on; runs started by hand (transfers start) still start. A task without a schedule,
or with its schedule already paused, is left as it is, and says so.

Every task is found before any schedule changes. A deploy keeps a paused schedule paused,
also when it changes the schedule expression; only resume enables it again.

Exit status 0 when every schedule is paused (or there is none), 1 otherwise.`)
}

func newResume(f *flags) *cobra.Command {
	return scheduleCommand(f, "resume", types.ScheduleStatusEnabled,
		"Resume the schedule of each named transfer",
		`resume enables the schedule of each named transfer's task again (DataSync's schedule
status, UpdateTask), paused by `+"`transfers pause`"+` or `+"`transfers cutover`"+`, or disabled by DataSync
after repeated failures (fix the cause first: the next run would fail the same way). A
task without a schedule, or with its schedule enabled, is left as it is, and says so.

Exit status 0 when every schedule is enabled (or there is none), 1 otherwise.`)
}

func scheduleCommand(f *flags, verb string, status types.ScheduleStatus, short, long string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   verb + " NAME...",
		Short: short,
		Long:  long,
		Args:  args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			ctx := cmd.Context()
			s, tasks, err := findTasks(ctx, f, names)
			if err != nil {
				return err
			}
			var changes []operate.ScheduleChange
			var failed error
			for _, task := range tasks {
				c, err := s.SetSchedule(ctx, task, status)
				if err != nil {
					fmt.Fprintln(f.stderr, "transfers:", err)
					failed = exitError{exitFailed}
					continue
				}
				changes = append(changes, c)
				if !asJSON {
					fmt.Fprintln(f.stdout, scheduleText(c))
				}
			}
			if asJSON {
				if err := writeJSON(f.stdout, map[string]any{"schedules": changes}); err != nil {
					return err
				}
			}
			return failed
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON for scripts ({"schedules": [{"transfer", "taskArn", "expression", "before", "after", "disabledBy"}]})`)
	return cmd
}

// findTasks opens the session and finds the task of every named transfer, before
// anything changes: a typo or a transfer not deployed changes nothing.
func findTasks(ctx context.Context, f *flags, names []string) (*operate.Session, []*operate.Task, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, nil, err
	}
	picked, err := pick(cfg, names, f.config)
	if err != nil {
		return nil, nil, err
	}
	s, err := f.session(ctx)
	if err != nil {
		return nil, nil, err
	}
	tasks := make([]*operate.Task, len(picked))
	for i, t := range picked {
		if tasks[i], err = s.FindTask(ctx, t); err != nil {
			return nil, nil, err
		}
		f.warn(tasks[i].Warnings())
	}
	return s, tasks, nil
}

// scheduleText says what became of a schedule.
func scheduleText(c operate.ScheduleChange) string {
	name := c.Transfer
	switch {
	case c.Expression == "":
		return fmt.Sprintf("%s: the task has no schedule: only `transfers start` runs it", name)
	case c.After == string(types.ScheduleStatusDisabled) && c.Changed():
		return fmt.Sprintf("%s: schedule %s paused: no scheduled run starts until `transfers resume %s`", name, c.Expression, name)
	case c.After == string(types.ScheduleStatusDisabled):
		by := ""
		if c.DisabledBy != "" {
			by = " (disabled by " + c.DisabledBy + ")"
		}
		return fmt.Sprintf("%s: schedule %s was already paused%s: no scheduled run starts until `transfers resume %s`", name, c.Expression, by, name)
	case c.Changed():
		return fmt.Sprintf("%s: schedule %s resumed", name, c.Expression)
	}
	return fmt.Sprintf("%s: schedule %s was already enabled", name, c.Expression)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
