package main

import (
	"strings"
	"testing"
)

func TestPauseAndResume(t *testing.T) {
	// GIVEN photos and logs with enabled schedules
	e := newEnv(t)
	photos, logs := e.photos(), e.logs()

	// WHEN both are paused
	r := e.run("pause", "photos", "logs", "-c", e.config)

	// THEN DataSync's schedule status is DISABLED for both, expressions kept
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if expr, st := e.srv.Schedule(photos); expr != "rate(1 day)" || st != "DISABLED" {
		t.Errorf("photos schedule %s %s, want rate(1 day) DISABLED", expr, st)
	}
	if expr, st := e.srv.Schedule(logs); expr != "cron(0 2 * * ? *)" || st != "DISABLED" {
		t.Errorf("logs schedule %s %s, want DISABLED", expr, st)
	}
	if !strings.Contains(r.stdout, "photos: schedule rate(1 day) paused: no scheduled run starts until `transfers resume photos`") {
		t.Errorf("pause does not say what it did")
	}
	// status shows it
	st := e.run("status", "photos", "-c", e.config)
	if !strings.Contains(row(t, st.stdout, "photos"), "disabled by USER") {
		t.Errorf("status does not show the paused schedule")
	}

	// WHEN paused again: nothing changes, and it says so
	again := e.run("pause", "photos", "-c", e.config)
	if again.code != 0 || !strings.Contains(again.stdout, "was already paused (disabled by USER)") {
		t.Errorf("a second pause: exit %d", again.code)
	}

	// WHEN resumed
	r = e.run("resume", "photos", "-c", e.config, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"before": "DISABLED"`) || !strings.Contains(r.stdout, `"after": "ENABLED"`) {
		t.Errorf("resume: exit %d", r.code)
	}
	if _, st := e.srv.Schedule(photos); st != "ENABLED" {
		t.Errorf("photos schedule %s after resume", st)
	}
	if _, st := e.srv.Schedule(logs); st != "DISABLED" {
		t.Errorf("logs was resumed too")
	}
}

func TestPauseChangesNothingWhenATransferIsMissing(t *testing.T) {
	// GIVEN photos is deployed, archive is not
	e := newEnv(t)
	photos := e.photos()

	r := e.run("pause", "photos", "archive", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, "archive: no DataSync task") {
		t.Errorf("exit %d", r.code)
	}
	if _, st := e.srv.Schedule(photos); st != "ENABLED" {
		t.Errorf("photos was paused though archive could not be found")
	}
}

func TestPauseDenied(t *testing.T) {
	// GIVEN the credentials may not call UpdateTask
	e := newEnv(t)
	e.photos()
	e.srv.Deny(sourceAccount, "UpdateTask")

	r := e.run("pause", "photos", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, "may not call datasync:UpdateTask on arn:aws:datasync:us-west-2:111111111111:task/") ||
		!strings.Contains(r.stderr, "Missing permission: datasync:UpdateTask") {
		t.Errorf("exit %d; the denial is not explained", r.code)
	}
}
