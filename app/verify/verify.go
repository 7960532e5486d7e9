// Package verify compares a transfer's source location with its destination, by the
// key relative to each location, and explains every difference in classes, each with
// object and byte counts: what is identical, missing, different in size or content,
// extra at the destination, changed at the source after the last run started (in
// flight), archived at the source (DataSync cannot read it without a restore), or
// under a key DataSync cannot transfer at all.
// The transfers command's verify and cutover verbs call Run.
package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Class is what verify found for one key. The names are stable (JSON, CSV files).
type Class string

// The classes, in the order of a report.
const (
	// Identical: at both sides, same size, and the content proven equal (same
	// ETag, or same checksum) or, where nothing proves it, not compared (NotCompared).
	Identical Class = "identical"
	// NotCompared: at both sides with the same size, but neither an ETag nor a
	// checksum both sides carry can prove the content equal (multipart uploads,
	// SSE-KMS). --checksums reads the stored checksums of these.
	NotCompared Class = "size-equal-content-not-compared"
	// Missing: at the source, not at the destination.
	Missing Class = "missing"
	// SizeDiffers: at both sides with different sizes.
	SizeDiffers Class = "size-differs"
	// ContentDiffers: same size, but ETags or checksums that are comparable differ.
	ContentDiffers Class = "content-differs"
	// InFlight: missing or different, but written at the source after the last
	// execution started: the next run transfers it.
	InFlight Class = "in-flight"
	// Archived: missing or different, and in an archive storage class at the source
	// (GLACIER, DEEP_ARCHIVE): DataSync cannot read it until it is restored.
	Archived Class = "archived"
	// Unsupported: missing or different, under a key DataSync cannot transfer
	// (UnsupportedKey). Not a failure: no run of the task ever transfers it, so it
	// must be copied another way; re-runs leave it out.
	Unsupported Class = "unsupported-by-datasync"
	// Extra: at the destination only. Reported, not a failure (DataSync keeps
	// deleted files by default).
	Extra Class = "extra"
)

// Classes is every class in report order.
var Classes = []Class{Identical, NotCompared, Missing, SizeDiffers, ContentDiffers, InFlight, Archived, Unsupported, Extra}

// Failure says whether objects of the class make a verify fail: everything the
// destination does not hold as the source has it. Extra objects, those whose
// content could not be compared and those DataSync cannot transfer do not.
func (c Class) Failure() bool {
	switch c {
	case Missing, SizeDiffers, ContentDiffers, InFlight, Archived:
		return true
	}
	return false
}

// Count is a number of objects and their bytes (the source's size, or the
// destination's for Extra).
type Count struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

func (c *Count) add(size int64) { c.Objects++; c.Bytes += size }

// LastRun is the transfer's last task execution, as DataSync reports it.
type LastRun struct {
	Arn    string    `json:"arn"`
	Status string    `json:"status"`
	Start  time.Time `json:"start"`
}

// Deps are the services verify calls.
type Deps struct {
	// S3 returns the client for a bucket of an account in a Region. Required.
	S3 listing.ClientFor
	// LastRun returns the transfer's last task execution; nil (or a nil *LastRun)
	// when there is none: then nothing counts as in flight.
	LastRun func(ctx context.Context, t spec.Transfer) (*LastRun, error)
}

// Options of one verify.
type Options struct {
	// Checksums reads the stored checksums (HeadObject, checksum mode on) of both
	// sides where the listing cannot prove equality. Default: false.
	Checksums bool
	// HeadConcurrency is the number of HeadObject calls in flight. Default: 32.
	HeadConcurrency int
	// Listing tunes the listing (partitions, counters for a progress display).
	Listing listing.Options
	// Inventory, when set, reads both sides from S3 Inventory reports
	// (s3://bucket/key of each manifest.json) instead of listing.
	Inventory *Inventories
	// OnDifference, when set, is called once per key of a class other than
	// Identical (calls never overlap), e.g. to write CSV files.
	OnDifference func(Difference) error
	// MaxKeys is how many keys of missing and differing objects Result keeps (the
	// rest are counted; OnDifference sees all). Default: 10,000.
	MaxKeys int
}

// Inventories are the manifest.json locations of both sides' inventory reports.
type Inventories struct{ Source, Destination string }

// Difference is one key of a class other than Identical, for reports.
type Difference struct {
	Class Class
	Key   string
	// Src and Dst are the objects at each side; nil where the side has none.
	Src, Dst *listing.Object
}

