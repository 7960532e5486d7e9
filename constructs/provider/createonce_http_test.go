package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/smithy-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// dataSyncOverHTTP serves the in-memory DataSync fake of w over DataSync's wire
// protocol (JSON 1.1, X-Amz-Target: FmrsService.<Operation>), so that a real SDK
// client, with its retryer, talks to it. fault is asked before (after: false) and
// after (after: true) each operation takes effect, with the operation's name and how
// many requests of it came so far (1 for the first); it answers "" (go on), "reset"
// (close the connection without an answer), "500" (InternalException) or
// "throttle" (ThrottlingException; before only: nothing happens).
type dataSyncOverHTTP struct {
	mu    sync.Mutex
	sent  map[string]int // requests per operation, as they arrived
	fault func(op string, n int, after bool) string
}

func (d *dataSyncOverHTTP) serve(t *testing.T, w *world, region string) string {
	fake := &fakeDataSync{w, region}
	ops := map[string]func(context.Context, []byte) (any, error){
		"CreateLocationS3":    wireOp(fake.CreateLocationS3),
		"ListLocations":       wireOp(fake.ListLocations),
		"ListTagsForResource": wireOp(fake.ListTagsForResource),
		"CreateTask":          wireOp(fake.CreateTask),
		"ListTasks":           wireOp(fake.ListTasks),
		"DescribeTask":        wireOp(fake.DescribeTask),
		"StartTaskExecution":  wireOp(fake.StartTaskExecution),
		"ListTaskExecutions":  wireOp(fake.ListTaskExecutions),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "FmrsService.")
		d.mu.Lock()
		d.sent[op]++
		n := d.sent[op]
		d.mu.Unlock()
		call, ok := ops[op]
		if !ok {
			t.Errorf("operation %q not served", op)
			writeWireError(rw, 400, "InvalidRequestException", "operation not served")
			return
		}
		if d.answerFault(rw, d.fault(op, n, false)) {
			return
		}
		out, err := call(r.Context(), body)
		if d.answerFault(rw, d.fault(op, n, true)) {
			return
		}
		if err != nil {
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Errorf("%s: %v", op, err)
				writeWireError(rw, 500, "InternalException", err.Error())
				return
			}
			writeWireError(rw, 400, apiErr.ErrorCode(), apiErr.ErrorMessage())
			return
		}
		rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(rw).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (d *dataSyncOverHTTP) answerFault(rw http.ResponseWriter, fault string) bool {
	switch fault {
	case "reset":
		c, _, err := rw.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	case "500":
		writeWireError(rw, 500, "InternalException", "An internal error occurred")
	case "throttle":
		writeWireError(rw, 400, "ThrottlingException", "Rate exceeded")
	default:
		return false
	}
	return true
}

func (d *dataSyncOverHTTP) count(op string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent[op]
}

func writeWireError(rw http.ResponseWriter, status int, code, msg string) {
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.Header().Set("X-Amzn-ErrorType", code)
	rw.WriteHeader(status)
	fmt.Fprintf(rw, `{"__type":%q,"message":%q}`, code, msg)
}

// wireOp decodes a request body into the operation's SDK input (its JSON names are
// the wire names) and calls the fake.
func wireOp[I, O any](f func(context.Context, *I, ...func(*datasync.Options)) (O, error)) func(context.Context, []byte) (any, error) {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(I)
		if err := json.Unmarshal(body, in); err != nil {
			return nil, err
		}
		return f(ctx, in)
	}
}

// TestCreatesAreNotSentTwice drives the create path with a real SDK client, with
// the provider's retryer (ThrottleRetryer), against DataSync's wire protocol. A
// create that took effect but whose answer was lost (the connection reset, or a 500
// after DataSync acted) must not be sent again by the SDK: DataSync's creates take
// no client token, so a resend makes a second object. The provider looks for what
// its request made instead, and finds it. Throttled creates (not carried out) are
// still retried by the SDK.
func TestCreatesAreNotSentTwice(t *testing.T) {
	for _, c := range []struct {
		name, op, fault string
		after           bool
		times           int // requests of op that get the fault
		wantSent        int // requests of op on the wire
		wantErr         bool
	}{
		{"task, connection reset after acting", "CreateTask", "reset", true, 1, 1, false},
		{"task, 500 after acting", "CreateTask", "500", true, 1, 1, false},
		{"task, throttled twice", "CreateTask", "throttle", false, 2, 3, false},
		{"task, 500 without acting, twice", "CreateTask", "500", false, 2, 3, false},
		{"task, 500 without acting, always", "CreateTask", "500", false, 1000, -1, true},
		{"location, 500 after acting", "CreateLocationS3", "500", true, 1, 1, false},
		{"location, connection reset after acting", "CreateLocationS3", "reset", true, 1, 1, false},
		{"execution, connection reset after acting", "StartTaskExecution", "reset", true, 1, 1, false},
		{"execution, 500 after acting", "StartTaskExecution", "500", true, 1, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			h := w.handler()
			tp := taskFixture(t, w, h)
			tp.SourceLocationArn = mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", func() resource.LocationProps {
				p := dstLocation()
				p.S3BucketArn = "arn:aws:s3:::acme-src"
				return p
			}(), nil)).PhysicalID
			taskArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)).PhysicalID
			before := map[string]int{"CreateTask": len(w.tasks), "CreateLocationS3": len(w.locations), "StartTaskExecution": len(w.executions)}
			calledBefore := w.count(c.op)

			d := &dataSyncOverHTTP{sent: map[string]int{}, fault: func(op string, n int, after bool) string {
				if op == c.op && after == c.after && n <= c.times {
					return c.fault
				}
				return ""
			}}
			client := dataSyncClient(d.serve(t, w, "us-west-2"), ThrottleRetryer(5*time.Millisecond))
			h.DataSync = func(string) DataSyncAPI { return client }

			var e cfn.Event
			switch c.op {
			case "CreateTask":
				e = event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)
			case "CreateLocationS3":
				e = event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
			case "StartTaskExecution":
				e = event(cfn.RequestCreate, resource.TypeTaskExecution, "", resource.TaskExecutionProps{Region: "us-west-2", TaskArn: taskArn}, nil)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := h.Handle(ctx, e)
			after := map[string]int{"CreateTask": len(w.tasks), "CreateLocationS3": len(w.locations), "StartTaskExecution": len(w.executions)}
			made := after[c.op] - before[c.op]
			t.Logf("%s requests on the wire: %d; %s carried out: %d; objects made: %d; err: %v",
				c.op, d.count(c.op), c.op, w.count(c.op)-calledBefore, made, err)
			if c.wantErr {
				if err == nil || made != 0 || !strings.Contains(err.Error(), "leaves open whether DataSync acted") {
					t.Fatalf("want a failure naming the attempts and no object: made %d, err %v", made, err)
				}
				if len(w.sleeps) == 0 {
					t.Error("the provider did not wait between lookups")
				}
				return
			}
			if err != nil {
				t.Fatalf("create failed: %v", err)
			}
			if made != 1 {
				t.Errorf("%d objects made, want exactly 1", made)
			}
			if got := d.count(c.op); got != c.wantSent {
				t.Errorf("%s sent %d times, want %d", c.op, got, c.wantSent)
			}
			if !strings.HasPrefix(res.PhysicalID, "arn:aws:datasync:us-west-2:") {
				t.Errorf("physical ID %q", res.PhysicalID)
			}
		})
	}
}
