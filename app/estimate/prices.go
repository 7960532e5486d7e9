// Package estimate computes what a transfer's first run and each month of its
// schedule cost, line by line, from what the source holds (a listing or S3's daily
// storage metrics) and a dated table of AWS's public prices (prices.json, which
// --prices FILE overrides entry by entry). Every line carries its quantity, unit
// price, formula and the account that pays it. It also names the cost traps of a
// config (ConfigTraps) and of the data (DataTraps).
//
// An estimate is not a quote: it models DataSync's S3 requests from what AWS
// documents and from assumptions that are part of the prices file (and so can be
// overridden), and it leaves out what it cannot know (free tiers, discounts, the
// change rate between scheduled runs).
package estimate

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
)

// TableFile is where the built-in price table lives in the repository.
const TableFile = "app/estimate/prices.json"

//go:embed prices.json
var tableJSON []byte

// Prices is a price table: per Region, the prices the model uses, with the date they
// were read and their source.
type Prices struct {
	// Read is the date the prices were read (YYYY-MM-DD).
	Read string `json:"read"`
	// Published is when AWS published the prices that were read, when that is
	// known and not the read date.
	Published string `json:"published,omitempty"`
	Currency  string `json:"currency"`
	Source    string `json:"source"`
	// Assumptions are the model's parameters that AWS does not publish per Region.
	Assumptions Assumptions `json:"assumptions"`
	// Regions are the priced Regions.
	Regions map[string]*RegionPrices `json:"regions"`
	// NotPriced are Regions the table knows but has no prices for, with the reason.
	NotPriced map[string]string `json:"notPriced"`

	// files are the files the table was read from, for messages: the built-in
	// table's path, then the --prices file.
	files []string
}

// Assumptions are the model's parameters.
type Assumptions struct {
	// ListPageKeys is how many keys one ListObjectsV2 page returns (S3's maximum).
	ListPageKeys int64 `json:"listPageKeys"`
	// MultipartThresholdBytes: objects larger than this are written in parts.
	MultipartThresholdBytes int64 `json:"multipartThresholdBytes"`
	// MultipartPartBytes is the size of each part (and of each ranged GET).
	MultipartPartBytes int64 `json:"multipartPartBytes"`
	// DataSyncStandardBelowBytes: DataSync writes objects smaller than this into
	// STANDARD instead of the destination's storage class (128 KB for STANDARD_IA,
	// ONEZONE_IA and GLACIER_IR, below their minimum billable size; 40 KB for GLACIER
	// and DEEP_ARCHIVE, their per-object metadata) (DataSync user guide, "Storage
	// class considerations with Amazon S3 transfers", create-s3-location.html).
	DataSyncStandardBelowBytes map[string]int64 `json:"dataSyncStandardBelowBytes"`
	// ArchiveOverheadBytes is the per-object overhead of archive classes: bytes
	// billed at STANDARD and bytes billed at the class's own price.
	ArchiveOverheadBytes map[string]Overhead `json:"archiveOverheadBytes"`
	// MinimumStorageDays is the minimum storage duration a class bills.
	MinimumStorageDays map[string]int `json:"minimumStorageDays"`
	// IntelligentTieringMonitoredMinBytes: smaller objects are not monitored (and
	// not charged the monitoring fee).
	IntelligentTieringMonitoredMinBytes int64 `json:"intelligentTieringMonitoredMinBytes"`
	// DaysPerMonth is the month of the monthly figures.
	DaysPerMonth int `json:"daysPerMonth"`
}

// Overhead is the per-object storage overhead of an archive class.
type Overhead struct {
	StandardBytes int64 `json:"standardBytes"`
	ClassBytes    int64 `json:"classBytes"`
}

