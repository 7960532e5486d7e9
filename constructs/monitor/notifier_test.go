package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
)

const (
	account = "111111111111"
	region  = "us-west-2"
	topic   = "arn:aws:sns:us-west-2:111111111111:datasync-media"
)

// fakeSNS answers Publish like SNS (query or JSON protocol) and records each message.
type fakeSNS struct {
	*httptest.Server
	mu   sync.Mutex
	sent []map[string]string
}

func newFakeSNS(t *testing.T) *fakeSNS {
	f := &fakeSNS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg := map[string]string{}
		json1 := strings.Contains(r.Header.Get("Content-Type"), "json")
		if json1 {
			var in map[string]any
			_ = json.Unmarshal(body, &in)
			for k, v := range in {
				msg[k], _ = v.(string)
			}
			msg["Action"] = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSNS.")
		} else {
			vals, _ := url.ParseQuery(string(body))
			for k := range vals {
				msg[k] = vals.Get(k)
			}
		}
		if problem := snsReject(r, msg); problem != "" {
			if json1 {
				w.Header().Set("Content-Type", "application/x-amz-json-1.0")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"InvalidParameter","message":%q}`, problem)
			} else {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>%s</Message></Error></ErrorResponse>`, problem)
			}
			return
		}
		if json1 {
			f.record(msg)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			fmt.Fprint(w, `{"MessageId":"m-1"}`)
			return
		}
		f.record(msg)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>`)
	}))
	t.Cleanup(f.Close)
	return f
}

// snsReject is what SNS refuses in a Publish, as SNS does: a subject of 100
// characters or more, or with line breaks or control characters ("Subjects must be
// UTF-8 text with no line breaks or control characters, and less than 100
// characters long": SNS API reference, Publish), and a topic of another Region than
// the endpoint's (the request's SigV4 credential scope names the Region).
func snsReject(r *http.Request, msg map[string]string) string {
	if s, ok := msg["Subject"]; ok {
		if utf8.RuneCountInString(s) >= 100 {
			return fmt.Sprintf("Subject must be less than 100 characters long: %d", utf8.RuneCountInString(s))
		}
		if strings.ContainsFunc(s, unicode.IsControl) {
			return "Subject must not contain line breaks or control characters"
		}
	}
	auth := r.Header.Get("Authorization")
	if i := strings.Index(auth, "Credential="); i >= 0 {
		scope := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
		if parts := strings.Split(msg["TopicArn"], ":"); len(scope) > 2 && len(parts) > 3 && parts[3] != scope[2] {
			return fmt.Sprintf("Invalid parameter: TopicArn %s is not in the endpoint's Region %s", msg["TopicArn"], scope[2])
		}
	}
	return ""
}

func (f *fakeSNS) record(m map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
}

func (f *fakeSNS) messages() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// rig is a notifier of one task on the DataSync stand-in, publishing to a fake SNS
// through the real SDK clients, with a clock the test moves.
type rig struct {
	srv  *fakedatasync.Server
	sns  *fakeSNS
	task *fakedatasync.Task
	n    *Notifier
	now  time.Time
}

func newRig(t *testing.T, task *fakedatasync.Task) *rig {
	t.Helper()
	srv := fakedatasync.New()
	t.Cleanup(srv.Close)
	srv.AddKey("AKIDNOTIFIER", account)
	task.Account, task.Region = account, region
	srv.AddTask(task)
	r := &rig{srv: srv, sns: newFakeSNS(t), task: task, now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	creds := credentials.NewStaticCredentialsProvider("AKIDNOTIFIER", "secret", "")
	ds := datasync.New(datasync.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(srv.URL)})
	sn := sns.New(sns.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(r.sns.URL)})
	r.n = &Notifier{
		Config: Config{
			Transfer: "media", TaskArn: task.Arn(), TaskLogGroup: "/aws/datasync", StallAfter: 30 * time.Minute,
			Route: "s3://acme-media-src/photos (us-east-1) -> s3://acme-media-dst/archive (us-west-2, account 222222222222)",
		},
		DataSync: ds,
		Publish:  SNSPublisher(sn, []string{topic}),
		Now:      func() time.Time { return r.now },
	}
	return r
}

func executionEvent(arn, state string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"version":"0","id":"e-1","detail-type":"DataSync Task Execution State Change","source":"aws.datasync",
		"account":"%s","time":"2026-12-07T10:00:00Z","region":"%s","resources":["%s"],"detail":{"State":"%s"}}`, account, region, arn, state))
}

