package spec

import (
	"slices"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/spec/internal/dstypes"
)

// TestDataSyncEnumsMatchTheSDK: validation checks against a copy of the SDK's DataSync
// enums (internal/dstypes, so that the constructs compile no SDK package); the copy
// must have every value of the pinned SDK and no other. When it fails, run
// `go generate ./constructs/spec`.
func TestDataSyncEnumsMatchTheSDK(t *testing.T) {
	for _, c := range []struct {
		name      string
		ours, sdk []string
	}{
		{"LogLevel", enumValues(dstypes.LogLevel("").Values()), enumValues(sdk.LogLevel("").Values())},
		{"ObjectTags", enumValues(dstypes.ObjectTags("").Values()), enumValues(sdk.ObjectTags("").Values())},
		{"OverwriteMode", enumValues(dstypes.OverwriteMode("").Values()), enumValues(sdk.OverwriteMode("").Values())},
		{"PreserveDeletedFiles", enumValues(dstypes.PreserveDeletedFiles("").Values()), enumValues(sdk.PreserveDeletedFiles("").Values())},
		{"ReportLevel", enumValues(dstypes.ReportLevel("").Values()), enumValues(sdk.ReportLevel("").Values())},
		{"S3StorageClass", enumValues(dstypes.S3StorageClass("").Values()), enumValues(sdk.S3StorageClass("").Values())},
		{"TaskMode", enumValues(dstypes.TaskMode("").Values()), enumValues(sdk.TaskMode("").Values())},
		{"TransferMode", enumValues(dstypes.TransferMode("").Values()), enumValues(sdk.TransferMode("").Values())},
		{"VerifyMode", enumValues(dstypes.VerifyMode("").Values()), enumValues(sdk.VerifyMode("").Values())},
	} {
		if !slices.Equal(c.ours, c.sdk) {
			t.Errorf("%s: the copy has %v, the SDK %v: run go generate ./constructs/spec", c.name, c.ours, c.sdk)
		}
	}
	// The constants validation names, by name.
	for _, c := range [][2]string{
		{string(dstypes.TaskModeEnhanced), string(sdk.TaskModeEnhanced)},
		{string(dstypes.VerifyModeOnlyFilesTransferred), string(sdk.VerifyModeOnlyFilesTransferred)},
		{string(dstypes.VerifyModePointInTimeConsistent), string(sdk.VerifyModePointInTimeConsistent)},
		{string(dstypes.OverwriteModeAlways), string(sdk.OverwriteModeAlways)},
		{string(dstypes.TransferModeChanged), string(sdk.TransferModeChanged)},
		{string(dstypes.TransferModeAll), string(sdk.TransferModeAll)},
		{string(dstypes.PreserveDeletedFilesPreserve), string(sdk.PreserveDeletedFilesPreserve)},
		{string(dstypes.PreserveDeletedFilesRemove), string(sdk.PreserveDeletedFilesRemove)},
		{string(dstypes.ObjectTagsPreserve), string(sdk.ObjectTagsPreserve)},
		{string(dstypes.LogLevelBasic), string(sdk.LogLevelBasic)},
		{string(dstypes.ReportLevelErrorsOnly), string(sdk.ReportLevelErrorsOnly)},
		{string(dstypes.S3StorageClassStandard), string(sdk.S3StorageClassStandard)},
		{string(dstypes.S3StorageClassOutposts), string(sdk.S3StorageClassOutposts)},
		{string(dstypes.S3StorageClassGlacier), string(sdk.S3StorageClassGlacier)},
		{string(dstypes.S3StorageClassDeepArchive), string(sdk.S3StorageClassDeepArchive)},
	} {
		if c[0] != c[1] {
			t.Errorf("the copy has %q where the SDK has %q: run go generate ./constructs/spec", c[0], c[1])
		}
	}
}
