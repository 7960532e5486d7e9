package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/internal/number"
)

// DataSyncAPI is the part of *datasync.Client the notifier calls.
type DataSyncAPI interface {
	DescribeTask(context.Context, *datasync.DescribeTaskInput, ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error)
	DescribeTaskExecution(context.Context, *datasync.DescribeTaskExecutionInput, ...func(*datasync.Options)) (*datasync.DescribeTaskExecutionOutput, error)
	ListTaskExecutions(context.Context, *datasync.ListTaskExecutionsInput, ...func(*datasync.Options)) (*datasync.ListTaskExecutionsOutput, error)
	ListTagsForResource(context.Context, *datasync.ListTagsForResourceInput, ...func(*datasync.Options)) (*datasync.ListTagsForResourceOutput, error)
	TagResource(context.Context, *datasync.TagResourceInput, ...func(*datasync.Options)) (*datasync.TagResourceOutput, error)
	ListTasks(context.Context, *datasync.ListTasksInput, ...func(*datasync.Options)) (*datasync.ListTasksOutput, error)
}

// Kind is what a notification is about.
type Kind string

// The kinds of notification.
const (
	Failed           Kind = "failed"            // an execution ended ERROR
	Incomplete       Kind = "incomplete"        // SUCCESS, but objects failed or were skipped
	Succeeded        Kind = "succeeded"         // SUCCESS, nothing failed or skipped (monitoring.notifySuccess)
	ScheduleDisabled Kind = "schedule-disabled" // DataSync disabled the schedule (DisabledBy SERVICE)
	Stalled          Kind = "stalled"           // a running execution made no progress for StallAfter
	Overdue          Kind = "overdue"           // a scheduled task has no success within twice its interval
)

// Config is what the notifier knows of its transfer (the function's environment).
type Config struct {
	// Transfer is the transfer's name.
	Transfer string
	// TaskArn is the transfer's task.
	TaskArn string
	// Route describes source and destination, e.g. "s3://a/p (us-east-1) -> s3://b (us-west-2, account 222222222222)".
	Route string
	// TaskLogGroup is the task's log group ("" when logLevel is OFF).
	TaskLogGroup string
	// StallAfter is how long a running execution may make no progress.
	StallAfter time.Duration
	// NotifySuccess also sends clean successes.
	NotifySuccess bool
	// Partition is the task's partition ("aws" when empty).
	Partition string
}

// Notification is one message.
type Notification struct {
	Kind    Kind
	Subject string // at most 99 characters (SNS: "less than 100"), the e-mail subject
	Body    string
	// sent records, after the notification was published, that it need not be sent
	// again (a tag); nil when nothing is recorded.
	sent func(context.Context) error
}

// Notifier handles the events of one transfer.
type Notifier struct {
	Config
	DataSync DataSyncAPI
	// Publish sends a notification to every topic.
	Publish func(ctx context.Context, n Notification) error
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Tags the notifier keeps on the task and its executions: its only state.
const (
	tagPrefix         = "datasync-transfers:"
	TagProgress       = tagPrefix + "progress"          // execution: "<fingerprint> <unix seconds first seen>"
	TagStallNotified  = tagPrefix + "stall-notified"    // execution: the fingerprint notified as stalled
	TagDisabledNotice = tagPrefix + "disabled-notified" // task: ScheduleDetails.StatusUpdateTime notified
	TagOverdueNotice  = tagPrefix + "overdue-notified"  // task: the last success (or "none") notified as overdue
	TagLastSuccess    = tagPrefix + "last-success"      // task: "<unix start> <execution ID>" of the newest successful run
)

// event is the part of an EventBridge event the notifier reads.
type event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Handle processes one EventBridge event: a task execution state change of this
// transfer's task, or the periodic check. It returns what it sent.
func (n *Notifier) Handle(ctx context.Context, raw json.RawMessage) ([]Notification, error) {
	var e event
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("event is not EventBridge JSON: %w", err)
	}
	var out []Notification
	var err error
	switch {
	case e.Source == "aws.datasync" && e.DetailType == "DataSync Task Execution State Change":
		if len(e.Resources) == 0 || !strings.HasPrefix(e.Resources[0], n.TaskArn+"/execution/") {
			return nil, fmt.Errorf("execution event for %v, not an execution of %s", e.Resources, n.TaskArn)
		}
		out, err = n.execution(ctx, e.Resources[0])
	case e.Source == "aws.events" && e.DetailType == "Scheduled Event":
		out, err = n.check(ctx)
	default:
		return nil, fmt.Errorf("unexpected event: source %q, detail-type %q", e.Source, e.DetailType)
	}
	// What was said is recorded only after it was published: a failed publish fails
	// the invocation, and the retry (or the next check) finds it still unsaid.
	for _, m := range out {
		log.Printf("notification %s: %s\n%s", m.Kind, m.Subject, m.Body)
		if perr := n.Publish(ctx, m); perr != nil {
			err = errors.Join(err, fmt.Errorf("publishing %s notification: %w", m.Kind, perr))
			continue
		}
		if m.sent != nil {
			if serr := m.sent(ctx); serr != nil {
				err = errors.Join(err, fmt.Errorf("recording the %s notification as sent: %w", m.Kind, serr))
			}
		}
	}
	return out, err
}

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now().UTC()
	}
	return time.Now().UTC()
}

