package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// TestRegionTableMatchesRegionInfo fails when the pinned aws-cdk-lib knows other
// Regions, partitions or opt-in statuses than the table validation uses; then run
// `go generate ./constructs/spec`.
func TestRegionTableMatchesRegionInfo(t *testing.T) {
	live := map[string]bool{}
	for _, r := range *regioninfo.RegionInfo_Regions() {
		name := *r.Name()
		live[name] = true
		partition, optIn, known := spec.RegionFacts(name)
		if !known || partition != *r.Partition() || optIn != *r.IsOptInRegion() {
			t.Errorf("%s: table has (%q, opt-in %t, known %t), regioninfo has (%q, opt-in %t)",
				name, partition, optIn, known, *r.Partition(), *r.IsOptInRegion())
		}
	}
	for _, name := range spec.KnownRegions() {
		if !live[name] {
			t.Errorf("%s is in the table but not in regioninfo", name)
		}
	}
}
