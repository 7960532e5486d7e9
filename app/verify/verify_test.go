package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/internal/s3fake"
)

// world is a fake S3 with a source and a destination bucket, one client for both.
type world struct {
	t   *testing.T
	srv *s3fake.Server
	c   *s3.Client
}

func newWorld(t *testing.T, versioned bool) *world {
	w := &world{t: t, srv: s3fake.New(t)}
	w.c = w.srv.Client("AKIDTEST")
	for _, b := range []string{"src", "dst"} {
		if err := w.srv.Bucket(context.Background(), w.c, b, versioned); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func crc(body string) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	return base64.StdEncoding.EncodeToString(b[:])
}

// put writes an object (single part) with its CRC32 and storage class.
func (w *world) put(bucket, key, body string, class s3types.StorageClass) {
	w.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(body)),
		ChecksumCRC32: aws.String(crc(body))}
	if class != "" {
		in.StorageClass = class
	}
	if _, err := w.c.PutObject(context.Background(), in); err != nil {
		w.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// putParts writes an object in one multipart upload (an ETag that is no MD5), and
// gives it the full-object CRC32 S3 would compute.
func (w *world) putParts(bucket, key, body string) {
	w.t.Helper()
	ctx := context.Background()
	up, err := w.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		w.t.Fatal(err)
	}
	part, err := w.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte(body))})
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = w.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.srv.SetChecksum(bucket, key, "CRC32", crc(body))
}

func (w *world) deps(last *LastRun) Deps {
	return Deps{
		S3: func(context.Context, string, string) (*s3.Client, error) { return w.c, nil },
		LastRun: func(context.Context, spec.Transfer) (*LastRun, error) {
			return last, nil
		},
	}
}

func transfer(srcPrefix, dstPrefix string) spec.Transfer {
	return spec.Transfer{
		Name:        "photos",
		Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "src", Prefix: srcPrefix},
		Destination: spec.Destination{Account: "222222222222", Region: "us-east-1", Bucket: "dst", Prefix: dstPrefix},
	}
}

