package provider

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/datasync"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// cloudFormation is a local HTTP server standing in for the pre-signed S3 URL that
// CloudFormation gives a custom resource: it records the answers it receives.
type cloudFormation struct {
	*httptest.Server
	answers chan cfn.Response
	bodies  chan []byte // the raw bodies of the first answers, in the same order
}

func newCloudFormation(t *testing.T) *cloudFormation {
	cf := &cloudFormation{answers: make(chan cfn.Response, 4), bodies: make(chan []byte, 4)}
	cf.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var resp cfn.Response
		if r.Method != http.MethodPut || json.Unmarshal(body, &resp) != nil {
			http.Error(w, "bad answer", http.StatusBadRequest)
			return
		}
		select {
		case cf.bodies <- body:
		default: // a test that does not look at the bodies
		}
		cf.answers <- resp
	}))
	t.Cleanup(cf.Close)
	return cf
}

func (cf *cloudFormation) answer(t *testing.T) cfn.Response {
	t.Helper()
	select {
	case r := <-cf.answers:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("CloudFormation got no answer")
		return cfn.Response{}
	}
}

func TestFunctionAnswersSuccessWithPhysicalIDAndData(t *testing.T) {
	cf := newCloudFormation(t)
	f := &Function{Handler: newWorld().handler(), Margin: time.Second}
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
	e.ResponseURL = cf.URL

	if err := f.Invoke(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	r := cf.answer(t)
	if r.Status != cfn.StatusSuccess || !strings.HasPrefix(r.PhysicalResourceID, "arn:aws:datasync:us-west-2:") ||
		r.Data["Arn"] != r.PhysicalResourceID || r.RequestID != e.RequestID || r.LogicalResourceID != e.LogicalResourceID {
		t.Errorf("answer = %+v", r)
	}
}

func TestFunctionAnswersFailureWithAWSErrorText(t *testing.T) {
	cf := newCloudFormation(t)
	w := newWorld()
	w.fail["UpdateLocationS3"] = []error{invalidRequest("Invalid storage class for this bucket")}
	f := &Function{Handler: w.handler(), Margin: time.Second}
	arn := mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)).PhysicalID
	p := dstLocation()
	p.S3StorageClass = "GLACIER_IR"
	e := event(cfn.RequestUpdate, resource.TypeS3Location, arn, p, dstLocation())
	e.ResponseURL = cf.URL

	_ = f.Invoke(context.Background(), e)
	r := cf.answer(t)
	if r.Status != cfn.StatusFailed || !strings.Contains(r.Reason, "Invalid storage class for this bucket") {
		t.Errorf("answer = %+v", r)
	}
	if r.PhysicalResourceID != e.PhysicalResourceID {
		t.Errorf("a failed update changed the physical ID to %q", r.PhysicalResourceID)
	}
}

// panicking is a DataSync client whose every call panics.
type panicking struct{ DataSyncAPI }

func TestFunctionAnswersWhenTheHandlerPanics(t *testing.T) {
	cf := newCloudFormation(t)
	h := newWorld().handler()
	h.DataSync = func(string) DataSyncAPI { return panicking{} } // nil embedded interface: calls panic
	f := &Function{Handler: h, Margin: time.Second}
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
	e.ResponseURL = cf.URL

	_ = f.Invoke(context.Background(), e)
	r := cf.answer(t)
	if r.Status != cfn.StatusFailed || !strings.Contains(r.Reason, "panicked") || r.PhysicalResourceID != "create-failed-"+e.RequestID {
		t.Errorf("answer = %+v", r)
	}
}

// blockingClient is a DataSync client whose CreateLocationS3 outlives its context,
// like a call that hangs; its other calls go to the embedded client.
type blockingClient struct{ DataSyncAPI }

func (blockingClient) CreateLocationS3(ctx context.Context, _ *datasync.CreateLocationS3Input, _ ...func(*datasync.Options)) (*datasync.CreateLocationS3Output, error) {
	<-ctx.Done()
	time.Sleep(time.Second)
	return nil, ctx.Err()
}

