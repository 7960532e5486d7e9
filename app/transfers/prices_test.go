package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/estimate/pricelist/pricelisttest"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/internal/s3synth"
)

// priceList is a local price list serving a synthetic set of offer files (not
// AWS's prices) for each Region given, with its billing code.
func priceList(t *testing.T, regions map[string]string) *pricelisttest.Server {
	srv := pricelisttest.NewServer()
	t.Cleanup(srv.Close)
	for r, code := range regions {
		srv.PutSet(r, pricelisttest.Set(r, code))
	}
	return srv
}

func readTable(t *testing.T, path string) *estimate.Prices {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p estimate.Prices
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// End to end: `transfers prices eu-west-1 -o F` against a local price list, then
// `transfers estimate --prices F` of logs (BASIC, eu-west-1) against the local S3:
// the lines are priced from F, and the footer says where F's Region came from.
func TestPricesThenEstimate(t *testing.T) {
	e, s3srv, _ := estimateEnv(t)
	pl := priceList(t, map[string]string{"eu-west-1": "EU"})
	file := filepath.Join(t.TempDir(), "prices-eu-west-1.json")
	r := e.run("prices", "eu-west-1", "-o", file, "--price-list-url", pl.URL)
	if r.code != 0 || !strings.Contains(r.stderr, "eu-west-1: priced (Synthetic eu-west-1)") {
		t.Fatalf("prices: exit %d: %s", r.code, r.stderr)
	}
	if got := readTable(t, file); got.Currency != "USD" || got.Read != time.Now().UTC().Format("2006-01-02") || len(got.Regions) != 1 ||
		got.Assumptions.ListPageKeys != 1000 || got.Regions["eu-west-1"].Offers[0].Offer != "AWSDataSync" {
		t.Errorf("table %+v", got)
	}

	s3srv.AddBucket("acme-logs-src", s3synth.Bucket{Owner: sourceAccount, Objects: 100, At: func(i int) s3synth.Object {
		return s3synth.Object{Key: fmt.Sprintf("log-%03d", i), Size: 1 << 30}
	}})
	s3srv.AddBucket("acme-logs-dst", s3synth.Bucket{Owner: "222222222222", Readers: []string{sourceAccount}})
	out := estimateOK(t, e, "estimate", "logs", "-c", e.config, "--prices", file, "--json")
	// the fixture's Transferred-Bytes is $0.0111 per GB, its Requests-Tier1 $0.0000051 per request
	want := map[string]float64{"data copied (BASIC)": 0.0111, "PUT into STANDARD": 0.0051}
	for _, l := range out.Transfers[0].Estimate.Lines {
		for item, price := range want {
			if strings.HasPrefix(l.Item, item) {
				if math.Abs(l.UnitPrice-price) > 1e-12 {
					t.Errorf("%s: unit price %v, want %v from %s", l.Item, l.UnitPrice, price, file)
				}
				delete(want, item)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no lines %v", want)
	}
	if got := out.Prices.Regions["eu-west-1"]; !strings.Contains(got, "read by `transfers prices`") || len(out.Prices.Regions) != 1 {
		t.Errorf("--json prices.regions %v: want eu-west-1's own source only", out.Prices.Regions)
	}
	text := e.run("estimate", "logs", "-c", e.config, "--prices", file)
	if text.code != 0 || !strings.Contains(text.stdout, "  eu-west-1 read "+time.Now().UTC().Format("2006-01-02")+" from AWS Price List Bulk API ("+pl.URL+
		"/offers/v1.0/aws/<offer>/current/eu-west-1/index.json), read by `transfers prices`: AWSDataSync 20261207000000 (published 2026-12-07T00:00:00Z)") {
		t.Errorf("the footer lacks eu-west-1's own date and source:\n%s", text.stdout)
	}
}

// A Region whose awskms file is missing is not priced: exit 1, its reason (the URL
// and the status) on stderr and in notPriced; the other Region is written.
func TestPricesOfferMissing(t *testing.T) {
	e := newEnv(t)
	pl := priceList(t, map[string]string{"eu-west-1": "EU", "eu-west-2": "EUW2"})
	pl.Delete("eu-west-2", "awskms")
	file := filepath.Join(t.TempDir(), "p.json")
	r := e.run("prices", "eu-west-1", "eu-west-2", "-o", file, "--price-list-url", pl.URL)
	reason := "offer awskms: GET " + pl.URL + "/offers/v1.0/aws/awskms/current/eu-west-2/index.json: 404 Not Found"
	if r.code != exitFailed || !strings.Contains(r.stderr, "eu-west-2: NOT PRICED: "+reason) {
		t.Errorf("exit %d (want %d), stderr lacks %q:\n%s", r.code, exitFailed, reason, r.stderr)
	}
	p := readTable(t, file)
	if _, ok := p.Regions["eu-west-1"]; !ok || len(p.Regions) != 1 || !strings.Contains(p.NotPriced["eu-west-2"], reason) {
		t.Errorf("regions %v, notPriced %v", p.Regions, p.NotPriced)
	}
	if _, err := estimate.Load(file); err != nil {
		t.Errorf("not a usable --prices file: %v", err)
	}
}

func TestPricesBadArguments(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown Region", []string{"prices", "eu-west-1", "mars-north-1"}, []string{`"mars-north-1": not a Region of the Region table; the allowed Regions are af-south-1, `, "us-west-2"}},
		{"nothing named", []string{"prices"}, []string{"name the Regions to price (prices eu-west-1 ...) or give --all"}},
		{"both", []string{"prices", "--all", "eu-west-1"}, []string{"give REGION... or --all, not both"}},
		{"not a URL", []string{"prices", "eu-west-1", "--price-list-url", "pricing.example"}, []string{`--price-list-url "pricing.example": give the price list's http(s) address`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(append([]string{"--price-list-url", "http://127.0.0.1:1"}, tc.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d", r.code, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
		})
	}
}

// --all reads every Region of the Region table but China and the isolated
// partitions, which the table names with their reason; a Region the price list has
// no files for is not priced (exit 1). Without -o the table goes to stdout.
func TestPricesAll(t *testing.T) {
	e := newEnv(t)
	pl := priceList(t, map[string]string{"eu-west-1": "EU", "us-east-1": ""})
	r := e.run("prices", "--all", "--price-list-url", pl.URL)
	if r.code != exitFailed {
		t.Errorf("exit %d, want %d (most Regions have no files here)", r.code, exitFailed)
	}
	var p estimate.Prices
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Regions) != 2 || p.Regions["us-east-1"] == nil || p.Regions["eu-west-1"] == nil {
		t.Errorf("priced %d Regions, want us-east-1 and eu-west-1", len(p.Regions))
	}
	for _, path := range pl.Paths() {
		if strings.Contains(path, "/cn-") || strings.Contains(path, "-iso") {
			t.Errorf("read %s: China and isolated Regions are not in the USD price list", path)
		}
	}
	fetched := map[string]bool{}
	for _, path := range pl.Paths() {
		fetched[strings.Split(path, "/")[6]] = true
	}
	for _, region := range spec.KnownRegions() {
		partition, _, _ := spec.RegionFacts(region)
		skipped := partition == "aws-cn" || strings.HasPrefix(partition, "aws-iso")
		if skipped == fetched[region] {
			t.Errorf("%s (partition %s): read %v", region, partition, fetched[region])
		}
		_, priced := p.Regions[region]
		if why, ok := p.NotPriced[region]; priced == ok || (!priced && why == "") {
			t.Errorf("%s: priced %v, not priced %q: every Region must be one or the other", region, priced, why)
		}
	}
	if !strings.Contains(p.NotPriced["cn-north-1"], "China") || !strings.Contains(p.NotPriced["us-iso-east-1"], "isolated") {
		t.Errorf("notPriced cn-north-1 %q, us-iso-east-1 %q", p.NotPriced["cn-north-1"], p.NotPriced["us-iso-east-1"])
	}
	// a China Region named is reported, not read: exit 1
	before := len(pl.Paths())
	cn := e.run("prices", "cn-north-1", "--price-list-url", pl.URL)
	if cn.code != exitFailed || len(pl.Paths()) != before || !strings.Contains(cn.stdout, "China Regions are priced in CNY") {
		t.Errorf("cn-north-1: exit %d, %d requests", cn.code, len(pl.Paths())-before)
	}
}

// Without network access to the price list (here: connection refused) nothing is
// priced, the command exits 1 and -o FILE stays as it was: `make prices` leaves the
// committed table untouched.
func TestPricesNoNetwork(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	file := filepath.Join(t.TempDir(), "prices.json")
	const before = `{"read": "2026-12-07", "the": "committed table"}`
	os.WriteFile(file, []byte(before), 0o644)
	r := e.run("prices", "eu-west-1", "us-east-2", "-o", file, "--price-list-url", "http://"+addr)
	if r.code != exitFailed {
		t.Errorf("exit %d, want %d", r.code, exitFailed)
	}
	for _, want := range []string{"eu-west-1: NOT PRICED: offer AWSDataSync: GET http://" + addr + "/offers/v1.0/aws/AWSDataSync/current/eu-west-1/index.json",
		"connection refused", "no Region could be priced: " + file + " not written (left as it was)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if got, _ := os.ReadFile(file); string(got) != before {
		t.Errorf("%s changed: %s", file, got)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
