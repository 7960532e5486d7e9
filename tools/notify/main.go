// Command notify runs a transfer's notifier (constructs/monitor) on this machine: it
// reads one EventBridge event (a "DataSync Task Execution State Change", or a
// "Scheduled Event" for the periodic check) from a file or stdin, handles it with the
// credentials and Region of the AWS environment, and prints each notification it
// would send. With -topic it also publishes them. A check writes the notifier's state
// tags on the task and its running executions, as the deployed notifier does.
//
//	go run ./tools/notify -transfer media-archive -task-arn arn:aws:datasync:... event.json
//
// Exit status: 0 handled, 1 the event could not be handled, 2 bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/s3transfer/cdk-datasync/constructs/monitor"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("notify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := monitor.Config{}
	var stall int
	var topics string
	fs.StringVar(&c.Transfer, "transfer", "", "the transfer's name (required)")
	fs.StringVar(&c.TaskArn, "task-arn", "", "the transfer's task ARN (required)")
	fs.StringVar(&c.Route, "route", "", "how the notifications describe source and destination")
	fs.StringVar(&c.TaskLogGroup, "log-group", "/aws/datasync", `the task's log group ("" for none)`)
	fs.IntVar(&stall, "stall-minutes", spec.DefaultStallMinutes, "minutes without progress before a running execution is stalled")
	fs.BoolVar(&c.NotifySuccess, "notify-success", false, "also notify clean successes")
	fs.StringVar(&topics, "topic", "", "comma-separated SNS topic ARNs to publish to (default: print only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var problems []string
	if c.Transfer == "" {
		problems = append(problems, "-transfer is required")
	}
	if !strings.HasPrefix(c.TaskArn, "arn:") || !strings.Contains(c.TaskArn, ":task/") {
		problems = append(problems, fmt.Sprintf("-task-arn %q is not a DataSync task ARN (arn:<partition>:datasync:<region>:<account>:task/task-...)", c.TaskArn))
	}
	if stall < spec.MinStallMinutes || stall > spec.MaxStallMinutes {
		problems = append(problems, fmt.Sprintf("-stall-minutes %d is not %d to %d", stall, spec.MinStallMinutes, spec.MaxStallMinutes))
	}
	if fs.NArg() > 1 {
		problems = append(problems, fmt.Sprintf("one event file at most, got %d", fs.NArg()))
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr, "notify: "+strings.Join(problems, "\nnotify: "))
		return 2
	}
	c.StallAfter = time.Duration(stall) * time.Minute
	c.Partition = strings.Split(c.TaskArn, ":")[1]
	in := stdin
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, "notify:", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(in)
	if err != nil || !json.Valid(raw) {
		fmt.Fprintf(stderr, "notify: the event is not JSON (%v)\n", err)
		return 2
	}
	region := strings.Split(c.TaskArn, ":")[3]
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		fmt.Fprintln(stderr, "notify: AWS configuration:", err)
		return 1
	}
	var topicArns []string
	for _, t := range strings.Split(topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			topicArns = append(topicArns, t)
		}
	}
	publish := monitor.SNSPublisher(sns.NewFromConfig(cfg), topicArns)
	n := &monitor.Notifier{
		Config:   c,
		DataSync: datasync.NewFromConfig(cfg),
		Publish: func(ctx context.Context, m monitor.Notification) error {
			fmt.Fprintf(stdout, "== %s\nSubject: %s\n\n%s\n", m.Kind, m.Subject, m.Body)
			return publish(ctx, m)
		},
	}
	sent, err := n.Handle(ctx, raw)
	if len(sent) == 0 && err == nil {
		fmt.Fprintln(stderr, "notify: nothing to notify")
	}
	if err != nil {
		var errs interface{ Unwrap() []error }
		if errors.As(err, &errs) {
			for _, e := range errs.Unwrap() {
				fmt.Fprintln(stderr, "notify:", e)
			}
		} else {
			fmt.Fprintln(stderr, "notify:", err)
		}
		return 1
	}
	return 0
}
