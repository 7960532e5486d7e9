package estimate

import (
	"fmt"
	"time"
)

// Data is what a transfer's runs would scan and copy, summed up object by object
// from a listing, or approximated from S3's storage metrics. The quantities the
// cost model needs are kept exactly (parts, objects below the size thresholds,
// directories), so memory does not grow with the number of objects.
type Data struct {
	// Objects and Bytes are what the first run copies: under the source prefix,
	// after the task's filters, without the objects already identical at the
	// destination (transferMode CHANGED) or kept there (overwriteMode NEVER).
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Listed is every object under the source prefix (what DataSync lists each run,
	// before filters).
	Listed int64 `json:"listedAtSource"`
	// Scanned is every object the filters keep: what DataSync prepares (and HEADs)
	// at the source on every run, copied or not.
	Scanned int64 `json:"scannedAtSource"`
	// DestinationListed is every object under the destination prefix before the
	// first run (what DataSync lists there).
	DestinationListed int64 `json:"listedAtDestination"`
	// Identical and IdenticalBytes are objects already identical at the
	// destination, not copied (transferMode CHANGED).
	Identical      int64 `json:"identicalAtDestination"`
	IdenticalBytes int64 `json:"identicalBytesAtDestination"`
	// NotOverwritten are objects that differ from the destination's copy but are
	// not copied, because overwriteMode is NEVER.
	NotOverwritten      int64 `json:"notOverwritten,omitempty"`
	NotOverwrittenBytes int64 `json:"notOverwrittenBytes,omitempty"`
	// Overwrites are objects copied over an existing destination object.
	Overwrites int64 `json:"overwrites,omitempty"`

	// Sizes is the size histogram of the objects to copy.
	Sizes []Bucket `json:"sizes"`
	// Classes is the source storage-class mix of the objects to copy.
	Classes map[string]*Count `json:"storageClasses"`
	// ScannedClasses is the source storage-class mix of the scanned objects.
	ScannedClasses map[string]*Count `json:"scannedStorageClasses"`
	// DestinationClasses is the storage-class mix of every object under the
	// destination prefix before the first run.
	DestinationClasses map[string]*Count `json:"destinationStorageClasses,omitempty"`
	// MatchedClasses is the destination storage-class mix of the scanned objects
	// that already exist at the destination (DataSync reads their metadata there);
	// OverwrittenClasses those of them that are copied over.
	MatchedClasses     map[string]*Count `json:"matchedStorageClasses,omitempty"`
	OverwrittenClasses map[string]*Count `json:"overwrittenStorageClasses,omitempty"`
	// IdenticalClasses is the destination storage-class mix of the identical
	// objects; DestinationOnlyClasses that of the destination objects without a
	// source object.
	IdenticalClasses       map[string]*Count `json:"identicalStorageClasses,omitempty"`
	DestinationOnlyClasses map[string]*Count `json:"destinationOnlyStorageClasses,omitempty"`
	// Overwrites are the objects to copy over an existing destination object, by
	// that object's storage class (which transferMode CHANGED keeps), with the
	// source objects' bytes, parts and multipart objects; OverwritesBelow those
	// smaller than each threshold.
	OverwriteCopies map[string]*Copy `json:"overwriteCopies,omitempty"`
	OverwritesBelow map[int64]*Count `json:"overwritesBelow,omitempty"`

	// Exact quantities of the objects to copy, with the assumptions' part size.
	// Parts is the number of requests that read (or write the data of) them: one
	// per object up to the multipart threshold, else one per part; Multipart the
	// objects written in parts (each also a create and a complete).
	Parts     int64 `json:"parts"`
	Multipart int64 `json:"multipartObjects"`
	// Below are the objects to copy smaller than each size threshold of the
	// assumptions (DataSync's STANDARD rule, Intelligent-Tiering's monitoring),
	// keyed by the threshold in bytes.
	Below map[int64]*Count `json:"below"`

	// ListPages are the LIST requests of one run at each side, from the directories
	// of the listing; zero when unknown (CloudWatch figures): the model then assumes
	// a flat layout.
	ListPages ListPages `json:"listPages"`

	// From says where the figures come from: "listing", "inventory" or "cloudwatch".
	From string `json:"from"`
	// Approximate is set when the figures are not a listing's (CloudWatch metrics
	// cover the whole bucket and are a day old or more); AsOf is their time.
	Approximate bool      `json:"approximate,omitempty"`
	AsOf        time.Time `json:"asOf,omitzero"`

	threshold, part int64
}

// ListPages are the LIST requests DataSync makes in one run: per directory
// (prefix), one per 1,000 entries (see dirPages).
type ListPages struct {
	// Source is the source location as listed before the first run; Destination
	// the destination location before the first run; After the destination once the
	// first run has copied everything (its objects and the source's).
	Source      int64 `json:"source"`
	Destination int64 `json:"destination"`
	After       int64 `json:"destinationAfterFirstRun"`
	// Directories at the source (the root, the prefix itself, included).
	SourceDirectories int64 `json:"sourceDirectories"`
}

// Copy are objects to write: their count, bytes, parts and how many are written in
// parts.
type Copy struct {
	Count
	Multipart int64 `json:"multipartObjects,omitempty"`
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

// histogram bounds: DataSync's 40 KiB and 128 KiB STANDARD rules, then powers of 8 MiB.
var bounds = []struct {
	max   int64
	label string
}{
	{1 << 10, "≤ 1 KiB"}, {40<<10 - 1, "< 40 KiB"}, {128<<10 - 1, "< 128 KiB"}, {1 << 20, "≤ 1 MiB"}, {8 << 20, "≤ 8 MiB"},
	{64 << 20, "≤ 64 MiB"}, {1 << 30, "≤ 1 GiB"}, {0, "> 1 GiB"},
}

// maxParts is S3's limit on the parts of a multipart upload ("Part numbers can be
// any number from 1 to 10,000", UploadPart, Amazon S3 API Reference): an object
// larger than 10,000 parts of the assumed size is written in larger parts.
const maxParts = 10000

// NewData is an empty summary for the model's assumptions.
func NewData(a Assumptions, from string) *Data {
	d := &Data{From: from, Classes: map[string]*Count{}, ScannedClasses: map[string]*Count{}, DestinationClasses: map[string]*Count{},
		MatchedClasses: map[string]*Count{}, OverwrittenClasses: map[string]*Count{}, IdenticalClasses: map[string]*Count{},
		DestinationOnlyClasses: map[string]*Count{}, OverwriteCopies: map[string]*Copy{}, OverwritesBelow: map[int64]*Count{},
		Below: map[int64]*Count{}, threshold: a.MultipartThresholdBytes, part: a.MultipartPartBytes}
	for _, b := range bounds {
		d.Sizes = append(d.Sizes, Bucket{Max: b.max, Label: b.label})
	}
	for _, limit := range a.thresholds() {
		d.Below[limit] = &Count{}
		d.OverwritesBelow[limit] = &Count{}
	}
	return d
}

// partsOf is the number of parts an object of size bytes is read and written in.
func (d *Data) partsOf(size int64) int64 {
	if size <= d.threshold {
		return 1
	}
	part := max(d.part, (size+maxParts-1)/maxParts)
	return (size + part - 1) / part
}

// Add counts one object to copy of size bytes in storage class class ("" is STANDARD).
func (d *Data) Add(size int64, class string) { d.AddN(1, size, class) }

// AddN counts n objects of the same size and class to copy, new at the destination.
func (d *Data) AddN(n, size int64, class string) { d.addN(n, size, class, "", 0) }

// AddOverwriteN counts n objects to copy over an existing destination object of
// storage class dstClass and dstSize bytes.
func (d *Data) AddOverwriteN(n, size int64, class, dstClass string, dstSize int64) {
	if n <= 0 {
		return
	}
	dstClass = orStandard(dstClass)
	d.Overwrites += n
	addCount(d.OverwrittenClasses, dstClass, n, n*dstSize, n*d.partsOf(dstSize))
	c := d.OverwriteCopies[dstClass]
	if c == nil {
		c = &Copy{}
		d.OverwriteCopies[dstClass] = c
	}
	parts := d.partsOf(size)
	c.Objects += n
	c.Bytes += n * size
	c.Parts += n * parts
	if size > d.threshold {
		c.Multipart += n
	}
	addBelow(d.OverwritesBelow, n, size)
	d.addN(n, size, class, dstClass, dstSize)
}

// Destination counts an object under the destination prefix before the first run;
// only says that no source object has its key.
func (d *Data) Destination(size int64, class string, only bool) {
	d.DestinationListed++
	addCount(d.DestinationClasses, orStandard(class), 1, size, d.partsOf(size))
	if only {
		addCount(d.DestinationOnlyClasses, orStandard(class), 1, size, d.partsOf(size))
	}
}

func addCount(m map[string]*Count, class string, n, bytes, parts int64) {
	c := m[class]
	if c == nil {
		c = &Count{}
		m[class] = c
	}
	c.Objects += n
	c.Bytes += bytes
	c.Parts += parts
}

func orStandard(class string) string {
	if class == "" {
		return "STANDARD"
	}
	return class
}

func (d *Data) addN(n, size int64, class, dstClass string, dstSize int64) {
	if n <= 0 {
		return
	}
	class = orStandard(class)
	d.scan(n, size, class, dstClass, dstSize)
	d.Objects += n
	d.Bytes += n * size
	c := d.Classes[class]
	if c == nil {
		c = &Count{}
		d.Classes[class] = c
	}
	c.Objects += n
	c.Bytes += n * size
	parts := d.partsOf(size)
	c.Parts += n * parts
	for i := range d.Sizes {
		if b := &d.Sizes[i]; b.Max == 0 || size <= b.Max {
			b.Objects += n
			b.Bytes += n * size
			break
		}
	}
	d.Parts += n * parts
	if size > d.threshold {
		d.Multipart += n
	}
	addBelow(d.Below, n, size)
}

// addBelow counts n single-part objects of size bytes under each threshold of m
// they are smaller than.
func addBelow(m map[int64]*Count, n, size int64) {
	for limit, b := range m {
		if size < limit {
			b.Objects += n
			b.Bytes += n * size
			b.Parts += n
		}
	}
}

// scan counts n objects of size bytes the filters keep, in source class class,
// that exist at the destination in dstClass with dstSize bytes ("" when they do not).
func (d *Data) scan(n, size int64, class, dstClass string, dstSize int64) {
	d.Listed += n
	d.Scanned += n
	addCount(d.ScannedClasses, orStandard(class), n, n*size, n*d.partsOf(size))
	if dstClass != "" {
		addCount(d.MatchedClasses, dstClass, n, n*dstSize, n*d.partsOf(dstSize))
	}
}

// Exclude counts an object under the source prefix that the task's filters exclude.
func (d *Data) Exclude() { d.Listed++ }

// Keep counts an object the filters keep that is not copied because its
// destination copy (in dstClass) stays: identical (transferMode CHANGED) or not
// identical but overwriteMode NEVER.
func (d *Data) Keep(size int64, class, dstClass string, dstSize int64, identical bool) {
	d.scan(1, size, class, orStandard(dstClass), dstSize)
	if identical {
		d.Identical++
		d.IdenticalBytes += size
		addCount(d.IdenticalClasses, orStandard(dstClass), 1, dstSize, d.partsOf(dstSize))
	} else {
		d.NotOverwritten++
		d.NotOverwrittenBytes += size
	}
}

// below is the count of objects to copy smaller than limit bytes (zero for 0).
func (d *Data) below(limit int64) Count {
	if c := d.Below[limit]; c != nil && limit > 0 {
		return *c
	}
	return Count{}
}

// fresh are the objects to copy that land in the location's storage class (DataSync's
// STANDARD rule aside): all of them, or with keep (transferMode CHANGED, which keeps
// the class of the objects it overwrites) those that are new at the destination.
func (d *Data) fresh(keep bool) Copy {
	c := Copy{Count: Count{Objects: d.Objects, Bytes: d.Bytes, Parts: d.Parts}, Multipart: d.Multipart}
	if keep {
		for _, o := range d.OverwriteCopies {
			c.Objects -= o.Objects
			c.Bytes -= o.Bytes
			c.Parts -= o.Parts
			c.Multipart -= o.Multipart
		}
	}
	return c
}

// freshBelow is below(limit) of the fresh objects (see fresh).
func (d *Data) freshBelow(limit int64, keep bool) Count {
	c := d.below(limit)
	if b := d.OverwritesBelow[limit]; keep && b != nil && limit > 0 {
		c.Objects -= b.Objects
		c.Bytes -= b.Bytes
		c.Parts -= b.Parts
	}
	return c
}

// approximateShape fills the per-object quantities of objects whose sizes are
// unknown (CloudWatch gives only totals) as if every object had the average size.
func (d *Data) approximateShape() {
	if d.Objects == 0 {
		return
	}
	avg := d.Bytes / d.Objects
	parts := d.partsOf(avg)
	d.Parts, d.Multipart = d.Objects*parts, 0
	if avg > d.threshold {
		d.Multipart = d.Objects
	}
	for _, c := range d.Classes {
		c.Parts = c.Objects * parts
	}
	for _, c := range d.ScannedClasses {
		c.Parts = c.Objects * parts
	}
	for limit, b := range d.Below {
		*b = Count{}
		if avg < limit {
			*b = Count{Objects: d.Objects, Bytes: d.Bytes, Parts: d.Objects}
		}
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
	if d.NotOverwritten > 0 {
		s += fmt.Sprintf(" (%s objects, %s that differ at the destination kept there: overwriteMode NEVER)", comma(d.NotOverwritten), humanBytes(d.NotOverwrittenBytes))
	}
	return s
}