// execution reports how a finished execution ended.
func (n *Notifier) execution(ctx context.Context, arn string) ([]Notification, error) {
	d, err := n.DataSync.DescribeTaskExecution(ctx, &datasync.DescribeTaskExecutionInput{TaskExecutionArn: &arn})
	if err != nil {
		return nil, fmt.Errorf("DescribeTaskExecution %s: %w", arn, err)
	}
	kind, what := outcome(d)
	var tagErr error
	if d.Status == dstypes.TaskExecutionStatusSuccess && d.StartTime != nil {
		// The check counts overdue runs from here without listing the executions.
		tagErr = n.tag(ctx, n.TaskArn, TagLastSuccess, fmt.Sprintf("%d %s", d.StartTime.Unix(), arn[strings.LastIndex(arn, "/")+1:]))
	}
	if kind == "" || kind == Succeeded && !n.NotifySuccess {
		log.Printf("execution %s is %s: %s; nothing to notify", arn, d.Status, what)
		return nil, tagErr
	}
	return []Notification{{Kind: kind, Subject: subject(n.Transfer, what), Body: n.render(kind, what, arn, d, "")}}, tagErr
}

// outcome classifies a finished execution; "" while it runs.
func outcome(d *datasync.DescribeTaskExecutionOutput) (Kind, string) {
	switch d.Status {
	case dstypes.TaskExecutionStatusError:
		code := ""
		if d.Result != nil && d.Result.ErrorCode != nil {
			code = " (" + *d.Result.ErrorCode + ")"
		}
		return Failed, "execution ended in ERROR" + code
	case dstypes.TaskExecutionStatusSuccess:
		failed, skipped := failedCount(d), d.FilesSkipped
		var problems []string
		if failed > 0 {
			problems = append(problems, plural(failed, "object")+" failed")
		}
		if skipped > 0 {
			problems = append(problems, plural(skipped, "object")+" skipped")
		}
		if d.ReportResult != nil && d.ReportResult.Status == dstypes.PhaseStatusError {
			problems = append(problems, "the task report is incomplete")
		}
		if len(problems) > 0 {
			return Incomplete, "execution ended SUCCESS, but " + strings.Join(problems, ", ")
		}
		return Succeeded, "execution ended SUCCESS"
	}
	return "", "still " + string(d.Status)
}

// failedCount is the sum of ENHANCED's per-phase failure counters (files and folders);
// BASIC reports none.
func failedCount(d *datasync.DescribeTaskExecutionOutput) int64 {
	var n int64
	if f := d.FilesFailed; f != nil {
		n += f.Prepare + f.Transfer + f.Verify + f.Delete
	}
	if f := d.FoldersFailed; f != nil {
		n += f.List + f.Prepare + f.Transfer + f.Verify + f.Delete
	}
	return n
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return group(n) + " " + noun + "s"
}