func TestFunctionAnswersBeforeTheLambdaTimeout(t *testing.T) {
	cf := newCloudFormation(t)
	w := newWorld()
	h := w.handler()
	h.DataSync = func(region string) DataSyncAPI { return blockingClient{&fakeDataSync{w, region}} }
	f := &Function{Handler: h, Margin: 200 * time.Millisecond}
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
	e.ResponseURL = cf.URL
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()

	start := time.Now()
	_ = f.Invoke(ctx, e)
	r := cf.answer(t)
	if r.Status != cfn.StatusFailed || !strings.Contains(r.Reason, "before the Lambda timeout") {
		t.Errorf("answer = %+v", r)
	}
	if d := time.Since(start); d > 450*time.Millisecond {
		t.Errorf("answered after %s, later than the margin allows", d)
	}
}

// unreachableCloudFormation is a response URL that never takes an answer: every
// PUT gets the status, or, with status 0, the connection is closed without a
// response. It counts the attempts.
func unreachableCloudFormation(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		if status == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		http.Error(w, "<Error><Code>InternalError</Code></Error>", status)
	}))
	t.Cleanup(srv.Close)
	return srv, &attempts
}

func TestFunctionReturnsNilWhenCloudFormationCannotBeAnswered(t *testing.T) {
	for name, status := range map[string]int{"500": http.StatusInternalServerError, "403 expired URL": http.StatusForbidden, "connection closed": 0} {
		t.Run(name, func(t *testing.T) {
			srv, attempts := unreachableCloudFormation(t, status)
			w := newWorld()
			f := &Function{Handler: w.handler(), Margin: time.Second, SendAttempts: 3, SendWait: time.Millisecond}
			e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
			e.ResponseURL = srv.URL

			if err := f.Invoke(context.Background(), e); err != nil {
				t.Fatalf("Invoke returned %v: Lambda would retry the event and run the create again", err)
			}
			if got := attempts.Load(); got != 3 {
				t.Errorf("the answer was tried %d times, want 3", got)
			}
			// The create happened once; a retry by Lambda, had there been one, would find it.
			if len(w.locations) != 1 {
				t.Errorf("%d locations", len(w.locations))
			}
		})
	}
}

func TestFunctionReturnsNilAfterAnsweringFailed(t *testing.T) {
	cf := newCloudFormation(t)
	w := newWorld()
	w.fail["CreateLocationS3"] = []error{invalidRequest("S3 bucket acme-dst does not exist in us-west-2")}
	f := &Function{Handler: w.handler(), Margin: time.Second}
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
	e.ResponseURL = cf.URL
	if err := f.Invoke(context.Background(), e); err != nil {
		t.Fatalf("Invoke returned %v after answering FAILED", err)
	}
	if r := cf.answer(t); r.Status != cfn.StatusFailed {
		t.Errorf("answer = %+v", r)
	}
}

func TestFunctionGivesUpOnAResponseURLThatHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); srv.Close() })
	f := &Function{Handler: newWorld().handler(), Margin: time.Second, SendAttempts: 2, SendWait: time.Millisecond, SendTimeout: 100 * time.Millisecond}
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
	e.ResponseURL = srv.URL

	start := time.Now()
	if err := f.Invoke(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Invoke took %s with a 100 ms send timeout", d)
	}
}

// withLogStream sets the function's log group and stream as Lambda's environment
// gives them, for the test.
func withLogStream(t *testing.T) string {
	group, stream := lambdacontext.LogGroupName, lambdacontext.LogStreamName
	lambdacontext.LogGroupName = "/aws/lambda/datasync-media-provider"
	lambdacontext.LogStreamName = "2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef"
	t.Cleanup(func() { lambdacontext.LogGroupName, lambdacontext.LogStreamName = group, stream })
	return lambdacontext.LogStreamName
}

