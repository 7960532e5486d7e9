package s3synth

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/app/listing"
)

// The synthetic key space read by the real SDK client through the listing engine:
// every object once, the destination's gaps where they were left.
func TestSyntheticKeySpaceThroughTheJoin(t *testing.T) {
	for _, layout := range []Layout{Flat, Nested} {
		t.Run(string(layout), func(t *testing.T) {
			srv := &Server{Modified: time.Now(), Buckets: map[string]Bucket{
				"src": {Layout: layout, Objects: 25000},
				"dst": {Layout: layout, Objects: 25000, Skip: 1000},
			}}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
			var both, srcOnly, dstOnly int
			err := listing.Join(context.Background(),
				listing.Side{Location: listing.Location{Bucket: "src"}, Client: c},
				listing.Side{Location: listing.Location{Bucket: "dst"}, Client: c},
				listing.Options{Partitions: 8},
				func(p listing.Pair) error {
					switch {
					case p.Src != nil && p.Dst != nil:
						both++
					case p.Src != nil:
						srcOnly++
					default:
						dstOnly++
					}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if both != 24975 || srcOnly != 25 || dstOnly != 0 {
				t.Errorf("both %d, source only %d, destination only %d; want 24975, 25, 0", both, srcOnly, dstOnly)
			}
			t.Logf("%d requests (sequential: %d)", srv.Requests.Load(), 25+25)
		})
	}
}

// With a delimiter the server answers common prefixes, page by page, each once (as
// a directory-walking client such as rclone lists).
func TestDelimiterListing(t *testing.T) {
	srv := &Server{Modified: time.Now(), Buckets: map[string]Bucket{"b": {Layout: Nested, Objects: 25000}}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	var got []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("b"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, cp := range page.CommonPrefixes {
			got = append(got, aws.ToString(cp.Prefix))
		}
		if len(page.Contents) > 0 {
			t.Errorf("objects at the root: %v", page.Contents)
		}
	}
	if fmt.Sprint(got) != "[d0000/ d0001/ d0002/]" {
		t.Errorf("common prefixes %q", got)
	}
	page, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String("d0001/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.CommonPrefixes) != 100 || aws.ToString(page.CommonPrefixes[99].Prefix) != "d0001/e99/" {
		t.Errorf("%d prefixes under d0001/", len(page.CommonPrefixes))
	}
}
