package operate

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Task is a transfer's DataSync task.
type Task struct {
	Transfer spec.Transfer
	Arn      string
	Region   string
	// Account is the account the task is in: the transfer's source account.
	Account string
	// Tagged is whether the provider's tags name the transfer's stack and the task's
	// logical ID; false when the task was found by its name alone.
	Tagged bool
	// Others are other tasks of the transfer's name that are not the one found, for
	// a warning.
	Others []string
}

// FoundBy says how the task was found: "tags" or "name".
func (t *Task) FoundBy() string {
	if t.Tagged {
		return "tags"
	}
	return "name"
}

// Warnings are what an operator should know about how the task was found.
func (t *Task) Warnings() []string {
	if len(t.Others) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s: %d other DataSync task(s) named %q in %s, not tagged by the provider for stack %s, left alone: %s",
		t.Transfer.Name, len(t.Others), t.Transfer.TaskName(), t.Region, SourceStackName(t.Transfer), strings.Join(t.Others, ", "))}
}

// TaskLogicalID is the logical ID of a transfer's task in its source stack: the
// custom resource Transfer/Task (transfer.NewSourceStack), whose logical ID CDK makes
// from its path: the path's components, then the first 8 hex digits of the MD5 of
// the path, upper case. The provider tags the task with it (provider.TagLogicalID);
// TestTaskLogicalIDMatchesTheTemplate checks it against a synthesized template.
var TaskLogicalID = logicalID("Transfer", "Task")

func logicalID(path ...string) string {
	sum := md5.Sum([]byte(strings.Join(path, "/")))
	return strings.Join(path, "") + strings.ToUpper(hex.EncodeToString(sum[:])[:8])
}

