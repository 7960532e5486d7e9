package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/operate"
)

func newStart(f *flags) *cobra.Command {
	var watch, plain bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "start NAME...",
		Short: "Start one run of each named transfer and print its execution ARN",
		Long: `start starts one execution of each named transfer's task (StartTaskExecution) and
prints its ARN. A task runs one execution at a time: a run started while another is
going is QUEUED until it ends. With --watch it then follows the runs as watch does,
with the same exit status.`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			ctx := cmd.Context()
			// find every task before starting any, so that a typo or a missing
			// deployment starts nothing
			s, tasks, err := findTasks(ctx, f, names)
			if err != nil {
				return err
			}
			var targets []target
			for _, task := range tasks {
				arn, err := s.Start(ctx, task)
				if err != nil {
					return err
				}
				fmt.Fprintf(f.stdout, "%s: started %s\n", task.Transfer.Name, arn)
				e, err := operate.ParseExecutionArn(arn)
				if err != nil {
					return err
				}
				targets = append(targets, target{name: task.Transfer.Name, exec: e})
			}
			if !watch {
				return nil
			}
			return follow(ctx, f, s, targets, interval, plain)
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "follow the runs until they end, as watch does")
	cmd.Flags().BoolVar(&plain, "plain", false, "with --watch: one line per change even in a terminal")
	addInterval(cmd, &interval)
	return cmd
}
