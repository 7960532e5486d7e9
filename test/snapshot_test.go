package test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden templates under test/testdata/snapshots")

// TestSnapshotTemplates compares the app's templates for the embedded example, a
// cross-Region existing-bucket case and shared buckets (created and existing, fed by
// several transfers) with the committed golden files. Asset hashes
// (which depend on the Go toolchain that builds the provider) and CDK's version
// metadata are normalised. Regenerate after an intended change with
// `go test ./test -run Snapshot -update` (or `make snapshots`).
func TestSnapshotTemplates(t *testing.T) {
	cases := map[string]map[string]any{
		"example":        nil,
		"cross-region":   {"config": "test/testdata/cross-region.yaml"},
		"shared-buckets": {"config": "test/testdata/shared-buckets.yaml"},
	}
	for name, context := range cases {
		t.Run(name, func(t *testing.T) {
			outdir, stderr, err := runApp(t, context)
			if err != nil {
				t.Fatalf("app failed: %v\n%s", err, stderr)
			}
			templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
			if len(templates) == 0 {
				t.Fatal("no templates")
			}
			dir := filepath.Join("testdata", "snapshots", name)
			if *update {
				os.RemoveAll(dir)
				os.MkdirAll(dir, 0o755)
			}
			golden, _ := filepath.Glob(filepath.Join(dir, "*.template.json"))
			if !*update && len(golden) != len(templates) {
				t.Errorf("%d templates synthesized, %d golden files in %s", len(templates), len(golden), dir)
			}
			for _, tf := range templates {
				got := normalizeTemplate(t, tf)
				path := filepath.Join(dir, filepath.Base(tf))
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("no golden file for %s (run go test ./test -run Snapshot -update): %v", filepath.Base(tf), err)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s (- golden, + now):\n%s", filepath.Base(tf), path, lineDiff(string(want), string(got)))
				}
			}
		})
	}
}

var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

func normalizeTemplate(t *testing.T, path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tm map[string]any
	if err := json.Unmarshal(raw, &tm); err != nil {
		t.Fatal(err)
	}
	if res, ok := tm["Resources"].(map[string]any); ok {
		delete(res, "CDKMetadata")
	}
	if cond, ok := tm["Conditions"].(map[string]any); ok {
		delete(cond, "CDKMetadataAvailable")
		if len(cond) == 0 {
			delete(tm, "Conditions")
		}
	}
	out, _ := json.MarshalIndent(tm, "", " ")
	return append(assetHash.ReplaceAll(out, []byte("<asset-hash>")), '\n')
}

// lineDiff is a readable line diff (longest common subsequence) with 3 lines of context.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, line{' ', x[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', x[i]})
			i++
		default:
			ops = append(ops, line{'+', y[j]})
			j++
		}
	}
	var out strings.Builder
	last := -1
	for k, l := range ops {
		near := false
		for d := -3; d <= 3; d++ {
			if k+d >= 0 && k+d < len(ops) && ops[k+d].op != ' ' {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if last >= 0 && k != last+1 {
			out.WriteString("   ...\n")
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, l.text)
		last = k
	}
	return out.String()
}
