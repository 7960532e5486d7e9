package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// valid is a cross-account, cross-Region transfer that passes validation.
func valid() Transfer {
	return Transfer{
		Name:        "media-archive",
		Source:      Source{Account: "111111111111", Region: "us-east-1", Bucket: "acme-media-src", Prefix: "photos"},
		Destination: Destination{Account: "222222222222", Region: "us-west-2", Bucket: "acme-media-dst", Prefix: "archive/photos"},
	}
}

func TestValidTransferPasses(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid transfer rejected:\n%v", err)
	}
}

func TestValidateRules(t *testing.T) {
	const (
		keyUSW2 = "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		keyUSE1 = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	)
	cases := []struct {
		name   string
		mutate func(*Transfer)
		// wantErr is a fragment of the expected error ("" = must pass).
		wantErr string
	}{
		// name: 1-32 characters, [a-z0-9-], starts with a letter.
		{"name 1 char", func(t *Transfer) { t.Name = "a" }, ""},
		{"name 32 chars", func(t *Transfer) { t.Name = "a" + strings.Repeat("b", 31) }, ""},
		{"name 33 chars", func(t *Transfer) { t.Name = "a" + strings.Repeat("b", 32) }, `name: "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" is not a valid transfer name`},
		{"name empty", func(t *Transfer) { t.Name = "" }, `name: "" is not a valid transfer name`},
		{"name uppercase", func(t *Transfer) { t.Name = "Media" }, `name: "Media" is not a valid transfer name`},
		{"name starts with digit", func(t *Transfer) { t.Name = "1media" }, "name: \"1media\""},
		{"name underscore", func(t *Transfer) { t.Name = "media_archive" }, "name: \"media_archive\""},

		// accounts: 12 digits.
		{"account 11 digits", func(t *Transfer) { t.Source.Account = "11111111111" }, `source.account: "11111111111" is not a 12-digit AWS account ID`},
		{"account 13 digits", func(t *Transfer) { t.Destination.Account = "2222222222222" }, `destination.account: "2222222222222" is not a 12-digit`},
		{"account with letters", func(t *Transfer) { t.Source.Account = "11111111111a" }, `source.account: "11111111111a"`},
		{"account leading zero", func(t *Transfer) { t.Source.Account = "011111111111" }, ""},

		// Regions: known to regioninfo, DataSync partition, same partition, opt-in.
		{"region unknown", func(t *Transfer) { t.Source.Region = "us-east-9" }, `source.region: "us-east-9" is not an AWS Region known to aws-cdk-lib`},
		{"region typo", func(t *Transfer) { t.Destination.Region = "us-west2" }, `destination.region: "us-west2"`},
		{"region partition without DataSync", func(t *Transfer) {
			t.Source.Region, t.Destination.Region = "us-isof-east-1", "us-isof-east-1"
		}, "where DataSync S3 locations are not available"},
		{"regions across partitions", func(t *Transfer) { t.Destination.Region = "cn-north-1" }, "DataSync cannot transfer across partitions"},
		{"same partition other than aws", func(t *Transfer) {
			t.Source.Region, t.Destination.Region = "us-gov-east-1", "us-gov-west-1"
		}, ""},
		{"cross-Region from an opt-in Region", func(t *Transfer) { t.Source.Region = "af-south-1" },
			`source.region: "af-south-1" is an opt-in Region (disabled by default) and the transfer is between two Regions`},
		{"cross-Region into an opt-in Region", func(t *Transfer) { t.Destination.Region = "me-south-1" }, `destination.region: "me-south-1" is an opt-in Region`},
		{"cross-Region opt-in in one account", func(t *Transfer) {
			t.Destination.Account = t.Source.Account
			t.Source.Region, t.Destination.Region = "af-south-1", "eu-west-1"
		}, `source.region: "af-south-1" is an opt-in Region`},
		{"same-account opt-in allowed", func(t *Transfer) {
			t.Destination.Account = t.Source.Account
			t.Source.Region, t.Destination.Region = "af-south-1", "af-south-1"
		}, ""},
		{"cross-account within one opt-in Region allowed", func(t *Transfer) {
			t.Source.Region, t.Destination.Region = "af-south-1", "af-south-1"
		}, ""},

		// a missing block, an empty account: no advice about quoting.
		{"source block missing", func(t *Transfer) { t.Source = Source{} }, `source: is missing: every transfer needs a source with account, region and bucket`},
		{"account empty", func(t *Transfer) { t.Source.Account = "" }, `source.account: "" is empty: give the 12-digit ID of the account that owns the source bucket`},
		{"account lost its leading zeros", func(t *Transfer) { t.Source.Account = "12345678901" },
			`source.account: "12345678901" is not a 12-digit AWS account ID: an ID with leading zeros keeps them only when quoted in YAML`},

		// characters IAM accepts in a policy document (tab, LF, CR, U+0020..U+00FF).
		{"prefix with a Latin-1 no-break space", func(t *Transfer) { t.Source.Prefix = "photos\u00a0raw" }, ""},
		{"prefix with an ideographic space", func(t *Transfer) { t.Source.Prefix = "photos\u3000raw" },
			`source.prefix: "photos\u3000raw" has characters IAM does not accept in a policy document (only tab, line feed, carriage return and U+0020 to U+00FF): U+3000 '\u3000' at character 7, and the prefix is part of an object ARN`},
		{"report prefix with an em space", func(t *Transfer) { t.Task.Report = &Report{Bucket: "acme-reports", Prefix: "a\u2003b\u2003"} },
			`task.report.prefix: "a\u2003b\u2003" has characters IAM does not accept in a policy document (only tab, line feed, carriage return and U+0020 to U+00FF): U+2003 '\u2003' at character 2, U+2003 '\u2003' at character 4`},
		{"destination prefix with U+0100 (not a space)", func(t *Transfer) { t.Destination.Prefix = "\u0100" }, `has characters DataSync does not accept in a prefix`},

		// bucket names.
		{"bucket 3 chars", func(t *Transfer) { t.Source.Bucket = "abc" }, ""},
		{"bucket 2 chars", func(t *Transfer) { t.Source.Bucket = "ab" }, `source.bucket: "ab" is not a valid S3 bucket name`},
		{"bucket 63 chars", func(t *Transfer) { t.Source.Bucket = strings.Repeat("a", 63) }, ""},
		{"bucket 64 chars", func(t *Transfer) { t.Source.Bucket = strings.Repeat("a", 64) }, "is not a valid S3 bucket name"},
		{"bucket uppercase", func(t *Transfer) { t.Destination.Bucket = "Acme" }, `destination.bucket: "Acme"`},
		{"bucket ends with hyphen", func(t *Transfer) { t.Destination.Bucket = "acme-" }, "starting and ending with a letter or digit"},
		{"bucket adjacent periods", func(t *Transfer) { t.Destination.Bucket = "acme..dst" }, "two adjacent periods"},
		{"bucket IP address", func(t *Transfer) { t.Destination.Bucket = "192.168.5.4" }, "formatted as an IP address"},
		{"bucket xn-- prefix", func(t *Transfer) { t.Destination.Bucket = "xn--acme" }, `must not start with "xn--"`},
		{"bucket -s3alias suffix", func(t *Transfer) { t.Destination.Bucket = "acme-s3alias" }, `must not end with "-s3alias"`},
		{"bucket empty", func(t *Transfer) { t.Source.Bucket = "" }, `source.bucket: "" is empty`},

		// prefixes: DataSync subdirectory rules.
		{"prefix leading slash", func(t *Transfer) { t.Source.Prefix = "/photos" }, `source.prefix: "/photos" starts with '/'`},
		{"prefix double slash", func(t *Transfer) { t.Source.Prefix = "photos//2006" }, "contains '//'"},
		{"prefix dot segment", func(t *Transfer) { t.Destination.Prefix = "photos/./2006" }, "'.' or '..' segment"},
		{"prefix dotdot segment", func(t *Transfer) { t.Destination.Prefix = "photos/../2006" }, "'.' or '..' segment"},
		{"prefix bad character", func(t *Transfer) { t.Destination.Prefix = "photos*" }, "has characters DataSync does not accept"},
		{"prefix dots inside names", func(t *Transfer) { t.Destination.Prefix = "v1.2/photos (raw)" }, ""},
		{"prefix trailing slash", func(t *Transfer) { t.Destination.Prefix = "archive/" }, ""},
		{"prefix 4096 chars", func(t *Transfer) { t.Destination.Prefix = strings.Repeat("a", 4096) }, ""},
		{"prefix 4097 chars", func(t *Transfer) { t.Destination.Prefix = strings.Repeat("a", 4097) }, "is longer than 4096"},

		// same bucket: prefixes must not overlap.
		{"same bucket disjoint prefixes", func(t *Transfer) {
			t.Destination.Bucket, t.Source.Prefix, t.Destination.Prefix = t.Source.Bucket, "in", "out"
		}, ""},
		{"same bucket sibling with common start", func(t *Transfer) {
			t.Destination.Bucket, t.Source.Prefix, t.Destination.Prefix = t.Source.Bucket, "photos", "photos-copy"
		}, ""},
		{"same bucket same prefix", func(t *Transfer) {
			t.Destination.Bucket, t.Source.Prefix, t.Destination.Prefix = t.Source.Bucket, "photos", "photos/"
		}, "would copy onto itself"},
		{"same bucket nested prefix", func(t *Transfer) {
			t.Destination.Bucket, t.Source.Prefix, t.Destination.Prefix = t.Source.Bucket, "photos", "photos/copy"
		}, `destination.prefix: "photos/copy" overlaps source.prefix "photos"`},
		{"same bucket whole bucket", func(t *Transfer) {
			t.Destination.Bucket, t.Source.Prefix, t.Destination.Prefix = t.Source.Bucket, "", "copy"
		}, "would copy onto itself"},

		// KMS keys: fully qualified, bucket's Region and partition.
		{"kms key ok", func(t *Transfer) { t.Source.KmsKeyArn, t.Destination.KmsKeyArn = keyUSE1, keyUSW2 }, ""},
		{"kms multi-Region key ok", func(t *Transfer) {
			t.Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/mrk-1234abcd12ab34cd56ef1234567890ab"
		}, ""},
		{"kms alias rejected", func(t *Transfer) { t.Source.KmsKeyArn = "arn:aws:kms:us-east-1:111111111111:alias/data" }, "is not a fully qualified KMS key ARN"},
		{"kms bare key id rejected", func(t *Transfer) { t.Source.KmsKeyArn = "1234abcd-12ab-34cd-56ef-1234567890ab" }, "is not a fully qualified KMS key ARN"},
		{"kms other Region", func(t *Transfer) { t.Destination.KmsKeyArn = keyUSE1 }, `destination.kmsKeyArn: "` + keyUSE1 + `" is in Region us-east-1 but the bucket is in us-west-2`},
		{"kms other partition", func(t *Transfer) {
			t.Source.KmsKeyArn = "arn:aws-cn:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "is in partition aws-cn"},

		// storage class and created resources.
		{"storage class ok", func(t *Transfer) { t.Destination.StorageClass = "INTELLIGENT_TIERING" }, ""},
		{"storage class outposts", func(t *Transfer) { t.Destination.StorageClass = "OUTPOSTS" }, `destination.storageClass: "OUTPOSTS" is not allowed`},
		{"storage class lowercase", func(t *Transfer) { t.Destination.StorageClass = "standard" }, "use one of STANDARD, STANDARD_IA"},
		{"create key with created bucket", func(t *Transfer) { t.Destination.CreateBucket, t.Destination.CreateKmsKey = true, true }, ""},
		{"create key without created bucket", func(t *Transfer) { t.Destination.CreateKmsKey = true }, "destination.createKmsKey: true needs destination.createBucket: true"},
		{"report into the destination bucket of another account", func(t *Transfer) { t.Task.Report = &Report{Bucket: t.Destination.Bucket} },
			`task.report.bucket: "acme-media-dst" is the destination bucket, in account 222222222222`},
		{"noncurrent versions expire in a created bucket", func(t *Transfer) {
			t.Destination.CreateBucket, t.Destination.NoncurrentVersionExpirationDays = true, 1
		}, ""},
		{"noncurrent version expiry on an existing bucket", func(t *Transfer) { t.Destination.NoncurrentVersionExpirationDays = 30 },
			"destination.noncurrentVersionExpirationDays: 30 needs destination.createBucket: true"},
		{"noncurrent version expiry negative", func(t *Transfer) {
			t.Destination.CreateBucket, t.Destination.NoncurrentVersionExpirationDays = true, -1
		}, "destination.noncurrentVersionExpirationDays: -1 is negative"},
		{"remove deleted principals from an existing bucket's policy", func(t *Transfer) { t.Destination.RemoveDeletedPrincipals = true }, ""},
		{"remove deleted principals from a created bucket's policy", func(t *Transfer) {
			t.Destination.CreateBucket, t.Destination.RemoveDeletedPrincipals = true, true
		}, "destination.removeDeletedPrincipals: true applies only to an existing bucket (destination.createBucket: false)"},
		{"create key and given key", func(t *Transfer) {
			t.Destination.CreateBucket, t.Destination.CreateKmsKey, t.Destination.KmsKeyArn = true, true, keyUSW2
		}, "no destination.kmsKeyArn"},

		// task enums come from the SDK.
		{"mode BASIC", func(t *Transfer) { t.Task.Mode = "BASIC" }, ""},
		{"mode unknown", func(t *Transfer) { t.Task.Mode = "FAST" }, `task.mode: "FAST" is not allowed: use one of BASIC, ENHANCED`},
		{"verify mode unknown", func(t *Transfer) { t.Task.VerifyMode = "ALL" }, `task.verifyMode: "ALL" is not allowed`},
		{"overwrite mode unknown", func(t *Transfer) { t.Task.OverwriteMode = "SOMETIMES" }, "task.overwriteMode"},
		{"transfer mode unknown", func(t *Transfer) { t.Task.TransferMode = "SOME" }, "task.transferMode"},
		{"preserve deleted unknown", func(t *Transfer) { t.Task.PreserveDeletedFiles = "KEEP" }, "task.preserveDeletedFiles"},
		{"object tags unknown", func(t *Transfer) { t.Task.ObjectTags = "COPY" }, "task.objectTags"},
		{"log level unknown", func(t *Transfer) { t.Task.LogLevel = "DEBUG" }, `task.logLevel: "DEBUG" is not allowed: use one of OFF, BASIC, TRANSFER`},

		// ENHANCED-mode constraints.
		{"enhanced point in time", func(t *Transfer) { t.Task.VerifyMode = "POINT_IN_TIME_CONSISTENT" }, "is not supported by ENHANCED tasks"},
		{"basic point in time", func(t *Transfer) { t.Task.Mode, t.Task.VerifyMode = "BASIC", "POINT_IN_TIME_CONSISTENT" }, ""},
		{"point in time into glacier", func(t *Transfer) {
			t.Task.Mode, t.Task.VerifyMode, t.Destination.StorageClass = "BASIC", "POINT_IN_TIME_CONSISTENT", "DEEP_ARCHIVE"
		}, "cannot verify a destination in storage class DEEP_ARCHIVE"},
		{"enhanced bandwidth limit", func(t *Transfer) { t.Task.BytesPerSecond = 1048576 }, "ENHANCED tasks do not support"},
		{"enhanced no limit", func(t *Transfer) { t.Task.BytesPerSecond = -1 }, ""},
		{"basic bandwidth limit 1", func(t *Transfer) { t.Task.Mode, t.Task.BytesPerSecond = "BASIC", 1 }, ""},
		{"bandwidth below -1", func(t *Transfer) { t.Task.Mode, t.Task.BytesPerSecond = "BASIC", -2 }, "task.bytesPerSecond: -2 is negative"},

		// REMOVE with ALL.
		{"remove with changed", func(t *Transfer) { t.Task.PreserveDeletedFiles = "REMOVE" }, ""},
		{"remove with all", func(t *Transfer) { t.Task.PreserveDeletedFiles, t.Task.TransferMode = "REMOVE", "ALL" }, "cannot be combined with transferMode ALL"},
		{"preserve with all", func(t *Transfer) { t.Task.TransferMode = "ALL" }, ""},

		// schedules: rate or cron, at least one hour apart.
		{"rate 1 hour", func(t *Transfer) { t.Task.Schedule = "rate(1 hour)" }, ""},
		{"rate 60 minutes", func(t *Transfer) { t.Task.Schedule = "rate(60 minutes)" }, ""},
		{"rate 59 minutes", func(t *Transfer) { t.Task.Schedule = "rate(59 minutes)" }, "at least one hour apart"},
		{"rate 1 minute", func(t *Transfer) { t.Task.Schedule = "rate(1 minute)" }, "at least one hour apart"},
		{"rate plural for 1", func(t *Transfer) { t.Task.Schedule = "rate(1 hours)" }, "singular unit for 1"},
		{"rate 2 days", func(t *Transfer) { t.Task.Schedule = "rate(2 days)" }, ""},
		{"rate 0 days", func(t *Transfer) { t.Task.Schedule = "rate(0 days)" }, "below 1"},
		{"cron hourly", func(t *Transfer) { t.Task.Schedule = "cron(0 * * * ? *)" }, ""},
		{"cron daily", func(t *Transfer) { t.Task.Schedule = "cron(30 2 * * ? *)" }, ""},
		{"cron every 30 minutes", func(t *Transfer) { t.Task.Schedule = "cron(0/30 * * * ? *)" }, "minutes field must be one number"},
		{"cron two minutes", func(t *Transfer) { t.Task.Schedule = "cron(0,30 2 * * ? *)" }, "minutes field must be one number"},
		{"cron five fields", func(t *Transfer) { t.Task.Schedule = "cron(0 2 * * ?)" }, "has 5 fields"},
		{"cron without question mark", func(t *Transfer) { t.Task.Schedule = "cron(0 2 * * * *)" }, "'?' in exactly one of"},
		{"schedule garbage", func(t *Transfer) { t.Task.Schedule = "every day" }, "is neither rate(...) nor cron(...)"},
		{"schedule bad characters", func(t *Transfer) { t.Task.Schedule = "rate(1 day);" }, "is not a schedule expression DataSync accepts"},

		// filters: one include rule, one exclude rule, '|'-joined.
		{"filters ok", func(t *Transfer) {
			t.Task.Includes, t.Task.Excludes = []string{"/photos*"}, []string{"*.tmp", "*/.cache"}
		}, ""},
		{"include with inner wildcard", func(t *Transfer) { t.Task.Includes = []string{"/photos*", "*.jpg", "/a/*/b"} },
			`task.includes[1]: "*.jpg" has a '*' that is not its last character`},
		{"include with escaped star", func(t *Transfer) { t.Task.Includes = []string{`/a\*b`, "/folder-to-transfer/*"} }, ""},
		{"exclude with inner wildcard", func(t *Transfer) { t.Task.Excludes = []string{"*/temp", "*.tmp"} }, ""},
		{"filter with pipe", func(t *Transfer) { t.Task.Excludes = []string{"*.tmp|*.bak"} }, `task.excludes[0]: "*.tmp|*.bak" contains '|'`},
		{"filter empty pattern", func(t *Transfer) { t.Task.Includes = []string{"/a", " "} }, `task.includes[1]: " " is empty`},
		{"filter at limit", func(t *Transfer) { t.Task.Excludes = []string{strings.Repeat("a", maxFilterValue)} }, ""},
		{"filter over limit", func(t *Transfer) {
			t.Task.Excludes = []string{strings.Repeat("a", maxFilterValue/2), strings.Repeat("b", maxFilterValue/2)}
		}, "exceed DataSync's filter limit"},

		// log retention.
		{"retention basic 1 day", func(t *Transfer) { t.Task.Mode, t.Task.LogRetentionDays = "BASIC", 1 }, ""},
		{"retention basic 3653 days", func(t *Transfer) { t.Task.Mode, t.Task.LogRetentionDays = "BASIC", 3653 }, ""},
		{"retention not allowed value", func(t *Transfer) { t.Task.Mode, t.Task.LogRetentionDays = "BASIC", 2 }, "task.logRetentionDays: 2 is not a retention CloudWatch Logs allows"},
		{"retention with enhanced", func(t *Transfer) { t.Task.LogRetentionDays = 30 }, "applies to the BASIC-mode log group only"},

		// report.
		{"report ok", func(t *Transfer) {
			t.Task.Report = &Report{Bucket: "acme-reports", Prefix: "datasync", Level: "SUCCESSES_AND_ERRORS"}
		}, ""},
		{"report bad bucket", func(t *Transfer) { t.Task.Report = &Report{Bucket: "Reports"} }, `task.report.bucket: "Reports"`},
		{"report bad level", func(t *Transfer) { t.Task.Report = &Report{Bucket: "acme-reports", Level: "ALL"} }, `task.report.level: "ALL" is not allowed: use one of ERRORS_ONLY, SUCCESSES_AND_ERRORS`},
		{"report bad prefix", func(t *Transfer) { t.Task.Report = &Report{Bucket: "acme-reports", Prefix: "/r"} }, "task.report.prefix"},

		// notifications.
		{"email ok", func(t *Transfer) { t.Notifications.Email = "data-ops@example.com" }, ""},
		{"email without domain", func(t *Transfer) { t.Notifications.Email = "data-ops" }, `notifications.email: "data-ops" is not an email address`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := valid()
			tc.mutate(&tr)
			err := tr.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q, got none", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want error containing %q, got:\n%v", tc.wantErr, err)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	tr := valid()
	tr.Name = "Bad_Name"
	tr.Source.Account = "123"
	tr.Destination.Bucket = "Bad"
	tr.Task.Mode = "TURBO"
	tr.Task.Schedule = "rate(5 minutes)"

	err := tr.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want spec.Errors, got %T: %v", err, err)
	}
	wantPaths := []string{"name", "source.account", "destination.bucket", "task.mode", "task.schedule"}
	if len(errs) != len(wantPaths) {
		t.Fatalf("want %d problems, got %d:\n%v", len(wantPaths), len(errs), err)
	}
	for i, p := range wantPaths {
		if errs[i].Path != p {
			t.Errorf("problem %d: want path %q, got %q", i, p, errs[i].Path)
		}
	}
	prefixed := errs.Prefixed("transfers[1]").Error()
	if !strings.Contains(prefixed, `transfers[1].source.account: "123" is not a 12-digit AWS account ID`) {
		t.Errorf("prefixed message lacks the account problem:\n%s", prefixed)
	}
}

func TestWithDefaultsDoesNotMutateAndFillsDefaults(t *testing.T) {
	tr := valid()
	tr.Task.Excludes = []string{"*.tmp"}
	tr.Task.Report = &Report{Bucket: "acme-reports"}
	d := tr.WithDefaults()

	if tr.Task.Mode != "" || tr.Task.Report.Level != "" {
		t.Fatalf("WithDefaults modified its receiver: %+v", tr.Task)
	}
	d.Task.Excludes[0] = "changed"
	if tr.Task.Excludes[0] != "*.tmp" {
		t.Fatal("WithDefaults shares the Excludes slice with its receiver")
	}
	want := Task{
		Mode: "ENHANCED", VerifyMode: "ONLY_FILES_TRANSFERRED", OverwriteMode: "ALWAYS", TransferMode: "CHANGED",
		PreserveDeletedFiles: "PRESERVE", ObjectTags: "PRESERVE", LogLevel: "BASIC", LogRetentionDays: 30, BytesPerSecond: -1,
	}
	got := d.Task
	got.Excludes, got.Report = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if d.Task.Report.Level != "ERRORS_ONLY" || d.Destination.StorageClass != "STANDARD" {
		t.Errorf("report level %q, storage class %q", d.Task.Report.Level, d.Destination.StorageClass)
	}
}
