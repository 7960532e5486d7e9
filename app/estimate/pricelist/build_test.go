package pricelist

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/estimate/pricelist/pricelisttest"
)

// build serves the offers for the Region and builds its prices with the real
// net/http client.
func build(t *testing.T, region string, offers map[string]*pricelisttest.Offer) (*estimate.RegionPrices, *pricelisttest.Server, error) {
	t.Helper()
	srv := pricelisttest.NewServer()
	t.Cleanup(srv.Close)
	srv.PutSet(region, offers)
	b := &Builder{Client: &Client{Base: srv.URL}, Today: "2026-12-07"}
	rp, err := b.Region(context.Background(), region)
	return rp, srv, err
}

// price is the fixture's price of a usage type times per, computed here.
func price(t *testing.T, usageType string, per float64) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(pricelisttest.Prices[usageType].USD, 64)
	if err != nil {
		t.Fatal(err)
	}
	return round(v * per)
}

// Every figure comes from the usage type the S3 usage-type table and DataSync's
// price list name for it, converted to the table's unit. Every usage type of the
// fixture has its own price, so a swapped mapping fails here. This table is the
// test's own, written from the AWS sources cited in mapping.go.
func TestRegionMapping(t *testing.T) {
	rp, _, err := build(t, "eu-west-1", pricelisttest.Set("eu-west-1", "EU"))
	if err != nil {
		t.Fatal(err)
	}
	s3 := rp.S3
	for _, c := range []struct {
		what      string
		got       float64
		usageType string
		per       float64
	}{
		{"datasync.basicPerGB", rp.DataSync.BasicPerGB, "Transferred-Bytes", 1},
		{"datasync.enhancedPerGB", rp.DataSync.EnhancedPerGB, "Transferred-Bytes-Enhanced", 1},
		{"datasync.enhancedPerExecution", rp.DataSync.EnhancedPerExecution, "Task-Executions-Enhanced", 1},
		{"STANDARD storage", s3["STANDARD"].StoragePerGBMonth, "TimedStorage-ByteHrs", 1},
		{"STANDARD PUT", s3["STANDARD"].PutPer1000, "Requests-Tier1", 1000},
		{"STANDARD GET", s3["STANDARD"].GetPer1000, "Requests-Tier2", 1000},
		{"INTELLIGENT_TIERING storage", s3["INTELLIGENT_TIERING"].StoragePerGBMonth, "TimedStorage-INT-FA-ByteHrs", 1},
		{"INTELLIGENT_TIERING PUT", s3["INTELLIGENT_TIERING"].PutPer1000, "Requests-INT-Tier1", 1000},
		{"INTELLIGENT_TIERING GET", s3["INTELLIGENT_TIERING"].GetPer1000, "Requests-INT-Tier2", 1000},
		{"STANDARD_IA storage", s3["STANDARD_IA"].StoragePerGBMonth, "TimedStorage-SIA-ByteHrs", 1},
		{"STANDARD_IA PUT", s3["STANDARD_IA"].PutPer1000, "Requests-SIA-Tier1", 1000},
		{"STANDARD_IA GET", s3["STANDARD_IA"].GetPer1000, "Requests-SIA-Tier2", 1000},
		{"STANDARD_IA retrieval", s3["STANDARD_IA"].RetrievalPerGB, "Retrieval-SIA", 1},
		{"ONEZONE_IA storage", s3["ONEZONE_IA"].StoragePerGBMonth, "TimedStorage-ZIA-ByteHrs", 1},
		{"ONEZONE_IA PUT", s3["ONEZONE_IA"].PutPer1000, "Requests-ZIA-Tier1", 1000},
		{"ONEZONE_IA GET", s3["ONEZONE_IA"].GetPer1000, "Requests-ZIA-Tier2", 1000},
		{"ONEZONE_IA retrieval", s3["ONEZONE_IA"].RetrievalPerGB, "Retrieval-ZIA", 1},
		{"GLACIER_IR storage", s3["GLACIER_IR"].StoragePerGBMonth, "TimedStorage-GIR-ByteHrs", 1},
		{"GLACIER_IR PUT", s3["GLACIER_IR"].PutPer1000, "Requests-GIR-Tier1", 1000},
		{"GLACIER_IR GET", s3["GLACIER_IR"].GetPer1000, "Requests-GIR-Tier2", 1000},
		{"GLACIER_IR retrieval", s3["GLACIER_IR"].RetrievalPerGB, "Retrieval-GIR", 1},
		{"GLACIER storage", s3["GLACIER"].StoragePerGBMonth, "TimedStorage-GlacierByteHrs", 1},
		{"GLACIER PUT", s3["GLACIER"].PutPer1000, "Requests-GLACIER-Tier1", 1000},
		{"GLACIER GET", s3["GLACIER"].GetPer1000, "Requests-GLACIER-Tier2", 1000},
		{"DEEP_ARCHIVE storage", s3["DEEP_ARCHIVE"].StoragePerGBMonth, "TimedStorage-GDA-ByteHrs", 1},
		{"DEEP_ARCHIVE PUT", s3["DEEP_ARCHIVE"].PutPer1000, "Requests-GDA-Tier1", 1000},
		{"DEEP_ARCHIVE GET", s3["DEEP_ARCHIVE"].GetPer1000, "Requests-GDA-Tier2", 1000},
		{"s3ListPer1000", rp.S3ListPer1000, "Requests-Tier1", 1000},
		{"intelligentTieringMonitoringPer1000Objects", rp.IntelligentTieringMonitoringPer1000Objects, "Monitoring-Automation-INT", 1000},
		{"kmsPer10000Requests", rp.KmsPer10000Requests, "KMS-Requests", 10000},
	} {
		if want := price(t, c.usageType, c.per); c.got != want {
			t.Errorf("%s = %v, want %v (EU-%s × %v)", c.what, c.got, want, c.usageType, c.per)
		}
	}
	// by hand: $0.0000051 per request is $0.0051 per 1,000; $0.0000031 is $0.031 per 10,000
	if rp.S3["STANDARD"].PutPer1000 != 0.0051 || rp.KmsPer10000Requests != 0.031 {
		t.Errorf("PUT per 1,000 %v (want 0.0051), KMS per 10,000 %v (want 0.031)", rp.S3["STANDARD"].PutPer1000, rp.KmsPer10000Requests)
	}
	if rp.S3["GLACIER"].RetrievalPerGB != 0 || rp.S3["STANDARD"].RetrievalPerGB != 0 {
		t.Errorf("a retrieval price for a class without one: %+v", rp.S3)
	}
	if rp.Name != "Synthetic eu-west-1" || rp.Read != "2026-12-07" {
		t.Errorf("name %q (want the location of the STANDARD storage product), read %q", rp.Name, rp.Read)
	}
	if len(rp.UsageTypes) != len(Mapping)+1 {
		t.Errorf("%d usage types recorded, want %d", len(rp.UsageTypes), len(Mapping)+1)
	}
	if got := rp.UsageTypes["s3.STANDARD.putPer1000"]; got != "AmazonS3 EU-Requests-Tier1: $0.0000051 per Requests × 1000" {
		t.Errorf("provenance of STANDARD PUT %q", got)
	}
	if len(rp.Offers) != 5 || rp.Offers[0].Version != "20261207000000" || !strings.HasSuffix(rp.Offers[1].URL, "/offers/v1.0/aws/AmazonS3/current/eu-west-1/index.json") {
		t.Errorf("offers %+v", rp.Offers)
	}
}

