package listing

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3transfer/cdk-datasync/internal/s3fake"
)

// The fast decoder reads every ListObjectsV2 page exactly as the SDK's own decoder
// does, for keys that XML must escape, storage classes, checksums and truncation.
func TestFastDecodeEqualsTheSDKDecoder(t *testing.T) {
	srv := s3fake.New(t)
	c := srv.Client("AKID")
	ctx := context.Background()
	if err := srv.Bucket(ctx, c, "bkt", false); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a&b", "<tag>", `quote"s`, "apos's", "ü/é", "space key", "plus+sign", "emoji😀", "tab\tkey", "line\nbreak",
		"dir/", "dir/sub/x", "100%", "x]]>y"}
	for i, k := range keys {
		in := &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(k), Body: bytes.NewReader(bytes.Repeat([]byte("x"), i))}
		if i%3 == 0 {
			in.StorageClass = types.StorageClassGlacier
		}
		if i%2 == 0 {
			in.ChecksumCRC32 = aws.String("AAAAAA==")
		}
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	var token *string
	pages := 0
	for {
		in := &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(4), ContinuationToken: token}
		want, err := c.ListObjectsV2(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.ListObjectsV2(ctx, in, fastDecode)
		if err != nil {
			t.Fatal(err)
		}
		got.ResultMetadata = want.ResultMetadata
		for i := range want.Contents {
			want.Contents[i].Owner = nil
		}
		if !reflect.DeepEqual(got.Contents, want.Contents) {
			t.Errorf("page %d contents:\n got %+v\nwant %+v", pages, got.Contents, want.Contents)
		}
		for name, pair := range map[string][2]any{
			"IsTruncated": {got.IsTruncated, want.IsTruncated}, "NextContinuationToken": {got.NextContinuationToken, want.NextContinuationToken},
			"KeyCount": {got.KeyCount, want.KeyCount}, "MaxKeys": {got.MaxKeys, want.MaxKeys}, "Name": {got.Name, want.Name},
		} {
			if !reflect.DeepEqual(pair[0], pair[1]) {
				t.Errorf("page %d %s: got %v, want %v", pages, name, pair[0], pair[1])
			}
		}
		pages++
		if !aws.ToBool(want.IsTruncated) {
			break
		}
		token = want.NextContinuationToken
	}
	if pages < 3 {
		t.Errorf("%d pages: the test did not page", pages)
	}
}

// An error response still goes through the SDK's decoder: its code and message.
func TestFastDecodeKeepsSDKErrors(t *testing.T) {
	srv := s3fake.New(t)
	_, err := srv.Client("AKID").ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("nosuch")}, fastDecode)
	var nsb *types.NoSuchBucket
	if err == nil || !errorsAs(err, &nsb) {
		t.Fatalf("error %v, want NoSuchBucket", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
