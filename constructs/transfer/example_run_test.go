package transfer_test

import (
	"os"
	"strings"
	"testing"
)

// TestExamplesSynthesize runs every example (Go does not run examples without an
// Output comment), so the code the README shows also synthesizes. Bundling of the
// provider Lambda is skipped, as the CLI does for stacks it does not deploy.
func TestExamplesSynthesize(t *testing.T) {
	t.Setenv("CDK_CONTEXT_JSON", `{"aws:cdk:bundling-stacks":[]}`)
	t.Setenv("CDK_OUTDIR", t.TempDir())
	for name, example := range map[string]func(){
		"owned bucket":    ExampleNewDestinationAccess_ownedBucket,
		"bucket by name":  ExampleNewDestinationAccess_bucketByName,
		"several":         ExampleNewDestinationAccess_severalTransfers,
		"add to pipeline": ExampleAddToPipeline,
		"other Region":    ExampleNewSourceTransfer_otherRegion,
		"pipeline stage":  ExampleNewTransferStage,
		"monitoring":      ExampleNewSourceTransfer_monitoring,
	} {
		t.Run(name, func(t *testing.T) { example() })
	}
}

// TestReadmeShowsTheExamples keeps the README's embedding code identical to the
// examples that compile and run here.
func TestReadmeShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	normalized := normalize(string(examples))
	blocks := strings.Split(string(readme), "```go\n")[1:]
	if len(blocks) < 6 {
		t.Fatalf("README has %d Go blocks, want the six embedding examples", len(blocks))
	}
	for _, b := range blocks {
		code := strings.SplitN(b, "```", 2)[0]
		if !strings.Contains(normalized, normalize(code)) {
			t.Errorf("README block is not in example_test.go:\n%s", code)
		}
	}
}

func normalize(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
