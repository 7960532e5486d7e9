package estimate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/app/estimate/fakecloudwatch"
	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/internal/s3fake"
	"github.com/s3transfer/cdk-datasync/internal/s3synth"
)

const (
	srcKey = "AKIDSOURCE111111EXAMPLE"
	dstKey = "AKIDDEST22222222EXAMPLE"
)

func awsConfig(key, region string) aws.Config {
	return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "")}
}

func s3Client(srv *s3synth.Server, key, region string) *s3.Client {
	return s3.NewFromConfig(awsConfig(key, region), func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.URL); o.UsePathStyle = true })
}

// The listing against a local S3 server with the real SDK client: 25,000 source
// objects under photos/ (every 10th a .tmp file the task excludes, every 100th in
// DEEP_ARCHIVE), a destination holding the first 5,000 (identical: written later)
// and 10 more under its prefix; with transferMode CHANGED only the rest is copied.
func TestFromListingAgainstLocalS3(t *testing.T) {
	srv := (&s3synth.Server{}).Start(t)
	srv.AddKey(srcKey, "111111111111")
	srv.AddKey(dstKey, "222222222222")
	const n = 25_000
	srcObj := func(i int) s3synth.Object {
		o := s3synth.Object{Key: fmt.Sprintf("photos/%06d.jpg", i), Size: int64(1000 + i), LastModified: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
		if i%10 == 0 {
			o.Key = fmt.Sprintf("photos/%06d.tmp", i)
		}
		if i%100 == 1 {
			o.StorageClass = "DEEP_ARCHIVE"
		}
		return o
	}
	srv.AddBucket("src", s3synth.Bucket{Owner: "111111111111", Objects: n + 3, At: func(i int) s3synth.Object {
		switch { // keys outside the prefix, before and after it
		case i == 0:
			return s3synth.Object{Key: "aaa", Size: 1}
		case i > n:
			return s3synth.Object{Key: fmt.Sprintf("zzz%d", i), Size: 1}
		}
		return srcObj(i - 1)
	}})
	srv.AddBucket("dst", s3synth.Bucket{Owner: "222222222222", Objects: 5_010, At: func(i int) s3synth.Object {
		if i >= 5000 {
			return s3synth.Object{Key: fmt.Sprintf("archive/zz-%02d", i), Size: 5}
		}
		o := srcObj(i)
		o.Key = "archive/" + strings.TrimPrefix(o.Key, "photos/")
		o.LastModified = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		return o
	}})
	tr := transfer("photos", "us-east-1", "us-east-1")
	tr.Source.Bucket, tr.Source.Prefix = "src", "photos"
	tr.Destination.Bucket, tr.Destination.Prefix = "dst", "archive"
	tr.Task.Excludes = []string{"*.tmp"}
	p, _ := Table()
	d, err := FromListing(context.Background(), tr, s3Client(srv, srcKey, "us-east-1"), s3Client(srv, dstKey, "us-east-1"), nil, p.Assumptions, listing.Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	// computed by hand: of 25,000, 2,500 are .tmp (i%10==0); of the 22,500 kept, the
	// first 5,000 keys hold 4,500 kept objects that are identical at the destination
	var wantObjects, wantBytes, wantDeep int64
	for i := 5000; i < n; i++ {
		if i%10 != 0 {
			wantObjects++
			wantBytes += int64(1000 + i)
			if i%100 == 1 {
				wantDeep++
			}
		}
	}
	if d.Objects != wantObjects || d.Bytes != wantBytes {
		t.Errorf("to copy: %d objects, %d bytes; want %d, %d", d.Objects, d.Bytes, wantObjects, wantBytes)
	}
	if d.Listed != n || d.Identical != 4500 || d.DestinationListed != 5010 {
		t.Errorf("listed %d (want %d), identical %d (want 4,500), destination %d (want 5,010)", d.Listed, n, d.Identical, d.DestinationListed)
	}
	if got := d.Classes["DEEP_ARCHIVE"]; got == nil || got.Objects != wantDeep {
		t.Errorf("DEEP_ARCHIVE objects %+v, want %d", got, wantDeep)
	}
	if got := d.below(128 << 10); got.Objects != wantObjects {
		t.Errorf("objects below 128 KiB %d, want all %d", got.Objects, wantObjects)
	}

	// transferMode ALL copies the identical ones too
	tr.Task.TransferMode = "ALL"
	all, err := FromListing(context.Background(), tr, s3Client(srv, srcKey, "us-east-1"), s3Client(srv, dstKey, "us-east-1"), nil, p.Assumptions, listing.Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	if all.Objects != wantObjects+4500 || all.Identical != 0 {
		t.Errorf("ALL: %d objects, %d identical; want %d and 0", all.Objects, all.Identical, wantObjects+4500)
	}
}

func TestFromListingUnreadableBucket(t *testing.T) {
	srv := (&s3synth.Server{}).Start(t)
	srv.AddKey(srcKey, "111111111111")
	srv.AddKey(dstKey, "222222222222")
	srv.AddBucket("src", s3synth.Bucket{Owner: "333333333333", Objects: 1, At: func(int) s3synth.Object { return s3synth.Object{Key: "a", Size: 1} }})
	srv.AddBucket("dst", s3synth.Bucket{Owner: "222222222222"})
	tr := transfer("denied", "us-east-1", "us-east-1")
	tr.Source.Bucket, tr.Destination.Bucket = "src", "dst"
	p, _ := Table()
	_, err := FromListing(context.Background(), tr, s3Client(srv, srcKey, "us-east-1"), s3Client(srv, dstKey, "us-east-1"), nil, p.Assumptions, listing.Options{})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "s3://src/") {
		t.Errorf("err = %v, want AccessDenied naming s3://src/", err)
	}
}

// --quick against a local server speaking CloudWatch's protocol (RPC v2 CBOR) with
// the real SDK client: the newest daily figure of each storage type is taken.
func TestFromMetricsAgainstLocalCloudWatch(t *testing.T) {
	srv := fakecloudwatch.New()
	defer srv.Close()
	srv.AddKey(srcKey, "111111111111")
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return time.Date(2026, 12, 7-n, 0, 0, 0, 0, time.UTC) }
	put := func(metric, st string, points ...fakecloudwatch.Point) {
		srv.Put("111111111111", "us-east-1", "AWS/S3", metric, map[string]string{"BucketName": "src", "StorageType": st}, points...)
	}
	put("BucketSizeBytes", "StandardStorage", fakecloudwatch.Point{Time: day(2), Value: 7e12}, fakecloudwatch.Point{Time: day(1), Value: 8e12})
	put("BucketSizeBytes", "GlacierStorage", fakecloudwatch.Point{Time: day(1), Value: 2e12})
	put("NumberOfObjects", "AllStorageTypes", fakecloudwatch.Point{Time: day(2), Value: 900_000}, fakecloudwatch.Point{Time: day(1), Value: 1_000_000})
	// another account's bucket of the same name, and another Region: not seen
	srv.Put("999999999999", "us-east-1", "AWS/S3", "NumberOfObjects", map[string]string{"BucketName": "src", "StorageType": "AllStorageTypes"}, fakecloudwatch.Point{Time: day(1), Value: 5})

	cw := cloudwatch.NewFromConfig(awsConfig(srcKey, "us-east-1"), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	tr := transfer("whole", "us-east-1", "us-east-1")
	tr.Source.Bucket = "src"
	p, _ := Table()
	d, err := FromMetrics(context.Background(), tr, cw, p.Assumptions, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Objects != 1_000_000 || d.Bytes != 10e12 || !d.Approximate || !d.AsOf.Equal(day(1)) {
		t.Errorf("got %d objects, %d bytes, approximate %v, as of %v; want 1,000,000, 10^13, true, %v", d.Objects, d.Bytes, d.Approximate, d.AsOf, day(1))
	}
	// objects spread by bytes: 80% STANDARD, 20% GLACIER; 10 MB average: 2 parts each
	if c := d.Classes["GLACIER"]; c == nil || c.Objects != 200_000 || c.Bytes != 2e12 {
		t.Errorf("GLACIER %+v, want 200,000 objects, 2×10^12 bytes", c)
	}
	if d.Parts != 2_000_000 || d.Multipart != 1_000_000 {
		t.Errorf("parts %d, multipart %d; want 2,000,000 and 1,000,000 (10^7 bytes an object, 8 MiB parts)", d.Parts, d.Multipart)
	}
	if srv.Calls != 1 {
		t.Errorf("%d GetMetricData calls, want 1", srv.Calls)
	}

	// a bucket without figures (another Region's client): a clear error
	cw2 := cloudwatch.NewFromConfig(awsConfig(srcKey, "us-west-2"), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	tr.Source.Region = "us-west-2"
	if _, err := FromMetrics(context.Background(), tr, cw2, p.Assumptions, now); err == nil || !strings.Contains(err.Error(), "no NumberOfObjects of bucket src in us-west-2") {
		t.Errorf("err = %v", err)
	}
	tr.Source.Prefix = "photos"
	if _, err := FromMetrics(context.Background(), tr, cw, p.Assumptions, now); err == nil || !strings.Contains(err.Error(), `source.prefix is "photos"`) {
		t.Errorf("prefix with --quick: %v", err)
	}
}

// S3 Inventory reports in place of listing (the engine's reader, with a local S3
// server holding the reports): the same join, the same sums.
func TestFromInventoryReports(t *testing.T) {
	srv := s3fake.New(t)
	c := srv.Client("AKID")
	if err := srv.Bucket(context.Background(), c, "reports", false); err != nil {
		t.Fatal(err)
	}
	schema := "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass"
	src := srv.PutInventory(t, c, "src", schema, [][]string{
		{"src", "data/a.bin", "1000", "2026-12-01T00:00:00.000Z", "e1", "STANDARD"},
		{"src", "data/b.bin", "20000000", "2026-12-01T00:00:00.000Z", "e2", "STANDARD_IA"},
		{"src", "data/c.tmp", "5", "2026-12-01T00:00:00.000Z", "e3", "STANDARD"},
		{"src", "other/d.bin", "7", "2026-12-01T00:00:00.000Z", "e4", "STANDARD"},
	}, 2)
	dst := srv.PutInventory(t, c, "dst", schema, [][]string{
		{"dst", "copy/a.bin", "1000", "2026-12-02T00:00:00.000Z", "x1", "STANDARD"}, // identical: copied after
		{"dst", "copy/z.bin", "3", "2026-12-02T00:00:00.000Z", "x9", "STANDARD"},
	}, 1)
	tr := transfer("inv", "us-east-1", "us-east-1")
	tr.Source.Bucket, tr.Source.Prefix = "src", "data"
	tr.Destination.Bucket, tr.Destination.Prefix = "dst", "copy"
	tr.Task.Excludes = []string{"*.tmp"}
	p, _ := Table()
	reports := &Reports{Source: &listing.Inventory{Client: c, Manifest: src, TempDir: t.TempDir()}, Destination: &listing.Inventory{Client: c, Manifest: dst, TempDir: t.TempDir()}}
	d, err := FromListing(context.Background(), tr, nil, nil, reports, p.Assumptions, listing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.From != "inventory" || d.Objects != 1 || d.Bytes != 20_000_000 || d.Identical != 1 || d.Listed != 3 || d.DestinationListed != 2 {
		t.Errorf("got %+v; want b.bin only to copy (20 MB, 3 parts), a.bin identical, 3 listed at the source, 2 at the destination", d)
	}
	if c := d.Classes["STANDARD_IA"]; c == nil || c.Parts != 3 {
		t.Errorf("STANDARD_IA %+v, want 1 object read in 3 ranged GETs", c)
	}
}
