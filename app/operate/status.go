package operate

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Row is the status of one transfer.
type Row struct {
	Name          string `json:"name"`
	Region        string `json:"region"`
	SourceAccount string `json:"sourceAccount"`
	Deployed      bool   `json:"deployed"`
	// Unknown: whether the transfer is deployed could not be checked (no usable
	// credentials for its account, access denied); Error says why.
	Unknown bool   `json:"unknown,omitempty"`
	TaskArn string `json:"taskArn,omitempty"`
	// FoundBy is how the task was found: "tags" (the provider's tags for the
	// transfer's stack) or "name" (the only task of the name, without those tags).
	FoundBy string `json:"foundBy,omitempty"`
	// Warnings are what needs saying without making the row fail: other tasks of
	// the transfer's name.
	Warnings   []string `json:"warnings,omitempty"`
	TaskStatus string   `json:"taskStatus,omitempty"` // AVAILABLE CREATING QUEUED RUNNING UNAVAILABLE
	TaskMode   string   `json:"taskMode,omitempty"`
	// TaskError is DataSync's error on an UNAVAILABLE task.
	TaskError string `json:"taskError,omitempty"`
	// LastRun is the task's most recent execution; nil if it never ran.
	LastRun  *LastRun  `json:"lastRun,omitempty"`
	Schedule *Schedule `json:"schedule,omitempty"`
	// Error says why the row is incomplete (not deployed, wrong account, denied...).
	Error string `json:"error,omitempty"`
	Err   error  `json:"-"`
}

// LastRun is the latest execution of a task.
type LastRun struct {
	Progress
	DurationSeconds float64 `json:"durationSeconds"`
	// BytesPerSecond is the average write rate of the transfer phase.
	BytesPerSecond float64 `json:"bytesPerSecond"`
}

// Schedule is a task's schedule and its next run.
type Schedule struct {
	Expression string `json:"expression"`
	Status     string `json:"status"` // ENABLED or DISABLED
	// NextRun is the next scheduled start, UTC; zero when disabled or unknown.
	NextRun time.Time `json:"nextRun,omitzero"`
	// Estimated: rate() schedules count from when they were set, which DataSync
	// does not report exactly (see NextRun).
	Estimated      bool   `json:"nextRunEstimated,omitempty"`
	DisabledBy     string `json:"disabledBy,omitempty"` // USER or SERVICE
	DisabledReason string `json:"disabledReason,omitempty"`
	Problem        string `json:"problem,omitempty"`
}

// Status reads every transfer's task, its latest run and its schedule, in parallel
// per transfer; the rows keep the order of transfers.
func (s *Session) Status(ctx context.Context, transfers []spec.Transfer, now time.Time) []Row {
	rows := make([]Row, len(transfers))
	// list every account's and Region's tasks first: a Region where the
	// credentials' account has tasks tells the account for the Regions where it has
	// none
	var wg sync.WaitGroup
	seen := map[string]bool{}
	for _, t := range transfers {
		a, r := t.Source.Account, t.Destination.Region
		if key := s.credKey(a) + " " + r; !seen[key] {
			seen[key] = true
			wg.Go(func() { _, _ = s.listTasks(ctx, a, r) })
		}
	}
	wg.Wait()
	for i, t := range transfers {
		wg.Go(func() { rows[i] = s.status(ctx, t, now) })
	}
	wg.Wait()
	return rows
}

func (s *Session) status(ctx context.Context, t spec.Transfer, now time.Time) Row {
	row := Row{Name: t.Name, Region: t.Destination.Region, SourceAccount: t.Source.Account}
	fail := func(err error) Row {
		row.Err, row.Error = err, err.Error()
		if !strings.HasPrefix(row.Error, t.Name+":") {
			row.Error = t.Name + ": " + row.Error
		}
		row.Unknown = !row.Deployed && Unknown(err)
		return row
	}
	task, err := s.FindTask(ctx, t)
	if err != nil {
		return fail(err)
	}
	row.Deployed, row.TaskArn, row.FoundBy = true, task.Arn, task.FoundBy()
	row.Warnings = task.Warnings()
	d, err := s.Describe(ctx, task)
	if err != nil {
		return fail(err)
	}
	row.TaskStatus, row.TaskMode = string(d.Status), string(d.TaskMode)
	if d.Status == types.TaskStatusUnavailable {
		row.TaskError = aws.ToString(d.ErrorCode) + ": " + aws.ToString(d.ErrorDetail)
	}
	if sc := d.Schedule; sc != nil && aws.ToString(sc.ScheduleExpression) != "" {
		row.Schedule = schedule(d, now)
	}
	if arnStr := aws.ToString(d.CurrentTaskExecutionArn); arnStr != "" {
		e, err := ParseExecutionArn(arnStr)
		if err != nil {
			return fail(err)
		}
		p, err := s.Execution(ctx, e)
		if err != nil {
			return fail(err)
		}
		row.LastRun = &LastRun{Progress: p, DurationSeconds: p.Duration(now).Seconds(), BytesPerSecond: p.AverageRate(now)}
	}
	return row
}

// schedule reads a task's schedule and computes its next run.
func schedule(d *datasync.DescribeTaskOutput, now time.Time) *Schedule {
	sc := &Schedule{Expression: aws.ToString(d.Schedule.ScheduleExpression), Status: string(d.Schedule.Status)}
	if sc.Status == "" {
		sc.Status = string(types.ScheduleStatusEnabled)
	}
	anchor := aws.ToTime(d.CreationTime)
	if det := d.ScheduleDetails; det != nil {
		sc.DisabledBy, sc.DisabledReason = string(det.DisabledBy), aws.ToString(det.DisabledReason)
		if det.StatusUpdateTime != nil {
			anchor = *det.StatusUpdateTime
		}
	}
	if sc.Status != string(types.ScheduleStatusEnabled) {
		return sc
	}
	next, estimated, err := NextRun(sc.Expression, anchor, now)
	if err != nil {
		sc.Problem = err.Error()
		return sc
	}
	sc.NextRun, sc.Estimated = next, estimated
	return sc
}
