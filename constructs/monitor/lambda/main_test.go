package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
)

// runtimeAPI is a stand-in for the Lambda runtime API: it hands out one event per
// invocation and records each response or error.
type runtimeAPI struct {
	*httptest.Server
	mu      sync.Mutex
	events  []string
	replies chan string
}

func newRuntimeAPI(t *testing.T, events ...string) *runtimeAPI {
	r := &runtimeAPI{events: events, replies: make(chan string, len(events))}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodGet && req.URL.Path == "/2018-06-01/runtime/invocation/next":
			r.mu.Lock()
			if len(r.events) == 0 {
				r.mu.Unlock()
				<-req.Context().Done() // no more work: the function waits, as in Lambda
				return
			}
			ev := r.events[0]
			r.events = r.events[1:]
			r.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", fmt.Sprintf("req-%d", time.Now().UnixNano()))
			w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-west-2:111111111111:function:datasync-media-notifier")
			io.WriteString(w, ev)
		case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/response"):
			body, _ := io.ReadAll(req.Body)
			r.replies <- "response " + string(body)
			w.WriteHeader(http.StatusAccepted)
		case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/error"):
			body, _ := io.ReadAll(req.Body)
			r.replies <- "error " + string(body)
			w.WriteHeader(http.StatusAccepted)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// TestTheFunctionServesEventsThroughTheRuntimeAPI builds this main package for this
// machine and runs it as Lambda does, against the DataSync stand-in and a local SNS:
// the notifier publishes a failed run; in widget mode it returns the table's HTML.
func TestTheFunctionServesEventsThroughTheRuntimeAPI(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := fakedatasync.New()
	t.Cleanup(srv.Close)
	srv.AddKey("AKIDFUNCTION", "111111111111")
	task := srv.AddTask(&fakedatasync.Task{Account: "111111111111", Region: "us-west-2", Name: "media", Mode: "ENHANCED"})
	execArn := srv.AddExecution(task, time.Now().Add(-time.Hour), fakedatasync.Step{Status: "ERROR", ErrorCode: "S3AccessDenied", ErrorDetail: "denied"})
	var published []url.Values
	var mu sync.Mutex
	snsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(body))
		mu.Lock()
		published = append(published, v)
		mu.Unlock()
		io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>`)
	}))
	t.Cleanup(snsSrv.Close)

	run := func(env []string, event string) string {
		t.Helper()
		api := newRuntimeAPI(t, event)
		cmd := exec.Command(bin)
		dir := t.TempDir()
		cmd.Env = append([]string{
			"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.URL, "http://"),
			"AWS_REGION=us-west-2", "AWS_ACCESS_KEY_ID=AKIDFUNCTION", "AWS_SECRET_ACCESS_KEY=x",
			"AWS_ENDPOINT_URL_DATASYNC=" + srv.URL, "AWS_ENDPOINT_URL_SNS=" + snsSrv.URL,
			"AWS_CONFIG_FILE=" + filepath.Join(dir, "c"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "k"),
			"AWS_EC2_METADATA_DISABLED=true", "PATH=" + os.Getenv("PATH"),
		}, env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		select {
		case reply := <-api.replies:
			return reply
		case <-time.After(30 * time.Second):
			t.Fatal("the function did not answer")
		}
		return ""
	}

	// The notifier: a failed run is published to the topic.
	reply := run([]string{
		monres.EnvTransfer + "=media", monres.EnvTaskArn + "=" + task.Arn(), monres.EnvStallMinutes + "=30",
		monres.EnvTopicArns + "=arn:aws:sns:us-west-2:111111111111:ops", monres.EnvTaskLogGroup + "=/aws/datasync",
	}, `{"source":"aws.datasync","detail-type":"DataSync Task Execution State Change","resources":["`+execArn+`"],"detail":{"State":"ERROR"}}`)
	mu.Lock()
	n := len(published)
	var msg url.Values
	if n > 0 {
		msg = published[0]
	}
	mu.Unlock()
	if !strings.HasPrefix(reply, "response ") || n != 1 || msg.Get("TopicArn") != "arn:aws:sns:us-west-2:111111111111:ops" ||
		!strings.Contains(msg.Get("Message"), "Error code:   S3AccessDenied") {
		t.Errorf("reply %q, published %d: %v", reply, n, msg)
	}

	// Widget mode: the HTML table is the function's result.
	rows, _ := json.Marshal([]monres.WidgetTransfer{{Name: "media", Route: "s3://a -> s3://b"}})
	reply = run([]string{monres.EnvWidgetTransfers + "=" + string(rows)}, `{"widgetContext":{"dashboardName":"datasync-111111111111-us-west-2"}}`)
	var html string
	if !strings.HasPrefix(reply, "response ") || json.Unmarshal([]byte(strings.TrimPrefix(reply, "response ")), &html) != nil ||
		!strings.Contains(html, "<b>media</b>") || !strings.Contains(html, "execution ended in ERROR (S3AccessDenied)") {
		t.Errorf("widget reply %q", reply)
	}

	// Missing configuration: the function fails its invocation, naming what is missing.
	api := newRuntimeAPI(t, `{}`)
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.URL, "http://"), "AWS_REGION=us-west-2", "AWS_EC2_METADATA_DISABLED=true"}
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "TRANSFER_NAME and TASK_ARN are required") {
		t.Errorf("without its environment the function says %q", out)
	}
}
