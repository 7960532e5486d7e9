// Package monitor is the notifier of a transfer's monitoring: a Lambda function
// (constructs/monitor/lambda, built like the provider) that DataSync's execution
// events and a periodic check invoke. It notices what DataSync does not report on
// its own (a run that ends SUCCESS with failed or skipped objects, a schedule the
// service disabled, a run without progress, a scheduled transfer without a recent
// success) and sends a plain-text notification for each to SNS topics.
//
// It is plain Go against SDK interfaces: tests drive it with the real DataSync
// client against app/operate/fakedatasync.
package monitor

import "slices"

// Work is a path of the notifier, by what invokes it.
type Work string

const (
	// ExecutionEvent handles "DataSync Task Execution State Change".
	ExecutionEvent Work = "execution-event"
	// Check is the periodic check (an EventBridge schedule).
	Check Work = "check"
	// DashboardWidget renders the shared dashboard's live table (a function of its own,
	// in the dashboard's stack).
	DashboardWidget Work = "widget"
)

// requiredActions are the IAM actions each path calls: the one table the
// notifier's role is built from. A test runs every path against the DataSync
// stand-in and a recording publisher and fails when a call is missing here or an
// entry here is never needed.
//
//   - DescribeTaskExecution: the counters per mode and the error of a run;
//   - DescribeTask: the schedule and its ScheduleDetails.DisabledBy;
//   - ListTaskExecutions: the running execution and the last successful run;
//   - ListTagsForResource, TagResource: the notifier keeps what it saw and what it
//     already said as tags on the task and the execution (no other state), and each
//     SUCCESS event tags the task with its start (the check's last success);
//   - sns:Publish: the notification.
var requiredActions = map[Work][]string{
	ExecutionEvent: {"datasync:DescribeTaskExecution", "datasync:TagResource", "sns:Publish"},
	Check: {
		"datasync:DescribeTask", "datasync:ListTaskExecutions", "datasync:DescribeTaskExecution",
		"datasync:ListTagsForResource", "datasync:TagResource", "sns:Publish",
	},
	DashboardWidget: {"datasync:ListTasks", "datasync:DescribeTask", "datasync:DescribeTaskExecution"},
}

// RequiredActions returns the IAM actions of the paths, sorted, without duplicates.
func RequiredActions(work ...Work) []string {
	var out []string
	for _, w := range work {
		out = append(out, requiredActions[w]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ActionResource says what an action of RequiredActions is granted on: "task" (the
// transfer's task and its executions), "topic" (the notification topics) or "*"
// (no resource-level permissions). Source: the Service Authorization Reference for
// DataSync (ListTaskExecutions supports no resource types) and SNS.
func ActionResource(action string) string {
	switch action {
	case "datasync:ListTaskExecutions", "datasync:ListTasks":
		return "*"
	case "sns:Publish":
		return "topic"
	}
	return "task"
}
