// Package pricelisttest serves offer files of a price list over HTTP, in the JSON
// shape AWS documents for the Price List Bulk API ("Reading the service price list
// file for an AWS service"), built in Go at test time. Its prices are synthetic,
// chosen so that every usage type has its own; they are not AWS's prices.
package pricelisttest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Tier is one price dimension: [Begin, End) of Unit at USD per unit.
type Tier struct {
	Begin, End string // "" leaves the field out; End "Inf" for no end
	Unit, USD  string
}

// One is a single tier starting at 0 without end.
func One(unit, usd string) []Tier { return []Tier{{Begin: "0", End: "Inf", Unit: unit, USD: usd}} }

type product struct {
	family string
	attrs  map[string]string
	terms  [][]Tier // one OnDemand term each
}

// Offer is one offer file.
type Offer struct {
	Code, Version, PublicationDate string
	// DocRangeNames writes the tier limits as AWS's page names them in its example
	// (startingRange, endingRange) instead of the offer files' beginRange, endRange.
	DocRangeNames bool
	products      map[string]*product
}

// NewOffer is an empty offer file of the offer code.
func NewOffer(code string) *Offer {
	return &Offer{Code: code, Version: "20261207000000", PublicationDate: "2026-12-07T00:00:00Z", products: map[string]*product{}}
}

// Add adds (or replaces) a product with one OnDemand term of the tiers.
func (o *Offer) Add(sku, family string, attrs map[string]string, tiers []Tier) {
	o.products[sku] = &product{family: family, attrs: attrs, terms: [][]Tier{tiers}}
}

// AddTerm adds another OnDemand term to a product.
func (o *Offer) AddTerm(sku string, tiers []Tier) {
	o.products[sku].terms = append(o.products[sku].terms, tiers)
}

// Remove removes the products whose usage type ends with suffix.
func (o *Offer) Remove(suffix string) {
	for sku, p := range o.products {
		if strings.HasSuffix(p.attrs["usagetype"], suffix) {
			delete(o.products, sku)
		}
	}
}

// SKU is the SKU of the product whose usage type is exactly usageType.
func (o *Offer) SKU(usageType string) string {
	for _, sku := range slices.Sorted(maps.Keys(o.products)) {
		if o.products[sku].attrs["usagetype"] == usageType {
			return sku
		}
	}
	return ""
}

// JSON is the offer file.
func (o *Offer) JSON() []byte {
	products := map[string]any{}
	onDemand := map[string]any{}
	begin, end := "beginRange", "endRange"
	if o.DocRangeNames {
		begin, end = "startingRange", "endingRange"
	}
	for sku, p := range o.products {
		products[sku] = map[string]any{"sku": sku, "productFamily": p.family, "attributes": p.attrs}
		terms := map[string]any{}
		for i, tiers := range p.terms {
			code := fmt.Sprintf("TERM%d", i+1)
			dims := map[string]any{}
			for j, t := range tiers {
				rate := fmt.Sprintf("%s.%s.RATE%d", sku, code, j+1)
				d := map[string]any{"rateCode": rate, "description": fmt.Sprintf("synthetic test price $%s per %s", t.USD, t.Unit),
					"unit": t.Unit, "pricePerUnit": map[string]string{"USD": t.USD}, "appliesTo": []string{}}
				if t.Begin != "" {
					d[begin] = t.Begin
				}
				if t.End != "" {
					d[end] = t.End
				}
				dims[rate] = d
			}
			terms[sku+"."+code] = map[string]any{"offerTermCode": code, "sku": sku, "effectiveDate": "2026-12-01T00:00:00Z",
				"termAttributes": map[string]string{}, "priceDimensions": dims}
		}
		onDemand[sku] = terms
	}
	b, _ := json.MarshalIndent(map[string]any{
		"formatVersion": "v1.0", "disclaimer": "Synthetic test fixture built in Go; these are not AWS's prices.",
		"offerCode": o.Code, "version": o.Version, "publicationDate": o.PublicationDate,
		"products": products, "terms": map[string]any{"OnDemand": onDemand},
	}, "", " ")
	return b
}

