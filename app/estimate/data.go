package estimate

import (
	"fmt"
	"time"
)

// Data is what a transfer's first run would copy, summed up object by object (Add)
// from a listing, or approximated from S3's storage metrics. The quantities the
// cost model needs are kept exactly (parts, small objects), so memory does not grow
// with the number of objects.
type Data struct {
	// Objects and Bytes are what the first run copies: under the source prefix,
	// after the task's filters, without the objects already identical at the
	// destination (transferMode CHANGED).
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Listed is every object under the source prefix (what DataSync lists each run,
	// before filters). Default: Objects.
	Listed int64 `json:"listedAtSource"`
	// DestinationListed is every object under the destination prefix before the
	// first run (what DataSync lists there).
	DestinationListed int64 `json:"listedAtDestination"`
	// Identical and IdenticalBytes are objects already identical at the
	// destination, not copied.
	Identical      int64 `json:"identicalAtDestination"`
	IdenticalBytes int64 `json:"identicalBytesAtDestination"`

	// Sizes is the size histogram of the objects to copy.
	Sizes []Bucket `json:"sizes"`
	// Classes is the source storage-class mix of the objects to copy.
	Classes map[string]*Count `json:"storageClasses"`

	// Exact quantities of the objects to copy, with the assumptions' part size.
	// Requests is the number of requests that write (or read) them: one per object
	// up to the multipart threshold, else the parts (and, for writes, one create
	// and one complete per object, counted in Multipart).
	Parts     int64 `json:"parts"`
	Multipart int64 `json:"multipartObjects"`
	// Small and SmallBytes are the objects below the minimum billable size of
	// the classes with one (128 KiB).
	Small      int64 `json:"smallObjects"`
	SmallBytes int64 `json:"smallBytes"`

	// From says where the figures come from: "listing" or "cloudwatch".
	From string `json:"from"`
	// Approximate is set when the figures are not a listing's (CloudWatch metrics
	// cover the whole bucket and are a day old or more); AsOf is their time.
	Approximate bool      `json:"approximate,omitempty"`
	AsOf        time.Time `json:"asOf,omitzero"`

	smallLimit, threshold, part int64
}

// Count is a number of objects and their bytes.
type Count struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Parts are the requests that read the objects: one per object up to the
	// multipart threshold, else one per part (ranged GETs).
	Parts int64 `json:"parts,omitempty"`
}

// Bucket is one bar of the size histogram: objects of at most Max bytes (and more
// than the previous bucket's Max); Max 0 is the last, unbounded bucket.
type Bucket struct {
	Max   int64  `json:"maxBytes,omitempty"`
	Label string `json:"label"`
	Count
}

// histogram bounds: S3's 128 KiB minimum, then powers of 8 MiB.
var bounds = []struct {
	max   int64
	label string
}{
	{1 << 10, "≤ 1 KiB"}, {128 << 10, "≤ 128 KiB"}, {1 << 20, "≤ 1 MiB"}, {8 << 20, "≤ 8 MiB"},
	{64 << 20, "≤ 64 MiB"}, {1 << 30, "≤ 1 GiB"}, {0, "> 1 GiB"},
}

// NewData is an empty summary for the model's assumptions.
func NewData(a Assumptions, from string) *Data {
	d := &Data{From: from, Classes: map[string]*Count{}, threshold: a.MultipartThresholdBytes, part: a.MultipartPartBytes, smallLimit: 128 << 10}
	for _, b := range bounds {
		d.Sizes = append(d.Sizes, Bucket{Max: b.max, Label: b.label})
	}
	return d
}

// Add counts one object to copy of size bytes in storage class class ("" is STANDARD).
func (d *Data) Add(size int64, class string) { d.AddN(1, size, class) }

// AddN counts n objects of the same size and class.
func (d *Data) AddN(n, size int64, class string) {
	if n <= 0 {
		return
	}
	if class == "" {
		class = "STANDARD"
	}
	d.Objects += n
	d.Bytes += n * size
	d.Listed += n
	c := d.Classes[class]
	if c == nil {
		c = &Count{}
		d.Classes[class] = c
	}
	c.Objects += n
	c.Bytes += n * size
	parts := int64(1)
	if size > d.threshold {
		parts = (size + d.part - 1) / d.part
	}
	c.Parts += n * parts
	for i := range d.Sizes {
		if b := &d.Sizes[i]; b.Max == 0 || size <= b.Max {
			b.Objects += n
			b.Bytes += n * size
			break
		}
	}
	d.Parts += n * parts
	if parts > 1 || size > d.threshold {
		d.Multipart += n
	}
	if size < d.smallLimit {
		d.Small += n
		d.SmallBytes += n * size
	}
}

// Skip counts an object under the source prefix that is not copied: filtered out
// (identical false) or identical at the destination (identical true).
func (d *Data) Skip(size int64, identical bool) {
	d.Listed++
	if identical {
		d.Identical++
		d.IdenticalBytes += size
	}
}

// Merge adds o's counts to d (listings of partitions of the key space).
func (d *Data) Merge(o *Data) {
	d.Objects += o.Objects
	d.Bytes += o.Bytes
	d.Listed += o.Listed
	d.DestinationListed += o.DestinationListed
	d.Identical += o.Identical
	d.IdenticalBytes += o.IdenticalBytes
	d.Parts += o.Parts
	d.Multipart += o.Multipart
	d.Small += o.Small
	d.SmallBytes += o.SmallBytes
	for i := range d.Sizes {
		d.Sizes[i].Objects += o.Sizes[i].Objects
		d.Sizes[i].Bytes += o.Sizes[i].Bytes
	}
	for k, c := range o.Classes {
		if d.Classes[k] == nil {
			d.Classes[k] = &Count{}
		}
		d.Classes[k].Objects += c.Objects
		d.Classes[k].Bytes += c.Bytes
		d.Classes[k].Parts += c.Parts
	}
}

// approximateShape fills the per-object quantities of n objects of total bytes
// whose sizes are unknown (CloudWatch gives only totals) as if every object had the
// average size.
func (d *Data) approximateShape() {
	if d.Objects == 0 {
		return
	}
	avg := d.Bytes / d.Objects
	parts := int64(1)
	if avg > d.threshold {
		parts = (avg + d.part - 1) / d.part
	}
	d.Parts, d.Multipart, d.Small, d.SmallBytes = d.Objects*parts, 0, 0, 0
	if parts > 1 {
		d.Multipart = d.Objects
	}
	for _, c := range d.Classes {
		c.Parts = c.Objects * parts
	}
	if avg < d.smallLimit {
		d.Small, d.SmallBytes = d.Objects, d.Bytes
	}
	for i := range d.Sizes {
		d.Sizes[i].Count = Count{}
	}
}

// String is a one-line summary.
func (d *Data) String() string {
	s := fmt.Sprintf("%s objects, %s", comma(d.Objects), humanBytes(d.Bytes))
	if d.Identical > 0 {
		s += fmt.Sprintf(" (%s objects, %s already identical at the destination, not counted)", comma(d.Identical), humanBytes(d.IdenticalBytes))
	}
	return s
}
