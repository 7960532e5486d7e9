package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The pipeline's synth step installs the Go and CLI versions this repository pins.
func TestPipelineToolVersionsMatchThePins(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "\ngo "+GoVersion+"\n") {
		t.Errorf("GoVersion %s is not go.mod's go directive", GoVersion)
	}
	raw, err := os.ReadFile("../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ DevDependencies map[string]string }
	_ = json.Unmarshal(raw, &pkg)
	if pkg.DevDependencies["aws-cdk"] != CliVersion {
		t.Errorf("CliVersion %s, package.json pins %s", CliVersion, pkg.DevDependencies["aws-cdk"])
	}
}

func TestIsRepoRelative(t *testing.T) {
	for path, want := range map[string]bool{"transfers.yaml": true, "config/t.yaml": true, "/abs/t.yaml": false, "../t.yaml": false, "": false} {
		if isRepoRelative(path) != want {
			t.Errorf("isRepoRelative(%q) = %t", path, !want)
		}
	}
}
