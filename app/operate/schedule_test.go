package operate

import (
	"strings"
	"testing"
	"time"
)

func TestNextRunCron(t *testing.T) {
	// Wednesday 2026-08-05 10:30 UTC
	now := time.Date(2026, 8, 5, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct{ expr, want string }{
		{"cron(0 2 * * ? *)", "2026-08-06 02:00"},        // daily at 02:00: tomorrow
		{"cron(45 10 * * ? *)", "2026-08-05 10:45"},      // later today
		{"cron(0 12 ? * SUN,WED *)", "2026-08-05 12:00"}, // names
		{"cron(0 12 ? * 1 *)", "2026-08-09 12:00"},       // AWS 1 = Sunday
		{"cron(0 12 ? * 2-6 *)", "2026-08-05 12:00"},     // Monday to Friday
		{"cron(0 9 ? * 7 *)", "2026-08-08 09:00"},        // AWS 7 = Saturday
		{"cron(0 9 ? * SAT-SUN *)", "2026-08-08 09:00"},  // a range of names
		{"cron(0 8 ? * 3#1 *)", "2026-09-01 08:00"},      // first Tuesday of the month
		{"cron(0 8 * * 3#1)", "2026-09-01 08:00"},        // five fields, as in DataSync's docs
		{"cron(0 23 ? * 6L *)", "2026-08-28 23:00"},      // last Friday of the month
		{"cron(0 0 1 * ? *)", "2026-09-01 00:00"},        // first of the month
		{"cron(0 6 L * ? *)", "2026-08-31 06:00"},        // last day of the month
		{"cron(0 6 15 1 ? 2027)", "2027-01-15 06:00"},    // a year
		{"cron(0 */6 * * ? *)", "2026-08-05 12:00"},      // every six hours
		{"  cron(0 2 * * ? *)  ", "2026-08-06 02:00"},    // spaces around
	} {
		next, estimated, err := NextRun(tc.expr, time.Time{}, now)
		if err != nil || estimated || next.Format("2006-01-02 15:04") != tc.want {
			t.Errorf("NextRun(%q) = %s, %v, %v; want %s", tc.expr, next.Format("2006-01-02 15:04"), estimated, err, tc.want)
		}
	}
}

func TestNextRunRate(t *testing.T) {
	set := time.Date(2026, 8, 1, 9, 15, 0, 0, time.UTC)
	for _, tc := range []struct {
		expr     string
		now      time.Time
		want     time.Time
		nowLabel string
	}{
		{"rate(1 day)", set.Add(30 * time.Hour), set.Add(48 * time.Hour), "30h after it was set"},
		{"rate(12 hours)", set.Add(12 * time.Hour), set.Add(24 * time.Hour), "exactly on a run"},
		{"rate(90 minutes)", set.Add(time.Minute), set.Add(90 * time.Minute), "just after it was set"},
		{"rate(2 days)", set.Add(-time.Hour), set.Add(-time.Hour).Add(48 * time.Hour), "before the anchor: one period from now"},
	} {
		next, estimated, err := NextRun(tc.expr, set, tc.now)
		if err != nil || !estimated || !next.Equal(tc.want) {
			t.Errorf("%s %s: NextRun = %s, %v, %v; want %s, estimated", tc.expr, tc.nowLabel, next, estimated, err, tc.want)
		}
	}
}

func TestNextRunBadExpressions(t *testing.T) {
	for _, tc := range []struct{ expr, msg string }{
		{"every day", "neither rate(...) nor cron(...)"},
		{"cron(0 2 * *)", "has 4 fields"},
		{"cron(0 2 ? * 8 *)", "day-of-week 8 is not 1-7"},
		{"cron(0 2 ? * 0 *)", "day-of-week 0 is not 1-7"},
		{"cron(0 2 1 1 ? 1999)", "no run after"},
	} {
		_, _, err := NextRun(tc.expr, time.Time{}, time.Date(2026, 8, 5, 0, 0, 0, 0, time.UTC))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("NextRun(%q) error %v, want one with %q", tc.expr, err, tc.msg)
		}
	}
}
