package provider

import (
	"context"
	"fmt"
	"log"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Function is the Lambda entry point: it runs the Handler and always answers
// CloudFormation, also when the handler panics or would outlive the Lambda timeout.
// A custom resource that never answers hangs its stack for an hour.
type Function struct {
	Handler *Handler
	// Margin is how long before the Lambda deadline the function stops waiting for
	// the handler and answers FAILED, leaving time to send the answer.
	Margin time.Duration
	// SendAttempts is how often sending the answer is tried (default 3).
	SendAttempts int
}

// maxReason keeps the response under CloudFormation's 4 KiB response limit.
const maxReason = 3000

type outcome struct {
	res Result
	err error
}

// Invoke handles one CloudFormation custom resource event.
func (f *Function) Invoke(ctx context.Context, event cfn.Event) error {
	workCtx, cancel := context.WithCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		workCtx, cancel = context.WithDeadline(ctx, deadline.Add(-f.Margin))
	}
	defer cancel()

	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				log.Printf("panic handling %s %s: %v\n%s", event.RequestType, event.LogicalResourceID, r, debug.Stack())
				done <- outcome{err: fmt.Errorf("the provider panicked: %v", r)}
			}
		}()
		res, err := f.Handler.Handle(workCtx, event)
		done <- outcome{res, err}
	}()

	var o outcome
	select {
	case o = <-done:
	case <-workCtx.Done():
		o = outcome{err: fmt.Errorf("no result %s before the Lambda timeout; answering so the stack does not hang", f.Margin)}
	}
	return f.answer(event, o)
}

func (f *Function) answer(event cfn.Event, o outcome) error {
	r := cfn.NewResponse(&event)
	r.PhysicalResourceID = event.PhysicalResourceID
	if event.RequestType == cfn.RequestCreate || (o.err == nil && o.res.PhysicalID != "") {
		r.PhysicalResourceID = o.res.PhysicalID
	}
	if r.PhysicalResourceID == "" {
		// A failed create. The placeholder names its request: the rollback's delete
		// removes whatever that request created after all (see deleteDataSync).
		r.PhysicalResourceID = placeholderPrefix + event.RequestID
	}
	if o.err != nil {
		r.Status = cfn.StatusFailed
		r.Reason = reason(o.err)
		log.Printf("FAILED %s %s %s: %v", event.RequestType, event.ResourceType, event.LogicalResourceID, o.err)
	} else {
		r.Status = cfn.StatusSuccess
		r.Data = o.res.Data
	}
	attempts := max(f.SendAttempts, 1)
	var err error
	for i := 0; i < attempts; i++ {
		if err = r.Send(); err == nil {
			return nil
		}
		log.Printf("sending the response to CloudFormation failed (attempt %d): %v", i+1, err)
		time.Sleep(time.Duration(i+1) * time.Second)
	}
	return err
}

// placeholderPrefix starts the physical ID of a create that failed. The rest is the
// failed request's ID, which the rollback's delete uses to find anything that request
// created after all.
const placeholderPrefix = "create-failed-"

// placeholderRequest returns the request ID in a placeholder physical ID.
func placeholderRequest(physicalID string) (string, bool) {
	id, ok := strings.CutPrefix(physicalID, placeholderPrefix)
	return id, ok && id != ""
}

// reason is the failure text CloudFormation shows: the error (with the AWS error
// text it wraps), cut to fit, and where the full log is.
func reason(err error) string {
	msg := err.Error()
	if len(msg) > maxReason {
		msg = msg[:maxReason] + "..."
	}
	if lambdacontext.LogStreamName != "" {
		msg += fmt.Sprintf(" (log: %s %s)", lambdacontext.LogGroupName, lambdacontext.LogStreamName)
	}
	return msg
}
