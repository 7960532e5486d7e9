package operate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
)

// ScheduleChange is what SetSchedule found and did.
type ScheduleChange struct {
	Transfer string `json:"transfer"`
	TaskArn  string `json:"taskArn"`
	// Expression is the task's schedule, "" when it has none (nothing starts it
	// but a person).
	Expression string `json:"expression,omitempty"`
	// Before and After are the schedule's status (ENABLED or DISABLED) before and
	// after; both "" without a schedule.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// DisabledBy is who disabled the schedule before (USER or SERVICE), if it was.
	DisabledBy string `json:"disabledBy,omitempty"`
}

// Changed is whether the call changed the schedule.
func (c ScheduleChange) Changed() bool { return c.Before != c.After }

// SetSchedule sets the status of the task's schedule (DataSync's
// TaskSchedule.Status: DISABLED pauses it, ENABLED resumes it) with UpdateTask,
// keeping its expression (UpdateTask's TaskSchedule requires it). A task without a
// schedule and a schedule already in that status are left alone.
func (s *Session) SetSchedule(ctx context.Context, task *Task, status types.ScheduleStatus) (ScheduleChange, error) {
	c := ScheduleChange{Transfer: task.Transfer.Name, TaskArn: task.Arn}
	d, err := s.Describe(ctx, task)
	if err != nil {
		return c, err
	}
	if d.Schedule == nil || aws.ToString(d.Schedule.ScheduleExpression) == "" {
		return c, nil
	}
	c.Expression = aws.ToString(d.Schedule.ScheduleExpression)
	c.Before = string(d.Schedule.Status)
	if c.Before == "" {
		c.Before = string(types.ScheduleStatusEnabled)
	}
	if det := d.ScheduleDetails; det != nil && c.Before == string(types.ScheduleStatusDisabled) {
		c.DisabledBy = string(det.DisabledBy)
	}
	c.After = c.Before
	if c.Before == string(status) {
		return c, nil
	}
	client, err := s.client(ctx, task.Account, task.Region)
	if err != nil {
		return c, err
	}
	_, err = client.UpdateTask(ctx, &datasync.UpdateTaskInput{TaskArn: aws.String(task.Arn),
		Schedule: &types.TaskSchedule{ScheduleExpression: aws.String(c.Expression), Status: status}})
	if err != nil {
		return c, s.explain(err, "UpdateTask", task.Account, task.Region, &task.Transfer, task.Arn)
	}
	c.After = string(status)
	return c, nil
}
