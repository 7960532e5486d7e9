package spec

import "strings"

// ManifestActions let the bucket-access role read the manifest of a re-run: DataSync
// reads a manifest with the role given in StartTaskExecution's
// ManifestConfig.Source.S3.BucketAccessRoleArn, which needs s3:GetObject and
// s3:GetObjectVersion on the manifest object (DataSync user guide, "Transferring
// specific files or objects by using a manifest", section "Providing DataSync access
// to your manifest":
// https://docs.aws.amazon.com/datasync/latest/userguide/transferring-with-manifest.html#transferring-with-manifest-access).
var ManifestActions = []string{"s3:GetObject", "s3:GetObjectVersion"}

// ManifestsDir is the folder, under a task report's prefix, where `transfers verify
// --rerun` writes the manifests of re-runs.
const ManifestsDir = "manifests"

// ManifestLocation is where the manifests of the transfer's re-runs go: the report
// bucket (in the source account), under the report prefix's folder ManifestsDir.
// ok is false without a task report: no bucket of the source account is known then.
func (t Transfer) ManifestLocation() (bucket, prefix string, ok bool) {
	r := t.Task.Report
	if r == nil || r.Bucket == "" {
		return "", "", false
	}
	prefix = ManifestsDir
	if p := strings.Trim(r.Prefix, "/"); p != "" {
		prefix = p + "/" + ManifestsDir
	}
	return r.Bucket, prefix, true
}