// Storage takes the tier starting at 0; a free first tier (KMS's 20,000 requests)
// is skipped for the next, and the provenance says so.
func TestTiers(t *testing.T) {
	rp, _, err := build(t, "eu-west-1", pricelisttest.Set("eu-west-1", "EU"))
	if err != nil {
		t.Fatal(err)
	}
	if rp.S3["STANDARD"].StoragePerGBMonth != 0.0211 {
		t.Errorf("STANDARD storage %v, want the first tier's 0.0211 (not 0.0191 or 0.0181)", rp.S3["STANDARD"].StoragePerGBMonth)
	}
	if got := rp.UsageTypes["s3.STANDARD.storagePerGBMonth"]; !strings.Contains(got, "tier 0–51200 GB-Mo") {
		t.Errorf("storage provenance %q lacks its tier", got)
	}
	if got := rp.UsageTypes["kmsPer10000Requests"]; !strings.Contains(got, "0–20000 Requests free (a free tier): priced from the next tier, 20000–Inf") {
		t.Errorf("KMS provenance %q does not say the free tier was skipped", got)
	}
}

// The tier limits as AWS's page spells them in its example (startingRange,
// endingRange) are read like the offer files' beginRange and endRange.
func TestDocumentedRangeNames(t *testing.T) {
	offers := pricelisttest.Set("eu-west-1", "EU")
	for _, o := range offers {
		o.DocRangeNames = true
	}
	rp, _, err := build(t, "eu-west-1", offers)
	if err != nil {
		t.Fatal(err)
	}
	if rp.S3["STANDARD"].StoragePerGBMonth != 0.0211 || rp.KmsPer10000Requests != 0.031 {
		t.Errorf("storage %v, KMS %v", rp.S3["STANDARD"].StoragePerGBMonth, rp.KmsPer10000Requests)
	}
}

