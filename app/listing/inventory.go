package listing

import (
	"cmp"
	"compress/gzip"
	"container/heap"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Inventory reads a location's objects from an S3 Inventory report in CSV format
// (its manifest.json and the gzip CSV files it names) instead of listing the bucket:
// S3's own listing, for buckets too large to list from one machine.
//
// The format, from the S3 user guide ("Amazon S3 Inventory", "Inventory manifest"):
// manifest.json names the sourceBucket, the destinationBucket (an ARN), the
// fileFormat, the fileSchema (the columns, comma-separated) and the files (key of each
// gzip data file). Data files have no header; keys are URL-encoded. An inventory of
// a versioned bucket lists every version, with IsLatest and IsDeleteMarker columns:
// only current versions that are not delete markers count here. Reports are not
// promised in key order: rows are sorted in runs of SortRun objects, spilled to
// temporary files and merged, so memory stays bounded.
type Inventory struct {
	// Client reads the manifest and data files (the bucket that holds the report,
	// which may be in another account than the listed bucket).
	Client interface {
		GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	}
	// Manifest is the s3://bucket/key of the report's manifest.json.
	Manifest string
	// TempDir holds the sorted runs. Default: os.TempDir().
	TempDir string
	// SortRun is the number of objects sorted in memory at once. Default: 200,000.
	SortRun int
}

// manifest is the part of manifest.json this reads.
type manifest struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key string `json:"key"`
	} `json:"files"`
}

func (inv *Inventory) stream(ctx context.Context, s *Side, opts Options, count *atomic.Int64) func() (*Object, error) {
	var next func() (*Object, error)
	return func() (*Object, error) {
		if next == nil {
			n, err := inv.sorted(ctx, s, opts)
			if err != nil {
				next = func() (*Object, error) { return nil, err }
			} else {
				next = n
			}
		}
		o, err := next()
		if o != nil {
			count.Add(1)
		}
		return o, err
	}
}

func (inv *Inventory) get(ctx context.Context, bucket, key string, opts Options) (io.ReadCloser, error) {
	opts.Counters.Requests.Add(1)
	out, err := inv.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
	}
	return out.Body, nil
}

// sorted reads the report and returns its objects of the location in key order.
func (inv *Inventory) sorted(ctx context.Context, s *Side, opts Options) (func() (*Object, error), error) {
	bucket, key, ok := strings.Cut(strings.TrimPrefix(inv.Manifest, "s3://"), "/")
	if !strings.HasPrefix(inv.Manifest, "s3://") || !ok || key == "" {
		return nil, fmt.Errorf("inventory manifest %q: want s3://BUCKET/KEY/manifest.json", inv.Manifest)
	}
	body, err := inv.get(ctx, bucket, key, opts)
	if err != nil {
		return nil, err
	}
	var m manifest
	err = json.NewDecoder(body).Decode(&m)
	body.Close()
	if err != nil {
		return nil, fmt.Errorf("inventory manifest %s: %w", inv.Manifest, err)
	}
	if m.FileFormat != "CSV" {
		return nil, fmt.Errorf("inventory manifest %s: fileFormat %q; only CSV reports are read (configure the inventory with format CSV)", inv.Manifest, m.FileFormat)
	}
	if m.SourceBucket != s.Bucket {
		return nil, fmt.Errorf("inventory manifest %s is of bucket %q, not of %s", inv.Manifest, m.SourceBucket, s.Location)
	}
	cols := map[string]int{}
	for i, c := range strings.Split(m.FileSchema, ",") {
		cols[strings.TrimSpace(c)] = i
	}
	if _, ok := cols["Key"]; !ok {
		return nil, fmt.Errorf("inventory manifest %s: fileSchema %q has no Key column", inv.Manifest, m.FileSchema)
	}
	dataBucket := m.DestinationBucket
	if i := strings.LastIndex(dataBucket, ":"); i >= 0 {
		dataBucket = dataBucket[i+1:]
	}
	runSize := cmp.Or(inv.SortRun, 200000)
	var (
		run  []Object
		runs []string
	)
	defer func() {
		if err != nil {
			for _, r := range runs {
				os.Remove(r)
			}
		}
	}()
	kp := s.KeyPrefix()
	for _, f := range m.Files {
		if err = ctx.Err(); err != nil {
			return nil, err
		}
		err = inv.readFile(ctx, dataBucket, f.Key, cols, kp, opts, func(o Object) error {
			run = append(run, o)
			if len(run) < runSize {
				return nil
			}
			name, err := inv.spill(run)
			runs = append(runs, name)
			run = run[:0]
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(run, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	if len(runs) == 0 {
		i := 0
		return func() (*Object, error) {
			if i == len(run) {
				return nil, nil
			}
			i++
			return &run[i-1], nil
		}, nil
	}
	if len(run) > 0 {
		name, serr := inv.spill(run)
		runs = append(runs, name)
		if err = serr; err != nil {
			return nil, err
		}
	}
	return merge(runs)
}

// readFile reads one gzip CSV data file and calls add with each object of the
// location (current versions only).
func (inv *Inventory) readFile(ctx context.Context, bucket, key string, cols map[string]int, kp string, opts Options, add func(Object) error) error {
	body, err := inv.get(ctx, bucket, key, opts)
	if err != nil {
		return err
	}
	defer body.Close()
	zr, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("inventory file s3://%s/%s: %w", bucket, key, err)
	}
	r := csv.NewReader(zr)
	r.FieldsPerRecord = -1
	col := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("inventory file s3://%s/%s: %w", bucket, key, err)
		}
		if col(rec, "IsLatest") == "false" || col(rec, "IsDeleteMarker") == "true" {
			continue
		}
		k, err := url.QueryUnescape(col(rec, "Key"))
		if err != nil {
			return fmt.Errorf("inventory file s3://%s/%s line %d: key %q is not URL-encoded: %w", bucket, key, line, col(rec, "Key"), err)
		}
		if !strings.HasPrefix(k, kp) {
			continue
		}
		o := Object{Key: k[len(kp):], ETag: col(rec, "ETag"), StorageClass: col(rec, "StorageClass"), ChecksumAlgorithm: col(rec, "ChecksumAlgorithm")}
		if v := col(rec, "Size"); v != "" {
			if o.Size, err = strconv.ParseInt(v, 10, 64); err != nil {
				return fmt.Errorf("inventory file s3://%s/%s line %d: Size %q: %w", bucket, key, line, v, err)
			}
		}
		if v := col(rec, "LastModifiedDate"); v != "" {
			if o.LastModified, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return fmt.Errorf("inventory file s3://%s/%s line %d: LastModifiedDate %q: %w", bucket, key, line, v, err)
			}
		}
		if err := add(o); err != nil {
			return err
		}
	}
}

