package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/example"
)

// make plan ends with the example's cost traps, as comments a shell ignores.
func TestPlanPrintsCostTraps(t *testing.T) {
	cfg, err := config.Parse(example.YAML, example.Name)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	printCostTraps(&b, cfg.Transfers)
	out := b.String()
	for _, want := range []string{
		`#   transfer media-archive: ENHANCED mode with schedule "rate(1 day)": 30 executions a month × $0.55 = $16.50 a month`,
		"#   transfer media-archive: cross-Region transfer us-east-1 → us-west-2",
		"#   transfer logs-consolidation: the created destination bucket is versioned and overwriteMode is ALWAYS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	for l := range strings.Lines(out) {
		if l != "\n" && !strings.HasPrefix(l, "#") {
			t.Errorf("not a comment: %q", l)
		}
	}
}
