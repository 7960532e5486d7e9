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
	"unicode/utf8"

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
	text := o.res.Message
	if o.err != nil {
		r.Status = cfn.StatusFailed
		text = o.err.Error()
		log.Printf("FAILED %s %s %s: %v", event.RequestType, event.ResourceType, event.LogicalResourceID, o.err)
	} else {
		r.Status = cfn.StatusSuccess
		r.Data = o.res.Data
	}
	body, err := responseBody(*r, text)
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

// MaxResponseBytes is CloudFormation's limit on a custom resource's response: "The
// total size of the response body can't exceed 4096 bytes"
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
const MaxResponseBytes = 4096

// cutNote ends a reason that was cut to fit the response.
const cutNote = " [...cut to fit CloudFormation's 4096-byte response; the whole text is in the function's log]"

// responseBody is the JSON body of r with text as its reason, followed by where the
// function's log is (its log group and stream). When that body would be over
// MaxResponseBytes, the text is cut: by bytes as JSON encodes them (an escaped quote
// or backslash counts two, a control character or <, >, & six), at a character
// boundary, so no UTF-8 character and no escape is split; the start of the text is
// kept, and cutNote says where the rest is.
func responseBody(r cfn.Response, text string) ([]byte, error) {
	where := ""
	if lambdacontext.LogStreamName != "" {
		where = fmt.Sprintf(" (log: %s %s)", lambdacontext.LogGroupName, lambdacontext.LogStreamName)
	}
	if text != "" {
		r.Reason = text + where
	}
	body, err := json.Marshal(r)
	if err != nil || len(body) <= MaxResponseBytes {
		return body, err
	}
	r.Reason = cutNote + where
	rest, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	budget := MaxResponseBytes - len(rest)
	if budget < 0 {
		// The IDs and data alone are too big (never so for this provider's resources):
		// CloudFormation would drop the answer and wait an hour, so fail now, saying why.
		r.Reason = ""
		bare, _ := json.Marshal(r)
		r.Status, r.Data = cfn.StatusFailed, nil
		r.Reason = fmt.Sprintf("the provider's answer would be %d bytes without its reason, over CloudFormation's limit of %d bytes%s",
			len(bare), MaxResponseBytes, where)
		return json.Marshal(r)
	}
	r.Reason = prefixWithin(strings.ToValidUTF8(text, "\uFFFD"), budget) + cutNote + where
	return json.Marshal(r)
}

// prefixWithin returns the longest prefix of s, ending at a character boundary,
// whose JSON string encoding (without the quotes) takes at most budget bytes. JSON
// encodes each character independently, so the sizes add up.
func prefixWithin(s string, budget int) string {
	used := 0
	for i, r := range s {
		n := 1
		if r >= utf8.RuneSelf || r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' {
			enc, _ := json.Marshal(string(r))
			n = len(enc) - 2
		}
		if used+n > budget {
			return s[:i]
		}
		used += n
	}
	return s
}