// runFields are the columns of a spilled run.
func runRecord(o *Object) []string {
	return []string{o.Key, strconv.FormatInt(o.Size, 10), o.ETag, o.StorageClass, o.ChecksumAlgorithm, o.LastModified.Format(time.RFC3339Nano)}
}

func fromRun(rec []string) (Object, error) {
	if len(rec) != 6 {
		return Object{}, errors.New("a sorted run's record is damaged")
	}
	size, err := strconv.ParseInt(rec[1], 10, 64)
	if err != nil {
		return Object{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, rec[5])
	if err != nil {
		return Object{}, err
	}
	return Object{Key: rec[0], Size: size, ETag: rec[2], StorageClass: rec[3], ChecksumAlgorithm: rec[4], LastModified: t}, nil
}

// spill sorts run and writes it to a temporary file.
func (inv *Inventory) spill(run []Object) (string, error) {
	slices.SortFunc(run, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	f, err := os.CreateTemp(inv.TempDir, "verify-inventory-run-*.csv.gz")
	if err != nil {
		return "", err
	}
	zw := gzip.NewWriter(f)
	w := csv.NewWriter(zw)
	for i := range run {
		if err := w.Write(runRecord(&run[i])); err != nil {
			f.Close()
			return f.Name(), err
		}
	}
	w.Flush()
	for _, err := range []error{w.Error(), zw.Close(), f.Close()} {
		if err != nil {
			return f.Name(), err
		}
	}
	return f.Name(), nil
}

// merge streams the sorted runs in key order and removes them at the end.
func merge(names []string) (func() (*Object, error), error) {
	h := &runHeap{}
	var files []*os.File
	cleanup := func() {
		for _, f := range files {
			f.Close()
		}
		for _, n := range names {
			os.Remove(n)
		}
	}
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			cleanup()
			return nil, err
		}
		files = append(files, f)
		zr, err := gzip.NewReader(f)
		if err != nil {
			cleanup()
			return nil, err
		}
		r := &runReader{r: csv.NewReader(zr)}
		if err := r.advance(); err != nil {
			cleanup()
			return nil, err
		}
		if r.cur != nil {
			heap.Push(h, r)
		}
	}
	done := false
	return func() (*Object, error) {
		if h.Len() == 0 {
			if !done {
				done = true
				cleanup()
			}
			return nil, nil
		}
		r := (*h)[0]
		o := r.cur
		if err := r.advance(); err != nil {
			cleanup()
			return nil, err
		}
		if r.cur == nil {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
		return o, nil
	}, nil
}

type runReader struct {
	r   *csv.Reader
	cur *Object
}

func (r *runReader) advance() error {
	rec, err := r.r.Read()
	if err == io.EOF {
		r.cur = nil
		return nil
	}
	if err != nil {
		return err
	}
	o, err := fromRun(rec)
	if err != nil {
		return err
	}
	r.cur = &o
	return nil
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].cur.Key < h[j].cur.Key }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
