// Command pricepages converts AWS's pricing-page data (the "meteredUnitMaps" behind
// aws.amazon.com's pricing pages and the AWS Pricing Calculator, one JSON file per
// service: https://b0.p.awsstatic.com/pricing/2.0/meteredUnitMaps/<service>/USD/current/<service>.json)
// into Regions of app/estimate/prices.json, each with its provenance.
//
// It exists because this project's machines cannot reach AWS's price list: the
// Regions it writes were converted from copies of those files kept in a public git
// repository (docs/estimating-cost.md, "Prices per Region", says which). Where
// pricing.us-east-1.amazonaws.com is reachable, `make prices` (transfers prices,
// from the Price List Bulk API's offer files) supersedes it.
//
// Usage:
//
//	go run ./tools/pricepages -dir DIR -source TEXT [-read YYYY-MM-DD] > regions.json
//
// DIR holds raw/datasync.json, raw/s3.json, raw/s3glacierdeeparchive.json and
// raw/kms.json (meteredUnitMaps files as published) and processed/datatransfer.json
// (the inter-Region prices, keyed "DataTransfer InterRegion Outbound to <name>" ->
// "<source name> (To Location: <destination name>)"). Each figure is read by its
// description in the file (listed in figures below); a Region missing one, or a
// figure whose entries disagree, is an error naming both: nothing is guessed.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s3transfer/cdk-datasync/app/estimate"
)

// regionCodes are the Regions of the pricing pages by the name they use (the price
// list's "location" attribute), with their codes.
var regionCodes = map[string]string{
	"US East (N. Virginia)": "us-east-1", "US East (Ohio)": "us-east-2", "US West (N. California)": "us-west-1", "US West (Oregon)": "us-west-2",
	"Canada (Central)": "ca-central-1", "Canada West (Calgary)": "ca-west-1", "Mexico (Central)": "mx-central-1", "South America (Sao Paulo)": "sa-east-1",
	"EU (Frankfurt)": "eu-central-1", "EU (Zurich)": "eu-central-2", "EU (Ireland)": "eu-west-1", "EU (London)": "eu-west-2", "EU (Paris)": "eu-west-3",
	"EU (Milan)": "eu-south-1", "EU (Spain)": "eu-south-2", "EU (Stockholm)": "eu-north-1", "Israel (Tel Aviv)": "il-central-1",
	"Middle East (Bahrain)": "me-south-1", "Middle East (UAE)": "me-central-1", "Africa (Cape Town)": "af-south-1",
	"Asia Pacific (Hong Kong)": "ap-east-1", "Asia Pacific (Taipei)": "ap-east-2", "Asia Pacific (Tokyo)": "ap-northeast-1", "Asia Pacific (Seoul)": "ap-northeast-2",
	"Asia Pacific (Osaka)": "ap-northeast-3", "Asia Pacific (Mumbai)": "ap-south-1", "Asia Pacific (Hyderabad)": "ap-south-2", "Asia Pacific (Singapore)": "ap-southeast-1",
	"Asia Pacific (Sydney)": "ap-southeast-2", "Asia Pacific (Jakarta)": "ap-southeast-3", "Asia Pacific (Melbourne)": "ap-southeast-4",
	"Asia Pacific (Malaysia)": "ap-southeast-5", "Asia Pacific (Thailand)": "ap-southeast-7",
	"AWS GovCloud (US)": "us-gov-west-1", "AWS GovCloud (US-East)": "us-gov-east-1",
}

// A figure of a Region's prices: its JSON path in prices.json, the file and the
// description it is read by, and the factor from the price per unit (per GB-month,
// per request, per GB, per object) to the table's figure (per 1,000 requests ...).
type figure struct {
	path, file, key string
	per             float64
}

// DataSync's ENHANCED rates carry no description in the file (in none of its
// versions since 2025-04): they are the entries whose RegionlessRateCode is one of
// these, the same in every Region. Their rate codes are the price list's SKUs of
// the ENHANCED usage types, as a copy of the price list's AWSDataSync offer shows
// (huggingface.co/datasets/labofsahil/aws-pricing-dataset, AWSDataSync.csv):
// tAOB2-th6… is SKU 25GWFA96QDHME684 in Asia Pacific (Mumbai), usage type
// APS3-Task-Executions-Enhanced, unit Task-Executions, "$0.55 per task execution
// using Enhanced mode", and SKU 3TP22F6GPTPCWYT5 in US East (Ohio),
// USE2-Task-Executions-Enhanced; bae9p1vQA… is SKU 39MGZTZJ4MNXH5ZU in AWS GovCloud
// (US), UGW1-Transferred-Bytes-Enhanced, "$0.015 per GB copied ... Enhanced mode".
const (
	enhancedPerGB        = "bae9p1vQA-3EMe_tQSI5vHoTD49XRYBeBT4gPkUwzko"
	enhancedPerExecution = "tAOB2-th6kZG6Eg-x6w6RAAbWhyIEJ5O-xzxu4FimxI"
)