// Result is what one verify found.
type Result struct {
	Transfer    string           `json:"transfer"`
	Source      listing.Location `json:"source"`
	Destination listing.Location `json:"destination"`
	// LastRun is the last execution verify compared times with; nil if none.
	LastRun *LastRun `json:"lastRun,omitempty"`
	// Counts per class (every class present, zero or not).
	Counts map[Class]Count `json:"classes"`
	// Excluded are source objects the task's filters exclude (not expected at the
	// destination).
	Excluded Count `json:"excludedByFilters"`
	// Folders are folder objects (keys ending in "/") of each side, which DataSync
	// writes and reads as folders: neither missing nor extra.
	SourceFolders      int64 `json:"sourceFolderObjects"`
	DestinationFolders int64 `json:"destinationFolderObjects"`
	// Gaps are the keys (relative to the locations) of missing and differing
	// objects, up to Options.MaxKeys; GapsTruncated says that there are more.
	Gaps          []string `json:"gaps,omitempty"`
	GapsTruncated bool     `json:"gapsTruncated,omitempty"`
	// Headed is the number of objects whose checksums --checksums read.
	Headed int64 `json:"headObjects,omitempty"`
	// Requests are the listing's requests (ListObjectsV2 or inventory reads).
	Requests int64     `json:"requests"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	// Clean says that nothing is missing or differs.
	Clean bool `json:"clean"`
	// Warnings are things the reader must know (a run in progress, KMS).
	Warnings []string `json:"warnings,omitempty"`
}

// Failures is the number of objects in failure classes.
func (r *Result) Failures() int64 {
	var n int64
	for c, k := range r.Counts {
		if c.Failure() {
			n += k.Objects
		}
	}
	return n
}

// Run verifies transfer t: lists (or reads the inventories of) both locations,
// joins them, classifies every key and returns the counts. A cancelled ctx stops
// it with ctx's error.
func Run(ctx context.Context, deps Deps, t spec.Transfer, opts Options) (*Result, error) {
	if deps.S3 == nil {
		return nil, errors.New("verify: Deps.S3 is required")
	}
	if opts.HeadConcurrency <= 0 {
		opts.HeadConcurrency = 32
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 10000
	}
	filter, err := listing.NewFilter(t.Task.Includes, t.Task.Excludes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	res := &Result{
		Transfer:    t.Name,
		Source:      listing.Location{Account: t.Source.Account, Region: t.Source.Region, Bucket: t.Source.Bucket, Prefix: t.Source.Prefix},
		Destination: listing.Location{Account: t.Destination.Account, Region: t.Destination.Region, Bucket: t.Destination.Bucket, Prefix: t.Destination.Prefix},
		Counts:      map[Class]Count{},
		Started:     time.Now().UTC(),
	}
	for _, c := range Classes {
		res.Counts[c] = Count{}
	}
	if deps.LastRun != nil {
		lr, err := deps.LastRun(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// Verify goes on without it: nothing can be told in flight.
			res.Warnings = append(res.Warnings, fmt.Sprintf("the last run is unknown, so nothing counts as in flight: %v", err))
		}
		res.LastRun = lr
		if lr != nil && lr.Status != "SUCCESS" && lr.Status != "ERROR" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("a run is in progress (%s, %s): objects it has not written yet count as missing or in flight; verify again when it ends", lr.Status, lr.Arn))
		}
	}
	srcClient, err := deps.S3(ctx, t.Source.Account, t.Source.Region)
	if err != nil {
		return nil, fmt.Errorf("%s: S3 client for the source account %s: %w", t.Name, t.Source.Account, err)
	}
	dstClient, err := deps.S3(ctx, t.Destination.Account, t.Destination.Region)
	if err != nil {
		return nil, fmt.Errorf("%s: S3 client for the destination account %s: %w", t.Name, t.Destination.Account, err)
	}
	src := listing.Side{Location: res.Source, Client: srcClient, Filter: filter}
	dst := listing.Side{Location: res.Destination, Client: dstClient}
	if opts.Inventory != nil {
		src.Inventory = &listing.Inventory{Client: srcClient, Manifest: opts.Inventory.Source}
		dst.Inventory = &listing.Inventory{Client: dstClient, Manifest: opts.Inventory.Destination}
	}
	kms := t.Source.KmsKeyArn != "" || t.Destination.KmsKeyArn != "" || t.Destination.CreateKmsKey
	if kms {
		res.Warnings = append(res.Warnings, "a bucket uses SSE-KMS: ETags are not MD5s, so only checksums (--checksums) can prove content equal")
	}
	c := &classifier{res: res, opts: opts, kms: kms}
	if opts.Listing.Counters == nil {
		opts.Listing.Counters = &listing.Counters{}
	}
	// Without --checksums, HeadObject still confirms each difference the ETags
	// alone would report: a bucket's default encryption can be SSE-KMS without the
	// config saying so, and then differing ETags prove nothing (confirm).
	var heads *headPool
	if opts.Checksums || !kms {
		heads = newHeadPool(ctx, opts.HeadConcurrency, srcClient, dstClient, res.Source, res.Destination, c)
	}
	err = listing.Join(ctx, src, dst, opts.Listing, func(p listing.Pair) error {
		if heads != nil && c.needsHead(p) {
			return heads.add(p)
		}
		return c.classify(p, nil)
	})
	if heads != nil {
		if herr := heads.wait(); err == nil {
			err = herr
		}
	}
	if c.unconfirmed > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d objects count as content-differs by their ETags alone: HeadObject could not tell whether they are "+
			"SSE-KMS objects (whose ETags are no MD5s): %v", c.unconfirmed, c.confirmErr))
	}
	res.Requests = opts.Listing.Counters.Requests.Load()
	res.Seconds = time.Since(res.Started).Seconds()
	if err != nil {
		return res, err
	}
	res.Clean = res.Failures() == 0
	return res, nil
}

// classifier puts each joined key into its class; its methods are called one at a
// time (the join serializes, the head pool locks).
type classifier struct {
	mu   sync.Mutex
	res  *Result
	opts Options
	kms  bool
	// unconfirmed counts the differences by ETag that HeadObject could not confirm
	// (without --checksums, e.g. no s3:GetObject); confirmErr is the first error.
	unconfirmed int64
	confirmErr  error
}

// needsHead says whether HeadObject can decide what the listing cannot: with
// --checksums, every pair of the same size the ETags do not prove equal; without,
// the pairs whose single-part ETags differ, to confirm with the encryption (and the
// checksums) that the difference is real: an SSE-KMS object's ETag is not an MD5
// of its content (S3 API reference, Object: ETag), and a listing does not show the
// encryption.
func (c *classifier) needsHead(p listing.Pair) bool {
	if p.Src == nil || p.Dst == nil || p.Excluded || p.Src.Folder() || p.Dst.Folder() || p.Src.Size != p.Dst.Size {
		return false
	}
	cl := c.compare(p.Src, p.Dst, nil)
	if !c.opts.Checksums {
		return cl == ContentDiffers
	}
	return cl == NotCompared || cl == ContentDiffers
}

// heads are the checksums HeadObject read, per side.
type heads struct{ src, dst *s3.HeadObjectOutput }

// classify counts one key. h holds HeadObject answers when --checksums read them.
func (c *classifier) classify(p listing.Pair, h *heads) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.res
	if p.Src != nil && p.Src.Folder() {
		r.SourceFolders++
		p.Src = nil
	}
	if p.Dst != nil && p.Dst.Folder() {
		r.DestinationFolders++
		p.Dst = nil
	}
	var class Class
	switch {
	case p.Src == nil && p.Dst == nil:
		return nil
	case p.Src != nil && p.Excluded:
		r.Excluded.add(p.Src.Size)
		return nil
	case p.Src == nil:
		class = Extra
	case p.Dst == nil:
		class = Missing
	case p.Src.Size != p.Dst.Size:
		class = SizeDiffers
	default:
		class = c.compare(p.Src, p.Dst, h)
	}
	if class.Failure() && p.Src != nil {
		switch {
		case UnsupportedKey(p.Key):
			class = Unsupported
		case r.LastRun != nil && !p.Src.LastModified.Before(r.LastRun.Start):
			class = InFlight
		case p.Src.Archived():
			class = Archived
		}
	}
	size := int64(0)
	if p.Src != nil {
		size = p.Src.Size
	} else {
		size = p.Dst.Size
	}
	k := r.Counts[class]
	k.add(size)
	r.Counts[class] = k
	if class == Identical {
		return nil
	}
	if class.Failure() {
		if len(r.Gaps) < c.opts.MaxKeys {
			r.Gaps = append(r.Gaps, p.Key)
		} else {
			r.GapsTruncated = true
		}
	}
	if c.opts.OnDifference != nil {
		return c.opts.OnDifference(Difference{Class: class, Key: p.Key, Src: p.Src, Dst: p.Dst})
	}
	return nil
}

// UnsupportedKey says whether DataSync cannot transfer an object under key
// (relative to the source location). CreateLocationS3, Subdirectory (API model
// datasync-2018-11-09): "DataSync can't transfer objects with a prefix that begins
// with a slash (/) or includes //, /./, or /../ patterns. For example: /photos,
// photos//2006/January, photos/./2006/February, photos/../2006/March".
func UnsupportedKey(key string) bool {
	return strings.HasPrefix(key, "/") || strings.Contains(key, "//") || strings.Contains(key, "/./") || strings.Contains(key, "/../")
}

// compare decides the content of two objects of the same size: by checksums read
// with HeadObject when h has them, else by ETag (an MD5 unless SSE-KMS, whose use
// the config declares; equal ETags of multipart uploads mean equal parts).
func (c *classifier) compare(s, d *listing.Object, h *heads) Class {
	if h != nil {
		if cl, ok := compareChecksums(h.src, h.dst); ok {
			return cl
		}
		kms := h.src.ServerSideEncryption == s3types.ServerSideEncryptionAwsKms || h.dst.ServerSideEncryption == s3types.ServerSideEncryptionAwsKms ||
			h.src.ServerSideEncryption == s3types.ServerSideEncryptionAwsKmsDsse || h.dst.ServerSideEncryption == s3types.ServerSideEncryptionAwsKmsDsse
		if kms {
			return NotCompared
		}
	} else if c.kms {
		return NotCompared
	}
	switch {
	case s.ETag == "" || d.ETag == "":
		return NotCompared
	case s.ETag == d.ETag:
		return Identical
	case s.SinglePartETag() && d.SinglePartETag():
		return ContentDiffers
	}
	return NotCompared
}

// compareChecksums compares the checksums HeadObject returned, of the same
// algorithm on both sides; false when they are not comparable. A full-object
// checksum (FULL_OBJECT) is of the content: equal or not, it decides. A composite
// checksum (COMPOSITE, "value-N") is a checksum of the parts' checksums, so it
// depends on where the parts end (S3 user guide, "Checking object integrity":
// composite checksums are calculated from each part's checksum): equal ones prove
// the content equal, but different ones prove nothing, even of the same number of
// parts (a 24 MiB object is 3 parts at 8 MiB and at 10 MiB), and DataSync chooses
// its own part size at the destination.
func compareChecksums(s, d *s3.HeadObjectOutput) (Class, bool) {
	if s == nil || d == nil {
		return "", false
	}
	sv, dv := checksums(s), checksums(d)
	for alg, v := range sv {
		w, ok := dv[alg]
		if !ok {
			continue
		}
		if v == w {
			return Identical, true
		}
		if composite(s, v) || composite(d, w) {
			continue // part layouts unknown: not comparable
		}
		return ContentDiffers, true
	}
	return "", false
}

// composite says whether the checksum v of h is a composite one: the type says so,
// or, where HeadObject gives no type (objects written before S3 had checksum types),
// the value carries a "-N" part count.
func composite(h *s3.HeadObjectOutput, v string) bool {
	return h.ChecksumType == s3types.ChecksumTypeComposite || (h.ChecksumType == "" && partsOf(v) != "")
}

func checksums(h *s3.HeadObjectOutput) map[string]string {
	m := map[string]string{}
	for alg, v := range map[string]*string{
		"CRC64NVME": h.ChecksumCRC64NVME, "CRC32": h.ChecksumCRC32, "CRC32C": h.ChecksumCRC32C,
		"SHA1": h.ChecksumSHA1, "SHA256": h.ChecksumSHA256,
	} {
		if aws.ToString(v) != "" {
			m[alg] = *v
		}
	}
	return m
}

// partsOf is the "-N" part count of a composite checksum.
func partsOf(v string) string {
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return v[i:]
	}
	return ""
}

// SoftMemoryLimit is the Go heap's soft limit the transfers command sets for a
// verify (unless GOMEMLIMIT is set): the garbage collector then keeps a long
// listing's heap near what a short one uses, so peak memory does not depend on
// the number of objects (the benchmark, flat keys: 38 MB peak RSS at 100,000
// objects per side, 39 MB at 1,000,000, for 10% more CPU than without a limit).
const SoftMemoryLimit = 32 << 20

// LimitMemory sets SoftMemoryLimit as the process's soft memory limit, unless the
// environment sets GOMEMLIMIT.
func LimitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(SoftMemoryLimit)
	}
}
