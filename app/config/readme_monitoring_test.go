package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeMonitoringExampleParses keeps the README's monitoring example a valid
// config with the values it claims.
func TestReadmeMonitoringExampleParses(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Monitoring\n")
	if !ok {
		t.Fatal("README has no Monitoring section")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("the Monitoring section has no YAML example")
	}
	block, _, _ = strings.Cut(block, "```")
	cfg, err := Parse([]byte(block), "README Monitoring example")
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Transfers[0].WithDefaults().Monitoring
	if !m.On() || m.StallMinutes != 45 || m.Dashboard != "transfer" || cfg.Transfers[0].Notifications.Email == "" {
		t.Errorf("monitoring = %+v", m)
	}
	// A typo in a monitoring key is an error, like every other key.
	if _, err := Parse([]byte(strings.Replace(block, "stallMinutes", "stallMinute", 1)), "typo"); err == nil || !strings.Contains(err.Error(), "stallMinute") {
		t.Errorf("a misspelt monitoring key: %v", err)
	}
}