// Every class, with a source prefix mapped onto a different destination prefix,
// keys with spaces, unicode and "+", folder objects on both sides, and objects
// outside both prefixes that must not count.
func TestRunEveryClass(t *testing.T) {
	w := newWorld(t, false)
	same := func(key, body string) {
		w.put("src", "data/"+key, body, "")
		w.put("dst", "copy/2024/"+key, body, "")
	}
	same("a.txt", "alpha")
	same("dir with space/ü+é.txt", "unicode")
	same("a+b/c d+e.bin", "plus")
	w.put("src", "data/missing+one.bin", "gone", "")
	w.put("src", "data/size.bin", "ten bytes!", "")
	w.put("dst", "copy/2024/size.bin", "eleven byte", "")
	w.put("src", "data/content.bin", "abcdef", "")
	w.put("dst", "copy/2024/content.bin", "abcxyz", "")
	w.put("src", "data/parts.bin", "same content", "")
	w.putParts("dst", "copy/2024/parts.bin", "same content")
	w.put("dst", "copy/2024/extra.txt", "only here", "")
	w.put("src", "data/cold/archive.bin", "frozen", s3types.StorageClassDeepArchive)
	w.put("src", "data/cold/glacier-copied.bin", "thawed", s3types.StorageClassGlacier)
	w.put("dst", "copy/2024/cold/glacier-copied.bin", "thawed", "")
	// Folder objects, as the console and DataSync write them.
	w.put("src", "data/", "", "")
	w.put("src", "data/empty folder/", "", "")
	w.put("dst", "copy/2024/", "", "")
	w.put("dst", "copy/2024/dir with space/", "", "")
	// Outside the locations.
	w.put("src", "database/x", "no", "")
	w.put("dst", "copy/2023/x", "no", "")

	w.srv.Clock.Advance(time.Minute)
	start := w.srv.Clock.Now()
	w.srv.Clock.Advance(time.Minute)
	w.put("src", "data/late.txt", "written during the run", "")

	res, err := Run(context.Background(), w.deps(&LastRun{Arn: "arn:exec", Status: "SUCCESS", Start: start}),
		transfer("data", "copy/2024/"), Options{Listing: listing.Options{Partitions: 4, PageSize: 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Class]Count{
		Identical:      {3 + 1, 5 + 7 + 4 + 6},
		NotCompared:    {1, 12},
		Missing:        {1, 4},
		SizeDiffers:    {1, 10},
		ContentDiffers: {1, 6},
		InFlight:       {1, 22},
		Archived:       {1, 6},
		Extra:          {1, 9},
	}
	for _, c := range Classes {
		if res.Counts[c] != want[c] {
			t.Errorf("%s: %+v, want %+v", c, res.Counts[c], want[c])
		}
	}
	if res.SourceFolders != 2 || res.DestinationFolders != 2 {
		t.Errorf("folder objects: source %d, destination %d; want 2 and 2", res.SourceFolders, res.DestinationFolders)
	}
	if res.Clean {
		t.Error("clean, with objects missing")
	}
	gaps := slices.Sorted(slices.Values(res.Gaps))
	wantGaps := []string{"cold/archive.bin", "content.bin", "late.txt", "missing+one.bin", "size.bin"}
	if !slices.Equal(gaps, wantGaps) {
		t.Errorf("gaps %q, want %q", gaps, wantGaps)
	}
}

// --checksums decides, with HeadObject, the objects whose ETags cannot: an equal
// CRC32 proves them identical, a different one proves a difference.
func TestRunChecksums(t *testing.T) {
	w := newWorld(t, false)
	w.put("src", "same.bin", "0123456789", "")
	w.putParts("dst", "same.bin", "0123456789")
	w.put("src", "differs.bin", "0123456789", "")
	w.putParts("dst", "differs.bin", "9876543210")
	tr := transfer("", "")
	without, err := Run(context.Background(), w.deps(nil), tr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := without.Counts[NotCompared].Objects; got != 2 {
		t.Fatalf("without --checksums: %d not compared, want 2", got)
	}
	with, err := Run(context.Background(), w.deps(nil), tr, Options{Checksums: true})
	if err != nil {
		t.Fatal(err)
	}
	if with.Counts[Identical].Objects != 1 || with.Counts[ContentDiffers].Objects != 1 || with.Counts[NotCompared].Objects != 0 {
		t.Errorf("with --checksums: %+v", with.Counts)
	}
	if with.Headed != 2 {
		t.Errorf("%d objects read with HeadObject, want 2", with.Headed)
	}
}

// Filters as DataSync applies them: excluded source objects are not expected.
func TestRunFilters(t *testing.T) {
	w := newWorld(t, false)
	w.put("src", "photos/a.jpg", "a", "")
	w.put("src", "photos/tmp/b.jpg", "b", "")
	w.put("src", "videos/c.mp4", "c", "")
	w.put("dst", "photos/a.jpg", "a", "")
	tr := transfer("", "")
	tr.Task.Includes = []string{"/photos"}
	tr.Task.Excludes = []string{"*/tmp"}
	res, err := Run(context.Background(), w.deps(nil), tr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Clean || res.Excluded.Objects != 2 || res.Counts[Identical].Objects != 1 {
		t.Errorf("clean %v, excluded %+v, counts %+v", res.Clean, res.Excluded, res.Counts)
	}
}

// A versioned source: the current versions count; a deleted object (a delete
// marker on top) is not expected at the destination; an overwritten one is
// expected with its current content.
func TestRunVersionedBuckets(t *testing.T) {
	w := newWorld(t, true)
	w.put("src", "kept.txt", "v1", "")
	w.put("src", "kept.txt", "v2 longer", "")
	w.put("src", "deleted.txt", "old", "")
	if _, err := w.c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("deleted.txt")}); err != nil {
		t.Fatal(err)
	}
	w.put("dst", "kept.txt", "v1", "")
	w.put("dst", "kept.txt", "v2 longer", "")
	res, err := Run(context.Background(), w.deps(nil), transfer("", ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Clean || res.Counts[Identical].Objects != 1 || res.Counts[Missing].Objects != 0 {
		t.Errorf("clean %v, counts %+v", res.Clean, res.Counts)
	}
}

// An empty side: everything missing (empty destination), or everything extra
// (empty source, which is clean).
func TestRunEmptySide(t *testing.T) {
	w := newWorld(t, false)
	for i := range 5 {
		w.put("src", "in/"+string(rune('a'+i)), "x", "")
		w.put("dst", "out/"+string(rune('a'+i)), "yy", "")
	}
	res, err := Run(context.Background(), w.deps(nil), transfer("in", "nothing-here"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Clean || res.Counts[Missing] != (Count{5, 5}) {
		t.Errorf("empty destination: clean %v, missing %+v", res.Clean, res.Counts[Missing])
	}
	res, err = Run(context.Background(), w.deps(nil), transfer("nothing-here", "out"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Clean || res.Counts[Extra] != (Count{5, 10}) {
		t.Errorf("empty source: clean %v, extra %+v", res.Clean, res.Counts[Extra])
	}
}

// Each account's bucket is read with that account's client: the server refuses a
// request signed by another account.
func TestRunClientPerAccount(t *testing.T) {
	w := newWorld(t, false)
	w.put("src", "k", "v", "")
	w.put("dst", "k", "v", "")
	w.srv.Key("AKIDSOURCE", "111111111111")
	w.srv.Key("AKIDDEST", "222222222222")
	w.srv.Own("src", "111111111111")
	w.srv.Own("dst", "222222222222")
	clients := map[string]*s3.Client{"111111111111": w.srv.Client("AKIDSOURCE"), "222222222222": w.srv.Client("AKIDDEST")}
	deps := Deps{S3: func(_ context.Context, account, _ string) (*s3.Client, error) { return clients[account], nil }}
	res, err := Run(context.Background(), deps, transfer("", ""), Options{})
	if err != nil {
		t.Fatalf("%v (refused: %q)", err, w.srv.Denied())
	}
	if !res.Clean || res.Counts[Identical].Objects != 1 {
		t.Errorf("counts %+v", res.Counts)
	}
	// One client for both accounts: the destination refuses it.
	deps.S3 = func(context.Context, string, string) (*s3.Client, error) { return clients["111111111111"], nil }
	_, err = Run(context.Background(), deps, transfer("", ""), Options{})
	want := "access denied listing s3://dst/ (bucket dst of account 222222222222): the credentials used for account 222222222222 need s3:ListBucket on bucket dst"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v; want %q", err, want)
	}
}

// --checksums without s3:GetObject: the error names the object, the bucket's
// account and the permission.
func TestRunChecksumsAccessDenied(t *testing.T) {
	w := newWorld(t, false)
	w.put("src", "k.bin", "0123456789", "")
	w.putParts("dst", "k.bin", "0123456789")
	w.srv.Refuse("HEAD", "dst")
	_, err := Run(context.Background(), w.deps(nil), transfer("", ""), Options{Checksums: true})
	want := "access denied reading the checksums of s3://dst/k.bin (bucket dst of account 222222222222): --checksums needs s3:GetObject"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v; want %q", err, want)
	}
}

// Composite checksums depend on the part size: different ones of the same number of
// parts prove nothing (DataSync chooses its own part size), equal ones prove the
// content equal; full-object checksums decide both ways.
func TestCompareChecksumsComposite(t *testing.T) {
	h := func(typ s3types.ChecksumType, crc32 string) *s3.HeadObjectOutput {
		return &s3.HeadObjectOutput{ChecksumType: typ, ChecksumCRC32: aws.String(crc32)}
	}
	for _, tc := range []struct {
		name     string
		src, dst *s3.HeadObjectOutput
		want     Class
		ok       bool
	}{
		{"composite, same parts, different values", h(s3types.ChecksumTypeComposite, "AAAAAA==-3"), h(s3types.ChecksumTypeComposite, "BBBBBB==-3"), "", false},
		{"composite, equal", h(s3types.ChecksumTypeComposite, "AAAAAA==-3"), h(s3types.ChecksumTypeComposite, "AAAAAA==-3"), Identical, true},
		{"untyped composite values", h("", "AAAAAA==-3"), h("", "BBBBBB==-3"), "", false},
		{"composite against full object", h(s3types.ChecksumTypeComposite, "AAAAAA==-3"), h(s3types.ChecksumTypeFullObject, "BBBBBB=="), "", false},
		{"full object, different", h(s3types.ChecksumTypeFullObject, "AAAAAA=="), h(s3types.ChecksumTypeFullObject, "BBBBBB=="), ContentDiffers, true},
		{"full object, equal", h(s3types.ChecksumTypeFullObject, "AAAAAA=="), h(s3types.ChecksumTypeFullObject, "AAAAAA=="), Identical, true},
	} {
		got, ok := compareChecksums(tc.src, tc.dst)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: (%q, %v), want (%q, %v)", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// A source bucket whose default encryption is SSE-KMS, which the config does not
// declare: the objects' ETags are no MD5s, so differing single-part ETags prove no
// difference. HeadObject shows the encryption, and verify counts them as not
// compared, never as content-differs (which no re-run could fix); a real difference
// between unencrypted objects stays one. Without s3:GetObject the listing's verdict
// stands, with a warning.
func TestRunUndeclaredKMS(t *testing.T) {
	w := newWorld(t, false)
	kms := func(key, body string) {
		w.t.Helper()
		_, err := w.c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(key),
			Body: bytes.NewReader([]byte(body)), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms})
		if err != nil {
			t.Fatal(err)
		}
	}
	kms("encrypted.bin", "0123456789")
	w.put("dst", "encrypted.bin", "0123456789", "")
	w.put("src", "differs.bin", "abcdef", "")
	w.put("dst", "differs.bin", "abcxyz", "")
	res, err := Run(context.Background(), w.deps(nil), transfer("", ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[NotCompared] != (Count{1, 10}) || res.Counts[ContentDiffers] != (Count{1, 6}) {
		t.Errorf("not compared %+v (want 1 object, 10 B), content differs %+v (want 1, 6 B)", res.Counts[NotCompared], res.Counts[ContentDiffers])
	}
	if !slices.Equal(res.Gaps, []string{"differs.bin"}) {
		t.Errorf("gaps %q, want only differs.bin", res.Gaps)
	}
	if res.Headed != 2 || len(res.Warnings) != 0 {
		t.Errorf("%d pairs read with HeadObject (want 2), warnings %q", res.Headed, res.Warnings)
	}

	w.srv.Refuse("HEAD", "src")
	res, err = Run(context.Background(), w.deps(nil), transfer("", ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[ContentDiffers].Objects != 2 {
		t.Errorf("without s3:GetObject: content differs %+v, want the listing's 2", res.Counts[ContentDiffers])
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "2 objects count as content-differs by their ETags alone") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

// Keys DataSync cannot transfer (a leading "/" relative to the source location,
// "//", "/./", "/../") are a class of their own, not a failure and no gap; one
// copied another way is identical. Listed in partitions, one key a page.
func TestRunUnsupportedKeys(t *testing.T) {
	w := newWorld(t, false)
	w.put("src", "data/ok.txt", "fine", "")
	w.put("dst", "copy/ok.txt", "fine", "")
	unsupported := []string{"/lead.jpg", "a//b.jpg", "a/./c.jpg", "a/../d.jpg"}
	for _, k := range unsupported {
		w.put("src", "data/"+k, "12345", "")
	}
	w.put("src", "data/e//copied.jpg", "by hand", "")
	w.put("dst", "copy/e//copied.jpg", "by hand", "")
	w.put("src", "data/gone.txt", "lost", "")
	// Listed back exactly as written: neither the SDK nor the fake normalizes them.
	out, err := w.c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("src"), Prefix: aws.String("data/")})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, o := range out.Contents {
		listed = append(listed, strings.TrimPrefix(aws.ToString(o.Key), "data/"))
	}
	for _, k := range unsupported {
		if !slices.Contains(listed, k) {
			t.Fatalf("the fake lists %q, not %q", listed, k)
		}
	}

	var seen []string
	res, err := Run(context.Background(), w.deps(nil), transfer("data/", "copy/"), Options{Listing: listing.Options{Partitions: 4, PageSize: 1}, OnDifference: func(d Difference) error {
		if d.Class == Unsupported {
			seen = append(seen, d.Key)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Counts[Unsupported]; got != (Count{4, 20}) {
		t.Errorf("unsupported: %+v, want 4 objects, 20 bytes", got)
	}
	if got := res.Counts[Identical]; got.Objects != 2 {
		t.Errorf("identical: %+v, want 2 (ok.txt, and e//copied.jpg copied by hand)", got)
	}
	if got := res.Counts[Missing]; got.Objects != 1 {
		t.Errorf("missing: %+v, want 1", got)
	}
	if !slices.Equal(slices.Sorted(slices.Values(seen)), slices.Sorted(slices.Values(unsupported))) {
		t.Errorf("OnDifference saw %q, want %q", seen, unsupported)
	}
	if !slices.Equal(res.Gaps, []string{"gone.txt"}) || res.Failures() != 1 {
		t.Errorf("gaps %q, failures %d; want only gone.txt", res.Gaps, res.Failures())
	}
}

func TestUnsupportedKey(t *testing.T) {
	for key, want := range map[string]bool{
		"/photos": true, "photos//2006/January": true, "photos/./2006/February": true, "photos/../2006/March": true,
		"photos/2006/January": false, "photos/.hidden": false, "photos/..x/y": false, "a.b/c": false, "photos/": false,
	} {
		if got := UnsupportedKey(key); got != want {
			t.Errorf("UnsupportedKey(%q) = %v, want %v", key, got, want)
		}
	}
}