// Price is a synthetic price of a usage type (after the billing code).
type Price struct {
	Offer, Unit, USD string
}

// Prices are the synthetic prices of Set, every usage type its own. STANDARD
// storage and KMS are tiered (see Set); these are the prices the table must take.
var Prices = map[string]Price{
	"Transferred-Bytes":           {"AWSDataSync", "GB", "0.0111"},
	"Transferred-Bytes-Enhanced":  {"AWSDataSync", "GB", "0.0122"},
	"Task-Executions-Enhanced":    {"AWSDataSync", "Executions", "0.133"},
	"TimedStorage-ByteHrs":        {"AmazonS3", "GB-Mo", "0.0211"},
	"TimedStorage-INT-FA-ByteHrs": {"AmazonS3", "GB-Mo", "0.0212"},
	"TimedStorage-SIA-ByteHrs":    {"AmazonS3", "GB-Mo", "0.0213"},
	"TimedStorage-ZIA-ByteHrs":    {"AmazonS3", "GB-Mo", "0.0214"},
	"TimedStorage-GIR-ByteHrs":    {"AmazonS3", "GB-Mo", "0.0215"},
	"TimedStorage-GlacierByteHrs": {"AmazonS3", "GB-Mo", "0.0216"},
	"TimedStorage-GDA-ByteHrs":    {"AmazonS3GlacierDeepArchive", "GB-Mo", "0.0217"},
	"Requests-Tier1":              {"AmazonS3", "Requests", "0.0000051"},
	"Requests-Tier2":              {"AmazonS3", "Requests", "0.00000041"},
	"Requests-INT-Tier1":          {"AmazonS3", "Requests", "0.0000052"},
	"Requests-INT-Tier2":          {"AmazonS3", "Requests", "0.00000042"},
	"Requests-SIA-Tier1":          {"AmazonS3", "Requests", "0.0000053"},
	"Requests-SIA-Tier2":          {"AmazonS3", "Requests", "0.00000043"},
	"Requests-ZIA-Tier1":          {"AmazonS3", "Requests", "0.0000054"},
	"Requests-ZIA-Tier2":          {"AmazonS3", "Requests", "0.00000044"},
	"Requests-GIR-Tier1":          {"AmazonS3", "Requests", "0.0000055"},
	"Requests-GIR-Tier2":          {"AmazonS3", "Requests", "0.00000045"},
	"Requests-GLACIER-Tier1":      {"AmazonS3", "Requests", "0.0000056"},
	"Requests-GLACIER-Tier2":      {"AmazonS3", "Requests", "0.00000046"},
	"Requests-GDA-Tier1":          {"AmazonS3GlacierDeepArchive", "Requests", "0.0000057"},
	"Requests-GDA-Tier2":          {"AmazonS3GlacierDeepArchive", "Requests", "0.00000047"},
	"Retrieval-SIA":               {"AmazonS3", "GB", "0.0101"},
	"Retrieval-ZIA":               {"AmazonS3", "GB", "0.0102"},
	"Retrieval-GIR":               {"AmazonS3", "GB", "0.0103"},
	"Monitoring-Automation-INT":   {"AmazonS3", "Objects", "0.0000026"},
	"KMS-Requests":                {"awskms", "Requests", "0.0000031"},
}

// InterRegionUSD is the synthetic price per GB from the Set's Region to every
// destination in InterRegionTo but InterRegionOther, which costs InterRegionOtherUSD.
const (
	InterRegionUSD      = "0.0201"
	InterRegionOther    = "eu-west-2"
	InterRegionOtherUSD = "0.0199"
)

// InterRegionTo are the destinations the Set prices.
var InterRegionTo = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-2", "eu-central-1"}

