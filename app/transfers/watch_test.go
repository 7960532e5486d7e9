package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

var startedRe = regexp.MustCompile(`(?m)^photos: started (arn:aws:datasync:us-west-2:111111111111:task/task-[0-9a-f]{17}/execution/exec-[0-9a-f]{17})$`)

func TestStartWatchEnhancedSuccess(t *testing.T) {
	// GIVEN photos' next run succeeds
	e := newEnv(t)
	e.photos().Run = enhancedSuccess()

	// WHEN started and followed, without a terminal
	r := e.run("start", "photos", "-c", e.config, "--watch", "--interval", "5ms")

	// THEN the ARN, one line per change through every phase, and the result
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	m := startedRe.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no execution ARN printed")
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var statuses []string
	for _, l := range lines[1 : len(lines)-1] {
		statuses = append(statuses, strings.Fields(l)[2])
	}
	if got := strings.Join(statuses, " "); got != "QUEUED LAUNCHING PREPARING TRANSFERRING TRANSFERRING VERIFYING SUCCESS" {
		t.Errorf("statuses %q", got)
	}
	for _, w := range []struct{ has, ends string }{
		{"PREPARING  files 0 / 2,500 (0%)  bytes 0 B / estimating…  ", "ENHANCED: listed 4,000 · prepared 2,500 · skipped 0 · verified 0 · failed 0"},
		{"TRANSFERRING  files 6,000 / 10,000 (60%)  bytes 6.0 GB / 10 GB (60%)  ", "ENHANCED: listed 10,000 · prepared 10,000 · skipped 0 · verified 1,000 · failed 0"},
	} {
		if l := lineWith(t, r.stdout, w.has); !strings.HasSuffix(l, w.ends) {
			t.Errorf("line %q does not end with %q", l, w.ends)
		}
	}
	// while transferring: the rate and the time left
	if l := lineWith(t, r.stdout, "files 6,000"); !regexp.MustCompile(`  [0-9.]+ [kMGT]?B/s · [0-9hms]+ left  `).MatchString(l) {
		t.Errorf("no rate and time left in %q", l)
	}
	if last := lines[len(lines)-1]; last != "photos: SUCCESS in 5m00s: 10,000 files, 10 GB written at 50 MB/s; 10,000 verified, 0 skipped" {
		t.Errorf("last line %q", last)
	}
	// started and followed in photos' Region, by its execution ARN
	var started, described bool
	for _, c := range e.srv.Calls() {
		switch c.Operation {
		case "StartTaskExecution":
			started = c.Region == "us-west-2" && strings.HasPrefix(m[1], c.Input["TaskArn"].(string)+"/execution/")
		case "DescribeTaskExecution":
			described = c.Region == "us-west-2" && c.Input["TaskExecutionArn"] == m[1]
		}
	}
	if !started || !described {
		t.Errorf("calls %+v", e.srv.Calls())
	}
}

// lineWith is the line of out that contains s.
func lineWith(t *testing.T, out, s string) string {
	t.Helper()
	for l := range strings.Lines(out) {
		if strings.Contains(l, s) {
			return strings.TrimSuffix(l, "\n")
		}
	}
	t.Errorf("no line with %q", s)
	return ""
}

func TestWatchBasicError(t *testing.T) {
	// GIVEN logs (BASIC) is running a run that will fail
	e := newEnv(t)
	task := e.logs()
	task.Run = basicError()
	e.srv.AddExecution(task, time.Now())

	// WHEN
	r := e.run("watch", "logs", "-c", e.config, "--interval", "5ms")

	// THEN BASIC counters, then DataSync's error, and exit 1
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	if l := lineWith(t, r.stdout, "TRANSFERRING  files 300 / 800 (37%)  bytes 1.5 GB / 4.0 GB (37%)  "); !strings.HasSuffix(l, "  BASIC: skipped 12 · verified 0") {
		t.Errorf("no BASIC counters in %q", l)
	}
	if strings.Contains(r.stdout, "ENHANCED") {
		t.Errorf("ENHANCED counters shown for a BASIC task")
	}
	want := "logs: ERROR after 1m30s: 310 of 800 files, 1.6 GB of 4.0 GB written\n  DataSync error S3AccessDenied: DataSync could not write to s3://acme-logs-dst: Access Denied\n"
	if !strings.HasSuffix(r.stdout, want) {
		t.Errorf("stdout does not end with %q", want)
	}
}

func TestWatchFollowsTheRunningExecution(t *testing.T) {
	// GIVEN an old finished run, the running one, and one queued behind it
	e := newEnv(t)
	task := e.photos()
	done := enhancedSuccess()
	e.srv.AddExecution(task, time.Now().Add(-24*time.Hour), done[len(done)-1])
	running := e.srv.AddExecution(task, time.Now(), enhancedSuccess()[3:]...)
	e.srv.AddExecution(task, time.Now(), enhancedSuccess()...)

	r := e.run("watch", "photos", "-c", e.config, "--interval", "5ms")

	if r.code != 0 || !strings.Contains(r.stdout, "photos TRANSFERRING  files 2,500 / 10,000 (25%)") {
		t.Errorf("exit %d", r.code)
	}
	// the current execution is the queued one: read once, then the running one is followed
	var described []any
	for _, c := range e.srv.Calls() {
		if c.Operation == "DescribeTaskExecution" {
			described = append(described, c.Input["TaskExecutionArn"])
		}
	}
	for _, arn := range described[1:] {
		if arn != running {
			t.Errorf("followed %v, want the running %s", arn, running)
		}
	}
}

