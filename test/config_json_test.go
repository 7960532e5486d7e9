package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppSynthesizesAJSONConfig: a config generated as JSON (JSON is YAML, its keys
// are quoted) goes through the app like a YAML one.
func TestAppSynthesizesAJSONConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "transfers.json")
	os.WriteFile(cfg, []byte(`{"transfers": [{
  "name": "json-made",
  "source": {"account": "111111111111", "region": "us-east-1", "bucket": "acme-json-src"},
  "destination": {"account": "222222222222", "region": "us-east-1", "bucket": "acme-json-dst", "prefix": "in"}
}]}`), 0o644)
	outdir, stderr, err := runApp(t, map[string]any{"config": cfg})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	for _, stack := range []string{"json-made-source", "acme-json-dst-destination"} {
		raw, err := os.ReadFile(filepath.Join(outdir, stack+".template.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "datasync-json-made-bucket-access") {
			t.Errorf("%s does not name the transfer's role", stack)
		}
	}
}
