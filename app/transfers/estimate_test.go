package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/estimate/fakecloudwatch"
	"github.com/s3transfer/cdk-datasync/internal/s3synth"
)

// estimateEnv adds a local S3 and CloudWatch to env: photos' source bucket holds
// 2,000 objects of 5 MB (10^10 bytes), its destination bucket is empty and readable
// by the source account's credentials (the one chain of the test).
func estimateEnv(t *testing.T) (*env, *s3synth.Server, *fakecloudwatch.Server) {
	e := newEnv(t)
	s3srv := (&s3synth.Server{}).Start(t)
	s3srv.AddKey(sourceKey, sourceAccount)
	s3srv.AddBucket("acme-photos-src", s3synth.Bucket{Owner: sourceAccount, Objects: 2000, At: func(i int) s3synth.Object {
		return s3synth.Object{Key: fmt.Sprintf("img/%05d.jpg", i), Size: 5_000_000}
	}})
	s3srv.AddBucket("acme-photos-dst", s3synth.Bucket{Owner: "222222222222", Readers: []string{sourceAccount}})
	// archive's source bucket belongs to another account than the config says: denied
	s3srv.AddBucket("acme-archive-src", s3synth.Bucket{Owner: "444444444444"})
	cw := fakecloudwatch.New()
	t.Cleanup(cw.Close)
	cw.AddKey(sourceKey, sourceAccount)
	e.set("AWS_ENDPOINT_URL_S3", s3srv.URL)
	e.set("AWS_ENDPOINT_URL_CLOUDWATCH", cw.URL)
	return e, s3srv, cw
}

// estimateOK runs estimate with args, which must succeed, and decodes its --json.
func estimateOK(t *testing.T, e *env, args ...string) estimateJSON {
	t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out estimateJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type estimateJSON struct {
	Transfers []struct {
		Transfer string
		Estimate struct {
			RunsPerMonth float64
			Data         struct{ Objects, Bytes int64 }
			Lines        []struct {
				Phase, Pays, Account, Item, Formula string
				Cost, Quantity, UnitPrice           float64
			}
			FirstRunTotal map[string]float64
			MonthlyTotal  map[string]float64
			Traps         []string
			LastRun       *struct {
				Bytes, Objects  int64
				DurationSeconds float64
			}
			FirstRunDuration *struct {
				Seconds float64
				By      string `json:"boundBy"`
			}
		}
		LastRunNote string
		Error       string
	}
	Totals struct{ FirstRun, Monthly map[string]float64 }
	Prices struct {
		Files, Read string
		Regions     map[string]string
	}
}

func TestEstimateJSON(t *testing.T) {
	// GIVEN photos' task ran once: 10,000 files, 10 GB in 5 minutes
	e, _, _ := estimateEnv(t)
	steps := enhancedSuccess()
	e.srv.AddExecution(e.photos(), time.Date(2026, 8, 9, 1, 0, 0, 0, time.UTC), steps[len(steps)-1])
	// WHEN photos is estimated
	out := estimateOK(t, e, "estimate", "photos", "-c", e.config, "--json")
	// THEN the figures are the listing's and the prices the table's, by hand:
	est := out.Transfers[0].Estimate
	if est.Data.Objects != 2000 || est.Data.Bytes != 1e10 || est.RunsPerMonth != 30 {
		t.Fatalf("data %+v, runs %v; want 2,000 objects, 10^10 bytes, 30 runs (rate(1 day))", est.Data, est.RunsPerMonth)
	}
	cost := func(phase, prefix string) float64 {
		for _, l := range est.Lines {
			if l.Phase == phase && strings.HasPrefix(l.Item, prefix) {
				return l.Cost
			}
		}
		t.Fatalf("no %s line %q", phase, prefix)
		return 0
	}
	gb := 1e10 / (1 << 30) // 9.31 GB
	checks := []struct {
		what      string
		got, want float64
	}{
		{"DataSync", cost("first run", "data copied (ENHANCED)"), gb * 0.015},
		{"inter-Region us-east-1 → us-west-2", cost("first run", "inter-Region"), gb * 0.02},
		{"PUT", cost("first run", "PUT into STANDARD"), 2000 * 0.005 / 1000}, // 5 MB ≤ 8 MiB: one PUT each
		{"executions a month", cost("per month", "task executions"), 30 * 0.55},
		// the keys are img/NNNNN.jpg: DataSync lists the root (1 entry) and img/ (2,000
		// entries, 2 pages): 3 LIST requests a run; each object is HEADed and its tags
		// read while preparing, and read and its tags read again while transferring
		{"LIST source", cost("first run", "LIST source"), 3 * 0.005 / 1000},
		{"source account, first run", out.Totals.FirstRun[sourceAccount], gb*0.015 + gb*0.02 + 0.55 + 3*0.005/1000 + 4*2000*0.0004/1000},
		// every scheduled run lists, HEADs and reads the tags of every object again
		{"source account, a month", out.Totals.Monthly[sourceAccount], 30*0.55 + 30*3*0.005/1000 + 30*2*2000*0.0004/1000},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %.9f, want %.9f", c.what, c.got, c.want)
		}
	}
	// the last run's figures, and the first run's duration at its rate: 10^10 bytes at
	// 10^10 bytes / 300 s takes 300 s; 2,000 objects at 10,000 / 300 s take 60 s
	if lr := est.LastRun; lr == nil || lr.Bytes != 10e9 || lr.Objects != 10000 || lr.DurationSeconds != 300 {
		t.Errorf("last run %+v", lr)
	}
	if d := est.FirstRunDuration; d == nil || math.Abs(d.Seconds-300) > 1e-6 || d.By != "bytes" {
		t.Errorf("first run duration %+v, want 300 s bound by bytes", d)
	}
	traps := strings.Join(est.Traps, "\n")
	for _, want := range []string{"30 executions a month × $0.55 = $16.50 a month", "cross-Region transfer us-east-1 → us-west-2"} {
		if !strings.Contains(traps, want) {
			t.Errorf("traps lack %q:\n%s", want, traps)
		}
	}
	if out.Prices.Read != "2026-12-07" || !strings.Contains(out.Prices.Files, "app/estimate/prices.json") {
		t.Errorf("prices %+v", out.Prices)
	}
	// the same as text, beside the last run: the capture in README.md and
	// docs/estimating-cost.md (go test -v -run TestEstimateJSON prints it)
	r := e.run("estimate", "photos", "-c", e.config)
	for _, want := range []string{"last run (SUCCESS): 10,000 objects, 10 GB in 5m00s", "first run at the last run's rate: about 5m00s", "account 111111111111: first run $0.88, then $16.55 a month"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d, text lacks %q", r.code, want)
		}
	}
	t.Logf("$ transfers estimate photos -c transfers.yaml\n%s", r.stdout)
}

