package operate

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// DataSync's limits on what one execution can be limited to. API model
// datasync-2018-11-09: FilterList has at most one FilterRule, whose Value,
// FilterValue, is at most 102,400 characters and has no NUL (counted here in bytes,
// never fewer than characters); S3ManifestConfig.ManifestObjectPath, S3Subdirectory,
// is at most 4,096 characters of ^[a-zA-Z0-9_\-\+\./\(\)\p{Zs}]*$. DataSync user
// guide, "Filtering data transferred by AWS DataSync" (awsdocs/aws-datasync-user-guide
// doc_source/filtering.md, and datasync-limits.md "Task filter quotas": 102,400
// characters): the patterns of a filter are separated by "|", "*" is a wildcard, and
// "to transfer a list of individual files, start a task execution with an include
// filter like /folder/subfolder/file1.txt|/folder/subfolder/file2.txt". Its table of
// special characters also has "\" (an escape, as app/listing reads filters): keys
// holding "*", "|" or "\" go to a manifest, never to a pattern whose reading is in
// doubt.
const maxIncludes = 102400

var manifestPathRe = regexp.MustCompile(`^[a-zA-Z0-9_\-\+\./\(\)\p{Zs}]*$`)

// Gaps collects the keys of a re-run (relative to the source location) as a
// verification finds them, with memory that does not grow with their number: the
// keys go to a DataSync manifest in a temporary file (CSV, one key per line, quoted
// where it holds a comma, a quote or a line break), and to an Includes filter of
// exact paths only while that still fits DataSync's limits.
type Gaps struct {
	file *os.File
	csv  *csv.Writer

	includes strings.Builder
	// NoFilter says why the keys cannot be an Includes filter ("" while they can).
	NoFilter string

	// Objects and Bytes count the keys added and their source sizes.
	Objects, Bytes int64
}

// NewGaps starts a collection in a temporary file of dir ("" for the system's).
func NewGaps(dir string) (*Gaps, error) {
	f, err := os.CreateTemp(dir, "rerun-*.csv")
	if err != nil {
		return nil, fmt.Errorf("a temporary file for the re-run's keys: %w", err)
	}
	return &Gaps{file: f, csv: csv.NewWriter(f)}, nil
}

