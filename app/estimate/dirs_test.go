package estimate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/internal/s3synth"
)

// bruteDirPages lists every directory of keys with its entries (objects and
// subdirectories directly in it) and sums max(1, ceil(entries/perPage)).
func bruteDirPages(keys []string, perPage int64) (pages, dirs int64) {
	entries := map[string]map[string]bool{"": {}}
	for _, k := range keys {
		parent := ""
		for i := 0; i < len(k); i++ {
			if k[i] == '/' {
				dir := k[:i+1]
				if entries[dir] == nil {
					entries[dir] = map[string]bool{}
				}
				entries[parent][dir] = true
				parent = dir
			}
		}
		entries[parent][k] = true // a folder object "a/" is listed under the prefix "a/"
	}
	for _, e := range entries {
		pages += max(1, (int64(len(e))+perPage-1)/perPage)
		dirs++
	}
	return pages, dirs
}

// The per-partition count equals the whole-listing count however the sorted keys
// are cut into partitions and however their pairs interleave.
func TestDirPagesMatchesAWholeListing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		var keys []string
		seen := map[string]bool{}
		n := 1 + rng.IntN(400)
		for len(keys) < n {
			var b strings.Builder
			for d := rng.IntN(4); d > 0; d-- {
				fmt.Fprintf(&b, "%c/", 'a'+rng.IntN(3))
			}
			if rng.IntN(10) > 0 {
				fmt.Fprintf(&b, "o%d", rng.IntN(30)) // else a folder object
			}
			if k := b.String(); k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		perPage := int64(1 + rng.IntN(8))
		wantPages, wantDirs := bruteDirPages(keys, perPage)

		// cut into contiguous partitions, then interleave them
		cuts := []int{0}
		for i := 1; i < len(keys); i++ {
			if rng.IntN(5) == 0 {
				cuts = append(cuts, i)
			}
		}
		cuts = append(cuts, len(keys))
		next := make([]int, len(cuts)-1)
		copy(next, cuts[:len(cuts)-1])
		c := newDirPages(perPage)
		for left := len(keys); left > 0; {
			p := rng.IntN(len(next))
			if next[p] == cuts[p+1] {
				continue
			}
			c.add(p*7+3, keys[next[p]])
			next[p]++
			left--
		}
		gotPages, gotDirs := c.total()
		if gotPages != wantPages || gotDirs != wantDirs {
			t.Fatalf("round %d (%d keys, %d partitions, %d a page): %d pages, %d directories; want %d, %d\nkeys: %q",
				round, len(keys), len(cuts)-1, perPage, gotPages, gotDirs, wantPages, wantDirs, keys)
		}
	}
	if p, d := newDirPages(1000).total(); p != 1 || d != 1 {
		t.Errorf("an empty location: %d pages, %d directories; want 1, 1", p, d)
	}
}

// A date-partitioned source against the local S3 server with the real SDK client:
// 10 days × 24 hours × 50 objects, and 1,500 objects in one more directory. DataSync
// lists directory by directory: 1 (root: 11 entries) + 10 (days: 24 each) + 240
// (hours: 50 each) + 2 (big/: 1,500 entries) = 253 LIST requests, not the 14 pages
// of a flat listing of 13,500 keys. The destination holds day d00 with other sizes:
// with overwriteMode NEVER those 1,200 objects are kept, not copied.
func TestFromListingNestedLayoutAndOverwriteNever(t *testing.T) {
	srv := (&s3synth.Server{}).Start(t)
	srv.AddKey(srcKey, "111111111111")
	srv.AddKey(dstKey, "222222222222")
	when := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	nested := func(i int) string { return fmt.Sprintf("d%02d/h%02d/%04d.json", i/1200, i/50%24, i%50) }
	srv.AddBucket("src", s3synth.Bucket{Owner: "111111111111", Objects: 13_500, At: func(i int) s3synth.Object {
		if i < 1500 {
			return s3synth.Object{Key: fmt.Sprintf("big/%04d", i), Size: 100, LastModified: when}
		}
		return s3synth.Object{Key: nested(i - 1500), Size: 100, LastModified: when}
	}})
	srv.AddBucket("dst", s3synth.Bucket{Owner: "222222222222", Objects: 1200, At: func(i int) s3synth.Object {
		return s3synth.Object{Key: nested(i), Size: 7, LastModified: when.Add(time.Hour), StorageClass: "STANDARD_IA"}
	}})
	tr := transfer("nested", "us-east-1", "us-east-1")
	tr.Source.Bucket, tr.Destination.Bucket = "src", "dst"
	tr.Task.OverwriteMode = "NEVER"
	p, _ := Table()
	for _, partitions := range []int{1, 4, 16} {
		d, err := FromListing(context.Background(), tr, s3Client(srv, srcKey, "us-east-1"), s3Client(srv, dstKey, "us-east-1"), nil, p.Assumptions,
			listing.Options{Partitions: partitions, PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		want := ListPages{Source: 253, Destination: 1 + 1 + 24, After: 253, SourceDirectories: 252}
		if d.ListPages != want {
			t.Errorf("%d partitions: LIST %+v, want %+v", partitions, d.ListPages, want)
		}
		if d.Objects != 12_300 || d.NotOverwritten != 1200 || d.Scanned != 13_500 {
			t.Errorf("%d partitions: %d to copy, %d kept, %d scanned; want 12,300, 1,200, 13,500", partitions, d.Objects, d.NotOverwritten, d.Scanned)
		}
		if c := d.MatchedClasses["STANDARD_IA"]; c == nil || c.Objects != 1200 {
			t.Errorf("%d partitions: matched at the destination %+v, want 1,200 in STANDARD_IA", partitions, d.MatchedClasses)
		}
	}
}

// The directory count's cost per key, on a nested layout of 1,000,000 keys (days,
// hours, objects) listed in 16 partitions whose pairs interleave.
func BenchmarkDirPages(b *testing.B) {
	const n, parts = 1_000_000, 16
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("logs/d%03d/h%02d/%06d.json.gz", i/24000, i/1000%24, i%1000)
	}
	b.ResetTimer()
	for range b.N {
		c := newDirPages(1000)
		for i := range n / parts {
			for p := range parts {
				c.add(p, keys[p*(n/parts)+i])
			}
		}
		if pages, _ := c.total(); pages == 0 {
			b.Fatal("no pages")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
}
