package s3synth

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func client(url, key string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, "secret", ""), Retryer: aws.NopRetryer{}})
}

// Objects computed by At come back through the real SDK client with their own
// size, class, ETag and time, in pages, under a prefix; the defaults fill the rest.
func TestObjectsFromAt(t *testing.T) {
	modified := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	own := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv := (&Server{Modified: modified}).Start(t)
	srv.AddBucket("b", Bucket{Objects: 2503, At: func(i int) Object {
		o := Object{Key: fmt.Sprintf("p/%05d", i), Size: int64(i) * 1000}
		if i%2 == 1 {
			o.StorageClass, o.ETag, o.LastModified = "DEEP_ARCHIVE", fmt.Sprintf("e%d", i), own
		}
		if i == 7 {
			o.Key = "p/00007 & <x>" // escaped in the XML, and still in key order
		}
		if i == 2502 {
			o.Key = "q/last" // outside the prefix
		}
		return o
	}})
	p := s3.NewListObjectsV2Paginator(client(srv.URL, "any"), &s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String("p/")})
	n, pages := 0, 0
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			i := n
			want := fmt.Sprintf("p/%05d", i)
			if i == 7 {
				want = "p/00007 & <x>"
			}
			if got := aws.ToString(o.Key); got != want {
				t.Fatalf("key %d: %s, want %s", i, got, want)
			}
			wantClass, wantETag, wantTime := "STANDARD", "", modified
			if i%2 == 1 {
				wantClass, wantETag, wantTime = "DEEP_ARCHIVE", fmt.Sprintf(`"e%d"`, i), own
			}
			if aws.ToInt64(o.Size) != int64(i)*1000 || string(o.StorageClass) != wantClass || !o.LastModified.Equal(wantTime) ||
				(wantETag != "" && aws.ToString(o.ETag) != wantETag) {
				t.Fatalf("object %d: size %d, class %s, ETag %s, time %v", i, aws.ToInt64(o.Size), o.StorageClass, aws.ToString(o.ETag), o.LastModified)
			}
			n++
		}
	}
	if n != 2502 || pages != 3 {
		t.Errorf("%d objects in %d pages, want 2,502 in 3", n, pages)
	}
}

// With access keys, a bucket answers its owner and its readers only.
func TestAccounts(t *testing.T) {
	srv := (&Server{}).Start(t)
	srv.AddKey("AKIDOWNER", "111111111111")
	srv.AddKey("AKIDREADER", "222222222222")
	srv.AddKey("AKIDOTHER", "333333333333")
	srv.AddBucket("b", Bucket{Owner: "111111111111", Readers: []string{"222222222222"}, Objects: 3})
	for key, want := range map[string]string{"AKIDOWNER": "", "AKIDREADER": "", "AKIDOTHER": "AccessDenied", "AKIDUNKNOWN": "InvalidAccessKeyId"} {
		_, err := client(srv.URL, key).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", key, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: err = %v, want %s", key, err, want)
		}
	}
	_, err := client(srv.URL, "AKIDOTHER").ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	if err == nil || !strings.Contains(err.Error(), "s3:ListBucket") || !strings.Contains(err.Error(), "333333333333") {
		t.Errorf("the denial names neither the action nor the caller: %v", err)
	}
}