// group writes n with thousands separators.
func group(n int64) string { return number.Group(n) }

// bytes writes a byte count readably, with the exact count.
func bytes(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	if n < 1024 {
		return plural(n, "byte")
	}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < len(units)-1 {
		v, u = v/1024, u+1
	}
	return fmt.Sprintf("%.1f %s (%s bytes)", v, units[u], group(n))
}

// check looks at the task: a schedule the service disabled, a stalled execution, a
// scheduled task without a recent success.
func (n *Notifier) check(ctx context.Context) ([]Notification, error) {
	task, err := n.DataSync.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: &n.TaskArn})
	if err != nil {
		return nil, fmt.Errorf("DescribeTask %s: %w", n.TaskArn, err)
	}
	tags, err := n.tags(ctx, n.TaskArn)
	if err != nil {
		return nil, err
	}
	var out []Notification
	var errs []error
	if m, err := n.checkSchedule(ctx, task, tags); err != nil {
		errs = append(errs, err)
	} else if m != nil {
		out = append(out, *m)
	}
	list, err := n.DataSync.ListTaskExecutions(ctx, &datasync.ListTaskExecutionsInput{TaskArn: &n.TaskArn})
	if err != nil {
		return out, errors.Join(append(errs, fmt.Errorf("ListTaskExecutions %s: %w", n.TaskArn, err))...)
	}
	execs := list.TaskExecutions
	for list.NextToken != nil {
		list, err = n.DataSync.ListTaskExecutions(ctx, &datasync.ListTaskExecutionsInput{TaskArn: &n.TaskArn, NextToken: list.NextToken})
		if err != nil {
			return out, errors.Join(append(errs, fmt.Errorf("ListTaskExecutions %s: %w", n.TaskArn, err))...)
		}
		execs = append(execs, list.TaskExecutions...)
	}
	for _, e := range execs {
		if running(e.Status) {
			if m, err := n.checkProgress(ctx, aws.ToString(e.TaskExecutionArn)); err != nil {
				errs = append(errs, err)
			} else if m != nil {
				out = append(out, *m)
			}
		}
	}
	if m, err := n.checkOverdue(ctx, task, tags, execs); err != nil {
		errs = append(errs, err)
	} else if m != nil {
		out = append(out, *m)
	}
	return out, errors.Join(errs...)
}

func running(s dstypes.TaskExecutionStatus) bool {
	switch s {
	case dstypes.TaskExecutionStatusSuccess, dstypes.TaskExecutionStatusError, dstypes.TaskExecutionStatusQueued, "CANCELLING":
		return false
	}
	return true
}