var scheduled = json.RawMessage(`{"version":"0","id":"e-2","detail-type":"Scheduled Event","source":"aws.events","account":"111111111111",
	"time":"2026-12-07T10:00:00Z","region":"us-west-2","resources":["arn:aws:events:us-west-2:111111111111:rule/x"],"detail":{}}`)

func (r *rig) handle(t *testing.T, raw json.RawMessage) []Notification {
	t.Helper()
	out, err := r.n.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return out
}

// expectOne checks that exactly one notification of kind was returned and
// published, and that its body holds every fragment.
func expectOne(t *testing.T, r *rig, got []Notification, kind Kind, fragments ...string) Notification {
	t.Helper()
	if len(got) != 1 || got[0].Kind != kind {
		t.Fatalf("notifications %+v, want one %s", got, kind)
	}
	sent := r.sns.messages()
	last := sent[len(sent)-1]
	if last["TopicArn"] != topic || last["Subject"] != got[0].Subject || last["Message"] != got[0].Body {
		t.Errorf("published %v, want the notification to %s", last, topic)
	}
	for _, f := range fragments {
		if !strings.Contains(got[0].Body, f) {
			t.Errorf("body lacks %q:\n%s", f, got[0].Body)
		}
	}
	t.Logf("%s\nSubject: %s\n\n%s", kind, got[0].Subject, got[0].Body)
	// MONITOR_RENDER_OUT=file collects the notifications, for the docs.
	if path := os.Getenv("MONITOR_RENDER_OUT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "### %s\n\n```\nSubject: %s\n\n%s```\n\n", kind, got[0].Subject, got[0].Body)
			f.Close()
		}
	}
	return got[0]
}

func TestFailedExecutionIsNotifiedWithErrorAndCounters(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	arn := r.srv.AddExecution(r.task, r.now.Add(-time.Hour), fakedatasync.Step{
		Status: "ERROR", Elapsed: 20 * time.Minute, FilesListed: 1000, FilesPrepared: 900, FilesTransferred: 400, BytesWritten: 5 << 30,
		FailedTransfer: 2, ErrorCode: "S3AccessDenied", ErrorDetail: "Access denied to s3://acme-media-dst/archive",
	})
	n := expectOne(t, r, r.handle(t, executionEvent(arn, "ERROR")), Failed,
		"Execution:  "+arn, "Error code:   S3AccessDenied", "Access denied to s3://acme-media-dst/archive",
		"listed at source 1,000", "prepared         900", "transferred      400", "5.0 GiB", "failed           2 (prepare 0, transfer 2",
		"#/history/", "logsV2:log-groups/log-group/$252Faws$252Fdatasync", "s3://acme-media-src/photos")
	if !strings.Contains(n.Subject, "ERROR (S3AccessDenied)") {
		t.Errorf("subject %q", n.Subject)
	}
}

func TestSuccessWithFailedOrSkippedObjectsIsIncomplete(t *testing.T) {
	for _, tc := range []struct {
		mode string
		step fakedatasync.Step
		want []string
	}{
		{"ENHANCED", fakedatasync.Step{Status: "SUCCESS", FilesTransferred: 885, FilesVerified: 885, FilesSkipped: 3, FailedTransfer: 12},
			[]string{"12 objects failed, 3 objects skipped", "skipped          3", "transfer 12"}},
		{"BASIC", fakedatasync.Step{Status: "SUCCESS", FilesTransferred: 10, FilesSkipped: 1},
			[]string{"1 object skipped", "not counted in BASIC mode", "(BASIC: files"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			r := newRig(t, &fakedatasync.Task{Name: "media", Mode: tc.mode})
			tc.step.Elapsed = time.Hour
			arn := r.srv.AddExecution(r.task, r.now.Add(-2*time.Hour), tc.step)
			n := expectOne(t, r, r.handle(t, executionEvent(arn, "SUCCESS")), Incomplete, tc.want[1:]...)
			if !strings.Contains(n.Subject, tc.want[0]) {
				t.Errorf("subject %q lacks %q", n.Subject, tc.want[0])
			}
		})
	}
}

func TestCleanSuccessIsQuietUnlessAsked(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	arn := r.srv.AddExecution(r.task, r.now.Add(-time.Hour), fakedatasync.Step{Status: "SUCCESS", Elapsed: time.Minute, FilesTransferred: 5})
	if got := r.handle(t, executionEvent(arn, "SUCCESS")); len(got) != 0 || len(r.sns.messages()) != 0 {
		t.Fatalf("a clean success notified: %+v", got)
	}
	r.n.NotifySuccess = true
	expectOne(t, r, r.handle(t, executionEvent(arn, "SUCCESS")), Succeeded, "transferred      5")
}