func TestFunctionAnswerFitsCloudFormationWhateverTheReason(t *testing.T) {
	stream := withLogStream(t)
	for name, text := range map[string]string{
		"huge":              "DataSync said: " + strings.Repeat("the task could not be updated; ", 40000),
		"unicode":           "Fehler bei Übertragung: " + strings.Repeat("日本語のバケット名 ü ß 🙂 ", 400),
		"quotes":            `policy {"Sid": "x"} ` + strings.Repeat(`"\`, 3000),
		"html and controls": "<Error><Code>AccessDenied</Code></Error> & " + strings.Repeat("<&>\t\x01\u2028", 1000),
		"invalid UTF-8":     "bytes: " + strings.Repeat("\xff\xfe ok ", 1500),
	} {
		t.Run(name, func(t *testing.T) {
			cf := newCloudFormation(t)
			w := newWorld()
			w.fail["CreateLocationS3"] = []error{invalidRequest(text)}
			f := &Function{Handler: w.handler(), Margin: time.Second}
			e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
			e.ResponseURL = cf.URL

			_ = f.Invoke(context.Background(), e)
			r, body := cf.answer(t), <-cf.bodies
			if len(body) > MaxResponseBytes {
				t.Fatalf("the answer is %d bytes, over CloudFormation's %d", len(body), MaxResponseBytes)
			}
			// Cut no more than one escaped character short of the limit.
			if len(body) < MaxResponseBytes-len(`\ud83d\ude42`) {
				t.Errorf("the answer is %d bytes: cut more than needed", len(body))
			}
			if r.Status != cfn.StatusFailed || !utf8.ValidString(r.Reason) {
				t.Fatalf("answer = %+v", r)
			}
			head, rest, cut := strings.Cut(r.Reason, cutNote)
			full := strings.ToValidUTF8(invalidRequest(text).Error(), "\uFFFD")
			if enc, _ := json.Marshal(head); !cut || !strings.HasPrefix(full, head) || len(enc) < 3000 {
				t.Errorf("the reason does not keep the start of the error: %.200q", r.Reason)
			}
			if !strings.Contains(rest, stream) || !strings.Contains(rest, lambdacontext.LogGroupName) {
				t.Errorf("the reason does not name the log stream: %q", rest)
			}
		})
	}
}

func TestResponseBodyCutsOnlyPastTheLimit(t *testing.T) {
	withLogStream(t)
	r := cfn.Response{Status: cfn.StatusFailed, RequestID: "r", LogicalResourceID: "l", StackID: "s", PhysicalResourceID: "p"}
	short, err := responseBody(r, "x")
	if err != nil {
		t.Fatal(err)
	}
	room := MaxResponseBytes - len(short) + len("x")
	fits := strings.Repeat(`"`, room/2) + strings.Repeat("x", room%2) // a quote is escaped as two bytes
	body, _ := responseBody(r, fits)
	if len(body) != MaxResponseBytes || strings.Contains(string(body), "cut to fit") {
		t.Errorf("a reason that fits exactly: %d bytes, cut: %v", len(body), strings.Contains(string(body), "cut to fit"))
	}
	body, _ = responseBody(r, fits+"x")
	if len(body) > MaxResponseBytes || !strings.Contains(string(body), "cut to fit") {
		t.Errorf("one byte more: %d bytes, cut: %v", len(body), strings.Contains(string(body), "cut to fit"))
	}
}

func TestPrefixWithinNeverSplitsACharacterOrAnEscape(t *testing.T) {
	s := `a"é日🙂<`
	for budget, want := range map[int]string{0: "", 1: "a", 2: "a", 3: `a"`, 4: `a"`, 5: `a"é`, 7: `a"é`, 8: `a"é日`, 11: `a"é日`, 12: `a"é日🙂`, 17: `a"é日🙂`, 18: s} {
		if got := prefixWithin(s, budget); got != want {
			t.Errorf("prefixWithin(%q, %d) = %q, want %q", s, budget, got, want)
		}
	}
}

func TestResponseBodyTooBigWithoutItsReasonFailsSayingWhy(t *testing.T) {
	r := cfn.Response{Status: cfn.StatusSuccess, RequestID: "r", LogicalResourceID: "l", StackID: "s", PhysicalResourceID: "p",
		Data: map[string]any{"Big": strings.Repeat("d", MaxResponseBytes)}}
	body, err := responseBody(r, "")
	if err != nil {
		t.Fatal(err)
	}
	var got cfn.Response
	if err := json.Unmarshal(body, &got); err != nil || len(body) > MaxResponseBytes {
		t.Fatalf("%d bytes: %v", len(body), err)
	}
	if got.Status != cfn.StatusFailed || got.Data != nil || !strings.Contains(got.Reason, "over CloudFormation's limit of 4096 bytes") {
		t.Errorf("answer = %+v", got)
	}
}