func TestEstimateText(t *testing.T) {
	e, _, _ := estimateEnv(t)
	r := e.run("estimate", "photos", "-c", e.config)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"data (listing): 2,000 objects, 9.3 GiB to copy",
		"[source]    DataSync data copied (ENHANCED), us-west-2: 9.31323 GB (10,000,000,000 bytes / 2^30) × $0.015 per GB = $0.14",
		"[destination] S3 PUT into STANDARD",
		"each month afterwards (schedule rate(1 day): 30 runs):",
		"account 111111111111: first run $",
		"no last run: ",
		"An estimate, not a quote",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(r.stderr, "photos: listed 2,000 source and 0 destination objects") {
		t.Errorf("stderr lacks the listing's summary: %s", r.stderr)
	}
}

func TestEstimateQuick(t *testing.T) {
	e, _, cw := estimateEnv(t)
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	dims := map[string]string{"BucketName": "acme-photos-src", "StorageType": "StandardStorage"}
	cw.Put(sourceAccount, "us-east-1", "AWS/S3", "BucketSizeBytes", dims, fakecloudwatch.Point{Time: day, Value: 4e12})
	dims = map[string]string{"BucketName": "acme-photos-src", "StorageType": "AllStorageTypes"}
	cw.Put(sourceAccount, "us-east-1", "AWS/S3", "NumberOfObjects", dims, fakecloudwatch.Point{Time: day, Value: 400_000})
	r := e.run("estimate", "photos", "-c", e.config, "--quick")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"data (S3 storage metrics, approximate): 400,000 objects, 3.6 TiB", "Approximate: from S3's daily storage metrics of the whole bucket acme-photos-src as of " + day.Format("2006-01-02 15:04")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestEstimateBadInput(t *testing.T) {
	e, _, _ := estimateEnv(t)
	broken := filepath.Join(t.TempDir(), "broken.json")
	os.WriteFile(broken, []byte(`{"regions": {"us-east-1": {"s3ListPer1000": "cheap"}}}`), 0o644)
	// a Region the table does not price (it opened after the table's prices)
	unpriced := filepath.Join(t.TempDir(), "nz.yaml")
	os.WriteFile(unpriced, []byte(`transfers:
  - name: nz
    source: {account: "111111111111", region: ap-southeast-6, bucket: acme-nz-src}
    destination: {account: "222222222222", region: ap-southeast-6, bucket: acme-nz-dst}
`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown name", []string{"estimate", "photo"}, exitUsage, []string{`no transfer named "photo"`, "photos, logs, archive"}},
		{"broken prices file", []string{"estimate", "photos", "--prices", broken}, exitUsage, []string{"--prices " + broken, "cannot unmarshal string"}},
		{"missing prices file", []string{"estimate", "photos", "--prices", "nope.json"}, exitUsage, []string{"--prices nope.json", "no such file"}},
		{"a Region without prices", []string{"estimate", "-c", unpriced}, exitUsage, []string{"transfer nz: no prices for Region ap-southeast-6", "app/estimate/prices.json", "--prices FILE",
			"go run ./app/transfers prices ap-southeast-6 -o prices-ap-southeast-6.json"}},
		{"--inventory malformed, two names", []string{"estimate", "photos", "archive", "--inventory", "s3://r/manifest.json"}, exitUsage,
			[]string{`--inventory "s3://r/manifest.json": give two manifests`, "name exactly one (2 named)"}},
		{"--inventory with --quick", []string{"estimate", "photos", "--quick", "--inventory", "s3://r/a/manifest.json,s3://r/b/manifest.json"}, exitUsage,
			[]string{"--inventory and --quick: choose one"}},
		{"bad --partitions", []string{"estimate", "photos", "--partitions", "0"}, exitUsage, []string{"--partitions 0: give 1 to 1024"}},
		{"unreadable bucket", []string{"estimate", "archive"}, exitFailed, []string{"transfer archive: NOT ESTIMATED", "bucket acme-archive-src", "s3:ListBucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !slices.Contains(args, "-c") {
				args = append(args, "-c", e.config)
			}
			r := e.run(args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d", r.code, tc.code)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.stdout+r.stderr, want) {
					t.Errorf("output lacks %q", want)
				}
			}
		})
	}
}

