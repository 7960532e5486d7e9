package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
)

// lastRuns gives photos a successful run and logs a failed one, both in the past.
func lastRuns(e *env) {
	start := time.Date(2026, 8, 9, 1, 0, 0, 0, time.UTC)
	steps := enhancedSuccess()
	e.srv.AddExecution(e.photos(), start, steps[len(steps)-1])
	failed := basicError()
	e.srv.AddExecution(e.logs(), start.Add(time.Hour), failed[len(failed)-1])
}

func row(t *testing.T, out, name string) string {
	t.Helper()
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	t.Fatalf("no row %q in:\n%s", name, out)
	return ""
}

func TestStatusTable(t *testing.T) {
	// GIVEN photos (ENHANCED) ran fine, logs (BASIC) failed, archive is not deployed
	e := newEnv(t)
	lastRuns(e)

	// WHEN
	r := e.run("status", "-c", e.config)

	// THEN every transfer has its row; not deployed is a state, not a failure
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	photos := strings.Fields(row(t, r.stdout, "photos"))
	// photos us-west-2 AVAILABLE SUCCESS 2026-08-09 01:00 5m00s 10,000 10 GB 50 MB/s <next> <next time>~ rate(1 day)
	want := []string{"photos", "us-west-2", "AVAILABLE", "SUCCESS", "2026-08-09", "01:00", "5m00s", "10,000", "10", "GB", "50", "MB/s"}
	if strings.Join(photos[:len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("photos row = %q, want it to start with %q", photos, want)
	}
	// the next run of rate(1 day) counts whole days from when the schedule was set (30h ago)
	if !strings.Contains(row(t, r.stdout, "photos"), "~  rate(1 day)") {
		t.Errorf("photos row has no estimated next run of rate(1 day): %q", row(t, r.stdout, "photos"))
	}

	logs := row(t, r.stdout, "logs")
	now := time.Now().UTC()
	next := now.Truncate(24 * time.Hour).Add(2 * time.Hour)
	if !next.After(now) {
		next = next.Add(24 * time.Hour)
	}
	for _, w := range []string{"eu-west-1", "AVAILABLE", "ERROR", "2026-08-09 02:00", "1m30s", "310", "1.6 GB", "26 MB/s", next.Format(stamp) + "  cron(0 2 * * ? *)"} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs row lacks %q: %q", w, logs)
		}
	}
	if !strings.Contains(r.stdout, "logs: last run S3AccessDenied: DataSync could not write to s3://acme-logs-dst: Access Denied") {
		t.Errorf("the failed run's error is not shown")
	}
	if !strings.Contains(row(t, r.stdout, "archive"), "not deployed") ||
		!strings.Contains(r.stdout, `archive: no DataSync task named "archive" in us-east-1 of account 111111111111: the transfer is not deployed yet. Deploy stack archive-source into account 111111111111`) {
		t.Errorf("archive is not reported as not deployed with its stack")
	}

	// each task was looked up in its own Region with the source account's credentials
	regions := map[string]bool{}
	for _, c := range e.srv.Calls() {
		if c.Operation == "ListTasks" {
			regions[c.Region] = true
		}
		if c.Account != sourceAccount {
			t.Errorf("call %s by account %s", c.Operation, c.Account)
		}
	}
	if len(regions) != 3 || !regions["us-west-2"] || !regions["eu-west-1"] || !regions["us-east-1"] {
		t.Errorf("ListTasks went to %v, want the three destination Regions", regions)
	}
}

