package main

import (
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate"
)

func TestPhaseLine(t *testing.T) {
	for name, tc := range map[string]struct {
		p    operate.Progress
		want string
	}{
		"queued":    {operate.Progress{Status: "QUEUED"}, "[QUEUED] › launching › preparing › transferring › verifying"},
		"verifying": {operate.Progress{Status: "VERIFYING"}, "queued ✓ › launching ✓ › preparing ✓ › transferring ✓ › [VERIFYING]"},
		"success": {operate.Progress{Status: "SUCCESS", PrepareStatus: "SUCCESS", TransferStatus: "SUCCESS", VerifyStatus: "SUCCESS"},
			"queued ✓ › launching ✓ › preparing ✓ › transferring ✓ › verifying ✓ › SUCCESS"},
		"success without verification": {operate.Progress{Status: "SUCCESS", PrepareStatus: "SUCCESS", TransferStatus: "SUCCESS"},
			"queued ✓ › launching ✓ › preparing ✓ › transferring ✓ › verifying › SUCCESS"},
		"failed transferring": {operate.Progress{Status: "ERROR", PrepareStatus: "SUCCESS", TransferStatus: "ERROR"},
			"queued ✓ › launching ✓ › preparing ✓ › transferring ✗ › verifying › ERROR"},
		"failed launching": {operate.Progress{Status: "ERROR"}, "queued ✓ › launching ✗ › preparing › transferring › verifying › ERROR"},
		"cancelling":       {operate.Progress{Status: "CANCELLING"}, "[CANCELLING]"},
	} {
		if got := phaseLine(tc.p); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[string]string{"0s": "0s", "42.4s": "42s", "3m5s": "3m05s", "59m59.6s": "1h00m", "26h3m40s": "26h04m"} {
		if got := duration(mustParse(t, d)); got != want {
			t.Errorf("duration(%s) = %s, want %s", d, got, want)
		}
	}
}

func mustParse(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
