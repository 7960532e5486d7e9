package s3fake

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// PutInventory writes an S3 Inventory report (CSV) of bucket into the report
// bucket "reports": the data files hold rows in the order given, split into files
// of perFile rows, with URL-encoded keys; it returns the manifest's s3:// URL.
func (s *Server) PutInventory(t testing.TB, c *s3.Client, bucket, schema string, rows [][]string, perFile int) string {
	t.Helper()
	ctx := context.Background()
	var files []string
	for i := 0; i < len(rows); i += perFile {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		w := csv.NewWriter(zw)
		for _, r := range rows[i:min(i+perFile, len(rows))] {
			w.Write(r)
		}
		w.Flush()
		zw.Close()
		key := fmt.Sprintf("inv/%s/data/%d.csv.gz", bucket, i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
			t.Fatal(err)
		}
		files = append(files, fmt.Sprintf(`{"key": %q, "size": %d, "MD5checksum": "x"}`, key, buf.Len()))
	}
	manifest := fmt.Sprintf(`{"sourceBucket": %q, "destinationBucket": "arn:aws:s3:::reports", "version": "2016-11-30",
  "creationTimestamp": "1700000000000", "fileFormat": "CSV", "fileSchema": %q, "files": [%s]}`, bucket, schema, strings.Join(files, ","))
	key := "inv/" + bucket + "/2026-12-07T00-00Z/manifest.json"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String(key), Body: strings.NewReader(manifest)}); err != nil {
		t.Fatal(err)
	}
	return "s3://reports/" + key
}
