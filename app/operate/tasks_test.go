package operate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// TestTaskLogicalIDMatchesTheTemplate checks TaskLogicalID against every source
// stack template of the snapshots the app's tests synthesize and keep up to date
// (test/snapshot_test.go): the one task resource of each has that logical ID.
func TestTaskLogicalIDMatchesTheTemplate(t *testing.T) {
	files, err := filepath.Glob("../../test/testdata/snapshots/*/*-source.template.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no source stack snapshots (%v)", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tpl struct {
			Resources map[string]struct{ Type string }
		}
		if err := json.Unmarshal(b, &tpl); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var tasks []string
		for id, r := range tpl.Resources {
			if r.Type == resource.TypeTask {
				tasks = append(tasks, id)
			}
		}
		if len(tasks) != 1 || tasks[0] != TaskLogicalID {
			t.Errorf("%s: task resources %v, want exactly [%s]", f, tasks, TaskLogicalID)
		}
	}
}
