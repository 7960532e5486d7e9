package estimate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// MetricsAPI is the CloudWatch call --quick makes; *cloudwatch.Client implements it.
type MetricsAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// storageTypes maps the StorageType dimension of S3's daily BucketSizeBytes metric
// to the storage class (Amazon S3 user guide, "Metrics and dimensions", daily storage
// metrics for buckets). The archive access tiers of INTELLIGENT_TIERING are counted
// as archived: DataSync cannot read them without a restore either.
var storageTypes = map[string]string{
	"StandardStorage":                     "STANDARD",
	"IntelligentTieringFAStorage":         "INTELLIGENT_TIERING",
	"IntelligentTieringIAStorage":         "INTELLIGENT_TIERING",
	"IntelligentTieringAIAStorage":        "INTELLIGENT_TIERING",
	"IntelligentTieringAAStorage":         "GLACIER",
	"IntelligentTieringDAAStorage":        "DEEP_ARCHIVE",
	"StandardIAStorage":                   "STANDARD_IA",
	"OneZoneIAStorage":                    "ONEZONE_IA",
	"GlacierInstantRetrievalStorage":      "GLACIER_IR",
	"GlacierStorage":                      "GLACIER",
	"DeepArchiveStorage":                  "DEEP_ARCHIVE",
	"ReducedRedundancyStorage":            "STANDARD",
	"StandardIASizeOverhead":              "",
	"GlacierInstantRetrievalSizeOverhead": "",
}

// QuickMetricsDays is how far back --quick looks for S3's daily figures: S3 reports
// them once a day, and the newest can be two days old.
const QuickMetricsDays = 4

// FromMetrics approximates the whole source bucket from S3's daily storage metrics
// (CloudWatch namespace AWS/S3: BucketSizeBytes per StorageType, NumberOfObjects for
// AllStorageTypes), read in the source bucket's Region with the source account's
// credentials (the metrics are visible only in the bucket owner's account). Objects
// are spread over the classes in proportion to their bytes, and each object counts
// at the average size: the figures are approximate, and say when S3 took them.
func FromMetrics(ctx context.Context, t spec.Transfer, cw MetricsAPI, a Assumptions, now time.Time) (*Data, error) {
	if err := QuickAllowed(t); err != nil {
		return nil, err
	}
	bucket := t.Source.Bucket
	var queries []cwtypes.MetricDataQuery
	types := slices.Sorted(maps.Keys(storageTypes))
	for i, st := range append(types, "AllStorageTypes") {
		metric := "BucketSizeBytes"
		if st == "AllStorageTypes" {
			metric = "NumberOfObjects"
		}
		queries = append(queries, cwtypes.MetricDataQuery{
			Id: aws.String(fmt.Sprintf("m%d", i)), Label: aws.String(st),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/S3"), MetricName: aws.String(metric), Dimensions: []cwtypes.Dimension{
					{Name: aws.String("BucketName"), Value: aws.String(bucket)}, {Name: aws.String("StorageType"), Value: aws.String(st)}}},
				Period: aws.Int32(86400), Stat: aws.String("Average"),
			},
		})
	}
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries, ScanBy: cwtypes.ScanByTimestampDescending,
		StartTime: aws.Time(now.Add(-QuickMetricsDays * 24 * time.Hour)), EndTime: aws.Time(now),
	}
	latest := map[string]float64{}
	var asOf time.Time
	p := cloudwatch.NewGetMetricDataPaginator(cw, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range out.MetricDataResults {
			label := aws.ToString(r.Label)
			if _, seen := latest[label]; seen || len(r.Values) == 0 || len(r.Timestamps) == 0 {
				continue
			}
			// newest first (ScanBy TimestampDescending)
			latest[label] = r.Values[0]
			if ts := r.Timestamps[0]; asOf.IsZero() || ts.Before(asOf) {
				asOf = ts
			}
		}
	}
	objects, ok := latest["AllStorageTypes"]
	if !ok {
		return nil, fmt.Errorf("transfer %s: CloudWatch has no NumberOfObjects of bucket %s in %s for the last %d days: S3 reports daily storage metrics "+
			"only to the bucket owner's account (%s) and only for buckets older than a day; list the bucket instead (leave out --quick)",
			t.Name, bucket, t.Source.Region, QuickMetricsDays, t.Source.Account)
	}
	d := NewData(a, "cloudwatch")
	d.Approximate, d.AsOf = true, asOf
	var total float64
	byClass := map[string]float64{}
	for st, class := range storageTypes {
		if v, ok := latest[st]; ok && class != "" {
			byClass[class] += v
			total += v
		}
	}
	n := int64(objects)
	var given int64
	classes := slices.Sorted(maps.Keys(byClass))
	for i, class := range classes {
		share := int64(0)
		if total > 0 {
			share = int64(float64(n) * byClass[class] / total)
		}
		if i == len(classes)-1 {
			share = n - given // the rest, so that the counts add up
		}
		given += share
		d.Classes[class] = &Count{Objects: share, Bytes: int64(byClass[class])}
		d.ScannedClasses[class] = &Count{Objects: share, Bytes: int64(byClass[class])}
	}
	d.Objects, d.Listed, d.Scanned, d.Bytes = n, n, n, int64(total)
	d.approximateShape()
	return d, nil
}

// QuickAllowed says why --quick cannot estimate a transfer: the metrics cover whole
// buckets, so a source prefix or filters need a listing.
func QuickAllowed(t spec.Transfer) error {
	var why []string
	if strings.Trim(t.Source.Prefix, "/") != "" {
		why = append(why, fmt.Sprintf("source.prefix is %q", t.Source.Prefix))
	}
	if len(t.Task.Includes)+len(t.Task.Excludes) > 0 {
		why = append(why, "task.includes or task.excludes filter the objects")
	}
	if len(why) > 0 {
		return fmt.Errorf("transfer %s: --quick reads S3's whole-bucket storage metrics, but %s: leave out --quick to list what the task copies",
			t.Name, strings.Join(why, " and "))
	}
	return nil
}
