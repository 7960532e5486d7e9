package estimate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// GiB is the "GB" of AWS's prices: AWS bills storage and transfer per 2^30 bytes.
const GiB = 1 << 30

// Phases of a line.
const (
	FirstRun = "first run"
	Monthly  = "per month"
)

// Who pays a line.
const (
	SourceAccount      = "source"
	DestinationAccount = "destination"
)

// Line is one priced quantity.
type Line struct {
	Phase string `json:"phase"` // FirstRun or Monthly
	// Pays is the paying side (SourceAccount or DestinationAccount) and Account its ID.
	Pays    string `json:"pays"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Service string `json:"service"` // DataSync, S3, KMS, Data transfer
	Item    string `json:"item"`
	// Quantity of Unit, priced at UnitPrice per Per units.
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitPrice float64 `json:"unitPrice"`
	Per       float64 `json:"per"`
	Cost      float64 `json:"cost"`
	// Formula shows how Quantity and Cost were computed.
	Formula string `json:"formula"`
}

// Estimate is one transfer's estimate.
type Estimate struct {
	Transfer           string `json:"transfer"`
	SourceAccount      string `json:"sourceAccount"`
	DestinationAccount string `json:"destinationAccount"`
	Mode               string `json:"mode"`
	TransferMode       string `json:"transferMode"`
	StorageClass       string `json:"storageClass"`
	Schedule           string `json:"schedule,omitempty"`
	// RunsPerMonth is how many times the schedule starts the task in a month of
	// the assumptions' days.
	RunsPerMonth float64 `json:"runsPerMonth"`
	Data         *Data   `json:"data"`
	Lines        []Line  `json:"lines"`
	// FirstRunTotal and MonthlyTotal are per account ID.
	FirstRunTotal map[string]float64 `json:"firstRunTotal"`
	MonthlyTotal  map[string]float64 `json:"monthlyTotal"`
	Traps         []string           `json:"traps,omitempty"`
	Notes         []string           `json:"notes,omitempty"`
	// LastRun is the task's latest execution, when it has run.
	LastRun *LastRun `json:"lastRun,omitempty"`
	// FirstRunDuration is the first run's duration at the last run's rates.
	FirstRunDuration *Duration `json:"firstRunDuration,omitempty"`
}

// LastRun are the real figures of the task's latest execution.
type LastRun struct {
	Arn             string  `json:"arn"`
	Status          string  `json:"status"`
	Bytes           int64   `json:"bytes"`
	Objects         int64   `json:"objects"`
	DurationSeconds float64 `json:"durationSeconds"`
	BytesPerSecond  float64 `json:"bytesPerSecond"`
	ObjectsPerSec   float64 `json:"objectsPerSecond"`
}

// LastRunOf takes the figures of a DescribeTaskExecution.
func LastRunOf(p operate.Progress, now time.Time) *LastRun {
	d := p.Duration(now).Seconds()
	lr := &LastRun{Arn: p.Arn, Status: p.Status, Bytes: p.BytesWritten, Objects: p.FilesTransferred, DurationSeconds: d}
	if d > 0 {
		lr.BytesPerSecond = float64(p.BytesWritten) / d
		lr.ObjectsPerSec = float64(p.FilesTransferred) / d
	}
	return lr
}

// Duration is an estimated duration and what bounds it.
type Duration struct {
	Seconds float64 `json:"seconds"`
	// By is "bytes" or "objects": the rate that takes longer.
	By      string `json:"boundBy"`
	Formula string `json:"formula"`
}

// Compute is the estimate of transfer t (defaults applied here) copying d at prices p.
func Compute(t spec.Transfer, d *Data, p *Prices) (*Estimate, error) {
	t = t.WithDefaults()
	src, err1 := p.Region(t.Source.Region)
	dst, err2 := p.Region(t.Destination.Region)
	if err := joinErrors(err1, err2); err != nil {
		return nil, err
	}
	if t.CrossRegion() && !src.InterRegionKnown(t.Destination.Region) {
		return nil, fmt.Errorf("%w for data transfer from %s to %s in %s (read %s): its source has none; "+
			`pass it with --prices FILE, a JSON file like {"regions": {"%s": {"interRegionPerGBTo": {"%s": PRICE}}}}`,
			ErrNoPrices, t.Source.Region, t.Destination.Region, p.Files(), p.Read, t.Source.Region, t.Destination.Region)
	}
	runs, err := RunsPerMonth(t.Task.Schedule, p.Assumptions.DaysPerMonth)
	if err != nil {
		return nil, fmt.Errorf("transfer %s: task.schedule: %w", t.Name, err)
	}
	e := &Estimate{
		Transfer: t.Name, SourceAccount: t.Source.Account, DestinationAccount: t.Destination.Account,
		Mode: t.Task.Mode, TransferMode: t.Task.TransferMode, StorageClass: t.Destination.StorageClass,
		Schedule: t.Task.Schedule, RunsPerMonth: runs, Data: d,
		FirstRunTotal: map[string]float64{}, MonthlyTotal: map[string]float64{},
	}
	m := &model{e: e, t: t, d: d, p: p, src: src, dst: dst}
	m.firstRun()
	m.monthly()
	e.Traps = append(ConfigTraps(t, p), DataTraps(t, d, p)...)
	return e, nil
}

func joinErrors(errs ...error) error {
	var msgs []string
	for _, err := range errs {
		if err != nil && !slices.Contains(msgs, err.Error()) {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%w", wrapped{strings.Join(msgs, "\n"), errs})
}

type wrapped struct {
	msg  string
	errs []error
}

func (w wrapped) Error() string   { return w.msg }
func (w wrapped) Unwrap() []error { return w.errs }

type model struct {
	e        *Estimate
	t        spec.Transfer
	d        *Data
	p        *Prices
	src, dst *RegionPrices
}

// add appends a line: quantity of unit at price per `per` units, in the Region of
// the paying side (DataSync's lines: the task's Region).
func (m *model) add(phase, pays, service, item string, quantity float64, unit string, price, per float64, formula string) {
	region := m.t.Source.Region
	if pays == DestinationAccount || service == "DataSync" {
		region = m.t.Destination.Region // the destination's, or the task's Region
	}
	m.addIn(region, phase, pays, service, item, quantity, unit, price, per, formula)
}

// addIn is add with the Region of the line given.
func (m *model) addIn(region, phase, pays, service, item string, quantity float64, unit string, price, per float64, formula string) {
	account := m.t.Source.Account
	if pays == DestinationAccount {
		account = m.t.Destination.Account
	}
	cost := quantity / per * price
	perText := ""
	switch per {
	case 1:
		perText = " per " + strings.TrimSuffix(unit, "s")
	default:
		perText = fmt.Sprintf(" per %s", comma(int64(per)))
	}
	f := fmt.Sprintf("%s × $%s%s = $%s", formula, price4(price), perText, money(cost))
	m.e.Lines = append(m.e.Lines, Line{Phase: phase, Pays: pays, Account: account, Region: region, Service: service, Item: item,
		Quantity: quantity, Unit: unit, UnitPrice: price, Per: per, Cost: cost, Formula: f})
	if phase == FirstRun {
		m.e.FirstRunTotal[account] += cost
	} else {
		m.e.MonthlyTotal[account] += cost
	}
}

func pages(objects, perPage int64) int64 {
	return max(1, (objects+perPage-1)/perPage)
}

// runs formats a multiplier of runs for a formula.
func runsText(mult float64) string {
	if mult == 1 {
		return ""
	}
	return fmt.Sprintf(" × %s runs", num(mult))
}

// tier2 is the price of 1,000 GET, HEAD or GetObjectTagging requests on objects of
// class in a Region (S3 bills them at the object's class: Requests-<class>-Tier2).
// A class the table does not price (REDUCED_REDUNDANCY, say) is priced at
// STANDARD, with a note.
func (m *model) tier2(rp *RegionPrices, class string) float64 {
	if c, ok := rp.S3[class]; ok {
		return c.GetPer1000
	}
	note := fmt.Sprintf("Objects in %s are priced at STANDARD's request rates (the price table has no %s).", class, class)
	if !slices.Contains(m.e.Notes, note) {
		m.e.Notes = append(m.e.Notes, note)
	}
	return rp.S3["STANDARD"].GetPer1000
}

// perClass adds one line per storage class of counts: its objects (times mult runs)
// at the class's Tier2 rate at one side.
func (m *model) perClass(phase, pays, item string, counts map[string]*Count, mult float64, why string) {
	rp := m.src
	if pays == DestinationAccount {
		rp = m.dst
	}
	for _, class := range slices.Sorted(maps.Keys(counts)) {
		n := counts[class].Objects
		if n == 0 {
			continue
		}
		m.add(phase, pays, "S3", fmt.Sprintf("%s in %s", item, class), float64(n)*mult, "requests", m.tier2(rp, class), 1000,
			fmt.Sprintf("%s objects × 1%s%s", comma(n), why, runsText(mult)))
	}
}

// listPages are the LIST requests of a run at the source, at the destination
// before and after the first run, and how they were counted.
func (m *model) listPages() (src, dst, after int64, how string) {
	d, a := m.d, m.p.Assumptions
	if lp := d.ListPages; lp.Source > 0 {
		how = fmt.Sprintf("one per directory and per %s entries in it", comma(a.ListPageKeys))
		if len(m.t.Task.Excludes) > 0 {
			how += ", folders the filters exclude counted as listed"
		}
		return lp.Source, max(1, lp.Destination), max(1, lp.After), how
	}
	objectsAfter := d.DestinationListed + d.Objects - d.Overwrites
	return pages(d.Listed, a.ListPageKeys), pages(d.DestinationListed, a.ListPageKeys), pages(objectsAfter, a.ListPageKeys),
		fmt.Sprintf("a flat layout assumed: %s keys a page", comma(a.ListPageKeys))
}

// landing is a group of copied objects that land in one storage class at the
// destination, and why they land there.
type landing struct {
	class string
	Copy
	// item names the group in a line ("" for the location's class).
	item string
}

func (l landing) single() int64     { return l.Objects - l.Multipart }
func (l landing) multiparts() int64 { return l.Parts - l.single() }

// landings is where the copied objects land: "New objects transferred to your
// Amazon S3 destination location are stored using the storage class that you
// specify ... By default, DataSync preserves the storage class of existing objects
// in your destination location unless you configure your task to transfer all
// data" (DataSync user guide, create-s3-location.html#using-storage-classes); and
// new objects smaller than the class's threshold land in STANDARD.
func (m *model) landings(d *Data) []landing {
	class := m.t.Destination.StorageClass
	preserve := m.t.Task.TransferMode == "CHANGED"
	limit := m.p.Assumptions.DataSyncStandardBelowBytes[class]
	fresh := d.fresh(preserve)
	small := d.freshBelow(limit, preserve)
	var out []landing
	if preserve {
		for _, k := range slices.Sorted(maps.Keys(d.OverwriteCopies)) {
			if c := d.OverwriteCopies[k]; c.Objects > 0 {
				out = append(out, landing{class: k, Copy: *c, item: "over existing objects, whose class DataSync keeps"})
			}
		}
	}
	var head []landing
	if limit > 0 && small.Objects > 0 {
		fresh.Objects -= small.Objects
		fresh.Bytes -= small.Bytes
		fresh.Parts -= small.Parts
		head = append(head, landing{class: "STANDARD", Copy: Copy{Count: small},
			item: fmt.Sprintf("objects below %s, which DataSync writes to STANDARD instead of %s", humanBytes(limit), class)})
	}
	if fresh.Objects > 0 || (len(head) == 0 && len(out) == 0) {
		head = append(head, landing{class: class, Copy: fresh})
	}
	return append(head, out...)
}

// classesOf is the landed objects by class.
func classesOf(ls []landing) map[string]*Count {
	out := map[string]*Count{}
	for _, l := range ls {
		if l.Objects > 0 {
			addCount(out, l.class, l.Objects, l.Bytes, l.Parts)
		}
	}
	return out
}

// plus sums class mixes; minus subtracts.
func plus(out map[string]*Count, ms ...map[string]*Count) map[string]*Count {
	for _, m := range ms {
		for k, c := range m {
			addCount(out, k, c.Objects, c.Bytes, c.Parts)
		}
	}
	return out
}

func minus(out map[string]*Count, m map[string]*Count) map[string]*Count {
	for k, c := range m {
		addCount(out, k, -c.Objects, -c.Bytes, -c.Parts)
	}
	return out
}

// destinationAfter is every object at the destination after the first run, by class:
// what was there (less what preserveDeletedFiles REMOVE deletes), less what was
// overwritten, plus what was written.
func (m *model) destinationAfter() map[string]*Count {
	out := plus(map[string]*Count{}, m.d.DestinationClasses)
	if m.t.Task.PreserveDeletedFiles == "REMOVE" {
		minus(out, m.d.DestinationOnlyClasses)
	}
	minus(out, m.d.OverwrittenClasses)
	return plus(out, classesOf(m.landings(m.d)))
}

// scannedAtDestination are the destination objects DataSync reads the metadata of
// in a scheduled run: every scanned object is there after the first run, in the
// class it was found in or written to.
func (m *model) scannedAtDestination() map[string]*Count {
	out := plus(map[string]*Count{}, m.d.MatchedClasses)
	minus(out, m.d.OverwrittenClasses)
	return plus(out, classesOf(m.landings(m.d)))
}

func (m *model) firstRun() {
	d, t := m.d, m.t
	srcPages, dstPages, _, how := m.listPages()
	m.add(FirstRun, SourceAccount, "S3", "LIST source (ListObjectsV2)", float64(srcPages), "requests", m.src.S3ListPer1000, 1000,
		fmt.Sprintf("%s (%s objects under the prefix; %s)", plural(srcPages, "request"), comma(d.Listed), how))
	m.add(FirstRun, DestinationAccount, "S3", "LIST destination (ListObjectsV2)", float64(dstPages), "requests", m.dst.S3ListPer1000, 1000,
		fmt.Sprintf("%s (%s objects under the prefix; %s)", plural(dstPages, "request"), comma(d.DestinationListed), how))
	m.prepare(FirstRun, 1, d.MatchedClasses)
	m.copyLines(FirstRun, d, 1, "")
	if t.Task.VerifyMode == "POINT_IN_TIME_CONSISTENT" {
		m.fullVerify(FirstRun, 1)
	}
	if t.Task.Mode == "ENHANCED" {
		m.add(FirstRun, SourceAccount, "DataSync", "task execution (ENHANCED)", 1, "executions", m.dst.DataSync.EnhancedPerExecution, 1, "1 execution")
	}
	std := m.dst.S3["STANDARD"].PutPer1000
	if dirs := d.ListPages.SourceDirectories - 1; dirs > 0 {
		m.e.Notes = append(m.e.Notes, fmt.Sprintf("Not priced: the folder objects DataSync may create for the %s under the source prefix "+
			"(\"PUT requests to create objects and prefixes\"): at most %s × $%s per 1,000 = $%s at the destination.",
			plural(dirs, "directory"), plural(dirs, "PUT"), price4(std), money(float64(dirs)/1000*std)))
	}
	if t.Task.ObjectTags == "PRESERVE" && d.Objects > 0 {
		m.e.Notes = append(m.e.Notes, fmt.Sprintf("Not priced: a PutObjectTagging at the destination for each copied object that has tags "+
			"(a listing cannot see tags; S3 bills tag PUTs at STANDARD's Tier1 rate): at most %s × $%s per 1,000 = $%s.",
			plural(d.Objects, "request"), price4(std), money(float64(d.Objects)/1000*std)))
	}
	m.storage(FirstRun, "destination storage, first month")
}

// prepare are the requests of a run's preparing phase, times mult runs: DataSync
// "makes HEAD requests to retrieve object metadata during a task's preparing and
// verifying phases ... These requests result in charges even if you aren't moving
// any objects" (DataSync user guide, create-s3-location.html#create-s3-location-s3-requests):
// a HEAD per scanned object at the source, and (transferMode CHANGED) a HEAD per
// destination object it compares with, at each object's class rate; with objectTags
// PRESERVE, a GetObjectTagging per scanned object ("during the task's preparing and
// transferring phases").
func (m *model) prepare(phase string, mult float64, atDestination map[string]*Count) {
	t := m.t
	m.perClass(phase, SourceAccount, "HEAD source objects (preparing)", m.d.ScannedClasses, mult, "")
	if t.Task.TransferMode == "CHANGED" {
		m.perClass(phase, DestinationAccount, "HEAD destination objects to compare (preparing)", atDestination, mult, "")
	}
	if t.Task.ObjectTags == "PRESERVE" {
		m.perClass(phase, SourceAccount, "GetObjectTagging source objects (preparing, objectTags PRESERVE)", m.d.ScannedClasses, mult, "")
	}
}

// copyLines are the lines of copying d's objects, times mult runs.
func (m *model) copyLines(phase string, d *Data, mult float64, suffix string) {
	t, a := m.t, m.p.Assumptions
	times := func(q float64) (float64, string) { return q * mult, runsText(mult) }
	gb := float64(d.Bytes) / GiB
	perGB, modeName := m.dst.DataSync.EnhancedPerGB, "ENHANCED"
	if t.Task.Mode == "BASIC" {
		perGB, modeName = m.dst.DataSync.BasicPerGB, "BASIC"
	}
	q, x := times(gb)
	m.add(phase, SourceAccount, "DataSync", "data copied ("+modeName+")"+suffix, q, "GB", perGB, 1,
		fmt.Sprintf("%s GB (%s bytes / 2^30)%s", num(gb), comma(d.Bytes), x))
	if t.CrossRegion() {
		price := m.src.InterRegion(t.Destination.Region)
		m.add(phase, SourceAccount, "Data transfer", fmt.Sprintf("inter-Region %s → %s%s", t.Source.Region, t.Destination.Region, suffix), q, "GB", price, 1,
			fmt.Sprintf("%s GB%s (billed to the source Region)", num(gb), x))
	}
	// source reads; archived objects are read once restored (the restore is a trap,
	// not a line), at their class's Tier2 rate
	var getsAll int64
	for _, class := range slices.Sorted(maps.Keys(d.Classes)) {
		c := d.Classes[class]
		if c.Objects == 0 {
			continue
		}
		getsAll += c.Parts
		q, x = times(float64(c.Parts))
		restored := ""
		if slices.Contains(archivedClasses, class) {
			restored = ", once restored"
		}
		m.add(phase, SourceAccount, "S3", "GET source objects in "+class+suffix, q, "requests", m.tier2(m.src, class), 1000,
			fmt.Sprintf("%s GETs (%s objects%s, one ranged GET per %s part or more)%s", comma(c.Parts), comma(c.Objects), restored, humanBytes(a.MultipartPartBytes), x))
		if cp, ok := m.src.S3[class]; ok && cp.RetrievalPerGB > 0 {
			cgb := float64(c.Bytes) / GiB
			q, x = times(cgb)
			m.add(phase, SourceAccount, "S3", "retrieval from "+class+" at the source"+suffix, q, "GB", cp.RetrievalPerGB, 1,
				fmt.Sprintf("%s GB%s", num(cgb), x))
		}
	}
	if t.Task.ObjectTags == "PRESERVE" {
		m.perClass(phase, SourceAccount, "GetObjectTagging source objects (transferring, objectTags PRESERVE)"+suffix, d.Classes, mult, "")
	}
	sseKMS := t.Destination.KmsKeyArn != "" || t.Destination.CreateKmsKey
	if mult == 1 && (t.Source.KmsKeyArn != "" || (sseKMS && !t.Destination.CreateBucket)) {
		m.e.Notes = append(m.e.Notes, "KMS lines count one request per S3 request that reads or writes data, as for an SSE-KMS bucket without S3 Bucket Keys; "+
			"with Bucket Keys enabled on an existing bucket they are far lower.")
	}
	if t.Source.KmsKeyArn != "" {
		q, x = times(float64(getsAll))
		m.add(phase, SourceAccount, "KMS", "Decrypt for source GETs (SSE-KMS, customer-managed key)"+suffix, q, "requests", m.src.KmsPer10000Requests, 10000,
			fmt.Sprintf("%s GETs × 1 Decrypt%s", comma(getsAll), x))
	}
	// destination writes
	ls := m.landings(d)
	std := m.dst.S3["STANDARD"]
	var kms int64
	for _, l := range ls {
		if l.Objects == 0 {
			continue
		}
		kms += l.single() + l.Multipart + l.multiparts()
		name := "PUT into " + l.class
		if l.item != "" {
			name += " (" + l.item + ")"
		}
		dc, ok := m.dst.S3[l.class]
		if !ok {
			dc = std
		}
		switch {
		case l.class == "GLACIER" || l.class == "DEEP_ARCHIVE":
			// "When you initiate a CreateMultipartUpload, UploadPart, or UploadPartCopy
			// request to either the S3 Glacier Flexible Retrieval or S3 Glacier Deep
			// Archive storage classes, requests are billed at S3 Standard request rates
			// until you complete the multipart upload" (S3 user guide,
			// aws-usage-report-understand.html, note 7)
			puts := l.single() + l.Multipart
			q, x = times(float64(puts))
			m.add(phase, DestinationAccount, "S3", name+": PutObject, CompleteMultipartUpload"+suffix, q, "requests", dc.PutPer1000, 1000,
				fmt.Sprintf("%s requests (%s objects ≤ %s × 1 + %s multipart objects × 1 complete)%s", comma(puts), comma(l.single()), humanBytes(a.MultipartThresholdBytes), comma(l.Multipart), x))
			if l.Multipart > 0 {
				mp := l.Multipart + l.multiparts()
				q, x = times(float64(mp))
				m.add(phase, DestinationAccount, "S3", name+": multipart creates and parts, billed at STANDARD until complete"+suffix, q, "requests", std.PutPer1000, 1000,
					fmt.Sprintf("%s requests (%s creates + %s parts)%s", comma(mp), comma(l.Multipart), comma(l.multiparts()), x))
			}
		default:
			writes := l.single() + 2*l.Multipart + l.multiparts()
			q, x = times(float64(writes))
			m.add(phase, DestinationAccount, "S3", name+": PutObject; multipart create, parts, complete"+suffix, q, "requests", dc.PutPer1000, 1000,
				fmt.Sprintf("%s requests (%s objects ≤ %s × 1 + %s multipart objects × 2 + %s parts)%s", comma(writes), comma(l.single()), humanBytes(a.MultipartThresholdBytes), comma(l.Multipart), comma(l.multiparts()), x))
		}
	}
	// verification of what was copied: a HEAD per object at the destination (the
	// DataSync guide lists only HEAD for the verifying phase; GETs only for full
	// verification, priced in fullVerify)
	if t.Task.VerifyMode == "ONLY_FILES_TRANSFERRED" {
		m.perClass(phase, DestinationAccount, "HEAD destination objects to verify (verifyMode ONLY_FILES_TRANSFERRED)"+suffix, classesOf(ls), mult, "")
	}
	if sseKMS && t.Destination.CreateBucket {
		// the bucket the destination stack creates has S3 Bucket Keys enabled: S3 asks
		// KMS for a bucket-level key now and then, not once per request
		if mult == 1 {
			m.e.Notes = append(m.e.Notes, "The destination bucket the stack creates uses S3 Bucket Keys: its KMS requests are a few per bucket key, not one per request, and are not priced.")
		}
	} else if sseKMS {
		q, x = times(float64(kms))
		m.addIn(t.Destination.Region, phase, SourceAccount, "KMS", "GenerateDataKey for destination writes (SSE-KMS, customer-managed key; called by the source account's role)"+suffix, q, "requests", m.dst.KmsPer10000Requests, 10000,
			fmt.Sprintf("%s requests (one per PutObject, multipart create and part)%s", comma(kms), x))
	}
}

// fullVerify are the requests of verifyMode POINT_IN_TIME_CONSISTENT, times mult
// runs: both sides listed again, and "GET requests for each object in all storage
// classes (except S3 Glacier Flexible Retrieval and S3 Glacier Deep Archive). In
// addition to GET requests, you incur data retrieval costs for objects in the S3
// Standard-IA, S3 One Zone-IA, or S3 Glacier Instant Retrieval storage class"
// (DataSync user guide, create-s3-location.html#create-s3-location-s3-requests-storage-classes).
// Each object is read in its parts, as when it is copied.
func (m *model) fullVerify(phase string, mult float64) {
	t := m.t
	srcPages, _, afterPages, _ := m.listPages()
	m.add(phase, SourceAccount, "S3", "LIST source again to verify (verifyMode POINT_IN_TIME_CONSISTENT)", float64(srcPages)*mult, "requests", m.src.S3ListPer1000, 1000,
		plural(srcPages, "request")+runsText(mult))
	m.add(phase, DestinationAccount, "S3", "LIST destination again to verify (verifyMode POINT_IN_TIME_CONSISTENT)", float64(afterPages)*mult, "requests", m.dst.S3ListPer1000, 1000,
		plural(afterPages, "request")+" (the destination after the run)"+runsText(mult))
	read := func(pays string, rp *RegionPrices, side string, counts map[string]*Count) int64 {
		var gets int64
		for _, class := range slices.Sorted(maps.Keys(counts)) {
			c := counts[class]
			if c.Objects <= 0 || slices.Contains(archivedClasses, class) {
				continue
			}
			gets += c.Parts
			m.add(phase, pays, "S3", fmt.Sprintf("GET %s objects in %s to verify (verifyMode POINT_IN_TIME_CONSISTENT)", side, class), float64(c.Parts)*mult, "requests", m.tier2(rp, class), 1000,
				fmt.Sprintf("%s GETs (%s objects, a GET per part)%s", comma(c.Parts), comma(c.Objects), runsText(mult)))
			if cp, ok := rp.S3[class]; ok && cp.RetrievalPerGB > 0 {
				gb := float64(c.Bytes) / GiB
				m.add(phase, pays, "S3", fmt.Sprintf("retrieval from %s at the %s to verify", class, side), gb*mult, "GB", cp.RetrievalPerGB, 1, fmt.Sprintf("%s GB%s", num(gb), runsText(mult)))
			}
		}
		return gets
	}
	srcGets := read(SourceAccount, m.src, "source", m.d.ScannedClasses)
	dstGets := read(DestinationAccount, m.dst, "destination", m.destinationAfter())
	if t.Source.KmsKeyArn != "" {
		m.add(phase, SourceAccount, "KMS", "Decrypt for source GETs to verify", float64(srcGets)*mult, "requests", m.src.KmsPer10000Requests, 10000,
			fmt.Sprintf("%s GETs × 1 Decrypt%s", comma(srcGets), runsText(mult)))
	}
	if (t.Destination.KmsKeyArn != "" || t.Destination.CreateKmsKey) && !t.Destination.CreateBucket {
		m.addIn(t.Destination.Region, phase, SourceAccount, "KMS", "Decrypt for destination GETs to verify", float64(dstGets)*mult, "requests", m.dst.KmsPer10000Requests, 10000,
			fmt.Sprintf("%s GETs × 1 Decrypt%s", comma(dstGets), runsText(mult)))
	}
}

// storage is a month of the copied data at the destination, by the rules of the
// class each object lands in.
func (m *model) storage(phase, item string) {
	d, a := m.d, m.p.Assumptions
	std := m.dst.S3["STANDARD"]
	for _, l := range m.landings(d) {
		if l.Objects == 0 && d.Objects > 0 {
			continue
		}
		class := l.class
		dc, ok := m.dst.S3[class]
		if !ok {
			dc = std
		}
		label := class
		if l.item != "" {
			label += ": " + l.item
		}
		switch o := a.ArchiveOverheadBytes[class]; {
		case o != (Overhead{}):
			n := l.Objects
			gb := float64(l.Bytes+n*o.ClassBytes) / GiB
			m.add(phase, DestinationAccount, "S3", item+" ("+label+", data + "+humanBytes(o.ClassBytes)+" an object)", gb, "GB-months", dc.StoragePerGBMonth, 1,
				fmt.Sprintf("%s GB ((%s bytes + %s objects × %s) / 2^30)", num(gb), comma(l.Bytes), comma(n), comma(o.ClassBytes)))
			sgb := float64(n*o.StandardBytes) / GiB
			m.add(phase, DestinationAccount, "S3", item+" ("+label+" index, "+humanBytes(o.StandardBytes)+" an object at STANDARD)", sgb, "GB-months", std.StoragePerGBMonth, 1,
				fmt.Sprintf("%s GB (%s objects × %s / 2^30)", num(sgb), comma(n), comma(o.StandardBytes)))
		default:
			gb := float64(l.Bytes) / GiB
			formula := fmt.Sprintf("%s GB (%s bytes of %s objects / 2^30)", num(gb), comma(l.Bytes), comma(l.Objects))
			if class == "INTELLIGENT_TIERING" {
				formula += " (at the Frequent Access tier: objects not read for 30 days move to cheaper tiers, so later months may cost less)"
			}
			m.add(phase, DestinationAccount, "S3", item+" ("+label+")", gb, "GB-months", dc.StoragePerGBMonth, 1, formula)
			if class == "INTELLIGENT_TIERING" {
				small := d.freshBelow(a.IntelligentTieringMonitoredMinBytes, m.t.Task.TransferMode == "CHANGED")
				if l.item != "" { // objects kept in INTELLIGENT_TIERING: sizes not split, all counted
					small = Count{}
				}
				monitored := l.Objects - small.Objects
				m.add(phase, DestinationAccount, "S3", "INTELLIGENT_TIERING monitoring, a month ("+label+")", float64(monitored), "objects", m.dst.IntelligentTieringMonitoringPer1000Objects, 1000,
					fmt.Sprintf("%s objects ≥ %s (%s smaller ones are not monitored)", comma(monitored), humanBytes(a.IntelligentTieringMonitoredMinBytes), comma(small.Objects)))
			}
		}
	}
}

func (m *model) monthly() {
	d, a, t, e := m.d, m.p.Assumptions, m.t, m.e
	r := e.RunsPerMonth
	if r > 0 {
		if t.Task.Mode == "ENHANCED" {
			m.add(Monthly, SourceAccount, "DataSync", "task executions (ENHANCED), scheduled", r, "executions", m.dst.DataSync.EnhancedPerExecution, 1,
				fmt.Sprintf("%s runs (%s over %d days)", num(r), t.Task.Schedule, a.DaysPerMonth))
		}
		srcPages, _, afterPages, how := m.listPages()
		m.add(Monthly, SourceAccount, "S3", "LIST source, scheduled runs", float64(srcPages)*r, "requests", m.src.S3ListPer1000, 1000,
			fmt.Sprintf("%s a run (%s) × %s runs", plural(srcPages, "request"), how, num(r)))
		m.add(Monthly, DestinationAccount, "S3", "LIST destination, scheduled runs", float64(afterPages)*r, "requests", m.dst.S3ListPer1000, 1000,
			fmt.Sprintf("%s a run (the destination after the first run; %s) × %s runs", plural(afterPages, "request"), how, num(r)))
		m.prepare(Monthly, r, m.scannedAtDestination())
		switch {
		case t.Task.TransferMode == "ALL" && t.Task.OverwriteMode == "NEVER":
			e.Notes = append(e.Notes, "transferMode ALL with overwriteMode NEVER: after the first run every object exists at the destination and is kept, "+
				"so scheduled runs copy only new objects (not modelled).")
		case t.Task.TransferMode == "ALL":
			// with ALL, d counts every object under the filters as copied
			m.copyLines(Monthly, d, r, ", scheduled runs (transferMode ALL copies everything again)")
		default:
			e.Notes = append(e.Notes, "Scheduled runs copy only what changed (transferMode CHANGED); the change rate is not modelled: "+
				"each GB and object changed costs what the first run's per-GB and per-object lines cost. Every run still lists and HEADs every object (priced).")
		}
		if t.Task.VerifyMode == "POINT_IN_TIME_CONSISTENT" {
			m.fullVerify(Monthly, r)
		}
	} else {
		e.Notes = append(e.Notes, "No schedule: each run started by hand costs the run's per-execution, LIST and HEAD lines again, plus whatever changed.")
	}
	m.storage(Monthly, "destination storage, each month")
}

// RunsPerMonth is how often a schedule expression runs in days days on average (0
// for none): rate() by its period; cron() counted over four years (leap day, every
// weekday and month length included) and scaled to days. Results are kept per
// expression: the synth's cost traps ask for every transfer, and configs repeat a
// few schedules (an hourly cron() takes about 15 ms to count).
func RunsPerMonth(expr string, days int) (float64, error) {
	if strings.TrimSpace(expr) == "" {
		return 0, nil
	}
	key := fmt.Sprintf("%d %s", days, expr)
	if v, ok := runsCache.Load(key); ok {
		r := v.(runsResult)
		return r.runs, r.err
	}
	runs, err := countRuns(expr, days)
	runsCache.Store(key, runsResult{runs, err})
	return runs, err
}

var runsCache sync.Map // "days expr" -> runsResult

type runsResult struct {
	runs float64
	err  error
}

func countRuns(expr string, days int) (float64, error) {
	const windowDays = 4*365 + 1
	sc, err := operate.ParseSchedule(expr)
	if err != nil {
		return 0, err
	}
	if p := sc.Period(); p > 0 { // rate(): runs every period
		return float64(time.Duration(days)*24*time.Hour) / float64(p), nil
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(windowDays * 24 * time.Hour)
	n := 0
	for t := start.Add(-time.Nanosecond); ; n++ {
		next, _, err := sc.Next(start, t)
		if err != nil || !next.Before(end) {
			break
		}
		t = next
		if n > 100_000 { // validation allows at most hourly runs: 35,064 in four years
			break
		}
	}
	return float64(n) * float64(days) / windowDays, nil
}

// FirstRunDuration estimates how long copying d takes at the last run's rates.
func FirstRunDuration(d *Data, lr *LastRun) *Duration {
	if lr == nil || (lr.BytesPerSecond <= 0 && lr.ObjectsPerSec <= 0) {
		return nil
	}
	var out Duration
	if lr.BytesPerSecond > 0 {
		s := float64(d.Bytes) / lr.BytesPerSecond
		out = Duration{Seconds: s, By: "bytes", Formula: fmt.Sprintf("%s bytes / %s bytes/s = %s", comma(d.Bytes), num(lr.BytesPerSecond), time.Duration(s*float64(time.Second)).Round(time.Second))}
	}
	if lr.ObjectsPerSec > 0 {
		s := float64(d.Objects) / lr.ObjectsPerSec
		if s > out.Seconds {
			out = Duration{Seconds: s, By: "objects", Formula: fmt.Sprintf("%s objects / %s objects/s = %s", comma(d.Objects), num(lr.ObjectsPerSec), time.Duration(s*float64(time.Second)).Round(time.Second))}
		}
	}
	return &out
}

// Totals adds up estimates per account.
type Totals struct {
	FirstRun map[string]float64 `json:"firstRun"`
	Monthly  map[string]float64 `json:"monthly"`
}

// Sum is the totals per account across estimates.
func Sum(es []*Estimate) Totals {
	t := Totals{FirstRun: map[string]float64{}, Monthly: map[string]float64{}}
	for _, e := range es {
		for a, v := range e.FirstRunTotal {
			t.FirstRun[a] += v
		}
		for a, v := range e.MonthlyTotal {
			t.Monthly[a] += v
		}
	}
	return t
}