// With --profile-template each bucket is listed with its own account's profile: the
// destination bucket, which only its account may list, is read with acct-222222222222.
// Without it, the one credential chain (the source account's) is denied there.
func TestEstimateProfilePerAccount(t *testing.T) {
	e, s3srv, _ := estimateEnv(t)
	const destKey = "AKIDDEST22222222EXAMPLE"
	s3srv.AddKey(destKey, "222222222222")
	s3srv.AddBucket("acme-photos-dst", s3synth.Bucket{Owner: "222222222222", Objects: 500, At: func(i int) s3synth.Object {
		return s3synth.Object{Key: fmt.Sprintf("img/%05d.jpg", i), Size: 5_000_000, LastModified: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	}})
	creds := fmt.Sprintf("[acct-%s]\naws_access_key_id = %s\naws_secret_access_key = x\naws_account_id = %s\n\n[acct-222222222222]\naws_access_key_id = %s\naws_secret_access_key = x\naws_account_id = 222222222222\n",
		sourceAccount, sourceKey, sourceAccount, destKey)
	if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	denied := e.run("estimate", "photos", "-c", e.config)
	if denied.code != exitFailed || !strings.Contains(denied.stdout, "bucket acme-photos-dst") {
		t.Errorf("one chain: exit %d, want %d and a denial naming acme-photos-dst", denied.code, exitFailed)
	}
	e.set("AWS_ACCESS_KEY_ID", "")
	e.set("AWS_SECRET_ACCESS_KEY", "")
	out := estimateOK(t, e, "estimate", "photos", "-c", e.config, "--profile-template", "acct-{account}", "--json")
	// the first 500 keys are at the destination, written after the source's objects
	if d := out.Transfers[0].Estimate.Data; d.Objects != 1500 || d.Bytes != 1500*5_000_000 {
		t.Errorf("data %+v, want the 1,500 objects not yet at the destination", d)
	}
}

// --prices replaces the table's prices of a Region, entry by entry: logs (BASIC,
// eu-west-1) is estimated with the file's prices; BASIC has no execution fee.
func TestEstimatePricesFileReplacesARegionsPrices(t *testing.T) {
	e, s3srv, _ := estimateEnv(t)
	s3srv.AddBucket("acme-logs-src", s3synth.Bucket{Owner: sourceAccount, Objects: 100, At: func(i int) s3synth.Object {
		return s3synth.Object{Key: fmt.Sprintf("log-%03d", i), Size: 1 << 30}
	}})
	s3srv.AddBucket("acme-logs-dst", s3synth.Bucket{Owner: "222222222222", Readers: []string{sourceAccount}})
	class := `{"storagePerGBMonth": 0.024, "putPer1000": 0.0053, "getPer1000": 0.00042}`
	var classes []string
	for _, c := range []string{"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"} {
		classes = append(classes, fmt.Sprintf("%q: %s", c, class))
	}
	prices := filepath.Join(t.TempDir(), "eu.json")
	os.WriteFile(prices, []byte(`{"regions": {"eu-west-1": {"name": "test", "datasync": {"basicPerGB": 0.02, "enhancedPerGB": 0.03, "enhancedPerExecution": 1},
		"s3": {`+strings.Join(classes, ", ")+`}, "s3ListPer1000": 0.0053, "kmsPer10000Requests": 0.03, "interRegionPerGB": 0.02}}}`), 0o644)
	out := estimateOK(t, e, "estimate", "logs", "-c", e.config, "--prices", prices, "--json")
	est := out.Transfers[0].Estimate
	copied := 0
	for _, l := range est.Lines {
		if strings.Contains(l.Item, "execution") {
			t.Errorf("BASIC task with an execution line: %s", l.Formula)
		}
		if strings.HasPrefix(l.Item, "data copied (BASIC)") {
			copied++
			if math.Abs(l.Cost-100*0.02) > 1e-9 {
				t.Errorf("100 GiB at the file's $0.02: %s", l.Formula)
			}
		}
	}
	if copied != 1 {
		t.Errorf("%d lines of data copied (BASIC), want 1", copied)
	}
	if !strings.Contains(out.Prices.Files, prices) {
		t.Errorf("prices %q do not name %s", out.Prices.Files, prices)
	}
}

// The embedded example (no -c), against a local S3: media-archive (us-east-1 to
// us-west-2) from 12,000 objects under photos/ (every 50th a .tmp file the task
// excludes; a third of 40 KB, the rest of 12 MB), of which the destination holds the
// first 2,000 already; logs-consolidation (BASIC, eu-west-1, from account
// 333333333333) from 3,000 log objects of 1 MB in 30 daily folders into an empty
// prefix. docs/estimating-cost.md shows this test's output (go test -v).
func TestEstimateEmbeddedExample(t *testing.T) {
	e, s3srv, _ := estimateEnv(t)
	obj := func(i int) s3synth.Object {
		o := s3synth.Object{Key: fmt.Sprintf("photos/%06d.jpg", i), Size: 12_000_000, LastModified: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
		if i%50 == 49 {
			o.Key = fmt.Sprintf("photos/%06d.tmp", i)
		}
		if i%3 == 0 {
			o.Size = 40_000
		}
		return o
	}
	s3srv.AddBucket("acme-media-src", s3synth.Bucket{Owner: sourceAccount, Objects: 12_000, At: obj})
	s3srv.AddBucket("acme-media-dst", s3synth.Bucket{Owner: "222222222222", Readers: []string{sourceAccount}, Objects: 2_000, At: func(i int) s3synth.Object {
		o := obj(i)
		o.Key = "archive/" + o.Key
		o.LastModified = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		return o
	}})

	s3srv.AddBucket("acme-logs-src", s3synth.Bucket{Owner: "333333333333", Readers: []string{sourceAccount}, Objects: 3_000, At: func(i int) s3synth.Object {
		return s3synth.Object{Key: fmt.Sprintf("2026-11-%02d/app-%03d.log", i/100+1, i%100), Size: 1_000_000}
	}})
	s3srv.AddBucket("acme-logs-consolidated", s3synth.Bucket{Owner: "222222222222", Readers: []string{sourceAccount}})

	all := e.run("estimate")
	out := all.stdout
	for _, want := range []string{
		"transfer logs-consolidation: BASIC mode", "DataSync data copied (BASIC), eu-west-1: 2.79397 GB (3,000,000,000 bytes / 2^30) × $0.0125 per GB",
		// the source's root holds 30 daily folders of 100 objects: 31 LIST requests
		"S3 LIST source (ListObjectsV2), eu-west-1: 31 requests",
		"transfer media-archive: ENHANCED mode", "account 333333333333: first run $",
	} {
		if all.code != 0 || !strings.Contains(out, want) {
			t.Errorf("whole example: exit %d, output lacks %q:\n%s%s", all.code, want, out, all.stderr)
		}
	}
	t.Logf("$ transfers estimate\n%s%s", all.stderr, all.stdout)

	r := e.run("estimate", "media-archive")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// by hand: of 12,000, 240 are .tmp (i%50==49); of the first 2,000 (identical at
	// the destination) 40 are .tmp; so 11,760-1,960 = 9,800 to copy
	var objects, bytes int64
	for i := 2000; i < 12_000; i++ {
		if o := obj(i); i%50 != 49 {
			objects++
			bytes += o.Size
		}
	}
	want := "data (listing): 9,800 objects, 73.1 GiB (1,960 objects, 14.6 GiB already identical at the destination, not counted) to copy"
	if objects != 9_800 || bytes != 78_538_640_000 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "(78,538,640,000 bytes / 2^30)") {
		t.Errorf("%d objects, %d bytes by hand; output lacks %q or the bytes:\n%s", objects, bytes, want, r.stdout)
	}
	t.Logf("$ transfers estimate media-archive\n%s%s", r.stderr, r.stdout)
}
