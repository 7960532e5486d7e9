package listing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sortedBucket answers ListObjectsV2 from a sorted key list, with S3's semantics of
// Prefix, StartAfter, ContinuationToken and MaxKeys (the token is the last key).
type sortedBucket struct {
	keys  []string
	calls atomic.Int64
	delay time.Duration
}

func (b *sortedBucket) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	b.calls.Add(1)
	time.Sleep(b.delay)
	after := aws.ToString(in.StartAfter)
	if in.ContinuationToken != nil {
		after = *in.ContinuationToken
	}
	prefix := aws.ToString(in.Prefix)
	i := sort.SearchStrings(b.keys, after)
	for i < len(b.keys) && b.keys[i] <= after {
		i++
	}
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(false)}
	for ; i < len(b.keys); i++ {
		k := b.keys[i]
		if !strings.HasPrefix(k, prefix) {
			if k > prefix {
				break
			}
			continue
		}
		if int32(len(out.Contents)) == aws.ToInt32(in.MaxKeys) {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String(*out.Contents[len(out.Contents)-1].Key)
			break
		}
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(k))), ETag: aws.String(`"e"`)})
	}
	return out, nil
}

func keys(n int, format string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// Every key of both sides is joined exactly once, with the right partner, whatever
// the layout, while many partitions run.
func TestJoinEveryKeyOnceAcrossPartitions(t *testing.T) {
	layouts := map[string][]string{
		"flat numbers":  keys(20000, "%08d"),
		"nested":        keys(20000, "year=%[1]d/month=%[1]d/file-%[1]d.parquet"),
		"hex hashes":    hexKeys(20000),
		"unicode heavy": keys(3000, "ü/é/%d ü+ß.txt"),
	}
	for name, all := range layouts {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var src, dst []string
			want := map[string]string{}
			for _, k := range all {
				switch r := rng.IntN(10); {
				case r == 0:
					src = append(src, "in/"+k)
					want[k] = "src"
				case r == 1:
					dst = append(dst, "out/"+k)
					want[k] = "dst"
				default:
					src = append(src, "in/"+k)
					dst = append(dst, "out/"+k)
					want[k] = "both"
				}
			}
			// Keys outside the prefixes must not appear.
			src = append(src, "im/x", "inx", "zzz")
			dst = append(dst, "out", "outside/y")
			slices.Sort(src)
			slices.Sort(dst)
			// A millisecond per request, as a server takes some: without it the
			// first partition can list everything before a split is looked for.
			sb, db := &sortedBucket{keys: src, delay: time.Millisecond}, &sortedBucket{keys: dst, delay: time.Millisecond}
			got := map[string]string{}
			var counters Counters
			err := Join(context.Background(),
				Side{Location: Location{Bucket: "s", Prefix: "in"}, Client: sb},
				Side{Location: Location{Bucket: "d", Prefix: "out/"}, Client: db},
				Options{Partitions: 16, PageSize: 100, Counters: &counters},
				func(p Pair) error {
					if _, dup := got[p.Key]; dup {
						t.Errorf("%q joined twice", p.Key)
					}
					switch {
					case p.Src != nil && p.Dst != nil:
						got[p.Key] = "both"
					case p.Src != nil:
						got[p.Key] = "src"
					default:
						got[p.Key] = "dst"
					}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%q: joined as %q, want %q", k, got[k], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("joined %d keys, want %d", len(got), len(want))
			}
			t.Logf("%d keys, %d partitions, %d requests (a sequential walk: %d)", len(want), counters.Partitions.Load(),
				counters.Requests.Load(), (len(src)+99)/100+(len(dst)+99)/100)
			if counters.Partitions.Load() < 4 && len(all) > 10000 {
				t.Errorf("only %d partitions", counters.Partitions.Load())
			}
		})
	}
}

func hexKeys(n int) []string {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%016x", rng.Uint64())
	}
	return out
}

// Walk lists one location in parallel partitions: every object once, relative to
// the location, without what the side's filter excludes.
func TestWalkOneSideWithFilter(t *testing.T) {
	all := keys(5000, "in/%05d.dat")
	all = append(all, "in/tmp/x.dat", "in/tmp/y.dat", "other/z")
	slices.Sort(all)
	f, err := NewFilter(nil, []string{"/tmp"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var counters Counters
	err = Walk(context.Background(), Side{Location: Location{Bucket: "b", Prefix: "in"}, Client: &sortedBucket{keys: all, delay: time.Millisecond}, Filter: f},
		Options{Partitions: 8, PageSize: 100, Counters: &counters}, func(o Object) error {
			if seen[o.Key] {
				t.Errorf("%q twice", o.Key)
			}
			seen[o.Key] = true
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 5000 || seen["tmp/x.dat"] || !seen["00042.dat"] {
		t.Errorf("%d objects walked (want 5000), tmp/x.dat %v, 00042.dat %v", len(seen), seen["tmp/x.dat"], seen["00042.dat"])
	}
	if counters.Partitions.Load() < 2 {
		t.Errorf("%d partitions", counters.Partitions.Load())
	}
}
