package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// want is, written out independently of the figures table, which description of
// which file each figure of a Region must be read from (the S3 pricing page's own
// wording), and its factor to the table's unit.
var want = []struct {
	path, file, key string
	per             float64
}{
	{"datasync.basicPerGB", "datasync", "Data transferred", 1},
	{"datasync.enhancedPerGB", "datasync", "bae9p1vQA-3EMe_tQSI5vHoTD49XRYBeBT4gPkUwzko", 1},
	{"datasync.enhancedPerExecution", "datasync", "tAOB2-th6kZG6Eg-x6w6RAAbWhyIEJ5O-xzxu4FimxI", 1},
	{"s3.STANDARD.storagePerGBMonth", "s3", "Standard Storage First 50 TB per GB Mo", 1},
	{"s3.STANDARD.putPer1000", "s3", "PUT COPY/POST or LIST requests per Requests", 1000},
	{"s3.STANDARD.getPer1000", "s3", "GET and all other requests per Requests", 1000},
	{"s3.INTELLIGENT_TIERING.storagePerGBMonth", "s3", "Intelligent Tiering Frequent Access First 50 TB per GB Mo", 1},
	{"s3.INTELLIGENT_TIERING.putPer1000", "s3", "PUT COPY/POST or LIST requests to Intelligent Tiering per Requests", 1000},
	{"s3.INTELLIGENT_TIERING.getPer1000", "s3", "GET and all other requests to Intelligent Tiering per Requests", 1000},
	{"s3.STANDARD_IA.storagePerGBMonth", "s3", "Standard Infrequent Access Storage per GB-Mo", 1},
	{"s3.STANDARD_IA.putPer1000", "s3", "PUT COPY/POST or LIST requests to Standard Infrequent Access per Requests", 1000},
	{"s3.STANDARD_IA.getPer1000", "s3", "GET and all other requests to Standard Infrequent Access per Requests", 1000},
	{"s3.STANDARD_IA.retrievalPerGB", "s3", "Object Retrieval in Standard Infrequent Access per GB", 1},
	{"s3.ONEZONE_IA.storagePerGBMonth", "s3", "One Zone Infrequent Access Storage Inf per GB-Mo", 1},
	{"s3.ONEZONE_IA.putPer1000", "s3", "PUT COPY/POST or LIST requests to One Zone Infrequent Access per Requests", 1000},
	{"s3.ONEZONE_IA.getPer1000", "s3", "GET and all other requests to One Zone Infrequent Access per Requests", 1000},
	{"s3.ONEZONE_IA.retrievalPerGB", "s3", "Object Retrieval in One Zone Infrequent Access per GB", 1},
	{"s3.GLACIER_IR.storagePerGBMonth", "s3", "Glacier Instant Retrieval Storage", 1},
	{"s3.GLACIER_IR.putPer1000", "s3", "PUT COPY/POST or LIST requests to Glacier Instant Retrieval per Requests", 1000},
	{"s3.GLACIER_IR.getPer1000", "s3", "GET and all other requests to Glacier Instant Retrieval per Requests", 1000},
	{"s3.GLACIER_IR.retrievalPerGB", "s3", "Object Retrieval in Glacier Instant Retrieval per GB", 1},
	{"s3.GLACIER.storagePerGBMonth", "s3", "Glacier Storage per GB Mo", 1},
	{"s3.GLACIER.putPer1000", "s3", "PUT requests to Glacier per Requests", 1000},
	{"s3.GLACIER.getPer1000", "s3", "GET and all other requests to GLACIER per Requests", 1000},
	{"s3.DEEP_ARCHIVE.storagePerGBMonth", "s3glacierdeeparchive", "Glacier Deep Archive GB Mo", 1},
	{"s3.DEEP_ARCHIVE.putPer1000", "s3glacierdeeparchive", "PUT to Glacier Deep Archive Requests", 1000},
	{"s3.DEEP_ARCHIVE.getPer1000", "s3", "GET and all other requests to GDA per Requests", 1000},
	{"s3ListPer1000", "s3", "PUT COPY/POST or LIST requests per Requests", 1000},
	{"intelligentTieringMonitoringPer1000Objects", "s3", "Per object per month monitoring and automation fee for objects in Intelligent Tiering", 1000},
	{"kmsPer10000Requests", "kms", "API request - Non Free Tier", 10000},
}

