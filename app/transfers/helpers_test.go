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

// TestMain lets a test run this test binary as the transfers command itself
// (TRANSFERS_TEST_MAIN=1), for the pseudo-terminal tests.
func TestMain(m *testing.M) {
	if os.Getenv("TRANSFERS_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

const (
	sourceAccount = "111111111111"
	sourceKey     = "AKIDSOURCE111111EXAMPLE"
	otherAccount  = "999999999999"
	otherKey      = "AKIDOTHER9999999EXAMPLE"
)

// testConfig has an ENHANCED transfer (photos, us-west-2), a BASIC one (logs,
// eu-west-1) and one that is never deployed (archive, us-east-1), all from account
// 111111111111.
const testConfig = `transfers:
  - name: photos
    source: {account: "111111111111", region: us-east-1, bucket: acme-photos-src}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-photos-dst}
    task: {schedule: "rate(1 day)"}
  - name: logs
    source: {account: "111111111111", region: eu-west-1, bucket: acme-logs-src}
    destination: {account: "222222222222", region: eu-west-1, bucket: acme-logs-dst}
    task: {mode: BASIC, schedule: "cron(0 2 * * ? *)"}
  - name: archive
    source: {account: "111111111111", region: us-east-1, bucket: acme-archive-src}
    destination: {account: "222222222222", region: us-east-1, bucket: acme-archive-dst}
`

// env is a fake DataSync and an AWS environment that points the SDK at it, with
// credentials of the source account and nothing from the machine's own AWS setup.
type env struct {
	t      *testing.T
	srv    *fakedatasync.Server
	config string // path of testConfig
	vars   []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := fakedatasync.New()
	t.Cleanup(srv.Close)
	srv.AddKey(sourceKey, sourceAccount)
	srv.AddKey(otherKey, otherAccount)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "transfers.yaml")
	if err := os.WriteFile(cfg, []byte(testConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, config: cfg}
	e.set("AWS_ENDPOINT_URL_DATASYNC", srv.URL)
	e.set("AWS_ACCESS_KEY_ID", sourceKey)
	e.set("AWS_SECRET_ACCESS_KEY", "fake-secret")
	e.set("AWS_CONFIG_FILE", filepath.Join(dir, "aws-config"))
	e.set("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws-credentials"))
	e.set("AWS_EC2_METADATA_DISABLED", "true")
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN",
		"AWS_ACCOUNT_ID", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		e.set(v, "")
	}
	return e
}

// set sets an environment variable for the test and for commands it starts.
func (e *env) set(name, value string) {
	e.t.Setenv(name, value)
	if value == "" {
		os.Unsetenv(name)
	}
	e.vars = append(e.vars, name+"="+value)
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the command in this process with args.
func (e *env) run(args ...string) result {
	return e.runCtx(context.Background(), args...)
}

func (e *env) runCtx(ctx context.Context, args ...string) result {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	e.t.Logf("transfers %s -> %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return result{code, stdout.String(), stderr.String()}
}

// photos adds the ENHANCED task of transfer photos to the fake.
func (e *env) photos() *fakedatasync.Task {
	return e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "ENHANCED",
		Schedule: "rate(1 day)", ScheduleUpdated: time.Now().Add(-30 * time.Hour).Truncate(time.Second)})
}

// logs adds the BASIC task of transfer logs to the fake.
func (e *env) logs() *fakedatasync.Task {
	return e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "eu-west-1", Name: "logs", Mode: "BASIC",
		Schedule: "cron(0 2 * * ? *)"})
}

const (
	gb = int64(1_000_000_000)
	mb = int64(1_000_000)
)

// enhancedSuccess is an ENHANCED run of 10,000 files and 10 GB that succeeds: listing
// and preparing while it transfers, then verifying.
func enhancedSuccess() []fakedatasync.Step {
	return []fakedatasync.Step{
		{Status: "QUEUED"},
		{Status: "LAUNCHING", Elapsed: 20 * time.Second},
		{Status: "PREPARING", Elapsed: time.Minute, FilesListed: 4000, FilesPrepared: 2500},
		{Status: "TRANSFERRING", Elapsed: 2 * time.Minute, EstimatedFiles: 10000, EstimatedBytes: 10 * gb,
			FilesListed: 10000, FilesPrepared: 10000, FilesTransferred: 2500, BytesWritten: 2500 * mb, BytesTransferred: 2500 * mb},
		{Status: "TRANSFERRING", Elapsed: 3 * time.Minute, EstimatedFiles: 10000, EstimatedBytes: 10 * gb,
			FilesListed: 10000, FilesPrepared: 10000, FilesTransferred: 6000, BytesWritten: 6 * gb, BytesTransferred: 6 * gb, FilesVerified: 1000},
		{Status: "VERIFYING", Elapsed: 4 * time.Minute, EstimatedFiles: 10000, EstimatedBytes: 10 * gb,
			FilesListed: 10000, FilesPrepared: 10000, FilesTransferred: 10000, BytesWritten: 10 * gb, BytesTransferred: 10 * gb, FilesVerified: 7000},
		{Status: "SUCCESS", Elapsed: 5 * time.Minute, EstimatedFiles: 10000, EstimatedBytes: 10 * gb,
			FilesListed: 10000, FilesPrepared: 10000, FilesTransferred: 10000, BytesWritten: 10 * gb, BytesTransferred: 10 * gb, FilesVerified: 10000,
			PrepareDuration: 40 * time.Second, TransferDuration: 200 * time.Second, VerifyDuration: 60 * time.Second},
	}
}

// basicError is a BASIC run that fails while transferring.
func basicError() []fakedatasync.Step {
	return []fakedatasync.Step{
		{Status: "LAUNCHING"},
		{Status: "PREPARING", Elapsed: 30 * time.Second},
		{Status: "TRANSFERRING", Elapsed: time.Minute, EstimatedFiles: 800, EstimatedBytes: 4 * gb, FilesSkipped: 12,
			FilesTransferred: 300, BytesWritten: 1500 * mb, BytesTransferred: 1500 * mb},
		{Status: "ERROR", Elapsed: 90 * time.Second, EstimatedFiles: 800, EstimatedBytes: 4 * gb, FilesSkipped: 12,
			FilesTransferred: 310, BytesWritten: 1550 * mb, BytesTransferred: 1550 * mb,
			PrepareDuration: 25 * time.Second, TransferDuration: 60 * time.Second,
			ErrorCode: "S3AccessDenied", ErrorDetail: "DataSync could not write to s3://acme-logs-dst: Access Denied"},
	}
}

// stillGoing is a run that keeps transferring.
func stillGoing() []fakedatasync.Step {
	return []fakedatasync.Step{
		{Status: "LAUNCHING"},
		{Status: "TRANSFERRING", Elapsed: time.Minute, EstimatedFiles: 500, EstimatedBytes: 50 * gb, FilesTransferred: 40, BytesWritten: 4 * gb},
	}
}
