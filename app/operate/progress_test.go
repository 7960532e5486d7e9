package operate

import (
	"testing"
	"time"
)

func TestRateOverPolls(t *testing.T) {
	t0 := time.Date(2026, 8, 5, 10, 0, 0, 0, time.UTC)
	r := NewRate(time.Minute)
	if r.BytesPerSecond() != 0 {
		t.Errorf("a rate before any poll")
	}
	r.Add(t0, 0)
	if r.BytesPerSecond() != 0 {
		t.Errorf("a rate after one poll")
	}
	r.Add(t0.Add(5*time.Second), 500e6)
	if got := r.BytesPerSecond(); got != 100e6 {
		t.Errorf("rate %v, want 100e6", got)
	}
	// polls older than the window drop out: the rate follows a slow-down
	for i := 2; i <= 30; i++ {
		r.Add(t0.Add(time.Duration(i)*5*time.Second), 500e6+int64(i-1)*50e6)
	}
	if got := r.BytesPerSecond(); got != 10e6 {
		t.Errorf("rate %v after the slow-down, want 10e6", got)
	}
}

func TestTimeLeft(t *testing.T) {
	p := Progress{Status: "TRANSFERRING", EstimatedBytes: 10e9, BytesWritten: 4e9}
	if left, ok := TimeLeft(p, 100e6); !ok || left != 60*time.Second {
		t.Errorf("TimeLeft = %v, %v; want 1m", left, ok)
	}
	for name, tc := range map[string]struct {
		p    Progress
		rate float64
	}{
		"no estimate yet": {Progress{Status: "PREPARING"}, 100e6},
		"nothing moving":  {p, 0},
		"ended":           {Progress{Status: "SUCCESS", EstimatedBytes: 10e9}, 100e6},
	} {
		if _, ok := TimeLeft(tc.p, tc.rate); ok {
			t.Errorf("%s: a time left", name)
		}
	}
}

func TestAverageRate(t *testing.T) {
	// the transfer phase's duration when DataSync gives it, else the run's
	done := Progress{Status: "SUCCESS", BytesWritten: 10e9, Total: 300 * time.Second, Transfer: 200 * time.Second}
	if got := done.AverageRate(time.Time{}); got != 50e6 {
		t.Errorf("average %v, want 50e6", got)
	}
	start := time.Date(2026, 8, 5, 10, 0, 0, 0, time.UTC)
	going := Progress{Status: "TRANSFERRING", BytesWritten: 6e9, Start: start}
	if got := going.AverageRate(start.Add(100 * time.Second)); got != 60e6 {
		t.Errorf("average %v, want 60e6", got)
	}
}

func TestParseExecutionArn(t *testing.T) {
	e, err := ParseExecutionArn("arn:aws:datasync:us-west-2:111111111111:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0")
	if err != nil || e.Region != "us-west-2" || e.Account != "111111111111" ||
		e.TaskArn != "arn:aws:datasync:us-west-2:111111111111:task/task-0123456789abcdef0" {
		t.Errorf("ParseExecutionArn = %+v, %v", e, err)
	}
	for _, bad := range []string{
		"arn:aws:datasync:us-west-2:111111111111:task/task-0123456789abcdef0",
		"arn:aws:s3:::bucket/task/x/execution/y",
		"exec-0123456789abcdef0",
	} {
		if _, err := ParseExecutionArn(bad); err == nil {
			t.Errorf("ParseExecutionArn(%q) accepted", bad)
		}
	}
}