// priceOf is the fixture's synthetic price (not AWS's) of a description: the i-th
// distinct description costs (i+1)/1e6 per unit, so a figure read from another
// description shows.
func priceOf(key string) float64 {
	for i, w := range want {
		if w.key == key {
			return float64(i+1) / 1e6
		}
	}
	return 0
}

// fixture writes files in the meteredUnitMaps shape (as published: a manifest and
// regions[name][description or rate hash] = {rateCode, price, RegionlessRateCode})
// for every Region of regionCodes, with every description of want (less drop in EU
// (Ireland)), decoys that must not be read, and inter-Region prices.
func fixture(t *testing.T, drop string) string {
	t.Helper()
	dir := t.TempDir()
	type entry struct {
		RateCode   string `json:"rateCode"`
		Price      string `json:"price"`
		Regionless string `json:"RegionlessRateCode,omitempty"`
	}
	files := map[string]map[string]map[string]entry{}
	for name := range regionCodes {
		for _, svc := range []string{"datasync", "s3", "s3glacierdeeparchive", "kms"} {
			if files[svc] == nil {
				files[svc] = map[string]map[string]entry{}
			}
			// decoys: tiers and requests the model does not use
			files[svc][name] = map[string]entry{"Standard Storage Next 450 TB per GB Mo": {RateCode: "D.1", Price: "0.9"}, "Asymmetric Requests RSA_2048": {RateCode: "D.2", Price: "0.9"}}
		}
		for i, w := range want {
			key := w.key
			e := entry{RateCode: fmt.Sprintf("SKU%02d.JRTCKXETXF.6YS6EN2CT7", i), Price: fmt.Sprintf("%.10f", priceOf(w.key))}
			if strings.HasPrefix(w.path, "datasync.enhanced") {
				e.Regionless = key
				key = "hash-" + key[:6] // the file keys these by another hash
			}
			if name == "EU (Ireland)" && w.key == drop {
				continue
			}
			files[w.file][name][key] = e
		}
	}
	os.MkdirAll(filepath.Join(dir, "raw"), 0o755)
	os.MkdirAll(filepath.Join(dir, "processed"), 0o755)
	for _, svc := range []string{"datasync", "s3", "s3glacierdeeparchive", "kms"} {
		raw, _ := json.Marshal(map[string]any{"manifest": map[string]string{"currencyCode": "USD", "hawkFilePublicationDate": "2025-06-05T17:55:32Z"}, "regions": files[svc]})
		os.WriteFile(filepath.Join(dir, "raw", svc+".json"), raw, 0o644)
	}
	transfer := map[string]map[string]string{}
	for src := range regionCodes {
		for dst := range regionCodes {
			if src == dst {
				continue
			}
			price := "0.0200000000"
			if dst == "Mexico (Central)" {
				price = "0.0500000000"
			}
			key := "DataTransfer InterRegion Outbound to " + strings.NewReplacer("(", "", ")", "", ".", "").Replace(dst)
			if transfer[key] == nil {
				transfer[key] = map[string]string{}
			}
			transfer[key][src+" (To Location: "+dst+")"] = price
		}
	}
	// another service's set, which must be left out
	transfer["[RDS DataTransfer InterRegion Outbound]"] = map[string]string{"EU (Ireland) (To Location: US East (Ohio))": "0.9"}
	raw, _ := json.Marshal(transfer)
	os.WriteFile(filepath.Join(dir, "processed", "datatransfer.json"), raw, 0o644)
	return dir
}

