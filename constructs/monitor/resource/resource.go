// Package resource is what the transfer constructs share with the notifier (package
// monitor, its Lambda): the notifier's IAM action table, its environment variables and
// the widget's rows. It imports neither the AWS SDK nor aws-lambda-go, so that the
// constructs do not compile the notifier's runtime (test/deps_test.go).
package resource

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

// Environment variables of the notifier function.
const (
	EnvTransfer      = "TRANSFER_NAME"
	EnvTaskArn       = "TASK_ARN"
	EnvRoute         = "TRANSFER_ROUTE"
	EnvTaskLogGroup  = "TASK_LOG_GROUP"
	EnvStallMinutes  = "STALL_MINUTES"
	EnvNotifySuccess = "NOTIFY_SUCCESS"
	EnvPartition     = "PARTITION"
	EnvTopicArns     = "TOPIC_ARNS" // comma-separated
)

// WidgetTransfer is one row of the widget.
type WidgetTransfer struct {
	Name  string `json:"name"`
	Route string `json:"route"`
	// Dashboard is the transfer's own dashboard, "" without one.
	Dashboard string `json:"dashboard,omitempty"`
}

// EnvWidgetTransfers holds the widget's transfers as JSON; set, the function serves
// the widget.
const EnvWidgetTransfers = "WIDGET_TRANSFERS"