func (n *Notifier) tags(ctx context.Context, arn string) (map[string]string, error) {
	out := map[string]string{}
	in := &datasync.ListTagsForResourceInput{ResourceArn: &arn}
	for {
		res, err := n.DataSync.ListTagsForResource(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ListTagsForResource %s: %w", arn, err)
		}
		for _, t := range res.Tags {
			out[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if res.NextToken == nil {
			return out, nil
		}
		in.NextToken = res.NextToken
	}
}

func (n *Notifier) tag(ctx context.Context, arn string, kv ...string) error {
	in := &datasync.TagResourceInput{ResourceArn: &arn}
	for i := 0; i+1 < len(kv); i += 2 {
		in.Tags = append(in.Tags, dstypes.TagListEntry{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	if _, err := n.DataSync.TagResource(ctx, in); err != nil {
		return fmt.Errorf("TagResource %s: %w", arn, err)
	}
	return nil
}

// checkSchedule notices a schedule DataSync disabled after repeated failures
// (TaskScheduleDetails.DisabledBy SERVICE, in DescribeTask; DataSync sends no event
// for it), once per disabling.
func (n *Notifier) checkSchedule(ctx context.Context, task *datasync.DescribeTaskOutput, tags map[string]string) (*Notification, error) {
	d := task.ScheduleDetails
	if task.Schedule == nil || task.Schedule.Status != dstypes.ScheduleStatusDisabled || d == nil || d.DisabledBy != dstypes.ScheduleDisabledByService {
		return nil, nil
	}
	when := "unknown"
	if d.StatusUpdateTime != nil {
		when = strconv.FormatInt(d.StatusUpdateTime.Unix(), 10)
	}
	if tags[TagDisabledNotice] == when {
		return nil, nil
	}
	what := "DataSync disabled the schedule after repeated failures"
	var b strings.Builder
	n.header(&b, what)
	fmt.Fprintf(&b, "Schedule:   %s, status DISABLED, disabled by SERVICE", aws.ToString(task.Schedule.ScheduleExpression))
	if d.StatusUpdateTime != nil {
		fmt.Fprintf(&b, " at %s", stamp(*d.StatusUpdateTime))
	}
	fmt.Fprintf(&b, "\nReason:     %s\n", aws.ToString(d.DisabledReason))
	b.WriteString("\nNo scheduled run starts until the schedule is enabled again. Fix the cause (see the reason and\n" +
		"the last failed execution), then re-enable it: aws datasync update-task --task-arn " + n.TaskArn +
		" --schedule ScheduleExpression='" + aws.ToString(task.Schedule.ScheduleExpression) + "',Status=ENABLED\n")
	n.links(&b, "")
	return &Notification{Kind: ScheduleDisabled, Subject: subject(n.Transfer, what), Body: b.String(),
		sent: func(ctx context.Context) error { return n.tag(ctx, n.TaskArn, TagDisabledNotice, when) }}, nil
}

// checkProgress notices a running execution whose counters and phase have not
// changed for StallAfter, once per stall. What it saw is kept as a tag on the
// execution.
func (n *Notifier) checkProgress(ctx context.Context, arn string) (*Notification, error) {
	d, err := n.DataSync.DescribeTaskExecution(ctx, &datasync.DescribeTaskExecutionInput{TaskExecutionArn: &arn})
	if err != nil {
		return nil, fmt.Errorf("DescribeTaskExecution %s: %w", arn, err)
	}
	if !running(d.Status) {
		return nil, nil
	}
	tags, err := n.tags(ctx, arn)
	if err != nil {
		return nil, err
	}
	now := n.now()
	fp := fingerprint(d)
	seen, since := parseProgress(tags[TagProgress])
	if seen != fp {
		return nil, n.tag(ctx, arn, TagProgress, fmt.Sprintf("%s %d", fp, now.Unix()))
	}
	idle := now.Sub(since)
	if idle < n.StallAfter || tags[TagStallNotified] == fp {
		return nil, nil
	}
	what := fmt.Sprintf("execution made no progress for %s (%s)", idle.Round(time.Minute), d.Status)
	body := n.render(Stalled, what, arn, d, fmt.Sprintf("No counter and no phase changed since %s (threshold: monitoring.stallMinutes = %d).\n"+
		"The run may be waiting on throttled S3 requests or a very large listing, or be stuck: check its logs.\n"+
		"To cancel it: aws datasync cancel-task-execution --task-execution-arn %s\n", stamp(since), int(n.StallAfter/time.Minute), arn))
	return &Notification{Kind: Stalled, Subject: subject(n.Transfer, what), Body: body,
		sent: func(ctx context.Context) error { return n.tag(ctx, arn, TagStallNotified, fp) }}, nil
}

// fingerprint is the execution's phase and every progress counter, as a tag value.
func fingerprint(d *datasync.DescribeTaskExecutionOutput) string {
	parts := []string{string(d.Status)}
	for _, v := range []int64{d.BytesTransferred, d.BytesWritten, d.FilesTransferred, d.FilesVerified, d.FilesSkipped, d.FilesDeleted, d.FilesPrepared, failedCount(d)} {
		parts = append(parts, strconv.FormatInt(v, 10))
	}
	if l := d.FilesListed; l != nil {
		parts = append(parts, strconv.FormatInt(l.AtSource, 10), strconv.FormatInt(l.AtDestinationForDelete, 10))
	}
	return strings.Join(parts, ".")
}

func parseProgress(v string) (string, time.Time) {
	fp, sec, ok := strings.Cut(v, " ")
	if !ok {
		return "", time.Time{}
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return "", time.Time{}
	}
	return fp, time.Unix(s, 0).UTC()
}

// checkOverdue notices a scheduled task without a successful run within twice its
// schedule's interval (counted from the last success, or from the task's creation),
// once per last success.
func (n *Notifier) checkOverdue(ctx context.Context, task *datasync.DescribeTaskOutput, tags map[string]string, execs []dstypes.TaskExecutionListEntry) (*Notification, error) {
	// A schedule that is off runs nothing: disabled by DataSync it has its own
	// notification, disabled by a user it is meant to be.
	if task.Schedule == nil || task.Schedule.ScheduleExpression == nil || task.Schedule.Status != dstypes.ScheduleStatusEnabled {
		return nil, nil
	}
	expr := *task.Schedule.ScheduleExpression
	since, baseline, lastArn, err := n.lastSuccess(ctx, task, tags, execs)
	if err != nil {
		return nil, err
	}
	interval, err := scheduleInterval(expr, since)
	if err != nil {
		return nil, err
	}
	now := n.now()
	if since.IsZero() || now.Sub(since) < 2*interval || tags[TagOverdueNotice] == baseline {
		return nil, nil
	}
	what := "no successful run for " + days(now.Sub(since))
	var b strings.Builder
	n.header(&b, what)
	fmt.Fprintf(&b, "Schedule:   %s: one run every %s, so a success was due by %s\n",
		expr, interval, stamp(since.Add(2*interval)))
	if lastArn != "" {
		fmt.Fprintf(&b, "Last success: %s, started %s\n", lastArn, stamp(since))
	} else {
		fmt.Fprintf(&b, "Last success: none since the task was created (%s)\n", stamp(since))
	}
	if current := aws.ToString(task.CurrentTaskExecutionArn); current != "" {
		for _, e := range execs {
			if aws.ToString(e.TaskExecutionArn) == current {
				fmt.Fprintf(&b, "Latest run: %s, %s\n", current, e.Status)
			}
		}
	}
	b.WriteString("\nScheduled runs fail, or are skipped (a run still going when the next is due).\n")
	n.links(&b, "")
	return &Notification{Kind: Overdue, Subject: subject(n.Transfer, what), Body: b.String(),
		sent: func(ctx context.Context) error { return n.tag(ctx, n.TaskArn, TagOverdueNotice, baseline) }}, nil
}

// successScan is how many successful executions from each end of ListTaskExecutions'
// list (whose order the API does not specify) the check describes when the task has
// no last-success tag yet.
const successScan = 5

// lastSuccess is when the newest successful run started, its execution ID as the
// baseline of the overdue notice and its ARN ("none", "" and the task's creation
// when it never succeeded): from the task's last-success tag, which every SUCCESS
// event sets, else from the executions.
func (n *Notifier) lastSuccess(ctx context.Context, task *datasync.DescribeTaskOutput, tags map[string]string, execs []dstypes.TaskExecutionListEntry) (time.Time, string, string, error) {
	if sec, id, ok := strings.Cut(tags[TagLastSuccess], " "); ok {
		if s, err := strconv.ParseInt(sec, 10, 64); err == nil {
			return time.Unix(s, 0).UTC(), id, n.TaskArn + "/execution/" + id, nil
		}
	}
	var successes []string
	for _, e := range execs {
		if e.Status == dstypes.TaskExecutionStatusSuccess {
			successes = append(successes, aws.ToString(e.TaskExecutionArn))
		}
	}
	if len(successes) > 2*successScan {
		successes = append(successes[:successScan], successes[len(successes)-successScan:]...)
	}
	since, baseline, lastArn := aws.ToTime(task.CreationTime), "none", ""
	var newest time.Time
	for _, arn := range successes {
		d, err := n.DataSync.DescribeTaskExecution(ctx, &datasync.DescribeTaskExecutionInput{TaskExecutionArn: &arn})
		if err != nil {
			return time.Time{}, "", "", fmt.Errorf("DescribeTaskExecution %s: %w", arn, err)
		}
		if d.StartTime != nil && d.StartTime.After(newest) {
			newest, lastArn = *d.StartTime, arn
		}
	}
	if lastArn != "" {
		since, baseline = newest, lastArn[strings.LastIndex(lastArn, "/")+1:]
	}
	return since, baseline, lastArn, nil
}

// scheduleInterval is the time between the two scheduled runs that follow from.
func scheduleInterval(expr string, from time.Time) (time.Duration, error) {
	first, _, err := operate.NextRun(expr, from, from)
	if err != nil {
		return 0, err
	}
	second, _, err := operate.NextRun(expr, from, first)
	if err != nil {
		return 0, err
	}
	return second.Sub(first), nil
}

func days(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// maxSubject is the longest subject SNS accepts: "Subjects must be UTF-8 text with
// no line breaks or control characters, and less than 100 characters long" (SNS API
// reference, Publish); a longer one fails the whole Publish with InvalidParameter.
const maxSubject = 99

// subject is the notification's subject, cut to maxSubject characters; line breaks
// and control characters (say, in an error code) become spaces.
func subject(transfer, what string) string {
	r := []rune(strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, "DataSync "+transfer+": "+what))
	if len(r) > maxSubject {
		r = append(r[:maxSubject-3], []rune("...")...)
	}
	return string(r)
}

func (n *Notifier) header(b *strings.Builder, what string) {
	fmt.Fprintf(b, "DataSync transfer %s: %s.\n\n", n.Transfer, what)
	fmt.Fprintf(b, "Transfer:   %s, %s\n", n.Transfer, n.Route)
	fmt.Fprintf(b, "Task:       %s\n", n.TaskArn)
}

// render is the body of an execution's notification; note, if any, goes before the
// links.
func (n *Notifier) render(kind Kind, what, arn string, d *datasync.DescribeTaskExecutionOutput, note string) string {
	var b strings.Builder
	n.header(&b, what)
	fmt.Fprintf(&b, "Execution:  %s\n", arn)
	fmt.Fprintf(&b, "Status:     %s (task mode %s)", d.Status, d.TaskMode)
	if d.StartTime != nil {
		fmt.Fprintf(&b, ", started %s", stamp(*d.StartTime))
	}
	if d.EndTime != nil && d.StartTime != nil {
		fmt.Fprintf(&b, ", ended %s after %s", stamp(*d.EndTime), d.EndTime.Sub(*d.StartTime).Round(time.Second))
	}
	b.WriteString("\n\nCounters")
	if d.TaskMode == dstypes.TaskModeEnhanced {
		b.WriteString(" (ENHANCED: objects; DescribeTaskExecution)\n")
		if l := d.FilesListed; l != nil {
			row(&b, "listed at source", group(l.AtSource))
		}
		row(&b, "prepared", group(d.FilesPrepared))
	} else {
		b.WriteString(" (BASIC: files, objects and folders; DescribeTaskExecution)\n")
		row(&b, "expected", fmt.Sprintf("%s, %s", group(d.EstimatedFilesToTransfer), bytes(d.EstimatedBytesToTransfer)))
	}
	row(&b, "transferred", group(d.FilesTransferred))
	row(&b, "bytes written", bytes(d.BytesWritten))
	row(&b, "bytes sent", bytes(d.BytesTransferred))
	row(&b, "verified", group(d.FilesVerified))
	row(&b, "skipped", group(d.FilesSkipped))
	if f := d.FilesFailed; f != nil {
		row(&b, "failed", fmt.Sprintf("%s (prepare %s, transfer %s, verify %s, delete %s)",
			group(f.Prepare+f.Transfer+f.Verify+f.Delete), group(f.Prepare), group(f.Transfer), group(f.Verify), group(f.Delete)))
	} else {
		row(&b, "failed", "not counted in BASIC mode: see the task's logs")
	}
	if f := d.FoldersFailed; f != nil && failedCount(d) > 0 {
		row(&b, "folders failed", group(f.List+f.Prepare+f.Transfer+f.Verify+f.Delete))
	}
	row(&b, "deleted", group(d.FilesDeleted))
	b.WriteString("\n")
	if r := d.Result; r != nil {
		if r.ErrorCode != nil || r.ErrorDetail != nil {
			fmt.Fprintf(&b, "Error code:   %s\nError detail: %s\n", aws.ToString(r.ErrorCode), aws.ToString(r.ErrorDetail))
		}
		var phases []string
		for _, p := range []struct {
			name string
			s    dstypes.PhaseStatus
		}{{"prepare", r.PrepareStatus}, {"transfer", r.TransferStatus}, {"verify", r.VerifyStatus}} {
			if p.s != "" {
				phases = append(phases, p.name+" "+string(p.s))
			}
		}
		if len(phases) > 0 {
			fmt.Fprintf(&b, "Phases:       %s\n", strings.Join(phases, ", "))
		}
	}
	if r := d.ReportResult; r != nil && r.Status != "" {
		fmt.Fprintf(&b, "Task report:  %s", r.Status)
		if r.ErrorCode != nil {
			fmt.Fprintf(&b, " (%s: %s)", aws.ToString(r.ErrorCode), aws.ToString(r.ErrorDetail))
		}
		b.WriteString("\n")
	}
	if kind == Incomplete {
		paragraph(&b)
		b.WriteString("DataSync counts the run as SUCCESS although not every object arrived. The task report and the\n" +
			"logs name the objects; re-run the task (transfer mode CHANGED copies only what is missing).\n")
	}
	if note != "" {
		paragraph(&b)
		b.WriteString(note)
	}
	n.links(&b, arn)
	return b.String()
}

// paragraph starts a new paragraph: a blank line unless there is one.
func paragraph(b *strings.Builder) {
	if !strings.HasSuffix(b.String(), "\n\n") {
		b.WriteString("\n")
	}
}

func row(b *strings.Builder, name, value string) { fmt.Fprintf(b, "  %-16s %s\n", name, value) }

// links adds the console links of the execution (or the task) and its logs.
func (n *Notifier) links(b *strings.Builder, execArn string) {
	region, taskID := regionOf(n.TaskArn), n.TaskArn[strings.LastIndex(n.TaskArn, "/")+1:]
	host := spec.ConsoleHost(n.partition(), region)
	paragraph(b)
	b.WriteString("Links:\n")
	if execArn != "" {
		execID := execArn[strings.LastIndex(execArn, "/")+1:]
		fmt.Fprintf(b, "  Execution: https://%s/datasync/home?region=%s#/history/%s/%s\n", host, region, taskID, execID)
		if n.TaskLogGroup != "" {
			fmt.Fprintf(b, "  Logs:      %s\n", logsURL(host, region, n.TaskLogGroup, execID))
		}
	}
	fmt.Fprintf(b, "  Task:      https://%s/datasync/home?region=%s#/tasks/%s\n", host, region, taskID)
	if execArn == "" && n.TaskLogGroup != "" {
		fmt.Fprintf(b, "  Logs:      %s\n", logsURL(host, region, n.TaskLogGroup, ""))
	}
}

func (n *Notifier) partition() string {
	if n.Partition == "" {
		return "aws"
	}
	return n.Partition
}

// regionOf is the Region of a DataSync ARN.
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// logsURL opens a log group's events in the CloudWatch console, filtered by a term
// when there is one (the console's fragment encoding: URL-escaped, with '%' written
// as '$25').
func logsURL(host, region, group, term string) string {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "%", "$25") }
	u := fmt.Sprintf("https://%s/cloudwatch/home?region=%s#logsV2:log-groups/log-group/%s/log-events", host, region, enc(group))
	if term != "" {
		u += "$3FfilterPattern$3D" + enc(`"`+term+`"`)
	}
	return u
}