// thresholds are the object sizes the model counts objects below, sorted.
func (a Assumptions) thresholds() []int64 {
	set := map[int64]bool{}
	for _, v := range a.DataSyncStandardBelowBytes {
		if v > 0 {
			set[v] = true
		}
	}
	if a.IntelligentTieringMonitoredMinBytes > 0 {
		set[a.IntelligentTieringMonitoredMinBytes] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// RegionPrices are one Region's prices.
type RegionPrices struct {
	Name     string           `json:"name"`
	DataSync DataSyncPrices   `json:"datasync"`
	S3       map[string]Class `json:"s3"`
	// S3ListPer1000 is the price of 1,000 LIST requests (billed like PUT, COPY,
	// POST at the STANDARD rate, whatever the objects' class).
	S3ListPer1000 float64 `json:"s3ListPer1000"`
	// IntelligentTieringMonitoringPer1000Objects is the monthly monitoring and
	// automation fee of INTELLIGENT_TIERING.
	IntelligentTieringMonitoringPer1000Objects float64 `json:"intelligentTieringMonitoringPer1000Objects"`
	// KmsPer10000Requests is the price of 10,000 symmetric KMS requests.
	KmsPer10000Requests float64 `json:"kmsPer10000Requests"`
	// InterRegionPerGB is data transfer from this Region to another Region.
	InterRegionPerGB float64 `json:"interRegionPerGB"`
	// InterRegionPerGBTo are destinations with another price than InterRegionPerGB.
	InterRegionPerGBTo map[string]float64 `json:"interRegionPerGBTo"`
	// InterRegionUnpriced are destinations the source of the prices has no price
	// to: a transfer there is an error, not InterRegionPerGB.
	InterRegionUnpriced []string `json:"interRegionUnpriced,omitempty"`

	// Provenance of a Region built by `transfers prices` from AWS's price list
	// (app/estimate/pricelist); absent for the built-in table's Regions, whose
	// date and source are the table's.

	// Read is the date this Region's prices were read (YYYY-MM-DD).
	Read string `json:"read,omitempty"`
	// Source says where this Region's prices come from.
	Source string `json:"source,omitempty"`
	// Offers are the price list files read, with their version and publication date.
	Offers []OfferFile `json:"offers,omitempty"`
	// UsageTypes name, per figure (its JSON path in this Region), the price list
	// usage type and tier it came from.
	UsageTypes map[string]string `json:"usageTypes,omitempty"`
}

// OfferFile is one price list file a Region's prices were read from.
type OfferFile struct {
	Offer           string `json:"offer"`
	URL             string `json:"url"`
	Version         string `json:"version,omitempty"`
	PublicationDate string `json:"publicationDate,omitempty"`
	// Note says why the file was not used (e.g. not published for the Region).
	Note string `json:"note,omitempty"`
}

// Provenance is the Region's date and source when they are its own (not the
// table's): "" when the table's date and source cover it.
func (p *Prices) Provenance(region string) string {
	rp := p.Regions[region]
	if rp == nil || (rp.Read == "" && rp.Source == "") || (rp.Read == p.Read && rp.Source == p.Source) {
		return ""
	}
	var offers []string
	for _, o := range rp.Offers {
		if o.Note != "" {
			continue
		}
		offers = append(offers, fmt.Sprintf("%s %s (published %s)", o.Offer, o.Version, o.PublicationDate))
	}
	s := fmt.Sprintf("%s read %s from %s", region, rp.Read, rp.Source)
	if len(offers) > 0 {
		s += ": " + strings.Join(offers, ", ")
	}
	return s
}

// DataSyncPrices are DataSync's prices in a Region.
type DataSyncPrices struct {
	BasicPerGB           float64 `json:"basicPerGB"`
	EnhancedPerGB        float64 `json:"enhancedPerGB"`
	EnhancedPerExecution float64 `json:"enhancedPerExecution"`
}

// Class are an S3 storage class's prices in a Region.
type Class struct {
	StoragePerGBMonth float64 `json:"storagePerGBMonth"`
	// PutPer1000 is PUT, COPY, POST (and multipart requests) per 1,000.
	PutPer1000 float64 `json:"putPer1000"`
	// GetPer1000 is GET, HEAD and the other non-PUT requests per 1,000 on objects of
	// the class (usage type Requests-<class>-Tier2: "GET and all other ...
	// requests", S3 user guide, aws-usage-report-understand.html).
	GetPer1000 float64 `json:"getPer1000"`
	// RetrievalPerGB is the retrieval fee of reading the class's data.
	RetrievalPerGB float64 `json:"retrievalPerGB,omitempty"`
}

// Table is the built-in price table.
func Table() (*Prices, error) { return load(nil, "") }

// Load is the built-in table with the entries of the JSON file at path (same shape,
// any subset of its entries) in place of the table's; "" for the table alone.
func Load(path string) (*Prices, error) {
	if path == "" {
		return Table()
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--prices %s: %w", path, err)
	}
	return load(raw, path)
}

func load(override []byte, path string) (*Prices, error) {
	var base map[string]any
	if err := json.Unmarshal(tableJSON, &base); err != nil {
		return nil, fmt.Errorf("%s: %w", TableFile, err)
	}
	files := []string{TableFile}
	if override != nil {
		var over map[string]any
		if err := json.Unmarshal(override, &over); err != nil {
			return nil, fmt.Errorf("--prices %s is not a JSON object shaped like %s: %w", path, TableFile, err)
		}
		if over["read"] != nil || over["source"] != nil {
			// the file re-dates the table's top level (a table made by `transfers
			// prices`): the table's own Regions keep their date and source
			stamp(base)
		}
		merge(base, over)
		// a Region priced by the file is no longer "not priced"
		if regions, ok := over["regions"].(map[string]any); ok {
			if np, ok := base["notPriced"].(map[string]any); ok {
				for r := range regions {
					delete(np, r)
				}
			}
		}
		files = append(files, path)
	}
	merged, _ := json.Marshal(base)
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	p := &Prices{files: files}
	if err := dec.Decode(p); err != nil {
		where := TableFile
		if path != "" {
			where = "--prices " + path
		}
		return nil, fmt.Errorf("%s: %w (the keys are those of %s)", where, err, TableFile)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// stamp gives each Region of the table without its own date and source the
// table's.
func stamp(table map[string]any) {
	regions, _ := table["regions"].(map[string]any)
	for _, r := range regions {
		rm, ok := r.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"read", "source"} {
			if _, ok := rm[k]; !ok && table[k] != nil {
				rm[k] = table[k]
			}
		}
	}
}

// merge copies over into base, recursing into objects.
func merge(base, over map[string]any) {
	for k, v := range over {
		if vm, ok := v.(map[string]any); ok {
			if bm, ok := base[k].(map[string]any); ok {
				merge(bm, vm)
				continue
			}
		}
		base[k] = v
	}
}

// Files names where the prices come from: the table's path, and the --prices file.
func (p *Prices) Files() string { return strings.Join(p.files, " with ") }

// check reports every missing or negative price at once.
func (p *Prices) check() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Read == "" {
		add("read: the date the prices were read is missing")
	}
	a := p.Assumptions
	if a.ListPageKeys <= 0 || a.MultipartPartBytes <= 0 || a.MultipartThresholdBytes <= 0 || a.DaysPerMonth <= 0 {
		add("assumptions: listPageKeys, multipartPartBytes, multipartThresholdBytes and daysPerMonth must be positive")
	}
	for _, r := range slices.Sorted(maps.Keys(p.Regions)) {
		rp := p.Regions[r]
		if rp == nil {
			add("regions.%s: no prices", r)
			continue
		}
		for _, c := range StorageClasses {
			if _, ok := rp.S3[c]; !ok {
				add("regions.%s.s3.%s: missing (every storage class DataSync can write needs prices: %s)", r, c, strings.Join(StorageClasses, ", "))
			}
		}
		neg := func(name string, v float64) {
			if v < 0 {
				add("regions.%s.%s: %g is negative", r, name, v)
			}
		}
		neg("datasync.basicPerGB", rp.DataSync.BasicPerGB)
		neg("datasync.enhancedPerGB", rp.DataSync.EnhancedPerGB)
		neg("datasync.enhancedPerExecution", rp.DataSync.EnhancedPerExecution)
		neg("s3ListPer1000", rp.S3ListPer1000)
		neg("kmsPer10000Requests", rp.KmsPer10000Requests)
		neg("interRegionPerGB", rp.InterRegionPerGB)
		for c, v := range rp.S3 {
			if !slices.Contains(StorageClasses, c) {
				add("regions.%s.s3.%s: not a storage class DataSync writes (%s)", r, c, strings.Join(StorageClasses, ", "))
			}
			neg("s3."+c+".storagePerGBMonth", v.StoragePerGBMonth)
			neg("s3."+c+".putPer1000", v.PutPer1000)
			neg("s3."+c+".getPer1000", v.GetPer1000)
			neg("s3."+c+".retrievalPerGB", v.RetrievalPerGB)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("the prices from %s are not usable:\n  %s", p.Files(), strings.Join(problems, "\n  "))
	}
	return nil
}

// StorageClasses are the classes DataSync writes to S3 (the API's S3StorageClass,
// without OUTPOSTS).
var StorageClasses = []string{"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}

// ErrNoPrices is the error of a Region the table has no prices for.
var ErrNoPrices = errors.New("no prices")

// Region is a Region's prices, or an error naming the file to add them to.
func (p *Prices) Region(region string) (*RegionPrices, error) {
	if rp, ok := p.Regions[region]; ok {
		return rp, nil
	}
	reason := "the table has no entry for it"
	if why, ok := p.NotPriced[region]; ok {
		reason = why
	}
	return nil, fmt.Errorf("%w for Region %s in %s (read %s): %s. Make them from AWS's price list in one step, "+
		"where pricing.us-east-1.amazonaws.com is reachable: `go run ./app/transfers prices %s -o prices-%s.json`, then pass "+
		"--prices prices-%s.json; or add its prices to %s, "+
		`or pass them with --prices FILE, a JSON file like {"regions": {"%s": {...}}} with the keys of a priced Region in %s`,
		ErrNoPrices, region, p.Files(), p.Read, reason, region, region, region, TableFile, region, TableFile)
}

// InterRegionKnown says whether the prices have a price of data transfer to the
// Region to.
func (rp *RegionPrices) InterRegionKnown(to string) bool {
	_, listed := rp.InterRegionPerGBTo[to]
	return listed || !slices.Contains(rp.InterRegionUnpriced, to)
}

// InterRegion is the price of a GB from one Region to another.
func (rp *RegionPrices) InterRegion(to string) float64 {
	if v, ok := rp.InterRegionPerGBTo[to]; ok {
		return v
	}
	return rp.InterRegionPerGB
}
