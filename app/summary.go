package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// synthSummary is the line the app prints after a synth: the stacks of this synth
// only (templates of earlier synths may still lie in the output directory; the CLI
// ignores them, and so does this count).
func synthSummary(dir string, stacks []string) string {
	return fmt.Sprintf("Synthesized %d stack(s) into %s: %s", len(stacks), relative(dir), strings.Join(stacks, ", "))
}

// relative is dir relative to the working directory when it is inside it.
func relative(dir string) string {
	wd, err := os.Getwd()
	if err != nil {
		return dir
	}
	if rel, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return dir
}

// nagSummary counts the findings of cdk-nag's AwsSolutions pack in the reports it
// wrote during this synth (AwsSolutions-*-NagReport.csv in the assembly directory,
// modified since started: reports of earlier synths are not counted), and names
// every finding that is neither compliant nor suppressed.
func nagSummary(dir string, started time.Time) (string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "AwsSolutions-*-NagReport.csv"))
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	var open []string
	reports := 0
	for _, path := range paths {
		if fi, err := os.Stat(path); err != nil || fi.ModTime().Before(started.Add(-time.Second)) {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", path, err)
		}
		reports++
		// Rule ID, Resource ID, Compliance, Exception Reason, Rule Level, Rule Info
		for _, r := range rows[min(1, len(rows)):] {
			if len(r) < 5 {
				return "", fmt.Errorf("%s: a row of %d columns, want 6: %q", path, len(r), r)
			}
			count[r[2]]++
			if r[2] != "Compliant" && r[2] != "Suppressed" {
				open = append(open, fmt.Sprintf("%s %s on %s (%s)", r[4], r[0], r[1], r[2]))
			}
		}
	}
	if reports == 0 {
		return "", fmt.Errorf("-c nag=true, but the synth wrote no AwsSolutions-*-NagReport.csv into %s", relative(dir))
	}
	total := 0
	for _, n := range count {
		total += n
	}
	slices.Sort(open)
	s := fmt.Sprintf("cdk-nag AwsSolutions pack: %d stack(s) checked, %d rule result(s): %d compliant, %d suppressed (each with its reason), %d not compliant",
		reports, total, count["Compliant"], count["Suppressed"], len(open))
	if len(open) > 0 {
		s += ":\n  " + strings.Join(open, "\n  ")
	}
	return s + fmt.Sprintf("\nReports: %s", filepath.Join(relative(dir), "AwsSolutions-*-NagReport.csv")), nil
}
