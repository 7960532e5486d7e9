package estimate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
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

// add appends a line: quantity of unit at price per `per` units.
func (m *model) add(phase, pays, service, item string, quantity float64, unit string, price, per float64, formula string) {
	account, region := m.t.Source.Account, m.t.Source.Region
	if pays == DestinationAccount {
		account, region = m.t.Destination.Account, m.t.Destination.Region
	}
	if service == "DataSync" {
		region = m.t.Destination.Region // the task's Region
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

func (m *model) firstRun() {
	d, a := m.d, m.p.Assumptions
	m.copyLines(FirstRun, d, 1, "")
	srcPages := pages(d.Listed, a.ListPageKeys)
	m.add(FirstRun, SourceAccount, "S3", "LIST source (ListObjectsV2 pages)", float64(srcPages), "requests", m.src.S3ListPer1000, 1000,
		fmt.Sprintf("%s (%s objects under the prefix / %s keys a page)", plural(srcPages, "page"), comma(d.Listed), comma(a.ListPageKeys)))
	dstPages := pages(d.DestinationListed, a.ListPageKeys)
	m.add(FirstRun, DestinationAccount, "S3", "LIST destination (ListObjectsV2 pages)", float64(dstPages), "requests", m.dst.S3ListPer1000, 1000,
		fmt.Sprintf("%s (%s objects under the prefix / %s keys a page)", plural(dstPages, "page"), comma(d.DestinationListed), comma(a.ListPageKeys)))
	if m.t.Task.VerifyMode == "POINT_IN_TIME_CONSISTENT" {
		after := d.DestinationListed + d.Objects
		m.add(FirstRun, SourceAccount, "S3", "LIST source again (verifyMode POINT_IN_TIME_CONSISTENT)", float64(srcPages), "requests", m.src.S3ListPer1000, 1000,
			plural(srcPages, "page"))
		m.add(FirstRun, DestinationAccount, "S3", "LIST destination again (verifyMode POINT_IN_TIME_CONSISTENT)", float64(pages(after, a.ListPageKeys)), "requests", m.dst.S3ListPer1000, 1000,
			fmt.Sprintf("%s (%s objects after the run / %s)", plural(pages(after, a.ListPageKeys), "page"), comma(after), comma(a.ListPageKeys)))
	}
	if m.t.Task.Mode == "ENHANCED" {
		m.add(FirstRun, SourceAccount, "DataSync", "task execution (ENHANCED)", 1, "executions", m.dst.DataSync.EnhancedPerExecution, 1, "1 execution")
	}
	m.storage(FirstRun, "destination storage, first month")
}

// copyLines are the lines of copying d's objects, times mult runs.
func (m *model) copyLines(phase string, d *Data, mult float64, suffix string) {
	t, a := m.t, m.p.Assumptions
	times := func(q float64) (float64, string) {
		if mult == 1 {
			return q, ""
		}
		return q * mult, fmt.Sprintf(" × %s runs", num(mult))
	}
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
	// source reads
	q, x = times(float64(d.Objects))
	m.add(phase, SourceAccount, "S3", "HEAD source objects"+suffix, q, "requests", m.src.S3HeadPer1000, 1000,
		fmt.Sprintf("%s objects × 1%s", comma(d.Objects), x))
	var getsAll int64
	for _, class := range slices.Sorted(maps.Keys(d.Classes)) {
		c := d.Classes[class]
		cp, ok := m.src.S3[class]
		if !ok || c.Objects == 0 || slices.Contains(archivedClasses, class) {
			continue // archived: DataSync cannot read them (a data trap); the restore is not priced
		}
		getsAll += c.Parts
		q, x = times(float64(c.Parts))
		m.add(phase, SourceAccount, "S3", "GET source objects in "+class+suffix, q, "requests", cp.GetPer1000, 1000,
			fmt.Sprintf("%s GETs (%s objects, one ranged GET per %s part)%s", comma(c.Parts), comma(c.Objects), humanBytes(a.MultipartPartBytes), x))
		if cp.RetrievalPerGB > 0 {
			cgb := float64(c.Bytes) / GiB
			q, x = times(cgb)
			m.add(phase, SourceAccount, "S3", "retrieval from "+class+" at the source"+suffix, q, "GB", cp.RetrievalPerGB, 1,
				fmt.Sprintf("%s GB%s", num(cgb), x))
		}
	}
	if t.Task.ObjectTags == "PRESERVE" {
		q, x = times(float64(d.Objects))
		m.add(phase, SourceAccount, "S3", "GetObjectTagging source objects (objectTags PRESERVE)"+suffix, q, "requests", m.src.S3["STANDARD"].GetPer1000, 1000,
			fmt.Sprintf("%s objects × 1%s", comma(d.Objects), x))
	}
	if mult == 1 && (t.Source.KmsKeyArn != "" || (t.Destination.KmsKeyArn != "" && !t.Destination.CreateBucket)) {
		m.e.Notes = append(m.e.Notes, "KMS lines count one request per S3 request, as for an SSE-KMS bucket without S3 Bucket Keys; "+
			"with Bucket Keys enabled on an existing bucket they are far lower.")
	}
	if t.Source.KmsKeyArn != "" {
		q, x = times(float64(getsAll))
		m.add(phase, SourceAccount, "KMS", "Decrypt for source GETs (SSE-KMS, customer-managed key)"+suffix, q, "requests", m.src.KmsPer10000Requests, 10000,
			fmt.Sprintf("%s GETs × 1 Decrypt%s", comma(getsAll), x))
	}
	// destination writes
	class := t.Destination.StorageClass
	dc := m.dst.S3[class]
	single := d.Objects - d.Multipart
	mpParts := d.Parts - single
	writes := single + 2*d.Multipart + mpParts
	q, x = times(float64(writes))
	m.add(phase, DestinationAccount, "S3", "PUT into "+class+" (PutObject; multipart create, parts, complete)"+suffix, q, "requests", dc.PutPer1000, 1000,
		fmt.Sprintf("%s requests (%s objects ≤ %s × 1 + %s multipart objects × 2 + %s parts)%s", comma(writes), comma(single), humanBytes(a.MultipartThresholdBytes), comma(d.Multipart), comma(mpParts), x))
	var verifyReads int64
	if t.Task.VerifyMode != "NONE" {
		if class == "GLACIER" || class == "DEEP_ARCHIVE" {
			q, x = times(float64(d.Objects))
			m.add(phase, DestinationAccount, "S3", "HEAD destination objects to verify ("+class+" cannot be read back)"+suffix, q, "requests", m.dst.S3HeadPer1000, 1000,
				fmt.Sprintf("%s objects × 1%s", comma(d.Objects), x))
		} else {
			verifyReads = d.Parts
			q, x = times(float64(d.Parts))
			m.add(phase, DestinationAccount, "S3", "GET destination objects to verify (verifyMode "+t.Task.VerifyMode+")"+suffix, q, "requests", dc.GetPer1000, 1000,
				fmt.Sprintf("%s GETs (as at the source)%s", comma(d.Parts), x))
			if dc.RetrievalPerGB > 0 {
				q, x = times(gb)
				m.add(phase, DestinationAccount, "S3", "retrieval from "+class+" to verify"+suffix, q, "GB", dc.RetrievalPerGB, 1,
					fmt.Sprintf("%s GB%s", num(gb), x))
			}
		}
	}
	sseKMS := t.Destination.KmsKeyArn != "" || t.Destination.CreateKmsKey
	if sseKMS && t.Destination.CreateBucket {
		// the bucket the destination stack creates has S3 Bucket Keys enabled: S3 asks
		// KMS for a bucket-level key now and then, not once per request
		if mult == 1 {
			m.e.Notes = append(m.e.Notes, "The destination bucket the stack creates uses S3 Bucket Keys: its KMS requests are a few per bucket key, not one per request, and are not priced.")
		}
	} else if sseKMS {
		kms := single + d.Multipart + mpParts + verifyReads
		q, x = times(float64(kms))
		m.add(phase, SourceAccount, "KMS", "GenerateDataKey/Decrypt for destination writes and verify reads (SSE-KMS, customer-managed key)"+suffix, q, "requests", m.dst.KmsPer10000Requests, 10000,
			fmt.Sprintf("%s requests (%s PUTs + %s multipart creates + %s parts + %s verify GETs, one each)%s", comma(kms), comma(single), comma(d.Multipart), comma(mpParts), comma(verifyReads), x))
	}
}

// storage is a month of the copied data at the destination, by its class's rules.
func (m *model) storage(phase, item string) {
	d, a := m.d, m.p.Assumptions
	class := m.t.Destination.StorageClass
	dc := m.dst.S3[class]
	switch {
	case a.MinimumBillableBytes[class] > 0:
		min := a.MinimumBillableBytes[class]
		billable := d.Bytes - d.SmallBytes + d.Small*min
		gb := float64(billable) / GiB
		m.add(phase, DestinationAccount, "S3", item+" ("+class+", minimum "+humanBytes(min)+" an object)", gb, "GB-months", dc.StoragePerGBMonth, 1,
			fmt.Sprintf("%s GB ((%s bytes − %s bytes of %s objects below %s + %s × %s) / 2^30)", num(gb), comma(d.Bytes), comma(d.SmallBytes), comma(d.Small), humanBytes(min), comma(d.Small), humanBytes(min)))
	case a.ArchiveOverheadBytes[class] != (Overhead{}):
		o := a.ArchiveOverheadBytes[class]
		gb := float64(d.Bytes+d.Objects*o.ClassBytes) / GiB
		m.add(phase, DestinationAccount, "S3", item+" ("+class+", data + "+humanBytes(o.ClassBytes)+" an object)", gb, "GB-months", dc.StoragePerGBMonth, 1,
			fmt.Sprintf("%s GB ((%s bytes + %s objects × %s) / 2^30)", num(gb), comma(d.Bytes), comma(d.Objects), comma(o.ClassBytes)))
		sgb := float64(d.Objects*o.StandardBytes) / GiB
		m.add(phase, DestinationAccount, "S3", item+" ("+class+" index, "+humanBytes(o.StandardBytes)+" an object at STANDARD)", sgb, "GB-months", m.dst.S3["STANDARD"].StoragePerGBMonth, 1,
			fmt.Sprintf("%s GB (%s objects × %s / 2^30)", num(sgb), comma(d.Objects), comma(o.StandardBytes)))
	default:
		gb := float64(d.Bytes) / GiB
		m.add(phase, DestinationAccount, "S3", item+" ("+class+")", gb, "GB-months", dc.StoragePerGBMonth, 1,
			fmt.Sprintf("%s GB", num(gb)))
		if class == "INTELLIGENT_TIERING" {
			monitored := d.Objects - d.Small
			m.add(phase, DestinationAccount, "S3", "INTELLIGENT_TIERING monitoring, a month", float64(monitored), "objects", m.dst.IntelligentTieringMonitoringPer1000Objects, 1000,
				fmt.Sprintf("%s objects ≥ %s", comma(monitored), humanBytes(a.IntelligentTieringMonitoredMinBytes)))
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
		srcPages := float64(pages(d.Listed, a.ListPageKeys))
		after := d.DestinationListed + d.Objects // at most: overwritten objects count once
		dstPages := float64(pages(after, a.ListPageKeys))
		m.add(Monthly, SourceAccount, "S3", "LIST source, scheduled runs", srcPages*r, "requests", m.src.S3ListPer1000, 1000,
			fmt.Sprintf("%s a run × %s runs", plural(int64(srcPages), "page"), num(r)))
		m.add(Monthly, DestinationAccount, "S3", "LIST destination, scheduled runs", dstPages*r, "requests", m.dst.S3ListPer1000, 1000,
			fmt.Sprintf("%s a run (%s objects after the first run) × %s runs", plural(int64(dstPages), "page"), comma(after), num(r)))
		if t.Task.TransferMode == "ALL" {
			// with ALL, d counts every object under the filters as copied
			m.copyLines(Monthly, d, r, ", scheduled runs (transferMode ALL copies everything again)")
		} else {
			e.Notes = append(e.Notes, "Scheduled runs copy only what changed (transferMode CHANGED); the change rate is not modelled: "+
				"each GB and object changed costs what the first run's per-GB and per-object lines cost.")
		}
	} else {
		e.Notes = append(e.Notes, "No schedule: each run started by hand costs the run's per-execution and LIST lines again, plus whatever changed.")
	}
	m.storage(Monthly, "destination storage, each month")
}

// RunsPerMonth is how often a schedule expression runs in days days (0 for none).
func RunsPerMonth(expr string, days int) (float64, error) {
	if strings.TrimSpace(expr) == "" {
		return 0, nil
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // a Thursday; any month start
	end := start.Add(time.Duration(days) * 24 * time.Hour)
	next, estimated, err := operate.NextRun(expr, start, start)
	if err != nil {
		return 0, err
	}
	if estimated { // rate(): runs every period from its anchor
		period := next.Sub(start)
		return float64(end.Sub(start) / period), nil
	}
	n := 0
	// cron(): count the runs; a day's worth of hourly runs is 24, so the bound is generous
	for t := start.Add(-time.Nanosecond); ; n++ {
		next, _, err := operate.NextRun(expr, start, t)
		if err != nil || !next.Before(end) {
			break
		}
		t = next
		if n > 100000 {
			break
		}
	}
	return float64(n), nil
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