func TestStatusJSON(t *testing.T) {
	// GIVEN
	e := newEnv(t)
	lastRuns(e)
	updated := time.Now().Add(-30 * time.Hour).Truncate(time.Second)

	// WHEN
	r := e.run("status", "-c", e.config, "--json")

	// THEN
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	var out struct {
		Transfers []struct {
			Name, Region, TaskMode, TaskStatus, Error string
			Deployed                                  bool
			LastRun                                   *struct {
				Status, ErrorCode string
				BytesWritten      int64
				BytesPerSecond    float64
				DurationSeconds   float64
				Enhanced          *struct{ ListedAtSource, Prepared int64 }
			}
			Schedule *struct {
				Expression       string
				NextRun          time.Time
				NextRunEstimated bool
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(out.Transfers) != 3 {
		t.Fatalf("%d transfers, want 3", len(out.Transfers))
	}
	photos, logs, archive := out.Transfers[0], out.Transfers[1], out.Transfers[2]
	if photos.Name != "photos" || !photos.Deployed || photos.TaskMode != "ENHANCED" || photos.LastRun == nil ||
		photos.LastRun.Status != "SUCCESS" || photos.LastRun.DurationSeconds != 300 {
		t.Errorf("photos = %+v", photos)
	}
	// 10 GB written in a 200 s transfer phase
	if photos.LastRun.BytesPerSecond != 50e6 {
		t.Errorf("photos rate = %v, want 50e6", photos.LastRun.BytesPerSecond)
	}
	if e := photos.LastRun.Enhanced; e == nil || e.ListedAtSource != 10000 || e.Prepared != 10000 {
		t.Errorf("photos enhanced counters = %+v", e)
	}
	if s := photos.Schedule; s == nil || !s.NextRunEstimated || !s.NextRun.Equal(updated.Add(48*time.Hour)) {
		t.Errorf("photos schedule = %+v, want an estimated next run at %s", s, updated.Add(48*time.Hour))
	}
	if logs.TaskMode != "BASIC" || logs.LastRun == nil || logs.LastRun.Status != "ERROR" || logs.LastRun.ErrorCode != "S3AccessDenied" ||
		logs.LastRun.Enhanced != nil || logs.Schedule == nil || logs.Schedule.NextRunEstimated {
		t.Errorf("logs = %+v", logs)
	}
	if archive.Deployed || !strings.Contains(archive.Error, "archive-source") {
		t.Errorf("archive = %+v", archive)
	}
}

func TestStatusWrongAccount(t *testing.T) {
	// GIVEN credentials of another account, which has a task of its own in us-west-2
	e := newEnv(t)
	lastRuns(e)
	e.srv.AddTask(&fakedatasync.Task{Account: otherAccount, Region: "us-west-2", Name: "something-else", Mode: "BASIC"})
	e.set("AWS_ACCESS_KEY_ID", otherKey)

	// WHEN
	r := e.run("status", "-c", e.config)

	// THEN the row says which account the credentials are for and which to use
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	want := "photos: these credentials are for account 999999999999, but the transfer's task is in its source account 111111111111: use --profile NAME (or AWS_PROFILE) with credentials of account 111111111111"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("no %q", want)
	}
	// eu-west-1, where that account has no task, is told by the ARNs of us-west-2
	if !strings.Contains(r.stdout, "logs: these credentials are for account 999999999999") {
		t.Errorf("logs row does not name the credentials' account")
	}
}

func TestStatusAccountUnknown(t *testing.T) {
	// GIVEN credentials of an account with no task anywhere, that do not say their account
	e := newEnv(t)
	lastRuns(e)
	e.set("AWS_ACCESS_KEY_ID", otherKey)

	r := e.run("status", "-c", e.config)

	// THEN not deployed, or credentials of another account: both are named
	if !strings.Contains(r.stdout, `logs: no DataSync task named "logs" in eu-west-1: the transfer is not deployed yet. Deploy stack logs-source into account 111111111111`) ||
		!strings.Contains(r.stdout, "If it is deployed, these credentials are for another account than 111111111111: use --profile NAME") {
		t.Errorf("logs row does not name both causes")
	}
}

func TestStatusWrongAccountFromCredentials(t *testing.T) {
	// GIVEN credentials that say their account (AWS_ACCOUNT_ID), of an account with no tasks
	e := newEnv(t)
	lastRuns(e)
	e.set("AWS_ACCESS_KEY_ID", otherKey)
	e.set("AWS_ACCOUNT_ID", otherAccount)

	r := e.run("status", "-c", e.config)

	if !strings.Contains(r.stdout, "logs: these credentials are for account 999999999999, but the transfer's task is in its source account 111111111111") {
		t.Errorf("the credentials' own account is not used")
	}
}

func TestStatusAccessDenied(t *testing.T) {
	// GIVEN the source account's credentials may not list tasks
	e := newEnv(t)
	lastRuns(e)
	e.srv.Deny(sourceAccount, "ListTasks")

	r := e.run("status", "-c", e.config)

	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	// the denial names the resource, its account, the profile used and the permission missing
	want := `access denied: arn:aws:sts::111111111111:assumed-role/operator/session may not call datasync:ListTasks on the tasks of account 111111111111 in us-west-2 (credentials: the default credential chain, account 111111111111). Missing permission: datasync:ListTasks`
	if !strings.Contains(r.stdout, want) {
		t.Errorf("no %q", want)
	}
	// what could not be checked is unknown, not "not deployed"
	if !strings.Contains(row(t, r.stdout, "archive"), "unknown") || strings.Contains(r.stdout, "not deployed") {
		t.Errorf("a transfer that could not be checked is not shown as unknown")
	}
}

func TestNoCredentials(t *testing.T) {
	// GIVEN no credentials anywhere
	e := newEnv(t)
	e.set("AWS_ACCESS_KEY_ID", "")
	e.set("AWS_SECRET_ACCESS_KEY", "")

	r := e.run("status", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, "no AWS credentials") || !strings.Contains(r.stderr, "Pass --profile NAME") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("%d calls to DataSync without credentials", n)
	}
}

func TestUnknownProfile(t *testing.T) {
	e := newEnv(t)
	r := e.run("status", "-c", e.config, "--profile", "nope")
	// Neither shared file exists here: the message names both (it once read "is not in :").
	if r.code != 1 || !strings.Contains(r.stderr, `AWS profile "nope" is not configured: neither `) || strings.Contains(r.stderr, "is not in :") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRejectedCredentials(t *testing.T) {
	// GIVEN an access key DataSync does not know
	e := newEnv(t)
	e.set("AWS_ACCESS_KEY_ID", "AKIDUNKNOWNEXAMPLE00")

	r := e.run("status", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stdout, "AWS rejected these credentials (UnrecognizedClientException: The security token included in the request is invalid.)") {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestStatusEmbeddedExample(t *testing.T) {
	// GIVEN no -c: the example's transfers (source accounts 111111111111 and 333333333333)
	e := newEnv(t)
	e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "media-archive", Mode: "ENHANCED"})

	r := e.run("status")

	if !strings.Contains(r.stderr, "using the embedded example config") {
		t.Errorf("no note that the example is used")
	}
	if !strings.Contains(row(t, r.stdout, "media-archive"), "never ran") {
		t.Errorf("media-archive row: %q", row(t, r.stdout, "media-archive"))
	}
	row(t, r.stdout, "logs-consolidation")
}

func TestStatusWhileRunning(t *testing.T) {
	// GIVEN photos is in the middle of a run
	e := newEnv(t)
	task := e.photos()
	e.srv.AddExecution(task, time.Now().Add(-10*time.Minute), enhancedSuccess()[4])

	r := e.run("status", "-c", e.config)

	// THEN the run so far: its phase, how long it has been going, what it moved
	photos := row(t, r.stdout, "photos")
	for _, w := range []string{"RUNNING", "TRANSFERRING", "10m00s", "6,000", "6.0 GB"} {
		if !strings.Contains(photos, w) {
			t.Errorf("photos row lacks %q: %q", w, photos)
		}
	}
}

func TestStatusScheduleDisabledByDataSync(t *testing.T) {
	// GIVEN DataSync disabled photos' schedule after failures
	e := newEnv(t)
	task := e.photos()
	task.ScheduleStatus, task.ScheduleDisabledBy = "DISABLED", "SERVICE"
	task.ScheduleDisabledReason = "Task failed 3 times in a row with S3AccessDenied"

	r := e.run("status", "-c", e.config)

	if !strings.Contains(row(t, r.stdout, "photos"), "disabled by SERVICE  rate(1 day)") ||
		!strings.Contains(r.stdout, "photos: schedule rate(1 day) disabled by SERVICE: Task failed 3 times in a row with S3AccessDenied") {
		t.Errorf("the disabled schedule and its reason are not shown")
	}
}