// US East (N. Virginia) has no billing code: the usage type alone matches, and
// "Tables-Requests-Tier1" (S3 Tables) is not "Requests-Tier1".
func TestNoBillingCode(t *testing.T) {
	rp, _, err := build(t, "us-east-1", pricelisttest.Set("us-east-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	if rp.S3ListPer1000 != price(t, "Requests-Tier1", 1000) {
		t.Errorf("LIST %v", rp.S3ListPer1000)
	}
	for _, c := range []struct {
		ut, suffix string
		want       bool
	}{
		{"us-east-1-KMS-Requests", "KMS-Requests", true},
		{"eu-west-1-KMS-Requests", "KMS-Requests", false}, // another Region's
		{"Requests-Tier1", "Requests-Tier1", true},
		{"EUW2-Requests-Tier1", "Requests-Tier1", true},
		{"Tables-Requests-Tier1", "Requests-Tier1", false},
		{"EU-Tables-Requests-Tier1", "Requests-Tier1", false},
		{"EU-Requests-INT-Tier1", "Requests-Tier1", false},
		{"EU-KMS-Requests-Asymmetric", "KMS-Requests", false},
		{"-Requests-Tier1", "Requests-Tier1", false},
	} {
		if got := matchesUsageType(c.ut, c.suffix, "us-east-1"); got != c.want {
			t.Errorf("matchesUsageType(%q, %q) = %v", c.ut, c.suffix, got)
		}
	}
}

func TestInterRegion(t *testing.T) {
	rp, _, err := build(t, "eu-west-1", pricelisttest.Set("eu-west-1", "EU"))
	if err != nil {
		t.Fatal(err)
	}
	// 4 destinations at 0.0201, eu-west-2 at 0.0199; the inbound product is not read
	if rp.InterRegionPerGB != 0.0201 || len(rp.InterRegionPerGBTo) != 1 || rp.InterRegionPerGBTo["eu-west-2"] != 0.0199 {
		t.Errorf("inter-Region %v, to %v", rp.InterRegionPerGB, rp.InterRegionPerGBTo)
	}
	if got := rp.UsageTypes["interRegionPerGB"]; !strings.Contains(got, "to 4 of 5 destination Regions") {
		t.Errorf("provenance %q", got)
	}
	// the commercial Regions the offer has no product to are named, not priced at
	// the common price; other partitions are not destinations at all
	if !slices.Contains(rp.InterRegionUnpriced, "ap-southeast-2") || slices.Contains(rp.InterRegionUnpriced, "eu-west-2") ||
		slices.Contains(rp.InterRegionUnpriced, "cn-north-1") || slices.Contains(rp.InterRegionUnpriced, "eu-west-1") {
		t.Errorf("unpriced destinations %v", rp.InterRegionUnpriced)
	}
}

func TestUnexpectedUnit(t *testing.T) {
	offers := pricelisttest.Set("eu-west-1", "EU")
	offers["AmazonS3"].Add(offers["AmazonS3"].SKU("EU-Requests-Tier2"), "API Request",
		map[string]string{"usagetype": "EU-Requests-Tier2", "regionCode": "eu-west-1"}, pricelisttest.One("1K Requests", "0.00041"))
	_, _, err := build(t, "eu-west-1", offers)
	for _, want := range []string{`s3.STANDARD.getPer1000: AmazonS3 EU-Requests-Tier2 (SKU SKUREQUESTSTIER2`, `is priced per "1K Requests"`, "(Requests)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
}

func TestDuplicateProducts(t *testing.T) {
	// GIVEN a second product of EU-Retrieval-SIA at another price, and a second term of
	// EU-Retrieval-ZIA at another price
	offers := pricelisttest.Set("eu-west-1", "EU")
	s3 := offers["AmazonS3"]
	s3.Add("SKUSECOND", "Fee", map[string]string{"usagetype": "EU-Retrieval-SIA", "regionCode": "eu-west-1"}, pricelisttest.One("GB", "0.0199"))
	s3.AddTerm(s3.SKU("EU-Retrieval-ZIA"), pricelisttest.One("GB", "0.0198"))
	_, _, err := build(t, "eu-west-1", offers)
	for _, want := range []string{
		"s3.STANDARD_IA.retrievalPerGB: products of usage type Retrieval-SIA with different prices for Region eu-west-1",
		"AmazonS3 SKU SKURETRIEVALSIA EU-Retrieval-SIA $0.0101 per GB", "AmazonS3 SKU SKUSECOND EU-Retrieval-SIA $0.0199 per GB",
		"OnDemand terms with different prices: term SKURETRIEVALZIA.TERM1 $0.0102 per GB, term SKURETRIEVALZIA.TERM2 $0.0198 per GB",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
	// the same price twice is one price
	offers = pricelisttest.Set("eu-west-1", "EU")
	offers["AmazonS3"].Add("SKUSECOND", "Fee", map[string]string{"usagetype": "EU-Retrieval-SIA", "regionCode": "eu-west-1"}, pricelisttest.One("GB", "0.0101"))
	if rp, _, err := build(t, "eu-west-1", offers); err != nil || rp.S3["STANDARD_IA"].RetrievalPerGB != 0.0101 {
		t.Errorf("same price twice: %v", err)
	}
}

func TestOfferNotFound(t *testing.T) {
	offers := pricelisttest.Set("eu-west-1", "EU")
	srv := pricelisttest.NewServer()
	defer srv.Close()
	srv.PutSet("eu-west-1", offers)
	srv.Delete("eu-west-1", "awskms")
	_, err := (&Builder{Client: &Client{Base: srv.URL}}).Region(context.Background(), "eu-west-1")
	want := "offer awskms: GET " + srv.URL + "/offers/v1.0/aws/awskms/current/eu-west-1/index.json: 404 Not Found"
	var re *RegionError
	if !errors.As(err, &re) || len(re.Problems) != 1 || re.Problems[0] != want {
		t.Errorf("err = %v, want only %q", err, want)
	}
}

// Deep Archive's own offer may be missing when AmazonS3 prices it; when neither
// has its usage types, the error names both offers.
func TestDeepArchiveOffer(t *testing.T) {
	moved := pricelisttest.Set("eu-west-1", "EU")
	for _, ut := range []string{"TimedStorage-GDA-ByteHrs", "Requests-GDA-Tier1", "Requests-GDA-Tier2"} {
		p := pricelisttest.Prices[ut]
		moved["AmazonS3"].Add("S3"+ut, "Storage", map[string]string{"usagetype": "EU-" + ut, "regionCode": "eu-west-1"}, pricelisttest.One(p.Unit, p.USD))
	}
	delete(moved, "AmazonS3GlacierDeepArchive")
	rp, _, err := build(t, "eu-west-1", moved)
	if err != nil {
		t.Fatalf("Deep Archive in AmazonS3, no offer of its own: %v", err)
	}
	if rp.S3["DEEP_ARCHIVE"].StoragePerGBMonth != price(t, "TimedStorage-GDA-ByteHrs", 1) || rp.S3["DEEP_ARCHIVE"].PutPer1000 != price(t, "Requests-GDA-Tier1", 1000) {
		t.Errorf("DEEP_ARCHIVE %+v", rp.S3["DEEP_ARCHIVE"])
	}
	if n := rp.Offers[2]; n.Offer != "AmazonS3GlacierDeepArchive" || !strings.Contains(n.Note, "404 Not Found: S3 Glacier Deep Archive looked up in AmazonS3") {
		t.Errorf("the missing offer is not noted: %+v", n)
	}

	nowhere := pricelisttest.Set("eu-west-1", "EU")
	delete(nowhere, "AmazonS3GlacierDeepArchive")
	_, srv, err := build(t, "eu-west-1", nowhere)
	want := "s3.DEEP_ARCHIVE.storagePerGBMonth: no product with usage type TimedStorage-GDA-ByteHrs (or <billing code>-TimedStorage-GDA-ByteHrs) for Region eu-west-1 in " +
		"offer AmazonS3GlacierDeepArchive (GET " + srv.URL + "/offers/v1.0/aws/AmazonS3GlacierDeepArchive/current/eu-west-1/index.json: 404 Not Found) or " +
		"offer AmazonS3 (" + srv.URL + "/offers/v1.0/aws/AmazonS3/current/eu-west-1/index.json)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant it to say %s", err, want)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = (&Builder{Client: &Client{Base: "http://" + addr}}).Region(context.Background(), "eu-west-1")
	for _, want := range []string{"offer AWSDataSync: GET http://" + addr + "/offers/v1.0/aws/AWSDataSync/current/eu-west-1/index.json", "connection refused",
		"the price list needs network access to " + addr, "the other offers were not read"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
}

func TestUnpriceable(t *testing.T) {
	for r, want := range map[string]bool{"cn-north-1": true, "us-iso-east-1": true, "us-isob-east-1": true, "eu-isoe-west-1": true,
		"eu-west-1": false, "us-gov-west-1": false} {
		if _, got := Unpriceable(r); got != want {
			t.Errorf("Unpriceable(%s) = %v", r, got)
		}
	}
	srv := pricelisttest.NewServer()
	defer srv.Close()
	_, err := (&Builder{Client: &Client{Base: srv.URL}}).Region(context.Background(), "cn-north-1")
	if err == nil || !strings.Contains(err.Error(), "China") || srv.Requests.Load() != 0 {
		t.Errorf("cn-north-1: %v after %d requests, want the China reason and no request", err, srv.Requests.Load())
	}
}