// Add adds the key of one object to re-run, and its size at the source.
func (g *Gaps) Add(key string, size int64) error {
	g.Objects++
	g.Bytes += size
	if err := g.csv.Write([]string{key}); err != nil {
		return fmt.Errorf("writing the re-run's keys: %w", err)
	}
	if g.NoFilter != "" {
		return nil
	}
	switch {
	case strings.ContainsAny(key, `*|\`):
		g.NoFilter = fmt.Sprintf("key %q holds %q, which a DataSync filter reads as a wildcard, a separator or an escape", key, string(key[strings.IndexAny(key, `*|\`)]))
	case strings.ContainsRune(key, 0):
		g.NoFilter = fmt.Sprintf("key %q holds a NUL character, which a DataSync filter cannot", key)
	case g.includes.Len()+len(key)+2 > maxIncludes:
		g.NoFilter = fmt.Sprintf("%d or more keys make an Includes filter longer than DataSync's %d characters", g.Objects, maxIncludes)
	default:
		if g.includes.Len() > 0 {
			g.includes.WriteByte('|')
		}
		g.includes.WriteString("/" + key)
		return nil
	}
	g.includes.Reset()
	return nil
}

// Includes is the Includes filter of exact paths, "" when NoFilter says why not.
func (g *Gaps) Includes() string {
	if g.NoFilter != "" {
		return ""
	}
	return g.includes.String()
}

// Manifest finishes the manifest and returns it for reading from the start.
func (g *Gaps) Manifest() (io.ReadSeeker, int64, error) {
	g.csv.Flush()
	if err := g.csv.Error(); err != nil {
		return nil, 0, err
	}
	size, err := g.file.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, 0, err
	}
	if _, err := g.file.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return g.file, size, nil
}

// Close removes the temporary file.
func (g *Gaps) Close() error {
	err := g.file.Close()
	return errors.Join(err, os.Remove(g.file.Name()))
}

// Rerun is one execution limited to the gaps.
type Rerun struct {
	// ExecutionArn is the execution started.
	ExecutionArn string `json:"executionArn"`
	// Method is "includes" (an Includes override of exact paths) or "manifest".
	Method string `json:"method"`
	// Manifest is s3://bucket/key of the manifest uploaded, "" for includes.
	Manifest string `json:"manifest,omitempty"`
	// Why says why a manifest was needed.
	Why string `json:"why,omitempty"`
	// Objects and Bytes are what it re-runs (source sizes).
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

// NoManifestLocationError: the gaps need a manifest and the transfer has no place
// for one.
type NoManifestLocationError struct {
	Transfer spec.Transfer
	Objects  int64
	Why      string
}

func (e *NoManifestLocationError) Error() string {
	t := e.Transfer
	return fmt.Sprintf("%s: the %d objects to re-run cannot be an Includes filter (%s), and a DataSync manifest needs a bucket "+
		"of the source account that the bucket-access role may read: configure a task report (task.report: {bucket: BUCKET, prefix: PREFIX} "+
		"in the config file, a bucket of account %s in %s) and deploy stack %s, which lets the role read PREFIX/%s/; "+
		"manifests are then uploaded there",
		t.Name, e.Objects, e.Why, t.Source.Account, t.Destination.Region, SourceStackName(t), spec.ManifestsDir)
}

// StartRerun starts one execution of task limited to the keys of g: with an
// Includes override of exact paths when they fit DataSync's filter limits, otherwise
// with a manifest uploaded (with the source account's credentials) under the
// transfer's ManifestLocation, read by DataSync with the bucket-access role. now
// names the manifest.
func (s *Session) StartRerun(ctx context.Context, task *Task, g *Gaps, now time.Time) (Rerun, error) {
	t := task.Transfer
	r := Rerun{Objects: g.Objects, Bytes: g.Bytes}
	if g.Objects == 0 {
		return r, fmt.Errorf("%s: nothing to re-run", t.Name)
	}
	if inc := g.Includes(); inc != "" {
		arn, err := s.StartWith(ctx, task, StartOptions{Includes: inc})
		r.ExecutionArn, r.Method = arn, "includes"
		return r, err
	}
	r.Why = g.NoFilter
	bucket, prefix, ok := t.ManifestLocation()
	if !ok {
		return r, &NoManifestLocationError{Transfer: t, Objects: g.Objects, Why: g.NoFilter}
	}
	key := fmt.Sprintf("%s/%s-%s.csv", prefix, t.Name, now.UTC().Format("20060102T150405Z"))
	if len(key) > 4096 || !manifestPathRe.MatchString(key) {
		return r, fmt.Errorf("%s: the manifest's key %q is not one DataSync accepts (at most 4,096 of the characters a-z A-Z 0-9 _ - + . / ( ) and spaces): "+
			"choose a task.report.prefix of those characters", t.Name, key)
	}
	body, size, err := g.Manifest()
	if err != nil {
		return r, fmt.Errorf("%s: the manifest: %w", t.Name, err)
	}
	// The report bucket is the source account's; the task's Region is where
	// DataSync reads it from.
	account, region := t.Source.Account, t.Destination.Region
	client, err := s.S3(ctx, account, region)
	if err != nil {
		return r, err
	}
	put, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: body,
		ContentLength: aws.Int64(size), ContentType: aws.String("text/csv")})
	if err != nil {
		return r, fmt.Errorf("%s: uploading the re-run's manifest to s3://%s/%s: %w", t.Name, bucket, key, err)
	}
	r.Method, r.Manifest = "manifest", "s3://"+bucket+"/"+key
	src := &types.S3ManifestConfig{
		ManifestObjectPath:  aws.String(key),
		S3BucketArn:         aws.String(t.BucketArn(bucket)),
		BucketAccessRoleArn: aws.String(t.RoleArn(t.BucketAccessRoleName())),
	}
	if v := aws.ToString(put.VersionId); v != "" && v != "null" {
		src.ManifestObjectVersionId = aws.String(v)
	}
	r.ExecutionArn, err = s.StartWith(ctx, task, StartOptions{Manifest: &types.ManifestConfig{
		Action: types.ManifestActionTransfer, Format: types.ManifestFormatCsv,
		Source: &types.SourceManifestConfig{S3: src},
	}})
	return r, err
}