func TestConvertReadsEachFigureByItsDescription(t *testing.T) {
	out, err := convert(fixture(t, ""), "a test fixture", "2026-12-07")
	if err != nil {
		t.Fatal(err)
	}
	if err := check(out); err != nil {
		t.Fatalf("the output is not a usable prices file: %v", err)
	}
	if len(out.Regions) != len(regionCodes) || out.Published != "2025-06-05" || !strings.Contains(out.Source, "a test fixture") {
		t.Fatalf("%d Regions, published %q, source %q", len(out.Regions), out.Published, out.Source)
	}
	raw, _ := json.Marshal(out.Regions["eu-west-1"])
	var got map[string]any
	json.Unmarshal(raw, &got)
	if len(figures) != len(want) {
		t.Errorf("%d figures read, want %d", len(figures), len(want))
	}
	for _, w := range want {
		var v any = got
		for _, k := range strings.Split(w.path, ".") {
			v = v.(map[string]any)[k]
		}
		if x := priceOf(w.key) * w.per; v == nil || math.Abs(v.(float64)-x) > 1e-12 {
			t.Errorf("%s = %v, want %v (%q × %g)", w.path, v, x, w.key, w.per)
		}
	}
	ie := out.Regions["eu-west-1"]
	if ie.InterRegionPerGB != 0.02 || len(ie.InterRegionPerGBTo) != 1 || ie.InterRegionPerGBTo["mx-central-1"] != 0.05 {
		t.Errorf("inter-Region %v, to %v; want 0.02 and mx-central-1 0.05 (RDS's set left out)", ie.InterRegionPerGB, ie.InterRegionPerGBTo)
	}
}

func TestConvertRefusesAMissingFigure(t *testing.T) {
	_, err := convert(fixture(t, "Glacier Storage per GB Mo"), "a test fixture", "2026-12-07")
	if err == nil || !strings.Contains(err.Error(), `eu-west-1 (EU (Ireland)): s3.GLACIER.storagePerGBMonth: no "Glacier Storage per GB Mo" in raw/s3.json`) {
		t.Errorf("err = %v", err)
	}
}

// editTransfer changes the fixture's processed/datatransfer.json.
func editTransfer(dir string, edit func(map[string]map[string]string)) {
	path := filepath.Join(dir, "processed", "datatransfer.json")
	var transfer map[string]map[string]string
	raw, _ := os.ReadFile(path)
	json.Unmarshal(raw, &transfer)
	edit(transfer)
	raw, _ = json.Marshal(transfer)
	os.WriteFile(path, raw, 0o644)
}

func TestConvertRefusesDisagreeingTransferPrices(t *testing.T) {
	dir := fixture(t, "")
	editTransfer(dir, func(transfer map[string]map[string]string) {
		transfer["[DataTransfer InterRegion Outbound] DataTransfer InterRegion Outbound to US East Ohio"] = map[string]string{"EU (Ireland) (To Location: US East (Ohio))": "0.03"}
	})
	if _, err := convert(dir, "a test fixture", "2026-12-07"); err == nil || !strings.Contains(err.Error(), "EU (Ireland) to US East (Ohio): 0.02 and 0.03") {
		t.Errorf("err = %v", err)
	}
}

// A pair the file has no price for (AWS's file of 2025-06-05 has none from Jakarta
// to Osaka) is named in interRegionUnpriced, not given the common price; a folded
// set of other services' descriptions only is not read.
func TestConvertNamesAMissingPair(t *testing.T) {
	dir := fixture(t, "")
	editTransfer(dir, func(transfer map[string]map[string]string) {
		delete(transfer["DataTransfer InterRegion Outbound to Asia Pacific Osaka"], "Asia Pacific (Jakarta) (To Location: Asia Pacific (Osaka))")
		transfer["[DataTransfer InterRegion Outbound] Backup DataTransfer InterRegion Outbound to Asia Pacific Osaka;RDS DataTransfer InterRegion Outbound to Asia Pacific Osaka"] =
			map[string]string{"Asia Pacific (Jakarta) (To Location: Asia Pacific (Osaka))": "0.02"}
	})
	out, err := convert(dir, "a test fixture", "2026-12-07")
	if err != nil {
		t.Fatal(err)
	}
	jk := out.Regions["ap-southeast-3"]
	if len(jk.InterRegionUnpriced) != 1 || jk.InterRegionUnpriced[0] != "ap-northeast-3" {
		t.Errorf("Jakarta's unpriced destinations %v, want [ap-northeast-3]", jk.InterRegionUnpriced)
	}
	if len(out.Regions["eu-west-1"].InterRegionUnpriced) != 0 {
		t.Errorf("Ireland: %v", out.Regions["eu-west-1"].InterRegionUnpriced)
	}
}