func TestScheduleDisabledByServiceIsNotifiedOnce(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 day)", ScheduleStatus: "DISABLED",
		ScheduleDisabledBy: "SERVICE", ScheduleDisabledReason: "Task execution failed repeatedly with S3AccessDenied",
		ScheduleUpdated: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)})
	// a recent success: nothing is overdue
	r.srv.AddExecution(r.task, r.now.Add(-10*time.Hour), fakedatasync.Step{Status: "SUCCESS"})
	expectOne(t, r, r.handle(t, scheduled), ScheduleDisabled, "disabled by SERVICE at 2026-12-07 09:00 UTC",
		"Reason:     Task execution failed repeatedly with S3AccessDenied", "Status=ENABLED")
	if got := r.handle(t, scheduled); len(got) != 0 {
		t.Errorf("notified again: %+v", got)
	}
	// disabled by a user: not for the notifier
	r2 := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 day)", ScheduleStatus: "DISABLED", ScheduleDisabledBy: "USER"})
	r2.srv.AddExecution(r2.task, r2.now.Add(-10*time.Hour), fakedatasync.Step{Status: "SUCCESS"})
	if got := r2.handle(t, scheduled); len(got) != 0 {
		t.Errorf("a schedule disabled by USER notified: %+v", got)
	}
}

func TestStalledExecutionIsNotifiedAfterStallMinutes(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	stuck := fakedatasync.Step{Status: "TRANSFERRING", FilesListed: 50, FilesPrepared: 50, FilesTransferred: 20, BytesWritten: 1 << 20}
	arn := r.srv.AddExecution(r.task, r.now.Add(-time.Hour), stuck)
	start := r.now
	for _, m := range []time.Duration{0, 10, 25} {
		r.now = start.Add(m * time.Minute)
		if got := r.handle(t, scheduled); len(got) != 0 {
			t.Fatalf("at +%d min: %+v", m, got)
		}
	}
	r.now = start.Add(31 * time.Minute)
	expectOne(t, r, r.handle(t, scheduled), Stalled, "no progress for 31m0s (TRANSFERRING)", "since 2026-12-07 10:00 UTC",
		"cancel-task-execution --task-execution-arn "+arn, "transferred      20")
	r.now = start.Add(40 * time.Minute)
	if got := r.handle(t, scheduled); len(got) != 0 {
		t.Errorf("notified the same stall again: %+v", got)
	}
	if tags := r.srv.Tags(arn); !strings.HasPrefix(tags[TagProgress], "TRANSFERRING.") || tags[TagStallNotified] == "" {
		t.Errorf("execution tags %v", tags)
	}
}

func TestProgressResetsTheStallClock(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "BASIC"})
	// every DescribeTaskExecution moves to the next step: the counters grow
	var steps []fakedatasync.Step
	for i := range 20 {
		steps = append(steps, fakedatasync.Step{Status: "TRANSFERRING", FilesTransferred: int64(i), BytesWritten: int64(i) << 20})
	}
	r.srv.AddExecution(r.task, r.now, steps...)
	start := r.now
	for m := 0; m <= 60; m += 5 {
		r.now = start.Add(time.Duration(m) * time.Minute)
		if got := r.handle(t, scheduled); len(got) != 0 {
			t.Fatalf("a run that progresses was notified at +%d min: %+v", m, got)
		}
	}
}

func TestScheduledTransferWithoutRecentSuccessIsOverdue(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 day)"})
	ok := r.srv.AddExecution(r.task, r.now.Add(-72*time.Hour), fakedatasync.Step{Status: "SUCCESS", Elapsed: time.Hour})
	r.srv.AddExecution(r.task, r.now.Add(-48*time.Hour), fakedatasync.Step{Status: "ERROR", ErrorCode: "S3AccessDenied"})
	r.srv.AddExecution(r.task, r.now.Add(-24*time.Hour), fakedatasync.Step{Status: "ERROR", ErrorCode: "S3AccessDenied"})
	expectOne(t, r, r.handle(t, scheduled), Overdue, "no successful run for 3 days", "one run every 24h0m0s",
		"Latest run: "+r.task.Arn(),
		"Last success: "+ok, "ERROR")
	if got := r.handle(t, scheduled); len(got) != 0 {
		t.Errorf("notified again: %+v", got)
	}

	// within twice the interval: nothing
	r2 := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "cron(0 2 * * ? *)"})
	r2.srv.AddExecution(r2.task, r2.now.Add(-30*time.Hour), fakedatasync.Step{Status: "SUCCESS"})
	if got := r2.handle(t, scheduled); len(got) != 0 {
		t.Errorf("a success 30 h ago on a daily cron is overdue: %+v", got)
	}
	// never succeeded since creation 48 h ago, hourly: overdue
	r3 := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 hour)"})
	expectOne(t, r3, r3.handle(t, scheduled), Overdue, "Last success: none since the task was created")
	// no schedule: never overdue
	r4 := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	if got := r4.handle(t, scheduled); len(got) != 0 {
		t.Errorf("an unscheduled task is overdue: %+v", got)
	}
}

