package provider

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Function is the Lambda entry point: it runs the Handler and always answers
// CloudFormation, also when the handler panics or would outlive the Lambda timeout.
// A custom resource that never answers hangs its stack for an hour.
//
// Invoke never returns an error to Lambda. CloudFormation invokes the function
// asynchronously, and Lambda retries an asynchronous invocation that returns an
// error: a retry after CloudFormation was answered would run a create again, and a
// retry after the answer could not be delivered would not deliver it either (the
// same URL, the same outage). Every outcome is logged instead.
type Function struct {
	Handler *Handler
	// Margin is how long before the Lambda deadline the function stops waiting for
	// the handler and answers FAILED, leaving time to send the answer.
	Margin time.Duration
	// SendAttempts is how often sending the answer is tried (default 3).
	SendAttempts int
	// SendWait is the wait before the second attempt; the n-th retry waits n times
	// as long (default 1 s).
	SendWait time.Duration
	// SendTimeout bounds one attempt to send the answer (default 10 s), so a
	// response URL that never answers cannot use up the Lambda's time.
	SendTimeout time.Duration
}

// maxReason keeps the response under CloudFormation's 4 KiB response limit.
const maxReason = 3000

type outcome struct {
	res Result
	err error
}

// Invoke handles one CloudFormation custom resource event. It returns nil always;
// see Function.
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
	if err := f.answer(ctx, event, o); err != nil {
		log.Printf("CloudFormation was not answered for %s %s %s (request %s); the stack waits until its timeout: %v",
			event.RequestType, event.ResourceType, event.LogicalResourceID, event.RequestID, err)
	}
	return nil
}

// answer sends the outcome to CloudFormation's response URL, trying a bounded
// number of times within ctx (the Lambda deadline), and returns the last error when
// no attempt succeeded.
func (f *Function) answer(ctx context.Context, event cfn.Event, o outcome) error {
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
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	attempts := f.SendAttempts
	if attempts <= 0 {
		attempts = 3
	}
	wait := cmp.Or(f.SendWait, time.Second)
	client := &http.Client{Timeout: cmp.Or(f.SendTimeout, 10*time.Second)}
	for i := 1; ; i++ {
		if err = send(ctx, client, event.ResponseURL, body); err == nil {
			return nil
		}
		log.Printf("sending the response to CloudFormation failed (attempt %d of %d): %v", i, attempts, err)
		if i == attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (then the Lambda deadline came)", err)
		case <-time.After(time.Duration(i) * wait):
		}
	}
}

// send PUTs a response body to a pre-signed response URL. The URL is signed without
// a content type, so none is sent.
func send(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", res.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
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