func TestWatchLatestWhenNoneRuns(t *testing.T) {
	// GIVEN only finished runs: watch shows the latest and its result
	e := newEnv(t)
	task := e.logs()
	failed := basicError()
	e.srv.AddExecution(task, time.Now().Add(-48*time.Hour), enhancedSuccess()[6])
	e.srv.AddExecution(task, time.Now().Add(-24*time.Hour), failed[len(failed)-1])

	r := e.run("watch", "logs", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stdout, "DataSync error S3AccessDenied") {
		t.Errorf("exit %d", r.code)
	}
}

func TestWatchByExecutionArn(t *testing.T) {
	// GIVEN a running execution known by its ARN only
	e := newEnv(t)
	task := e.photos()
	task.Run = enhancedSuccess()
	arn := e.srv.AddExecution(task, time.Now())

	r := e.run("watch", arn, "--interval", "5ms")

	if r.code != 0 || !strings.Contains(r.stdout, "photos: SUCCESS in 5m00s") {
		t.Errorf("exit %d", r.code)
	}
	if strings.Contains(r.stderr, "embedded example") {
		t.Errorf("the config was read for an ARN")
	}
}

func TestWatchExecutionArnOfAnotherAccount(t *testing.T) {
	// GIVEN an execution of the source account, and credentials of another that say their account
	e := newEnv(t)
	task := e.photos()
	task.Run = enhancedSuccess()
	arn := e.srv.AddExecution(task, time.Now())
	e.set("AWS_ACCESS_KEY_ID", otherKey)
	e.set("AWS_ACCOUNT_ID", otherAccount)

	r := e.run("watch", arn)

	want := "The execution is in account 111111111111 and these credentials are for account 999999999999: use --profile NAME (or AWS_PROFILE) with credentials of account 111111111111"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr lacks %q", r.code, want)
	}
}

func TestWatchStopsOnInterrupt(t *testing.T) {
	// GIVEN a run that keeps going
	e := newEnv(t)
	task := e.photos()
	task.Run = stillGoing()
	arn := e.srv.AddExecution(task, time.Now())

	// WHEN watching is interrupted (Ctrl-C cancels the command's context)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(e.srv.Calls()) < 5 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	r := e.runCtx(ctx, "watch", "photos", "-c", e.config, "--interval", "5ms")

	// THEN it says the run goes on, how to follow it again, and exits 130
	if r.code != 130 {
		t.Errorf("exit %d, want 130", r.code)
	}
	want := "Stopped watching photos: its run " + arn[strings.LastIndex(arn, "/")+1:] + " goes on in DataSync. Follow it again with:\n  transfers watch " + arn + "\n"
	if !strings.HasSuffix(r.stdout, want) {
		t.Errorf("stdout does not end with %q", want)
	}
}

func TestStartNotDeployedStartsNothing(t *testing.T) {
	// GIVEN photos is deployed, archive is not
	e := newEnv(t)
	e.photos()

	r := e.run("start", "photos", "archive", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, "Deploy stack archive-source into account 111111111111") {
		t.Errorf("exit %d", r.code)
	}
	for _, c := range e.srv.Calls() {
		if c.Operation == "StartTaskExecution" {
			t.Errorf("a run was started although archive is not deployed")
		}
	}
}

func TestStartUnknownName(t *testing.T) {
	e := newEnv(t)
	r := e.run("start", "fotos", "-c", e.config)
	if r.code != 2 || !strings.Contains(r.stderr, `no transfer named "fotos" in `+e.config+": its transfers are photos, logs, archive") {
		t.Errorf("exit %d", r.code)
	}
}

func TestStartUnavailableTask(t *testing.T) {
	// GIVEN a task DataSync reports UNAVAILABLE
	e := newEnv(t)
	e.photos().Status = "UNAVAILABLE"

	r := e.run("start", "photos", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, "photos: DataSync StartTaskExecution in us-west-2 failed: InvalidRequestException: Task arn:aws:datasync:us-west-2:111111111111:task/") {
		t.Errorf("exit %d", r.code)
	}
}

func TestWatchNeverRan(t *testing.T) {
	e := newEnv(t)
	e.photos()
	r := e.run("watch", "photos", "-c", e.config)
	if r.code != 1 || !strings.Contains(r.stderr, "photos: the task has never run: start a run with `transfers start photos`") {
		t.Errorf("exit %d", r.code)
	}
}

func TestStartWatchTwoTransfers(t *testing.T) {
	// GIVEN photos' next run succeeds and logs' fails
	e := newEnv(t)
	e.photos().Run = enhancedSuccess()
	e.logs().Run = basicError()

	r := e.run("start", "photos", "logs", "-c", e.config, "--watch", "--interval", "5ms")

	// THEN both are started in their Regions and followed to the end; one failed: exit 1
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, w := range []string{
		"photos: started arn:aws:datasync:us-west-2:111111111111:task/",
		"logs: started arn:aws:datasync:eu-west-1:111111111111:task/",
		"\nphotos: SUCCESS in 5m00s",
		"\nlogs: ERROR after 1m30s",
		"DataSync error S3AccessDenied",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("no %q", w)
		}
	}
}
