package test

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// TestProviderBundleIsAStaticStrippedArm64Bootstrap synthesizes with bundling on
// (the only test that runs `go build` for the Lambda) and inspects the binary.
func TestProviderBundleIsAStaticStrippedArm64Bootstrap(t *testing.T) {
	app := newApp(t, true)
	tr := crossRegion()
	stacks := transfer.NewTransferStacks(app, &tr)
	dir := *app.Synth(nil).Directory()

	code := toJSON(stacks.Source).one(t, "AWS::Lambda::Function")["Code"].(map[string]any)
	hash := strings.TrimSuffix(code["S3Key"].(string), ".zip")
	bootstrap := filepath.Join(dir, "asset."+hash, "bootstrap")
	st, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatalf("the function's asset has no bootstrap: %v", err)
	}
	if st.Mode().Perm()&0o111 == 0 {
		t.Error("bootstrap is not executable")
	}
	f, err := elf.Open(bootstrap)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an arm64 executable", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap is dynamically linked; provided.al2023 needs a static binary")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("bootstrap is not stripped")
	}
	// Both stacks' functions share the one asset (bundled once per synth).
	assets, _ := filepath.Glob(filepath.Join(dir, "asset.*"))
	if len(assets) != 1 {
		t.Errorf("%d assets in cdk.out, want the one provider bundle", len(assets))
	}
	t.Logf("bootstrap: %.1f MiB", float64(st.Size())/(1<<20))
}
