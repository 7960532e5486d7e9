package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
)

// TestNotifyAnEventFromAFile runs the command as a user does, with the AWS
// environment pointed at the DataSync stand-in.
func TestNotifyAnEventFromAFile(t *testing.T) {
	srv := fakedatasync.New()
	t.Cleanup(srv.Close)
	srv.AddKey("AKIDNOTIFY", "111111111111")
	task := srv.AddTask(&fakedatasync.Task{Account: "111111111111", Region: "us-west-2", Name: "media", Mode: "ENHANCED"})
	exec := srv.AddExecution(task, time.Now().Add(-time.Hour), fakedatasync.Step{Status: "ERROR", ErrorCode: "S3AccessDenied", ErrorDetail: "denied"})
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DATASYNC": srv.URL, "AWS_ACCESS_KEY_ID": "AKIDNOTIFY", "AWS_SECRET_ACCESS_KEY": "x",
		"AWS_CONFIG_FILE": filepath.Join(dir, "c"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "k"), "AWS_PROFILE": "",
		"AWS_SESSION_TOKEN": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte(`{"source":"aws.datasync","detail-type":"DataSync Task Execution State Change","resources":["`+exec+`"],"detail":{"State":"ERROR"}}`), 0o644)

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-transfer", "media", "-task-arn", task.Arn(), event}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "== failed\nSubject: DataSync media: execution ended in ERROR (S3AccessDenied)") ||
		!strings.Contains(stdout.String(), "Error detail: denied") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}

	// Bad usage: every problem at once, exit 2.
	stderr.Reset()
	code = run(context.Background(), []string{"-task-arn", "nope", "-stall-minutes", "1"}, strings.NewReader("{}"), &stdout, &stderr)
	for _, want := range []string{"-transfer is required", `-task-arn "nope" is not a DataSync task ARN`, "-stall-minutes 1 is not 10 to 10080"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}
