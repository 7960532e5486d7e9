package pricelist

import (
	"github.com/s3transfer/cdk-datasync/app/estimate"
)

// Figure is one price of estimate.RegionPrices and where the price list has it: the
// usage type (after the Region's billing code) in one of the offers, the units the
// price may be in, and the factor from the price per unit to the table's figure
// (1,000 for a figure per 1,000 requests).
type Figure struct {
	// Path is the figure's JSON path in a Region of prices.json.
	Path      string
	Offers    []string
	UsageType string
	Units     []string
	Per       float64
	set       func(*estimate.RegionPrices, float64)
}

// The units a figure may be priced in. A price in another unit is an error naming
// it, never converted by guess.
var (
	// S3's storage usage types are GB-months ("GB-Month" in S3's usage-type table,
	// "GB-Mo" in the price list).
	unitsStorage = []string{"GB-Mo", "GB-Month"}
	unitsRequest = []string{"Requests"}
	unitsGB      = []string{"GB"}
	// Monitoring-Automation-INT counts objects (S3's usage-type table).
	unitsObjects = []string{"Objects"}
	// DataSync's per-execution fee: its unit in the price list could not be read
	// here (no copy of the AWSDataSync offer was reachable), so these names of a
	// count of executions are accepted; any other unit is an error naming it.
	unitsExecutions = []string{"Executions", "Execution", "Task Executions", "Task-Executions", "Count"}
)

// Mapping is every figure of estimate.RegionPrices but the inter-Region transfer
// prices (InterRegion), with its usage type.
//
// S3's usage types are those of the S3 user guide, "Understanding your AWS billing
// and usage reports for Amazon S3"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/aws-usage-report-understand.html):
// TimedStorage-ByteHrs (S3 Standard, GB-Month), TimedStorage-INT-FA-ByteHrs (the
// Frequent Access tier of S3 Intelligent-Tiering), TimedStorage-SIA-ByteHrs,
// TimedStorage-ZIA-ByteHrs, TimedStorage-GIR-ByteHrs, TimedStorage-GlacierByteHrs,
// TimedStorage-GDA-ByteHrs; Requests-Tier1 ("PUT, COPY, or POST requests for S3
// Standard, RRS, and tags, plus LIST requests for all buckets and objects"),
// Requests-Tier2 ("GET and all other non-Tier1 requests"), and per class
// Requests-<INT|SIA|ZIA|GIR|GLACIER|GDA>-Tier1 and -Tier2; Retrieval-SIA,
// Retrieval-ZIA, Retrieval-GIR (GB); Monitoring-Automation-INT (Objects). DataSync's
// are those of its price list offer AWSDataSync: Transferred-Bytes (BASIC),
// Transferred-Bytes-Enhanced, Task-Executions-Enhanced
// (docs/estimating-cost.md, Prices, names where they were read). KMS's symmetric
// requests are KMS-Requests of the offer awskms (prefixed with the Region's code,
// "eu-central-1-KMS-Requests", not a billing code).
var Mapping = func() []Figure {
	s3 := []string{OfferS3}
	var m []Figure
	add := func(path string, offers []string, usageType string, units []string, per float64, set func(*estimate.RegionPrices, float64)) {
		m = append(m, Figure{Path: path, Offers: offers, UsageType: usageType, Units: units, Per: per, set: set})
	}
	ds := []string{OfferDataSync}
	add("datasync.basicPerGB", ds, "Transferred-Bytes", unitsGB, 1, func(r *estimate.RegionPrices, v float64) { r.DataSync.BasicPerGB = v })
	add("datasync.enhancedPerGB", ds, "Transferred-Bytes-Enhanced", unitsGB, 1, func(r *estimate.RegionPrices, v float64) { r.DataSync.EnhancedPerGB = v })
	add("datasync.enhancedPerExecution", ds, "Task-Executions-Enhanced", unitsExecutions, 1, func(r *estimate.RegionPrices, v float64) { r.DataSync.EnhancedPerExecution = v })

	type class struct {
		name, storage, put, get, retrieval string
		offers                             []string
	}
	// Deep Archive may be priced in its own offer; its usage types are looked up
	// there and in AmazonS3.
	for _, c := range []class{
		{"STANDARD", "TimedStorage-ByteHrs", "Requests-Tier1", "Requests-Tier2", "", s3},
		{"INTELLIGENT_TIERING", "TimedStorage-INT-FA-ByteHrs", "Requests-INT-Tier1", "Requests-INT-Tier2", "", s3},
		{"STANDARD_IA", "TimedStorage-SIA-ByteHrs", "Requests-SIA-Tier1", "Requests-SIA-Tier2", "Retrieval-SIA", s3},
		{"ONEZONE_IA", "TimedStorage-ZIA-ByteHrs", "Requests-ZIA-Tier1", "Requests-ZIA-Tier2", "Retrieval-ZIA", s3},
		{"GLACIER_IR", "TimedStorage-GIR-ByteHrs", "Requests-GIR-Tier1", "Requests-GIR-Tier2", "Retrieval-GIR", s3},
		{"GLACIER", "TimedStorage-GlacierByteHrs", "Requests-GLACIER-Tier1", "Requests-GLACIER-Tier2", "", s3},
		{"DEEP_ARCHIVE", "TimedStorage-GDA-ByteHrs", "Requests-GDA-Tier1", "Requests-GDA-Tier2", "", []string{OfferDeepArchive, OfferS3}},
	} {
		name := c.name
		set := func(f func(*estimate.Class, float64)) func(*estimate.RegionPrices, float64) {
			return func(r *estimate.RegionPrices, v float64) {
				cl := r.S3[name]
				f(&cl, v)
				r.S3[name] = cl
			}
		}
		add("s3."+name+".storagePerGBMonth", c.offers, c.storage, unitsStorage, 1, set(func(cl *estimate.Class, v float64) { cl.StoragePerGBMonth = v }))
		add("s3."+name+".putPer1000", c.offers, c.put, unitsRequest, 1000, set(func(cl *estimate.Class, v float64) { cl.PutPer1000 = v }))
		add("s3."+name+".getPer1000", c.offers, c.get, unitsRequest, 1000, set(func(cl *estimate.Class, v float64) { cl.GetPer1000 = v }))
		if c.retrieval != "" {
			add("s3."+name+".retrievalPerGB", c.offers, c.retrieval, unitsGB, 1, set(func(cl *estimate.Class, v float64) { cl.RetrievalPerGB = v }))
		}
	}
	add("s3ListPer1000", s3, "Requests-Tier1", unitsRequest, 1000, func(r *estimate.RegionPrices, v float64) { r.S3ListPer1000 = v })
	add("intelligentTieringMonitoringPer1000Objects", s3, "Monitoring-Automation-INT", unitsObjects, 1000,
		func(r *estimate.RegionPrices, v float64) { r.IntelligentTieringMonitoringPer1000Objects = v })
	add("kmsPer10000Requests", []string{OfferKMS}, "KMS-Requests", unitsRequest, 10000, func(r *estimate.RegionPrices, v float64) { r.KmsPer10000Requests = v })
	return m
}()

// InterRegion: AWSDataTransfer's products of this transfer type, with fromRegionCode
// the Region, price data sent to each toRegionCode; interRegionPerGB is the most
// common price, interRegionPerGBTo the destinations with another.
const InterRegion = "InterRegion Outbound"
