package listing

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/internal/s3fake"
)

// Two inventory reports, rows out of key order across several files, joined like
// listings: sorted in runs of three objects spilled to disk and merged. Versions
// that are not current and delete markers do not count; keys are URL-decoded.
func TestInventoryJoin(t *testing.T) {
	srv := s3fake.New(t)
	c := srv.Client("AKID")
	if err := srv.Bucket(context.Background(), c, "reports", false); err != nil {
		t.Fatal(err)
	}
	enc := url.QueryEscape
	srcRows := [][]string{
		{"src", enc("data/z.txt"), "", "true", "false", "5", "2026-12-01T00:00:00.000Z", "e1", "STANDARD"},
		{"src", enc("data/a b+c/ü.txt"), "", "true", "false", "3", "2026-12-01T00:00:00.000Z", "e2", "STANDARD"},
		{"src", enc("data/old.txt"), "v1", "false", "false", "9", "2026-11-01T00:00:00.000Z", "e3", "STANDARD"},
		{"src", enc("data/deleted.txt"), "v2", "true", "true", "", "2026-12-01T00:00:00.000Z", "", ""},
		{"src", enc("data/m.txt"), "", "true", "false", "7", "2026-12-01T00:00:00.000Z", "e4", "GLACIER"},
		{"src", enc("other/x.txt"), "", "true", "false", "1", "2026-12-01T00:00:00.000Z", "e5", "STANDARD"},
		{"src", enc("data/b.txt"), "", "true", "false", "2", "2026-12-01T00:00:00.000Z", "e6", "STANDARD"},
	}
	dstRows := [][]string{
		{"dst", enc("copy/z.txt"), "5", "2026-12-02T00:00:00.000Z", "e1", "STANDARD"},
		{"dst", enc("copy/extra.txt"), "1", "2026-12-02T00:00:00.000Z", "e9", "STANDARD"},
		{"dst", enc("copy/a b+c/ü.txt"), "3", "2026-12-02T00:00:00.000Z", "e2", "STANDARD"},
	}
	srcManifest := srv.PutInventory(t, c, "src", "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass", srcRows, 2)
	dstManifest := srv.PutInventory(t, c, "dst", "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass", dstRows, 2)
	dir := t.TempDir()
	got := map[string]string{}
	var counters Counters
	err := Join(context.Background(),
		Side{Location: Location{Bucket: "src", Prefix: "data"}, Inventory: &Inventory{Client: c, Manifest: srcManifest, TempDir: dir, SortRun: 3}},
		Side{Location: Location{Bucket: "dst", Prefix: "copy"}, Inventory: &Inventory{Client: c, Manifest: dstManifest, TempDir: dir, SortRun: 3}},
		Options{Counters: &counters},
		func(p Pair) error {
			switch {
			case p.Src != nil && p.Dst != nil:
				got[p.Key] = fmt.Sprintf("both %d/%d", p.Src.Size, p.Dst.Size)
			case p.Src != nil:
				got[p.Key] = fmt.Sprintf("src %d %s", p.Src.Size, p.Src.StorageClass)
			default:
				got[p.Key] = "dst"
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a b+c/ü.txt": "both 3/3", "b.txt": "src 2 STANDARD", "m.txt": "src 7 GLACIER", "z.txt": "both 5/5", "extra.txt": "dst"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("joined %v\nwant   %v", got, want)
	}
	if n := counters.Requests.Load(); n != 2+4+2 {
		t.Errorf("%d reads, want 8 (two manifests, six data files)", n)
	}
	left, _ := filepathGlob(dir)
	if len(left) != 0 {
		t.Errorf("sorted runs left behind: %v", left)
	}
}

func TestInventoryOfAnotherBucket(t *testing.T) {
	srv := s3fake.New(t)
	c := srv.Client("AKID")
	srv.Bucket(context.Background(), c, "reports", false)
	m := srv.PutInventory(t, c, "elsewhere", "Bucket, Key, Size", [][]string{{"elsewhere", "k", "1"}}, 10)
	err := Walk(context.Background(), Side{Location: Location{Bucket: "src"}, Inventory: &Inventory{Client: c, Manifest: m}}, Options{},
		func(Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `is of bucket "elsewhere", not of s3://src/`) {
		t.Fatalf("error %v", err)
	}
}

func filepathGlob(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "*")) }
