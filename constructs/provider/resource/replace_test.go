package resource

import "testing"

func TestReplacesOnlyWhatAnUpdateCannotChange(t *testing.T) {
	loc := map[string]any{"Region": "us-east-1", "S3BucketArn": "arn:aws:s3:::a", "Subdirectory": "p", "BucketAccessRoleArn": "r"}
	task := map[string]any{"Region": "us-west-2", "SourceLocationArn": "s", "DestinationLocationArn": "d", "Name": "n", "TaskMode": "ENHANCED",
		"VerifyMode": "NONE", "OverwriteMode": "ALWAYS", "TransferMode": "CHANGED", "PreserveDeletedFiles": "PRESERVE", "ObjectTags": "PRESERVE", "LogLevel": "OFF"}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range m {
			out[key] = val
		}
		out[k] = v
		return out
	}
	for _, tc := range []struct {
		name     string
		typ      string
		old, cur map[string]any
		want     bool
	}{
		{"location prefix", TypeS3Location, loc, with(loc, "Subdirectory", "q"), false},
		{"location storage class", TypeS3Location, loc, with(loc, "S3StorageClass", "GLACIER"), false},
		{"location bucket", TypeS3Location, loc, with(loc, "S3BucketArn", "arn:aws:s3:::b"), true},
		{"location Region", TypeS3Location, loc, with(loc, "Region", "eu-west-1"), true},
		{"task schedule", TypeTask, task, with(task, "Schedule", "rate(1 day)"), false},
		{"task log level", TypeTask, task, with(task, "LogLevel", "TRANSFER"), false},
		{"task mode", TypeTask, task, with(task, "TaskMode", "BASIC"), true},
		{"task source location", TypeTask, task, with(task, "SourceLocationArn", "s2"), true},
		{"execution of another task", TypeTaskExecution, map[string]any{"Region": "r", "TaskArn": "a"}, map[string]any{"Region": "r", "TaskArn": "b"}, true},
		{"statements in another bucket", TypeBucketPolicyStatements, map[string]any{"Bucket": "a", "Statements": "[]"}, map[string]any{"Bucket": "b", "Statements": "[]"}, true},
		{"other statements, same bucket", TypeBucketPolicyStatements, map[string]any{"Bucket": "a", "Statements": "[]"}, map[string]any{"Bucket": "a", "Statements": `[{"Sid":"X"}]`}, false},
		{"logs policy document", TypeLogsResourcePolicy, map[string]any{"PolicyName": "p"}, map[string]any{"PolicyName": "p", "PolicyDocument": "{}"}, false},
	} {
		if got := Replaces(tc.typ, tc.old, tc.cur); got != tc.want {
			t.Errorf("%s: Replaces = %t, want %t", tc.name, got, tc.want)
		}
	}
}
