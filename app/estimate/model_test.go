package estimate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// The worked examples: every expected figure is computed here by hand from the
// US East prices of prices.json (read 2026-12-07), not by the model.
const (
	gib          = 1073741824.0
	enhancedGB   = 0.015 // DataSync ENHANCED, per GB
	execution    = 0.55  // DataSync ENHANCED, per task execution
	put1000      = 0.005 // S3 STANDARD PUT/COPY/POST/LIST per 1,000
	get1000      = 0.0004
	head1000     = 0.0004
	standardGBmo = 0.023
	kms10000     = 0.03
)

func transfer(name, srcRegion, dstRegion string) spec.Transfer {
	return spec.Transfer{
		Name:        name,
		Source:      spec.Source{Account: "111111111111", Region: srcRegion, Bucket: "src-bucket"},
		Destination: spec.Destination{Account: "222222222222", Region: dstRegion, Bucket: "dst-bucket"},
	}
}

func compute(t *testing.T, tr spec.Transfer, fill func(*Data)) *Estimate {
	t.Helper()
	p, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	d := NewData(p.Assumptions, "listing")
	fill(d)
	e, err := Compute(tr, d, p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// line finds the one line of phase whose item is prefix or starts with it.
func line(t *testing.T, e *Estimate, phase, prefix string) Line {
	t.Helper()
	var found []Line
	for _, l := range e.Lines {
		if l.Phase == phase && l.Item == prefix {
			return l
		}
		if l.Phase == phase && strings.HasPrefix(l.Item, prefix) {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d lines %q in %s, want 1; lines:\n%s", len(found), prefix, phase, dump(e))
	}
	return found[0]
}

func dump(e *Estimate) string {
	var b strings.Builder
	for _, l := range e.Lines {
		b.WriteString(l.Phase + " | " + l.Item + " | " + l.Formula + "\n")
	}
	return b.String()
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.10f, want %.10f", what, got, want)
	}
}

func noLine(t *testing.T, e *Estimate, prefix string) {
	t.Helper()
	for _, l := range e.Lines {
		if strings.HasPrefix(l.Item, prefix) {
			t.Errorf("unexpected line %q: %s", l.Item, l.Formula)
		}
	}
}

// 1 TB (10^12 bytes) of 10 KB (10^4 bytes) objects: 10^8 objects. Requests dwarf
// the DataSync fee: 10^8 PUTs cost $500, the DataSync fee about $14.
func TestWorkedOneTerabyteOfTenKilobyteObjects(t *testing.T) {
	e := compute(t, transfer("small-objects", "us-east-1", "us-east-1"), func(d *Data) { d.AddN(100_000_000, 10_000, "STANDARD") })

	gb := 1e12 / gib                                                                                                               // 931.32 GB
	near(t, "DataSync", line(t, e, FirstRun, "data copied (ENHANCED)").Cost, gb*enhancedGB)                                        // $13.97
	near(t, "execution", line(t, e, FirstRun, "task execution").Cost, execution)                                                   // $0.55
	near(t, "LIST source", line(t, e, FirstRun, "LIST source").Cost, 100_000*put1000/1000)                                         // 10^8/1000 pages: $0.50
	near(t, "LIST destination", line(t, e, FirstRun, "LIST destination").Cost, 1*put1000/1000)                                     // one page of an empty prefix
	near(t, "HEAD", line(t, e, FirstRun, "HEAD source objects (preparing) in STANDARD").Cost, 1e8*head1000/1000)                   // $40
	near(t, "tagging, preparing", line(t, e, FirstRun, "GetObjectTagging source objects (preparing").Cost, 1e8*get1000/1000)       // $40
	near(t, "GET", line(t, e, FirstRun, "GET source objects in STANDARD").Cost, 1e8*get1000/1000)                                  // $40
	near(t, "tagging, transferring", line(t, e, FirstRun, "GetObjectTagging source objects (transferring").Cost, 1e8*get1000/1000) // $40
	near(t, "PUT", line(t, e, FirstRun, "PUT into STANDARD").Cost, 1e8*put1000/1000)                                               // $500
	near(t, "verify", line(t, e, FirstRun, "HEAD destination objects to verify").Cost, 1e8*head1000/1000)                          // $40
	near(t, "storage", line(t, e, FirstRun, "destination storage, first month").Cost, gb*standardGBmo)                             // $21.42
	noLine(t, e, "inter-Region")
	noLine(t, e, "Decrypt")
	noLine(t, e, "HEAD destination objects to compare") // the destination is empty

	near(t, "source account, first run", e.FirstRunTotal["111111111111"], gb*enhancedGB+execution+0.5+40+40+40+40) // $175.02
	near(t, "destination account, first run", e.FirstRunTotal["222222222222"], 0.000005+500+40+gb*standardGBmo)    // $561.42
	near(t, "destination account, a month", e.MonthlyTotal["222222222222"], gb*standardGBmo)
	if e.MonthlyTotal["111111111111"] != 0 {
		t.Errorf("no schedule, yet the source account pays %v a month", e.MonthlyTotal["111111111111"])
	}
	// tags a listing cannot see: the PutObjectTagging upper bound is a note, not a line
	if notes := strings.Join(e.Notes, "\n"); !strings.Contains(notes, "PutObjectTagging") || !strings.Contains(notes, "at most 100,000,000 requests × $0.005 per 1,000 = $500.00") {
		t.Errorf("no PutObjectTagging bound in the notes: %s", notes)
	}
	if l := line(t, e, FirstRun, "PUT into STANDARD"); !strings.Contains(l.Formula, "100,000,000 objects ≤ 8 MiB × 1") {
		t.Errorf("PUT formula %q does not show the count", l.Formula)
	}
}

// 50 TB (5×10^13 bytes) of 250 MB (2.5×10^8 bytes) objects: 200,000 objects, each
// written in ceil(2.5×10^8 / 8 MiB) = 30 parts. The DataSync fee dominates.
func TestWorkedFiftyTerabytesOf250MegabyteObjects(t *testing.T) {
	e := compute(t, transfer("big-objects", "us-east-1", "us-east-1"), func(d *Data) { d.AddN(200_000, 250_000_000, "") })

	gb := 5e13 / gib                                                                                   // 46,566.13 GB
	near(t, "DataSync", line(t, e, FirstRun, "data copied").Cost, gb*enhancedGB)                       // $698.49
	near(t, "GET", line(t, e, FirstRun, "GET source").Cost, 200_000*30*get1000/1000)                   // 6,000,000 ranged GETs: $2.40
	near(t, "PUT", line(t, e, FirstRun, "PUT into STANDARD").Cost, (200_000*2+6_000_000)*put1000/1000) // creates, completes, parts: $32
	near(t, "LIST source", line(t, e, FirstRun, "LIST source").Cost, 200*put1000/1000)
	near(t, "storage", line(t, e, FirstRun, "destination storage, first month").Cost, gb*standardGBmo)        // $1,071.02
	near(t, "verify", line(t, e, FirstRun, "HEAD destination objects to verify").Cost, 200_000*head1000/1000) // one HEAD an object: $0.08
	if e.Data.Parts != 6_000_000 || e.Data.Multipart != 200_000 {
		t.Errorf("parts %d, multipart objects %d; want 6,000,000 and 200,000", e.Data.Parts, e.Data.Multipart)
	}
}

// A Deep Archive destination: 10^6 objects of 100 KB. Each object carries 32 KiB at
// the Deep Archive price and 8 KiB at STANDARD; PUTs cost $0.05 per 1,000; what is
// written cannot be read back, so verification is a HEAD per object.
func TestWorkedDeepArchiveDestination(t *testing.T) {
	tr := transfer("archive", "us-east-1", "us-east-1")
	tr.Destination.StorageClass = "DEEP_ARCHIVE"
	e := compute(t, tr, func(d *Data) { d.AddN(1_000_000, 100_000, "STANDARD") })

	near(t, "PUT", line(t, e, FirstRun, "PUT into DEEP_ARCHIVE").Cost, 1e6*0.05/1000) // $50
	near(t, "verify HEAD", line(t, e, FirstRun, "HEAD destination objects to verify (verifyMode ONLY_FILES_TRANSFERRED) in DEEP_ARCHIVE").Cost, 1e6*0.0004/1000)
	noLine(t, e, "GET destination")
	data := line(t, e, FirstRun, "destination storage, first month (DEEP_ARCHIVE, data")
	near(t, "archive storage", data.Cost, (1e11+1e6*32768)/gib*0.00099) // 123.65 GB: $0.12
	index := line(t, e, FirstRun, "destination storage, first month (DEEP_ARCHIVE index")
	near(t, "index storage", index.Cost, 1e6*8192/gib*standardGBmo) // 7.63 GB at STANDARD: $0.18
	traps := strings.Join(e.Traps, "\n")
	for _, want := range []string{"DEEP_ARCHIVE (minimum 180 days) with overwriteMode ALWAYS", "DEEP_ARCHIVE adds 40 KiB of metadata an object"} {
		if !strings.Contains(traps, want) {
			t.Errorf("traps lack %q:\n%s", want, traps)
		}
	}
}

// An hourly ENHANCED schedule: 720 executions in a 30-day month at $0.55 = $396, both
// sides listed 720 times (10^6 objects: 1,000 pages a run), and, as the DataSync guide
// says, a HEAD of every object at both sides on every run even when nothing changed
// (10^6 × 720 × $0.0004 / 1,000 = $288 a side), plus a GetObjectTagging per object
// at the source (objectTags PRESERVE, another $288).
func TestWorkedHourlyEnhancedSchedule(t *testing.T) {
	tr := transfer("hourly", "us-east-1", "us-east-1")
	tr.Task.Schedule = "rate(1 hour)"
	e := compute(t, tr, func(d *Data) { d.AddN(1_000_000, 1_000_000, "STANDARD") })

	if e.RunsPerMonth != 720 {
		t.Fatalf("runs a month %v, want 720", e.RunsPerMonth)
	}
	near(t, "executions", line(t, e, Monthly, "task executions (ENHANCED), scheduled").Cost, 720*execution) // $396
	near(t, "LIST source", line(t, e, Monthly, "LIST source, scheduled").Cost, 1000*720*put1000/1000)       // $3.60
	near(t, "LIST destination", line(t, e, Monthly, "LIST destination, scheduled").Cost, 1000*720*put1000/1000)
	near(t, "HEAD source", line(t, e, Monthly, "HEAD source objects (preparing) in STANDARD").Cost, 1e6*720*head1000/1000)                      // $288
	near(t, "HEAD destination", line(t, e, Monthly, "HEAD destination objects to compare (preparing) in STANDARD").Cost, 1e6*720*head1000/1000) // $288
	near(t, "tagging", line(t, e, Monthly, "GetObjectTagging source objects (preparing").Cost, 1e6*720*get1000/1000)                            // $288
	near(t, "source account, a month", e.MonthlyTotal["111111111111"], 396+3.6+288+288)                                                         // $975.60
	near(t, "destination account, a month", e.MonthlyTotal["222222222222"], 3.6+288+1e12/gib*standardGBmo)                                      // $313.02
	if !strings.Contains(strings.Join(e.Traps, "\n"), `schedule "rate(1 hour)": 720 executions a month × $0.55 = $396.00 a month`) {
		t.Errorf("traps lack the execution fee:\n%s", strings.Join(e.Traps, "\n"))
	}
	noLine(t, e, "data copied (ENHANCED), scheduled") // CHANGED: nothing is copied again
}

// Cross-Region with customer-managed KMS keys on both sides: 10^4 objects of 10 MiB,
// each read in 2 ranged GETs and written as create + 2 parts + complete.
func TestWorkedCrossRegionWithKMSBothSides(t *testing.T) {
	tr := transfer("cross", "us-east-1", "us-west-2")
	tr.Source.KmsKeyArn = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
	tr.Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/11111111-2222-3333-4444-555555555555"
	e := compute(t, tr, func(d *Data) { d.AddN(10_000, 10<<20, "STANDARD") })

	gb := 10_000 * 10.0 / 1024 // 97.66 GB
	near(t, "DataSync", line(t, e, FirstRun, "data copied").Cost, gb*enhancedGB)
	tx := line(t, e, FirstRun, "inter-Region us-east-1 → us-west-2")
	near(t, "inter-Region", tx.Cost, gb*0.02) // $1.95, billed to the source account
	if tx.Account != "111111111111" || tx.Region != "us-east-1" {
		t.Errorf("inter-Region billed to %s in %s, want the source account in the source Region", tx.Account, tx.Region)
	}
	near(t, "source KMS", line(t, e, FirstRun, "Decrypt for source GETs").Cost, 20_000*kms10000/10000) // $0.06
	dk := line(t, e, FirstRun, "GenerateDataKey for destination writes")
	near(t, "destination KMS", dk.Cost, (10_000+20_000)*kms10000/10000) // creates + parts: $0.09 (verification HEADs need no key)
	if dk.Region != "us-west-2" {
		t.Errorf("destination KMS line in %s, want the destination key's Region us-west-2", dk.Region)
	}
	near(t, "PUT", line(t, e, FirstRun, "PUT into STANDARD").Cost, (10_000*2+20_000)*put1000/1000)
	if !strings.Contains(strings.Join(e.Traps, "\n"), "cross-Region transfer us-east-1 → us-west-2") {
		t.Errorf("no cross-Region trap: %v", e.Traps)
	}
}

func TestInterRegionPairPrice(t *testing.T) {
	e := compute(t, transfer("ohio", "us-east-1", "us-east-2"), func(d *Data) { d.AddN(1, GiB, "") })
	near(t, "us-east-1 → us-east-2", line(t, e, FirstRun, "inter-Region").Cost, 0.01)
}

// DataSync writes objects below 128 KB into STANDARD, not STANDARD_IA ("These objects
// are stored in the S3 Standard storage class", DataSync user guide): their PUTs and
// storage are STANDARD's, and only the larger ones are STANDARD_IA's.
func TestSmallObjectsIntoStandardIA(t *testing.T) {
	tr := transfer("ia", "us-east-1", "us-east-1")
	tr.Destination.StorageClass = "STANDARD_IA"
	e := compute(t, tr, func(d *Data) {
		d.AddN(1000, 1000, "STANDARD")   // land in STANDARD
		d.AddN(10, 1<<20, "STANDARD")    // land in STANDARD_IA
		d.AddN(5, 2<<20, "DEEP_ARCHIVE") // archived at the source; land in STANDARD_IA
	})
	near(t, "small storage", line(t, e, FirstRun, "destination storage, first month (STANDARD: objects below 128 KiB").Cost, 1e6/gib*standardGBmo)
	near(t, "IA storage", line(t, e, FirstRun, "destination storage, first month (STANDARD_IA)").Cost, float64(20<<20)/gib*0.0125)
	near(t, "small PUT", line(t, e, FirstRun, "PUT into STANDARD (objects below 128 KiB").Cost, 1000*put1000/1000)
	near(t, "IA PUT", line(t, e, FirstRun, "PUT into STANDARD_IA").Cost, 15*0.01/1000)
	near(t, "verify small", line(t, e, FirstRun, "HEAD destination objects to verify (verifyMode ONLY_FILES_TRANSFERRED) in STANDARD").Cost, 1000*head1000/1000)
	near(t, "verify IA", line(t, e, FirstRun, "HEAD destination objects to verify (verifyMode ONLY_FILES_TRANSFERRED) in STANDARD_IA").Cost, 15*0.001/1000)
	near(t, "HEAD archived source", line(t, e, FirstRun, "HEAD source objects (preparing) in DEEP_ARCHIVE").Cost, 5*0.0004/1000)
	noLine(t, e, "retrieval from STANDARD_IA to verify") // verification is a HEAD
	traps := strings.Join(e.Traps, "\n")
	for _, want := range []string{"1,000 objects (976.6 KiB) are smaller than 128 KiB: DataSync writes them to STANDARD, not STANDARD_IA", "5 objects (10 MiB) in DEEP_ARCHIVE", "STANDARD_IA (minimum 30 days) with overwriteMode ALWAYS"} {
		if !strings.Contains(traps, want) {
			t.Errorf("traps lack %q:\n%s", want, traps)
		}
	}
	// archived objects are read once restored (the restore is a trap, not a line)
	near(t, "GET restored", line(t, e, FirstRun, "GET source objects in DEEP_ARCHIVE").Cost, 5*0.0004/1000)
}

// Into DEEP_ARCHIVE: objects below 40 KB land in STANDARD; multipart creates and
// parts are billed at STANDARD rates until the CompleteMultipartUpload, which is
// billed at DEEP_ARCHIVE's PUT rate (S3 user guide, usage report note 7). 1,000
// objects of 10 KB and 100 of 100 MiB (13 parts of 8 MiB each).
func TestDeepArchiveSmallObjectsAndMultipart(t *testing.T) {
	tr := transfer("deep", "us-east-1", "us-east-1")
	tr.Destination.StorageClass = "DEEP_ARCHIVE"
	e := compute(t, tr, func(d *Data) {
		d.AddN(1000, 10_000, "STANDARD")
		d.AddN(100, 100<<20, "STANDARD")
	})
	near(t, "small PUT", line(t, e, FirstRun, "PUT into STANDARD (objects below 40 KiB").Cost, 1000*put1000/1000)                    // $0.005
	near(t, "completes", line(t, e, FirstRun, "PUT into DEEP_ARCHIVE: PutObject, CompleteMultipartUpload").Cost, 100*0.05/1000)      // $0.005
	near(t, "creates and parts", line(t, e, FirstRun, "PUT into DEEP_ARCHIVE: multipart creates and parts").Cost, 1400*put1000/1000) // 100 + 1,300: $0.007
	near(t, "small storage", line(t, e, FirstRun, "destination storage, first month (STANDARD: objects below 40 KiB").Cost, 1e7/gib*standardGBmo)
	near(t, "archive storage", line(t, e, FirstRun, "destination storage, first month (DEEP_ARCHIVE, data").Cost, float64(100*(100<<20)+100*32768)/gib*0.00099)
	near(t, "index storage", line(t, e, FirstRun, "destination storage, first month (DEEP_ARCHIVE index").Cost, float64(100*8192)/gib*standardGBmo)
}

// S3 takes at most 10,000 parts: a 1 TiB object is read and written in 10,000 parts
// of 104.9 MiB, not 131,072 of 8 MiB.
func TestPartsAreCappedAtS3sLimit(t *testing.T) {
	e := compute(t, transfer("huge", "us-east-1", "us-east-1"), func(d *Data) { d.AddN(1, 1<<40, "") })
	if e.Data.Parts != 10_000 {
		t.Errorf("parts %d, want 10,000", e.Data.Parts)
	}
}

func TestTransferModeAllOnSchedule(t *testing.T) {
	tr := transfer("all", "us-east-1", "us-east-1")
	tr.Task.Schedule = "cron(0 2 * * ? *)" // daily at 02:00: 30 runs
	tr.Task.TransferMode = "ALL"
	e := compute(t, tr, func(d *Data) { d.AddN(1000, GiB, "") })
	if e.RunsPerMonth != 30 {
		t.Fatalf("runs %v, want 30", e.RunsPerMonth)
	}
	near(t, "DataSync again", line(t, e, Monthly, "data copied (ENHANCED), scheduled").Cost, 1000*30*enhancedGB)
	if !strings.Contains(strings.Join(e.Traps, "\n"), "transferMode ALL with schedule") {
		t.Errorf("no ALL trap: %v", e.Traps)
	}
}

func TestVersionedCreatedBucketTrap(t *testing.T) {
	tr := transfer("versioned", "us-east-1", "us-east-1")
	tr.Destination.CreateBucket = true
	got := strings.Join(ConfigTraps(tr, nil), "\n")
	if !strings.Contains(got, "noncurrentVersionExpirationDays") {
		t.Errorf("no versioning trap: %s", got)
	}
	tr.Destination.NoncurrentVersionExpirationDays = 30
	if got := ConfigTraps(tr, nil); len(got) != 0 {
		t.Errorf("traps of a safe config: %v", got)
	}
}

// Runs in a 30-day month on average: rate() exactly; cron() counted over four years,
// so a weekly, last-day-of-month or 31st-of-month schedule is neither 4 nor 5 nor 0.
func TestRunsPerMonth(t *testing.T) {
	for expr, want := range map[string]float64{"": 0, "rate(1 hour)": 720, "rate(2 hours)": 360, "rate(1 day)": 30, "rate(7 days)": 30.0 / 7,
		"cron(0 * * * ? *)":       720,
		"cron(0 2 ? * MON-FRI *)": 30 * 5.0 / 7,     // weekdays
		"cron(0 0 ? * THU *)":     30.0 / 7,         // weekly, whatever the day the window starts on
		"cron(30 1 1 * ? *)":      30 * 12 / 365.25, // monthly
		"cron(0 0 L * ? *)":       30 * 12 / 365.25, // the last day of each month
		"cron(0 0 31 * ? *)":      30 * 7 / 365.25,  // seven months have a 31st
	} {
		got, err := RunsPerMonth(expr, 30)
		if err != nil || math.Abs(got-want) > 0.02 {
			t.Errorf("RunsPerMonth(%q) = %v, %v; want %.3f", expr, got, err, want)
		}
	}
}

func TestFirstRunDurationFromLastRun(t *testing.T) {
	p, _ := Table()
	d := NewData(p.Assumptions, "listing")
	d.AddN(1000, 1<<30, "")
	lr := &LastRun{Bytes: 100 << 30, Objects: 100, DurationSeconds: 1000, BytesPerSecond: float64(100<<30) / 1000, ObjectsPerSec: 0.1}
	got := FirstRunDuration(d, lr)
	if got == nil || got.Seconds != 10000 {
		t.Fatalf("duration %+v, want 10,000 s (1,000 GiB at 0.1 GiB/s)", got)
	}
}

// A destination bucket the stack creates with its KMS key has S3 Bucket Keys: no
// per-request KMS line, a note instead.
func TestCreatedBucketWithKeyUsesBucketKeys(t *testing.T) {
	tr := transfer("bucket-keys", "us-east-1", "us-east-1")
	tr.Destination.CreateBucket, tr.Destination.CreateKmsKey = true, true
	tr.Destination.NoncurrentVersionExpirationDays = 30
	e := compute(t, tr, func(d *Data) { d.AddN(1000, 1000, "") })
	noLine(t, e, "GenerateDataKey")
	if !strings.Contains(strings.Join(e.Notes, "\n"), "uses S3 Bucket Keys") {
		t.Errorf("no Bucket Keys note: %v", e.Notes)
	}
}

// BASIC mode: the BASIC per-GB price, no execution fee, and POINT_IN_TIME_CONSISTENT
// lists both sides once more.
func TestBasicPointInTimeConsistent(t *testing.T) {
	tr := transfer("basic", "us-east-1", "us-east-1")
	tr.Task.Mode, tr.Task.VerifyMode = "BASIC", "POINT_IN_TIME_CONSISTENT"
	e := compute(t, tr, func(d *Data) { d.AddN(5000, GiB/1024, "") })
	near(t, "DataSync", line(t, e, FirstRun, "data copied (BASIC)").Cost, 5000.0/1024*0.0125)
	noLine(t, e, "task execution")
	near(t, "second source LIST", line(t, e, FirstRun, "LIST source again").Cost, 5*put1000/1000)
	near(t, "second destination LIST", line(t, e, FirstRun, "LIST destination again").Cost, 5*put1000/1000) // 5,000 objects after the run
	// full verification reads every object at both sides ("GET requests for each object")
	near(t, "verify source GETs", line(t, e, FirstRun, "GET source objects in STANDARD to verify").Cost, 5000*get1000/1000)
	near(t, "verify destination GETs", line(t, e, FirstRun, "GET destination objects in STANDARD to verify").Cost, 5000*get1000/1000)
	noLine(t, e, "HEAD destination objects to verify")
}

// POINT_IN_TIME_CONSISTENT reads every object at both sides on every run, not only the
// first: a daily BASIC task over 1,000 objects of 1 MiB in STANDARD_IA pays 30 × the
// GETs and the retrieval a month.
func TestFullVerificationOnEveryScheduledRun(t *testing.T) {
	tr := transfer("pitc", "us-east-1", "us-east-1")
	tr.Task.Mode, tr.Task.VerifyMode, tr.Task.Schedule = "BASIC", "POINT_IN_TIME_CONSISTENT", "rate(1 day)"
	tr.Destination.StorageClass = "STANDARD_IA"
	e := compute(t, tr, func(d *Data) { d.AddN(1000, 1<<20, "STANDARD") })
	gb := 1000.0 / 1024
	near(t, "source GETs a month", line(t, e, Monthly, "GET source objects in STANDARD to verify").Cost, 30*1000*get1000/1000)
	near(t, "destination GETs a month", line(t, e, Monthly, "GET destination objects in STANDARD_IA to verify").Cost, 30*1000*0.001/1000)
	near(t, "retrieval a month", line(t, e, Monthly, "retrieval from STANDARD_IA at the destination to verify").Cost, 30*gb*0.01)
	near(t, "LIST again a month", line(t, e, Monthly, "LIST destination again to verify").Cost, 30*1*put1000/1000)
}

// With transferMode CHANGED, DataSync keeps the storage class of the objects it
// overwrites ("DataSync preserves the storage class of existing objects in your
// destination location unless you configure your task to transfer all data"): an
// object overwritten in GLACIER_IR is written and stored at GLACIER_IR's prices, with
// its early-deletion trap; with ALL it lands in the location's class.
func TestOverwritesKeepTheDestinationClass(t *testing.T) {
	tr := transfer("keep", "us-east-1", "us-east-1")
	tr.Destination.StorageClass = "STANDARD_IA"
	fill := func(d *Data) {
		d.AddOverwriteN(10, 1<<20, "STANDARD", "GLACIER_IR", 1000)
		d.AddN(5, 1<<20, "STANDARD")
	}
	e := compute(t, tr, fill)
	near(t, "PUT over GLACIER_IR", line(t, e, FirstRun, "PUT into GLACIER_IR (over existing objects, whose class DataSync keeps)").Cost, 10*0.02/1000)
	near(t, "PUT new", line(t, e, FirstRun, "PUT into STANDARD_IA: PutObject").Cost, 5*0.01/1000)
	near(t, "GLACIER_IR storage", line(t, e, FirstRun, "destination storage, first month (GLACIER_IR: over existing").Cost, 10.0/1024*0.004)
	near(t, "verify in GLACIER_IR", line(t, e, FirstRun, "HEAD destination objects to verify (verifyMode ONLY_FILES_TRANSFERRED) in GLACIER_IR").Cost, 10*0.01/1000)
	if !strings.Contains(strings.Join(e.Traps, "\n"), "10 objects to overwrite are in GLACIER_IR at the destination (minimum 90 days)") {
		t.Errorf("no early-deletion trap for GLACIER_IR: %v", e.Traps)
	}
	tr.Task.TransferMode = "ALL"
	e = compute(t, tr, fill)
	near(t, "ALL: every PUT into the location's class", line(t, e, FirstRun, "PUT into STANDARD_IA: PutObject").Cost, 15*0.01/1000)
	noLine(t, e, "PUT into GLACIER_IR")
}

// transferMode ALL with overwriteMode NEVER copies everything once: afterwards every
// object exists at the destination and is kept.
func TestAllWithNeverIsNotCopiedAgain(t *testing.T) {
	tr := transfer("all-never", "us-east-1", "us-east-1")
	tr.Task.TransferMode, tr.Task.OverwriteMode, tr.Task.Schedule = "ALL", "NEVER", "rate(1 day)"
	e := compute(t, tr, func(d *Data) { d.AddN(1000, 1<<20, "") })
	noLine(t, e, "data copied (ENHANCED), scheduled")
	if !strings.Contains(strings.Join(e.Notes, "\n"), "transferMode ALL with overwriteMode NEVER") {
		t.Errorf("no note: %v", e.Notes)
	}
}

// preserveDeletedFiles REMOVE deletes the destination objects without a source
// object: full verification does not read them.
func TestRemoveLeavesDestinationOnlyObjectsOut(t *testing.T) {
	tr := transfer("remove", "us-east-1", "us-east-1")
	tr.Task.Mode, tr.Task.VerifyMode, tr.Task.PreserveDeletedFiles = "BASIC", "POINT_IN_TIME_CONSISTENT", "REMOVE"
	tr.Destination.StorageClass = "STANDARD"
	e := compute(t, tr, func(d *Data) {
		for range 40 {
			d.Destination(100, "", true)
		}
		d.AddN(10, 100, "")
	})
	near(t, "destination GETs", line(t, e, FirstRun, "GET destination objects in STANDARD to verify").Cost, 10*get1000/1000)
	tr.Task.PreserveDeletedFiles = "PRESERVE"
	e = compute(t, tr, func(d *Data) {
		for range 40 {
			d.Destination(100, "", true)
		}
		d.AddN(10, 100, "")
	})
	near(t, "destination GETs, kept", line(t, e, FirstRun, "GET destination objects in STANDARD to verify").Cost, 50*get1000/1000)
}

// Objects that look identical are priced at nothing, but if another tool wrote them
// DataSync COPYs each: the trap prices that at each object's class PUT rate.
func TestIdenticalObjectsCopyTrap(t *testing.T) {
	e := compute(t, transfer("copy", "us-east-1", "us-east-1"), func(d *Data) {
		for range 1000 {
			d.Keep(10, "", "STANDARD_IA", 10, true)
		}
		d.Keep(10, "", "DEEP_ARCHIVE", 10, true)
	})
	traps := strings.Join(e.Traps, "\n")
	for _, want := range []string{"1,001 objects at the destination look identical", "1 in DEEP_ARCHIVE at $0.05 per 1,000 + 1,000 in STANDARD_IA at $0.01 per 1,000 = $0.01", "1 in DEEP_ARCHIVE need a restore first"} {
		if !strings.Contains(traps, want) {
			t.Errorf("traps lack %q:\n%s", want, traps)
		}
	}
}

// A pair of Regions the table has no transfer price for is an error naming both and
// --prices, not the source Region's common price.
func TestUnpricedInterRegionPairIsAnError(t *testing.T) {
	p, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	p.Regions["us-east-1"].InterRegionUnpriced = []string{"us-west-2"}
	d := NewData(p.Assumptions, "listing")
	d.AddN(1, 1, "")
	_, err = Compute(transfer("pair", "us-east-1", "us-west-2"), d, p)
	if !errors.Is(err, ErrNoPrices) || !strings.Contains(err.Error(), "from us-east-1 to us-west-2") || !strings.Contains(err.Error(), "--prices FILE") {
		t.Errorf("err = %v", err)
	}
	if _, err := Compute(transfer("same", "us-east-1", "us-east-1"), d, p); err != nil {
		t.Errorf("same Region: %v", err)
	}
}