// FindTask finds t's task in t's destination Region with the credentials of t's
// source account: the task the provider tagged for the transfer (the stack
// SourceStackName(t) of the source account, logical ID TaskLogicalID) among the
// tasks named t.TaskName(), else, where no task carries those tags, the one task of
// that name. Other tasks of the name are returned in Task.Others.
func (s *Session) FindTask(ctx context.Context, t spec.Transfer) (*Task, error) {
	region := t.Destination.Region
	account := t.Source.Account
	entries, err := s.listTasks(ctx, account, region)
	if err != nil {
		return nil, s.explain(err, "ListTasks", account, region, &t, "the tasks")
	}
	if caller := s.callerAccount(account); caller != "" && caller != account {
		return nil, &WrongAccountError{Transfer: t, Account: caller, Profile: s.Profile(account)}
	}
	var named []string
	for _, e := range entries {
		if aws.ToString(e.Name) == t.TaskName() {
			named = append(named, aws.ToString(e.TaskArn))
		}
	}
	switch len(named) {
	case 0:
		return nil, &NotDeployedError{Transfer: t, Account: s.callerAccount(account)}
	case 1:
		// one task of the name: its tags only say whether it is the provider's
		tagged, err := s.taggedFor(ctx, t, named[0])
		if err != nil {
			return nil, err
		}
		return &Task{Transfer: t, Arn: named[0], Region: region, Account: account, Tagged: tagged}, nil
	}
	tagged := make([]bool, len(named))
	errs := make([]error, len(named))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // DataSync's request rate is per account: a few at a time
	for i, arn := range named {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tagged[i], errs[i] = s.taggedFor(ctx, t, arn)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var mine, others []string
	for i, arn := range named {
		if tagged[i] {
			mine = append(mine, arn)
		} else {
			others = append(others, arn)
		}
	}
	if len(mine) == 1 {
		return &Task{Transfer: t, Arn: mine[0], Region: region, Account: account, Tagged: true, Others: others}, nil
	}
	return nil, &AmbiguousError{Transfer: t, Arns: named, Tagged: mine}
}

// taggedFor is whether the provider tagged the task arn for t: its stack tag names
// the stack SourceStackName(t) in t's source account, its logical ID tag is
// TaskLogicalID.
func (s *Session) taggedFor(ctx context.Context, t spec.Transfer, taskArn string) (bool, error) {
	client, err := s.client(ctx, t.Source.Account, t.Destination.Region)
	if err != nil {
		return false, err
	}
	tags := map[string]string{}
	p := datasync.NewListTagsForResourcePaginator(client, &datasync.ListTagsForResourceInput{ResourceArn: aws.String(taskArn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, s.explain(err, "ListTagsForResource", t.Source.Account, t.Destination.Region, &t, taskArn)
		}
		for _, tag := range page.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	if tags[provider.TagLogicalID] != TaskLogicalID {
		return false, nil
	}
	// arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/ID
	stack, err := arn.Parse(tags[provider.TagStackID])
	if err != nil || stack.Service != "cloudformation" {
		return false, nil
	}
	parts := strings.Split(stack.Resource, "/")
	return len(parts) == 3 && parts[0] == "stack" && parts[1] == SourceStackName(t) && stack.AccountID == t.Source.Account, nil
}

// callerAccount is the account of the credentials account's calls use: from the
// ARNs of the tasks listed with them so far (in any Region: the credentials are the
// same), else as the credentials' provider said; "" when neither tells.
func (s *Session) callerAccount(account string) string {
	key := s.credKey(account)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, rt := range s.tasks {
		if !rt.done.Load() || !strings.HasPrefix(k, key+" ") {
			continue
		}
		for _, e := range rt.entries {
			if a, err := arn.Parse(aws.ToString(e.TaskArn)); err == nil {
				return a.AccountID
			}
		}
	}
	if c, ok := s.creds[key]; ok {
		return c.account
	}
	return ""
}

// Describe is DescribeTask of the task.
func (s *Session) Describe(ctx context.Context, task *Task) (*datasync.DescribeTaskOutput, error) {
	client, err := s.client(ctx, task.Account, task.Region)
	if err != nil {
		return nil, err
	}
	out, err := client.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(task.Arn)})
	if err != nil {
		return nil, s.explain(err, "DescribeTask", task.Account, task.Region, &task.Transfer, task.Arn)
	}
	return out, nil
}

// StartOptions limit one execution to some objects: Includes (one filter of
// |-separated patterns) or a manifest. Zero: the task as configured.
type StartOptions struct {
	// Includes replaces the task's include filter for this execution.
	Includes string
	// Manifest lists the objects to transfer, nil for none.
	Manifest *types.ManifestConfig
}

// Start starts one execution of the task and returns its ARN.
func (s *Session) Start(ctx context.Context, task *Task) (string, error) {
	return s.StartWith(ctx, task, StartOptions{})
}

// StartWith starts one execution of the task, limited by opts, and returns its ARN.
func (s *Session) StartWith(ctx context.Context, task *Task, opts StartOptions) (string, error) {
	client, err := s.client(ctx, task.Account, task.Region)
	if err != nil {
		return "", err
	}
	in := &datasync.StartTaskExecutionInput{TaskArn: aws.String(task.Arn), ManifestConfig: opts.Manifest}
	if opts.Includes != "" {
		in.Includes = []types.FilterRule{{FilterType: types.FilterTypeSimplePattern, Value: aws.String(opts.Includes)}}
	}
	out, err := client.StartTaskExecution(ctx, in)
	if err != nil {
		return "", s.explain(err, "StartTaskExecution", task.Account, task.Region, &task.Transfer, task.Arn)
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
	client, err := s.client(ctx, task.Account, task.Region)
	if err != nil {
		return "", err
	}
	pages := datasync.NewListTaskExecutionsPaginator(client, &datasync.ListTaskExecutionsInput{TaskArn: aws.String(task.Arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", s.explain(err, "ListTaskExecutions", task.Account, task.Region, &task.Transfer, task.Arn)
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
	client, err := s.client(ctx, e.Account, e.Region)
	if err != nil {
		return "", err
	}
	out, err := client.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(e.TaskArn)})
	if err != nil {
		return "", s.explainExecution(err, "DescribeTask", e)
	}
	return aws.ToString(out.Name), nil
}

// explainExecution explains an error about an execution given by ARN: a "does not
// exist" from DataSync for an ARN of another account is an account mix-up.
func (s *Session) explainExecution(err error, op string, e ExecutionArn) error {
	err = s.explain(err, op, e.Account, e.Region, nil, e.Arn)
	if caller := s.callerAccount(e.Account); caller != "" && caller != e.Account {
		return fmt.Errorf("%w. The execution is in account %s and these credentials are for account %s: use %s",
			err, e.Account, caller, profileHint(e.Account))
	}
	if strings.Contains(err.Error(), "does not exist") {
		return fmt.Errorf("%w. Check the ARN, and that the credentials are for account %s (%s)", err, e.Account, profileHint(e.Account))
	}
	return err
}
