package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Widget is the live table of the shared dashboard of a source account and Region: a
// CloudWatch custom widget (the dashboard invokes the function on every view and
// shows the HTML it returns). One row per transfer: the task's state, its schedule,
// the last run's outcome and counters (per task mode), and links to the transfer's
// own view.
type Widget struct {
	DataSync DataSyncAPI
	// Region and Partition of the tasks.
	Region, Partition string
	// Transfers are the transfers whose source stack is in this account and Region.
	Transfers []monres.WidgetTransfer
}

// widgetConcurrency is how many transfers' rows the widget reads at once.
const widgetConcurrency = 8

// IsWidgetEvent reports whether an invocation comes from a dashboard's custom widget.
func IsWidgetEvent(raw json.RawMessage) bool {
	var e struct {
		Describe      bool            `json:"describe"`
		WidgetContext json.RawMessage `json:"widgetContext"`
	}
	return json.Unmarshal(raw, &e) == nil && (e.Describe || len(e.WidgetContext) > 0)
}

// Render returns the widget's HTML (or, for a "describe" call, its documentation).
func (w *Widget) Render(ctx context.Context, raw json.RawMessage) (string, error) {
	var e struct {
		Describe bool `json:"describe"`
	}
	_ = json.Unmarshal(raw, &e)
	if e.Describe {
		return "Lists the DataSync transfers of this account and Region: task state, schedule, last run and its counters.", nil
	}
	byName := map[string]dstypes.TaskListEntry{}
	in := &datasync.ListTasksInput{}
	for {
		out, err := w.DataSync.ListTasks(ctx, in)
		if err != nil {
			return "", fmt.Errorf("ListTasks: %w", err)
		}
		for _, t := range out.Tasks {
			byName[aws.ToString(t.Name)] = t
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	host := spec.ConsoleHost(w.Partition, w.Region)
	var b strings.Builder
	b.WriteString(`<table class="cwdb-no-default-styles" style="width:100%;border-collapse:collapse"><tr>` +
		`<th align="left">Transfer</th><th align="left">Task</th><th align="left">Schedule</th><th align="left">Last run</th>` +
		`<th align="left">Counters of the last run</th><th align="left">View</th></tr>`)
	// Rows are read concurrently (two DataSync reads each), at most
	// widgetConcurrency at a time: one after another, the 400 reads of 200
	// transfers leave 75 ms each within the function's 30 seconds.
	rows := make([][]string, len(w.Transfers))
	sem := make(chan struct{}, widgetConcurrency)
	var wg sync.WaitGroup
	for i, t := range w.Transfers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i] = w.row(ctx, t, byName, host)
		}()
	}
	wg.Wait()
	for _, cells := range rows {
		b.WriteString("<tr>")
		for _, c := range cells {
			b.WriteString(`<td style="vertical-align:top;padding:2px 8px 2px 0">` + c + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String(), nil
}

// row is the cells of one transfer; an error of one transfer stays in its row.
func (w *Widget) row(ctx context.Context, t monres.WidgetTransfer, byName map[string]dstypes.TaskListEntry, host string) []string {
	name := "<b>" + html.EscapeString(t.Name) + "</b><br>" + html.EscapeString(t.Route)
	entry, ok := byName[t.Name]
	if !ok {
		return []string{name, "not deployed", "", "", "", ""}
	}
	arn := aws.ToString(entry.TaskArn)
	taskID := arn[strings.LastIndex(arn, "/")+1:]
	view := fmt.Sprintf(`<a href="https://%s/datasync/home?region=%s#/tasks/%s">task</a>`, host, w.Region, taskID)
	if t.Dashboard != "" {
		view = fmt.Sprintf(`<a href="https://%s/cloudwatch/home?region=%s#dashboards/dashboard/%s">dashboard</a> · `, host, w.Region, html.EscapeString(t.Dashboard)) + view
	}
	task, err := w.DataSync.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: &arn})
	if err != nil {
		return []string{name, "? " + html.EscapeString(err.Error()), "", "", "", view}
	}
	state := fmt.Sprintf("%s (%s)", task.Status, task.TaskMode)
	schedule := "by hand"
	if s := task.Schedule; s != nil && s.ScheduleExpression != nil {
		schedule = html.EscapeString(*s.ScheduleExpression) + " " + string(s.Status)
		if d := task.ScheduleDetails; d != nil && d.DisabledBy != "" {
			schedule += fmt.Sprintf(` <span style="color:#d13212">disabled by %s</span>`, d.DisabledBy)
		}
	}
	// The task's current execution is its most recent one.
	execArn := aws.ToString(task.CurrentTaskExecutionArn)
	if execArn == "" {
		return []string{name, state, schedule, "never run", "", view}
	}
	d, err := w.DataSync.DescribeTaskExecution(ctx, &datasync.DescribeTaskExecutionInput{TaskExecutionArn: &execArn})
	if err != nil {
		return []string{name, state, schedule, "? " + html.EscapeString(err.Error()), "", view}
	}
	kind, what := outcome(d)
	color := map[Kind]string{Failed: "#d13212", Incomplete: "#ff9900", Succeeded: "#1d8102"}[kind]
	last := fmt.Sprintf(`<span style="color:%s">%s</span>`, color, html.EscapeString(what))
	if d.StartTime != nil {
		last += "<br>started " + stamp(*d.StartTime)
	}
	counters := fmt.Sprintf("%s transferred, %s written, %s verified, %s skipped",
		group(d.FilesTransferred), bytesShort(d.BytesWritten), group(d.FilesVerified), group(d.FilesSkipped))
	if d.TaskMode == dstypes.TaskModeEnhanced {
		listed := int64(0)
		if d.FilesListed != nil {
			listed = d.FilesListed.AtSource
		}
		counters = fmt.Sprintf("%s listed, %s prepared, ", group(listed), group(d.FilesPrepared)) + counters +
			fmt.Sprintf(", %s failed", group(failedCount(d)))
	}
	execID := execArn[strings.LastIndex(execArn, "/")+1:]
	view += fmt.Sprintf(` · <a href="https://%s/datasync/home?region=%s#/history/%s/%s">last run</a>`, host, w.Region, taskID, execID)
	return []string{name, state, schedule, last, counters, view}
}

func bytesShort(n int64) string {
	s := bytes(n)
	if i := strings.Index(s, " ("); i > 0 {
		return s[:i]
	}
	return s
}