// Set is a complete set of offer files for a Region whose billing code is Code (""
// for none): every usage type of Prices (Deep Archive's in its own offer), STANDARD
// storage in three tiers starting at Prices' price, KMS requests with a free tier
// of 20,000 before Prices' price, inter-Region transfer, and decoys that must not be
// taken (S3 Tables and asymmetric KMS requests, a product of another Region).
func Set(region, code string) map[string]*Offer {
	offers := map[string]*Offer{}
	for _, c := range []string{"AWSDataSync", "AmazonS3", "AmazonS3GlacierDeepArchive", "awskms", "AWSDataTransfer"} {
		offers[c] = NewOffer(c)
	}
	ut := func(suffix string) string {
		if code == "" {
			return suffix
		}
		return code + "-" + suffix
	}
	attrs := func(suffix string) map[string]string {
		usageType := ut(suffix)
		if strings.HasPrefix(suffix, "KMS-") {
			usageType = region + "-" + suffix // KMS's usage types carry the Region's code
		}
		return map[string]string{"usagetype": usageType, "regionCode": region, "location": "Synthetic " + region, "servicecode": "x"}
	}
	for _, suffix := range slices.Sorted(maps.Keys(Prices)) {
		p := Prices[suffix]
		tiers := One(p.Unit, p.USD)
		switch suffix {
		case "TimedStorage-ByteHrs":
			tiers = []Tier{{"0", "51200", p.Unit, p.USD}, {"51200", "512000", p.Unit, "0.0191"}, {"512000", "Inf", p.Unit, "0.0181"}}
		case "KMS-Requests":
			tiers = []Tier{{"0", "20000", p.Unit, "0.0000000000"}, {"20000", "Inf", p.Unit, p.USD}}
		}
		offers[p.Offer].Add("SKU"+strings.ToUpper(strings.ReplaceAll(suffix, "-", "")), "Fee", attrs(suffix), tiers)
	}
	offers["AmazonS3"].Add("SKUTABLES", "API Request", attrs("Tables-Requests-Tier1"), One("Requests", "0.0009"))
	offers["awskms"].Add("SKUKMSASYM", "Encryption Key", attrs("KMS-Requests-Asymmetric"), One("Requests", "0.000015"))
	other := map[string]string{"usagetype": "ZZZ9-Requests-Tier1", "regionCode": "ap-south-1", "location": "Synthetic ap-south-1"}
	offers["AmazonS3"].Add("SKUOTHERREGION", "API Request", other, One("Requests", "0.0008"))
	for _, to := range InterRegionTo {
		if to == region {
			continue
		}
		usd := InterRegionUSD
		if to == InterRegionOther {
			usd = InterRegionOtherUSD
		}
		offers["AWSDataTransfer"].Add("SKUDT"+strings.ToUpper(strings.ReplaceAll(to, "-", "")), "Data Transfer", map[string]string{
			"usagetype": ut(strings.ToUpper(strings.ReplaceAll(to, "-", "")) + "-AWS-Out-Bytes"), "transferType": "InterRegion Outbound",
			"fromRegionCode": region, "toRegionCode": to, "fromLocation": "Synthetic " + region}, One("GB", usd))
	}
	// inbound transfer to the Region is not its price
	offers["AWSDataTransfer"].Add("SKUDTIN", "Data Transfer", map[string]string{"usagetype": ut("USE1-AWS-In-Bytes"), "transferType": "InterRegion Inbound",
		"fromRegionCode": "us-east-1", "toRegionCode": region}, One("GB", "0.05"))
	return offers
}

// Server serves offer files at /offers/v1.0/aws/<offer>/current/<region>/index.json;
// anything else is a 404, as the price list answers.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	paths    []string
	Requests atomic.Int64
}

// Paths are the paths requested, in order.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths)
}

// NewServer starts a server; Close it.
func NewServer() *Server {
	s := &Server{files: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Put serves the offer's file for the Region (nil: remove it).
func (s *Server) Put(region string, o *Offer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files["/offers/v1.0/aws/"+o.Code+"/current/"+region+"/index.json"] = o.JSON()
}

// Delete stops serving an offer's file for a Region.
func (s *Server) Delete(region, offer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, "/offers/v1.0/aws/"+offer+"/current/"+region+"/index.json")
}

// PutSet serves a Set.
func (s *Server) PutSet(region string, offers map[string]*Offer) {
	for _, o := range offers {
		s.Put(region, o)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	s.mu.Lock()
	b, ok := s.files[r.URL.Path]
	s.paths = append(s.paths, r.URL.Path)
	s.mu.Unlock()
	if r.Method != http.MethodGet || !ok {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
