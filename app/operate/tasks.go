package operate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Task is a transfer's DataSync task.
type Task struct {
	Transfer spec.Transfer
	Arn      string
	Region   string
}

// FindTask finds t's task by its name in t's destination Region, and checks that the
// credentials are for t's source account.
func (s *Session) FindTask(ctx context.Context, t spec.Transfer) (*Task, error) {
	region := t.Destination.Region
	entries, err := s.listTasks(ctx, region)
	if err != nil {
		return nil, s.explain(err, "ListTasks", region, &t)
	}
	account := s.callerAccount()
	if account != "" && account != t.Source.Account {
		return nil, &WrongAccountError{Transfer: t, Account: account, Profile: s.profile}
	}
	var found []string
	for _, e := range entries {
		if aws.ToString(e.Name) == t.TaskName() {
			found = append(found, aws.ToString(e.TaskArn))
		}
	}
	switch len(found) {
	case 0:
		return nil, &NotDeployedError{Transfer: t, Account: account}
	case 1:
		return &Task{Transfer: t, Arn: found[0], Region: region}, nil
	}
	return nil, &AmbiguousError{Transfer: t, Arns: found}
}

// callerAccount is the credentials' account: from the ARNs of the tasks listed so
// far (in any Region: the credentials are the same), else as the credentials'
// provider said; "" when neither tells.
func (s *Session) callerAccount() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.tasks {
		if !rt.done.Load() {
			continue
		}
		for _, e := range rt.entries {
			if a, err := arn.Parse(aws.ToString(e.TaskArn)); err == nil {
				return a.AccountID
			}
		}
	}
	return s.account
}

// Describe is DescribeTask of the task.
func (s *Session) Describe(ctx context.Context, task *Task) (*datasync.DescribeTaskOutput, error) {
	out, err := s.client(task.Region).DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(task.Arn)})
	if err != nil {
		return nil, s.explain(err, "DescribeTask", task.Region, &task.Transfer)
	}
	return out, nil
}

// Start starts one execution of the task and returns its ARN.
func (s *Session) Start(ctx context.Context, task *Task) (string, error) {
	out, err := s.client(task.Region).StartTaskExecution(ctx, &datasync.StartTaskExecutionInput{TaskArn: aws.String(task.Arn)})
	if err != nil {
		return "", s.explain(err, "StartTaskExecution", task.Region, &task.Transfer)
	}
	return aws.ToString(out.TaskExecutionArn), nil
}

// running is whether an execution in status st has not ended.
func running(st types.TaskExecutionStatus) bool {
	return st != types.TaskExecutionStatusSuccess && st != types.TaskExecutionStatusError
}

// ExecutionToWatch is the task's running execution, else its latest: the task's
// current (most recent) execution, unless that one waits in the queue behind a
// running one (ListTaskExecutions finds that one then).
func (s *Session) ExecutionToWatch(ctx context.Context, task *Task) (string, error) {
	d, err := s.Describe(ctx, task)
	if err != nil {
		return "", err
	}
	current := aws.ToString(d.CurrentTaskExecutionArn)
	if current == "" {
		return "", fmt.Errorf("%s: the task has never run: start a run with `transfers start %s`", task.Transfer.Name, task.Transfer.Name)
	}
	e, err := ParseExecutionArn(current)
	if err != nil {
		return "", err
	}
	p, err := s.Execution(ctx, e)
	if err != nil {
		return "", err
	}
	if p.Status != string(types.TaskExecutionStatusQueued) {
		return current, nil
	}
	pages := datasync.NewListTaskExecutionsPaginator(s.client(task.Region), &datasync.ListTaskExecutionsInput{TaskArn: aws.String(task.Arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", s.explain(err, "ListTaskExecutions", task.Region, &task.Transfer)
		}
		for _, e := range page.TaskExecutions {
			if running(e.Status) && e.Status != types.TaskExecutionStatusQueued {
				return aws.ToString(e.TaskExecutionArn), nil
			}
		}
	}
	return current, nil
}

// ExecutionArn is a parsed task execution ARN.
type ExecutionArn struct {
	Arn, TaskArn, Region, Account string
}

// ParseExecutionArn reads arn:PARTITION:datasync:REGION:ACCOUNT:task/TASK/execution/EXEC.
func ParseExecutionArn(s string) (ExecutionArn, error) {
	a, err := arn.Parse(s)
	task, _, ok := strings.Cut(a.Resource, "/execution/")
	if err != nil || a.Service != "datasync" || !ok || !strings.HasPrefix(task, "task/") {
		return ExecutionArn{}, fmt.Errorf("%q is not a DataSync task execution ARN (arn:aws:datasync:REGION:ACCOUNT:task/task-ID/execution/exec-ID)", s)
	}
	taskArn := strings.TrimSuffix(s, strings.TrimPrefix(a.Resource, task))
	return ExecutionArn{Arn: s, TaskArn: taskArn, Region: a.Region, Account: a.AccountID}, nil
}

// TaskName is the name of the task an execution belongs to (DescribeTask).
func (s *Session) TaskName(ctx context.Context, e ExecutionArn) (string, error) {
	out, err := s.client(e.Region).DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(e.TaskArn)})
	if err != nil {
		return "", s.explainExecution(err, "DescribeTask", e)
	}
	return aws.ToString(out.Name), nil
}

// explainExecution explains an error about an execution given by ARN: a "does not
// exist" from DataSync for an ARN of another account is an account mix-up.
func (s *Session) explainExecution(err error, op string, e ExecutionArn) error {
	err = s.explain(err, op, e.Region, nil)
	if s.account != "" && s.account != e.Account {
		return fmt.Errorf("%w. The execution is in account %s and these credentials are for account %s: use %s",
			err, e.Account, s.account, profileHint(e.Account))
	}
	if strings.Contains(err.Error(), "does not exist") {
		return fmt.Errorf("%w. Check the ARN, and that the credentials are for account %s (%s)", err, e.Account, profileHint(e.Account))
	}
	return err
}