func TestUnexpectedEventsAreErrors(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	for name, raw := range map[string]string{
		"other task":   string(executionEvent("arn:aws:datasync:us-west-2:111111111111:task/task-00000000000000001/execution/exec-00000000000000001", "ERROR")),
		"other source": `{"source":"aws.s3","detail-type":"Object Created"}`,
		"not json":     `nope`,
	} {
		if _, err := r.n.Handle(context.Background(), json.RawMessage(raw)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRequiredActionsCoverEveryCall runs every path of the notifier and compares
// the calls it made with the table its role is built from.
func TestRequiredActionsCoverEveryCall(t *testing.T) {
	used := map[string]bool{}
	run := func(task *fakedatasync.Task, setup func(r *rig) json.RawMessage) {
		r := newRig(t, task)
		raw := setup(r)
		r.handle(t, raw)
		r.now = r.now.Add(time.Hour)
		r.handle(t, raw)
		for _, c := range r.srv.Calls() {
			used["datasync:"+c.Operation] = true
		}
		for _, m := range r.sns.messages() {
			if m["Action"] == "Publish" {
				used["sns:Publish"] = true
			}
		}
	}
	run(&fakedatasync.Task{Name: "m", Mode: "ENHANCED"}, func(r *rig) json.RawMessage {
		return executionEvent(r.srv.AddExecution(r.task, r.now, fakedatasync.Step{Status: "ERROR"}), "ERROR")
	})
	run(&fakedatasync.Task{Name: "m", Mode: "ENHANCED", Schedule: "rate(1 hour)", ScheduleStatus: "DISABLED", ScheduleDisabledBy: "SERVICE"},
		func(r *rig) json.RawMessage {
			r.srv.AddExecution(r.task, r.now.Add(-5*time.Hour), fakedatasync.Step{Status: "SUCCESS"})
			r.srv.AddExecution(r.task, r.now, fakedatasync.Step{Status: "TRANSFERRING"})
			return scheduled
		})
	var usedList []string
	for a := range used {
		usedList = append(usedList, a)
	}
	slices.Sort(usedList)
	if want := monres.RequiredActions(monres.ExecutionEvent, monres.Check); !slices.Equal(usedList, want) {
		t.Errorf("calls made %v\ntable        %v", usedList, want)
	}
}

func TestWidgetShowsEveryTransferWithItsLastRun(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 day)", ScheduleStatus: "DISABLED", ScheduleDisabledBy: "SERVICE"})
	r.srv.AddExecution(r.task, r.now.Add(-time.Hour), fakedatasync.Step{Status: "SUCCESS", FilesListed: 10, FilesPrepared: 9, FilesTransferred: 9, FailedTransfer: 1, BytesWritten: 3 << 20})
	logs := r.srv.AddTask(&fakedatasync.Task{Account: account, Region: region, Name: "logs", Mode: "BASIC"})
	r.srv.AddExecution(logs, r.now.Add(-time.Hour), fakedatasync.Step{Status: "ERROR", ErrorCode: "S3AccessDenied"})
	r.srv.AddTask(&fakedatasync.Task{Account: account, Region: region, Name: "idle", Mode: "BASIC"})
	w := &Widget{DataSync: r.n.DataSync, Region: region, Transfers: []monres.WidgetTransfer{
		{Name: "media", Route: "s3://a -> s3://b", Dashboard: "datasync-media"}, {Name: "logs", Route: "s3://c -> s3://d"},
		{Name: "idle", Route: "s3://e -> s3://f"}, {Name: "planned", Route: "s3://g -> s3://h"},
	}}
	if !IsWidgetEvent(json.RawMessage(`{"widgetContext":{"dashboardName":"x"}}`)) || IsWidgetEvent(scheduled) {
		t.Fatal("IsWidgetEvent")
	}
	out, err := w.Render(context.Background(), json.RawMessage(`{"widgetContext":{"dashboardName":"datasync-111111111111-us-west-2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<b>media</b>", "AVAILABLE (ENHANCED)", "disabled by SERVICE", "execution ended SUCCESS, but 1 object failed",
		"10 listed, 9 prepared, 9 transferred, 3.0 MiB written", "1 failed", "#dashboards/dashboard/datasync-media",
		"<b>logs</b>", "execution ended in ERROR (S3AccessDenied)", "(BASIC)",
		"<b>idle</b>", "never run", "<b>planned</b>", "not deployed", "#/history/",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("widget lacks %q:\n%s", want, out)
		}
	}
	used := map[string]bool{}
	for _, c := range r.srv.Calls() {
		used["datasync:"+c.Operation] = true
	}
	var usedList []string
	for a := range used {
		usedList = append(usedList, a)
	}
	slices.Sort(usedList)
	if want := monres.RequiredActions(monres.DashboardWidget); !slices.Equal(usedList, want) {
		t.Errorf("widget calls %v, table %v", usedList, want)
	}
}

func TestOverdueCountsFromTheLastSuccessEvent(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 day)"})
	ok := r.srv.AddExecution(r.task, r.now.Add(-72*time.Hour), fakedatasync.Step{Status: "SUCCESS", Elapsed: time.Hour})
	r.handle(t, executionEvent(ok, "SUCCESS"))
	if tag := r.srv.Tags(r.task.Arn())[TagLastSuccess]; !strings.HasSuffix(tag, ok[strings.LastIndex(ok, "/")+1:]) {
		t.Fatalf("last-success tag %q", tag)
	}
	// Many runs since, all failed: the check reads the tag, not every execution.
	for i := 1; i <= 20; i++ {
		r.srv.AddExecution(r.task, r.now.Add(-72*time.Hour+time.Duration(i)*time.Hour), fakedatasync.Step{Status: "ERROR"})
	}
	before := len(r.srv.Calls())
	expectOne(t, r, r.handle(t, scheduled), Overdue, "Last success: "+ok)
	for _, c := range r.srv.Calls()[before:] {
		if c.Operation == "DescribeTaskExecution" {
			t.Errorf("the check described %v", c.Input)
		}
	}

	// A schedule a user disabled is not overdue.
	r2 := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED", Schedule: "rate(1 hour)", ScheduleStatus: "DISABLED", ScheduleDisabledBy: "USER"})
	if got := r2.handle(t, scheduled); len(got) != 0 {
		t.Errorf("a disabled schedule is overdue: %+v", got)
	}
}

// A long transfer name and many problems make a subject of over 100 characters,
// which SNS refuses (the whole Publish fails): every subject is cut below 100.
func TestLongSubjectsAreCutBelowSNSLimit(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	r.n.Transfer = strings.Repeat("x", 32) // spec's longest name
	arn := r.srv.AddExecution(r.task, r.now.Add(-2*time.Hour), fakedatasync.Step{
		Status: "SUCCESS", Elapsed: time.Hour, FilesTransferred: 885, FilesSkipped: 1234567, FailedTransfer: 7654321,
	})
	n := expectOne(t, r, r.handle(t, executionEvent(arn, "SUCCESS")), Incomplete, "7,654,321 objects failed, 1,234,567 objects skipped")
	if len(n.Subject) >= 100 || !strings.HasSuffix(n.Subject, "...") {
		t.Errorf("subject %q (%d characters): want it cut below 100 with ...", n.Subject, len(n.Subject))
	}
}

// A topic of another Region (a library user's central topic) is published to in
// its own Region: SNS refuses a topic ARN of another Region than the endpoint's.
func TestTopicsOfOtherRegionsArePublishedInTheirRegion(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "media", Mode: "ENHANCED"})
	other := "arn:aws:sns:eu-west-1:111111111111:central"
	creds := credentials.NewStaticCredentialsProvider("AKIDNOTIFIER", "secret", "")
	sn := sns.New(sns.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(r.sns.URL)})
	r.n.Publish = SNSPublisher(sn, []string{other, topic})
	arn := r.srv.AddExecution(r.task, r.now.Add(-time.Hour), fakedatasync.Step{Status: "ERROR", Elapsed: time.Minute, ErrorCode: "S3AccessDenied"})
	r.handle(t, executionEvent(arn, "ERROR"))
	var got []string
	for _, m := range r.sns.messages() {
		got = append(got, m["TopicArn"])
	}
	if !slices.Equal(got, []string{other, topic}) {
		t.Errorf("published to %v, want %v", got, []string{other, topic})
	}
}

// A notification whose publish fails is not recorded as sent: the retry of the
// invocation (or the next check) sends it. Before, the check tagged it as notified
// before publishing, so a throttled or refused Publish lost it for good.
func TestFailedPublishIsSentAgainByTheNextCheck(t *testing.T) {
	for _, tc := range []struct {
		kind  Kind
		task  fakedatasync.Task
		setup func(r *rig)
	}{
		{ScheduleDisabled, fakedatasync.Task{Schedule: "rate(1 day)", ScheduleStatus: "DISABLED", ScheduleDisabledBy: "SERVICE",
			ScheduleUpdated: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)},
			func(r *rig) {
				r.srv.AddExecution(r.task, r.now.Add(-10*time.Hour), fakedatasync.Step{Status: "SUCCESS"})
			}},
		{Stalled, fakedatasync.Task{}, func(r *rig) {
			r.srv.AddExecution(r.task, r.now.Add(-time.Hour), fakedatasync.Step{Status: "TRANSFERRING", FilesTransferred: 20})
			r.handle(t, scheduled) // starts the clock
			r.now = r.now.Add(40 * time.Minute)
		}},
		{Overdue, fakedatasync.Task{Schedule: "rate(1 day)", ScheduleStatus: "ENABLED"},
			func(r *rig) {
				r.srv.AddExecution(r.task, r.now.Add(-72*time.Hour), fakedatasync.Step{Status: "SUCCESS"})
			}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			task := tc.task
			task.Name, task.Mode = "media", "ENHANCED"
			r := newRig(t, &task)
			tc.setup(r)
			publish := r.n.Publish
			r.n.Publish = func(context.Context, Notification) error { return errors.New("Throttling: Rate exceeded") }
			if got, err := r.n.Handle(context.Background(), scheduled); err == nil || len(got) != 1 || got[0].Kind != tc.kind {
				t.Fatalf("failing publish: %v, %+v; want an error and one %s", err, got, tc.kind)
			}
			r.n.Publish = publish
			r.now = r.now.Add(5 * time.Minute)
			expectOne(t, r, r.handle(t, scheduled), tc.kind)
			if got := r.handle(t, scheduled); len(got) != 0 {
				t.Errorf("sent again after a successful publish: %+v", got)
			}
		})
	}
}

// slowDescribe answers DescribeTask after a delay, counting the calls in flight.
type slowDescribe struct {
	DataSyncAPI
	delay          time.Duration
	mu             sync.Mutex
	inFlight, peak int
}

func (s *slowDescribe) DescribeTask(ctx context.Context, in *datasync.DescribeTaskInput, opts ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error) {
	s.mu.Lock()
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	s.mu.Unlock()
	time.Sleep(s.delay)
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	return s.DataSyncAPI.DescribeTask(ctx, in, opts...)
}

// The widget reads the rows of many transfers concurrently, in a bounded number,
// keeping their order: one after another, the 400 reads of 200 transfers leave
// 75 ms each within the function's 30 seconds.
func TestWidgetReadsRowsConcurrentlyInOrder(t *testing.T) {
	r := newRig(t, &fakedatasync.Task{Name: "t00", Mode: "ENHANCED"})
	transfers := []monres.WidgetTransfer{{Name: "t00"}}
	for i := 1; i < 40; i++ {
		name := fmt.Sprintf("t%02d", i)
		r.srv.AddTask(&fakedatasync.Task{Account: account, Region: region, Name: name, Mode: "BASIC"})
		transfers = append(transfers, monres.WidgetTransfer{Name: name})
	}
	slow := &slowDescribe{DataSyncAPI: r.n.DataSync, delay: 20 * time.Millisecond}
	w := &Widget{DataSync: slow, Region: region, Transfers: transfers}
	out, err := w.Render(context.Background(), json.RawMessage(`{"widgetContext":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if slow.peak < 2 || slow.peak > widgetConcurrency {
		t.Errorf("%d DescribeTask calls at once, want 2 to %d", slow.peak, widgetConcurrency)
	}
	last := -1
	for _, tr := range transfers {
		i := strings.Index(out, "<b>"+tr.Name+"</b>")
		if i <= last {
			t.Fatalf("row %s missing or out of order", tr.Name)
		}
		last = i
	}
}