var figures = []figure{
	{"datasync.basicPerGB", "datasync", "Data transferred", 1},
	{"datasync.enhancedPerGB", "datasync", enhancedPerGB, 1},
	{"datasync.enhancedPerExecution", "datasync", enhancedPerExecution, 1},
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

// unitMap is one meteredUnitMaps file.
type unitMap struct {
	Manifest struct {
		Published string `json:"hawkFilePublicationDate"`
		Currency  string `json:"currencyCode"`
	} `json:"manifest"`
	Regions map[string]map[string]struct {
		RateCode   string `json:"rateCode"`
		Price      string `json:"price"`
		Regionless string `json:"RegionlessRateCode"`
	} `json:"regions"`
}

// output is a prices file: the Regions, and where and when their prices were
// published and read.
type output struct {
	Read      string                            `json:"read"`
	Published string                            `json:"published"`
	Source    string                            `json:"source"`
	Regions   map[string]*estimate.RegionPrices `json:"regions"`
}

func main() {
	dir := flag.String("dir", "", "the folder with raw/<service>.json and processed/datatransfer.json")
	source := flag.String("source", "", "where the files were copied from (recorded in each Region's source)")
	read := flag.String("read", time.Now().UTC().Format("2006-01-02"), "the date the files were read")
	flag.Parse()
	if *dir == "" || *source == "" {
		fmt.Fprintln(os.Stderr, "pricepages: -dir and -source are required")
		os.Exit(2)
	}
	out, err := convert(*dir, *source, *read)
	if err == nil {
		err = check(out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pricepages:", err)
		os.Exit(1)
	}
	if err := write(os.Stdout, out); err != nil {
		fmt.Fprintln(os.Stderr, "pricepages:", err)
		os.Exit(1)
	}
}

func write(w io.Writer, out *output) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func load(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func convert(dir, source, read string) (*output, error) {
	files := map[string]*unitMap{}
	var published []string
	var dates []string
	for _, svc := range []string{"datasync", "s3", "s3glacierdeeparchive", "kms"} {
		m := &unitMap{}
		if err := load(filepath.Join(dir, "raw", svc+".json"), m); err != nil {
			return nil, err
		}
		if m.Manifest.Currency != "USD" {
			return nil, fmt.Errorf("raw/%s.json: currency %q, want USD", svc, m.Manifest.Currency)
		}
		files[svc] = m
		published = append(published, fmt.Sprintf("%s %s", svc, m.Manifest.Published))
		if d, _, _ := strings.Cut(m.Manifest.Published, "T"); !slices.Contains(dates, d) {
			dates = append(dates, d)
		}
	}
	var transfer map[string]map[string]string
	if err := load(filepath.Join(dir, "processed", "datatransfer.json"), &transfer); err != nil {
		return nil, err
	}
	inter, err := interRegion(transfer)
	if err != nil {
		return nil, err
	}
	slices.Sort(dates)
	out := &output{Read: read, Published: strings.Join(dates, ", "), Regions: map[string]*estimate.RegionPrices{},
		Source: fmt.Sprintf("AWS's pricing-page data (the meteredUnitMaps behind aws.amazon.com's pricing pages, USD; published %s; "+
			"and datatransfer), read from copies in %s and converted by tools/pricepages: each figure by its description in the file "+
			"(docs/estimating-cost.md, Prices)", strings.Join(published, ", "), source)}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(regionCodes)) {
		code := regionCodes[name]
		r := &estimate.RegionPrices{Name: name, S3: map[string]estimate.Class{}}
		for _, f := range figures {
			entry, ok := files[f.file].Regions[name][f.key]
			if !ok && (f.key == enhancedPerGB || f.key == enhancedPerExecution) {
				for _, e := range files[f.file].Regions[name] {
					if e.Regionless == f.key {
						entry, ok = e, true
					}
				}
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s (%s): %s: no %q in raw/%s.json", code, name, f.path, f.key, f.file))
				continue
			}
			price, err := strconv.ParseFloat(entry.Price, 64)
			if err != nil || price < 0 {
				problems = append(problems, fmt.Sprintf("%s (%s): %s: price %q of %q is not a price", code, name, f.path, entry.Price, f.key))
				continue
			}
			set(r, f.path, round(price*f.per))
		}
		to, ok := inter[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s (%s): no inter-Region prices in processed/datatransfer.json", code, name))
		} else {
			r.InterRegionPerGB, r.InterRegionPerGBTo = mostCommon(to)
			// a pair the file has no price for is named, never given the common price
			for _, other := range slices.Sorted(maps.Values(regionCodes)) {
				if _, ok := to[other]; !ok && other != code {
					r.InterRegionUnpriced = append(r.InterRegionUnpriced, other)
				}
			}
		}
		out.Regions[code] = r
	}
	if len(problems) > 0 {
		return nil, errors.New("the files do not price every figure:\n  " + strings.Join(problems, "\n  "))
	}
	return out, nil
}

// check loads the output as a --prices file would be, with the model's own checks
// (every storage class priced, no negative price).
func check(out *output) error {
	var b strings.Builder
	if err := write(&b, out); err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "pricepages-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		return err
	}
	tmp.Close()
	_, err = estimate.Load(tmp.Name())
	return err
}

// round keeps the table's figures free of float noise (0.0000054 × 1,000).
func round(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
	return r
}

// set sets the figure at path (a JSON path of a Region of prices.json).
func set(r *estimate.RegionPrices, path string, v float64) {
	parts := strings.Split(path, ".")
	switch parts[0] {
	case "datasync":
		switch parts[1] {
		case "basicPerGB":
			r.DataSync.BasicPerGB = v
		case "enhancedPerGB":
			r.DataSync.EnhancedPerGB = v
		case "enhancedPerExecution":
			r.DataSync.EnhancedPerExecution = v
		}
	case "s3":
		c := r.S3[parts[1]]
		switch parts[2] {
		case "storagePerGBMonth":
			c.StoragePerGBMonth = v
		case "putPer1000":
			c.PutPer1000 = v
		case "getPer1000":
			c.GetPer1000 = v
		case "retrievalPerGB":
			c.RetrievalPerGB = v
		}
		r.S3[parts[1]] = c
	case "s3ListPer1000":
		r.S3ListPer1000 = v
	case "intelligentTieringMonitoringPer1000Objects":
		r.IntelligentTieringMonitoringPer1000Objects = v
	case "kmsPer10000Requests":
		r.KmsPer10000Requests = v
	}
}

var toLocation = regexp.MustCompile(`^(.*) \(To Location: (.*)\)$`)

// interRegion reads the inter-Region prices per GB: for each source Region name,
// per destination Region code. They are read from the generic data-transfer keys:
// "DataTransfer InterRegion Outbound to <name>", and the folded sets
// "[DataTransfer InterRegion Outbound] <description>;<description>..." whose list
// holds such a description; sets of other services' descriptions only (RDS,
// Backup, Cloudfrontless ...) are left out. Entries of one pair that disagree are
// an error.
func interRegion(transfer map[string]map[string]string) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(transfer)) {
		if !genericTransfer(key) {
			continue
		}
		for where, p := range transfer[key] {
			m := toLocation.FindStringSubmatch(where)
			if m == nil {
				continue
			}
			dst, ok := regionCodes[m[2]]
			if _, known := regionCodes[m[1]]; !ok || !known {
				continue // Local Zones, Wavelength Zones
			}
			price, err := strconv.ParseFloat(p, 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%q: %q is not a price", where, p))
				continue
			}
			if out[m[1]] == nil {
				out[m[1]] = map[string]float64{}
			}
			if old, seen := out[m[1]][dst]; seen && old != price {
				problems = append(problems, fmt.Sprintf("%s to %s: %g and %g", m[1], m[2], old, price))
			}
			out[m[1]][dst] = price
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("inter-Region prices disagree:\n  " + strings.Join(problems, "\n  "))
	}
	return out, nil
}

// genericTransfer says whether a key of datatransfer.json is (or folds in) a
// generic "DataTransfer InterRegion Outbound to <name>" description.
func genericTransfer(key string) bool {
	const generic = "DataTransfer InterRegion Outbound to "
	if strings.HasPrefix(key, generic) {
		return true
	}
	rest, ok := strings.CutPrefix(key, "[DataTransfer InterRegion Outbound] ")
	if !ok {
		return false
	}
	for _, d := range strings.Split(rest, ";") {
		if strings.HasPrefix(d, generic) {
			return true
		}
	}
	return false
}

// mostCommon is the most common price (the lower of equally common ones) and the
// destinations with another.
func mostCommon(to map[string]float64) (float64, map[string]float64) {
	count := map[float64]int{}
	for _, v := range to {
		count[v]++
	}
	best, n := 0.0, -1
	for _, v := range slices.Sorted(maps.Keys(count)) {
		if count[v] > n {
			best, n = v, count[v]
		}
	}
	others := map[string]float64{}
	for k, v := range to {
		if v != best {
			others[k] = v
		}
	}
	return best, others
}
