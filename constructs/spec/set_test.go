package spec

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
)

// into returns a transfer from its own source account into bucket/prefix of the
// destination account 999999999999.
func into(name, account, bucket, prefix string) Transfer {
	return Transfer{
		Name:        name,
		Source:      Source{Account: account, Region: "us-east-1", Bucket: name + "-src"},
		Destination: Destination{Account: "999999999999", Region: "us-east-1", Bucket: bucket, Prefix: prefix},
	}
}

func TestDestinationStackNames(t *testing.T) {
	for bucket, want := range map[string]string{
		"acme-media-dst":     "acme-media-dst-destination",
		"logs.example.com":   "logs-example-com-destination",
		"1st-quarter-export": "s3-1st-quarter-export-destination",
	} {
		if got := DestinationStackName(bucket); got != want {
			t.Errorf("DestinationStackName(%q) = %q, want %q", bucket, got, want)
		}
	}
}

func TestGroupDestinationsOneGroupPerBucketInConfigOrder(t *testing.T) {
	ts := []Transfer{into("a", "111111111111", "lake", "a"), into("b", "111111111111", "other", ""), into("c", "222222222222", "lake", "c")}
	groups := GroupDestinations(ts)
	if len(groups) != 2 || groups[0].Name != "lake" || groups[1].Name != "other" {
		t.Fatalf("groups = %+v", groups)
	}
	if names := []string{groups[0].Transfers[0].Name, groups[0].Transfers[1].Name}; !slices.Equal(names, []string{"a", "c"}) {
		t.Errorf("transfers of lake = %v", names)
	}
	if groups[0].Transfers[0].Task.Mode != "" {
		t.Error("grouping changed the transfers (they must stay valid as given)")
	}
}

func TestValidateSet(t *testing.T) {
	const key1 = "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const key2 = "arn:aws:kms:us-east-1:999999999999:key/2234abcd-12ab-34cd-56ef-1234567890ab"
	cases := []struct {
		name    string
		ts      func() []Transfer
		wantErr []string // fragments; none = valid
	}{
		{"several transfers into one existing bucket", func() []Transfer {
			return []Transfer{into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b"), into("c", "333333333333", "lake", "a/")}
		}, nil},
		{"whole-bucket transfers share a bucket", func() []Transfer {
			return []Transfer{into("a", "111111111111", "lake", ""), into("b", "222222222222", "lake", "")}
		}, nil},
		{"a prefix inside another transfer's", func() []Transfer {
			return []Transfer{into("a", "111111111111", "lake", "logs"), into("b", "222222222222", "lake", "logs/b"), into("c", "333333333333", "lake", "logs-c")}
		}, []string{`transfers[1] ("b").destination.prefix: "logs/b" overlaps "logs" of transfers[0] ("a") in bucket "lake": one of the two would write and delete under the other's prefix`}},
		{"a whole-bucket transfer beside a prefix transfer", func() []Transfer {
			return []Transfer{into("a", "111111111111", "lake", "logs"), into("b", "222222222222", "lake", "")}
		}, []string{`transfers[1] ("b").destination.prefix: "" overlaps "logs" of transfers[0] ("a")`}},
		{"created by two transfers with the same settings", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b")
			a.Destination.CreateBucket, b.Destination.CreateBucket = true, true
			a.Destination.CreateKmsKey, b.Destination.CreateKmsKey = true, true
			return []Transfer{a, b}
		}, nil},
		{"duplicate names", func() []Transfer {
			return []Transfer{into("a", "111111111111", "lake", "a"), into("a", "222222222222", "other", "")}
		}, []string{`transfers[1] ("a").name: "a" is already the name of transfers[0] ("a")`}},
		{"created by one, existing for another", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b")
			b.Destination.CreateBucket = true
			return []Transfer{a, b}
		}, []string{`transfers[1] ("b").destination.createBucket: true disagrees with transfers[0] ("a"), which gives false for the same bucket "lake"`}},
		{"created twice with and without a key", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b")
			a.Destination.CreateBucket, b.Destination.CreateBucket, b.Destination.CreateKmsKey = true, true, true
			return []Transfer{a, b}
		}, []string{`transfers[1] ("b").destination.createKmsKey: true disagrees with transfers[0] ("a")`}},
		{"created twice with different version expiry", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b")
			a.Destination.CreateBucket, b.Destination.CreateBucket = true, true
			a.Destination.NoncurrentVersionExpirationDays = 30
			return []Transfer{a, b}
		}, []string{`transfers[1] ("b").destination.noncurrentVersionExpirationDays: 0 disagrees with transfers[0] ("a"), which gives 30`}},
		{"only one of two transfers removes deleted principals", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b")
			b.Destination.RemoveDeletedPrincipals = true
			return []Transfer{a, b}
		}, []string{`removeDeletedPrincipals: true disagrees with transfers[0] ("a"), which gives false for the same bucket "lake"`}},
		{"different KMS keys", func() []Transfer {
			a, b, c := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b"), into("c", "333333333333", "lake", "c")
			a.Destination.KmsKeyArn, b.Destination.KmsKeyArn = key1, key2
			return []Transfer{a, b, c}
		}, []string{
			`transfers[1] ("b").destination.kmsKeyArn: "` + key2 + `" disagrees with transfers[0] ("a"), which gives "` + key1 + `"`,
			`transfers[2] ("c").destination.kmsKeyArn: "" disagrees with transfers[0] ("a")`,
		}},
		{"one bucket in two accounts and Regions", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "a"), into("b", "222222222222", "lake", "b")
			b.Destination.Account, b.Destination.Region = "888888888888", "eu-west-1"
			return []Transfer{a, b}
		}, []string{`transfers[1] ("b").destination.account: "888888888888" disagrees`, `transfers[1] ("b").destination.region: "eu-west-1" disagrees`}},
		{"two buckets, one stack name", func() []Transfer {
			return []Transfer{into("a", "111111111111", "logs.example", ""), into("b", "222222222222", "logs-example", "")}
		}, []string{`transfers[1] ("b").destination.bucket: "logs-example" maps to the stack name logs-example-destination, as bucket "logs.example" of transfers[0] ("a") does`}},
		{"REMOVE in a shared prefix", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "data"), into("b", "222222222222", "lake", "data")
			a.Task.PreserveDeletedFiles = "REMOVE"
			return []Transfer{a, b}
		}, []string{`transfers[0] ("a").task.preserveDeletedFiles: "REMOVE" would delete what transfers[1] ("b") writes: its destination prefix "data" overlaps "data"`}},
		{"REMOVE in a disjoint prefix", func() []Transfer {
			a, b := into("a", "111111111111", "lake", "data/a"), into("b", "222222222222", "lake", "data/b")
			a.Task.PreserveDeletedFiles = "REMOVE"
			return []Transfer{a, b}
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSet(tc.ts())
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("rejected:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if n := len(err.(Errors)); n != len(tc.wantErr) {
				t.Errorf("%d problems, want %d:\n%v", n, len(tc.wantErr), err)
			}
		})
	}
}

// scale returns n transfers from as many accounts (or from accounts source
// accounts, round robin) into one bucket, each into its own prefix when prefixed.
func scale(n, accounts int, prefixed bool) []Transfer {
	var ts []Transfer
	for i := 0; i < n; i++ {
		account := fmt.Sprintf("%012d", 100000000000+i%accounts)
		prefix := ""
		if prefixed {
			prefix = "from-" + account
			if accounts < n {
				prefix += fmt.Sprintf("/%03d", i)
			}
		}
		ts = append(ts, into(fmt.Sprintf("transfer-%03d", i), account, "central-data-lake", prefix))
	}
	return ts
}

// TestBucketPolicyFitsTheTargets: 24 transfers from 24 accounts into 24 prefixes, and
// 100 whole-bucket transfers (from 25 accounts), leave 4 KB of S3's 20 KB for
// statements that are not ours. (With DataSync's two version actions in every prefix
// statement, 25 prefix transfers from 25 accounts no longer fit with 12-character
// names: TestPrefixTransfersAtTheBudget.)
func TestBucketPolicyFitsTheTargets(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ts          []Transfer
		wantStmts   int
		maxPerTrans int
	}{
		{"24 prefixes from 24 accounts", scale(24, 24, true), 25, 680},
		{"100 whole-bucket from 25 accounts", scale(100, 25, false), 2, 165},
		{"100 whole-bucket from one account", scale(100, 1, false), 2, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateSet(tc.ts); err != nil {
				t.Fatalf("rejected:\n%v", err)
			}
			b := GroupDestinations(tc.ts)[0]
			stmts := b.OwnedPolicyStatements()
			size := len(PolicyDocument(stmts))
			t.Logf("%d statements, %d bytes, %d bytes per transfer", len(stmts), size, size/len(tc.ts))
			if size > MaxBucketPolicyBytes-ForeignPolicyReserveBytes || len(stmts) != tc.wantStmts || size/len(tc.ts) > tc.maxPerTrans {
				t.Errorf("%d statements of %d bytes (%d per transfer), want %d statements within %d bytes and at most %d per transfer",
					len(stmts), size, size/len(tc.ts), tc.wantStmts, MaxBucketPolicyBytes-ForeignPolicyReserveBytes, tc.maxPerTrans)
			}
		})
	}
}

func TestBucketPolicyOverBudgetIsRejectedWithTheWayOut(t *testing.T) {
	ts := scale(40, 40, true)
	err := ValidateSet(ts)
	if err == nil {
		t.Fatal("40 prefix transfers from 40 accounts fit into one bucket policy?")
	}
	for _, want := range []string{
		`transfers[0] ("transfer-000").destination.bucket: "central-data-lake" would get`,
		"bytes of bucket-policy statements from its 40 transfers, over the budget of 16384 bytes (S3 allows 20480 bytes per bucket policy, less 4096 bytes left for the bucket's other statements)",
		"split the transfers across several destination buckets",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// A bucket the stack creates has no foreign statements: the whole 20 KB is ours.
	for i := range ts {
		ts[i].Destination.CreateBucket = true
	}
	if err := ValidateSet(ts[:30]); err != nil {
		t.Errorf("30 prefix transfers into a created bucket rejected: %v", err)
	}
	if err := ValidateSet(ts[:31]); err == nil {
		t.Errorf("31 prefix transfers from 31 accounts fit a created bucket's policy: docs/policy-budget.md says 30")
	}
}

// allows evaluates the statements as S3 does for a cross-account request from a
// role (Allow only, as these statements are): principal account, action, resource
// (with IAM's * and ? wildcards) and the aws:PrincipalArn condition.
func allows(stmts []Statement, roleArn, action, resource string) bool {
	account := strings.Split(roleArn, ":")[4]
	for _, s := range stmts {
		if s.Effect != "Allow" || !slices.Contains(s.Principal["AWS"], "arn:aws:iam::"+account+":root") ||
			!slices.Contains(s.Action, action) {
			continue
		}
		matched := false
		for _, r := range s.Resource {
			if ok, _ := path.Match(strings.ReplaceAll(r, "/", "\x00"), strings.ReplaceAll(resource, "/", "\x00")); ok {
				matched = true
			}
		}
		for op, keys := range s.Condition {
			for key, values := range keys {
				if op != "ArnEquals" || key != "aws:PrincipalArn" || !slices.Contains(values, roleArn) {
					matched = false
				}
			}
		}
		if matched {
			return true
		}
	}
	return false
}

func TestBucketPolicyKeepsEachRoleToItsOwnPrefix(t *testing.T) {
	ts := []Transfer{
		into("team-a", "111111111111", "lake", "teams/a"),
		into("team-b", "222222222222", "lake", "teams/b"),
		into("team-c", "222222222222", "lake", "teams/b"), // two sources, one prefix
		into("archive", "333333333333", "lake", "archive"),
	}
	if err := ValidateSet(ts); err != nil {
		t.Fatal(err)
	}
	stmts := GroupDestinations(ts)[0].BucketPolicyStatements()
	role := func(t Transfer, name func(Transfer) string) string { return t.WithDefaults().RoleArn(name(t)) }
	obj := func(key string) string { return "arn:aws:s3:::lake/" + key }
	const bucket = "arn:aws:s3:::lake"

	for _, tr := range ts {
		access, admin := role(tr, Transfer.BucketAccessRoleName), role(tr, Transfer.LocationAdminRoleName)
		own := strings.Trim(tr.Destination.Prefix, "/")
		if own != "" {
			own += "/"
		}
		for _, a := range DestinationBucketActions {
			if !allows(stmts, access, a, bucket) {
				t.Errorf("%s: bucket-access role denied %s on the bucket", tr.Name, a)
			}
		}
		for _, a := range DestinationObjectActions {
			if !allows(stmts, access, a, obj(own+"2026/x.jpg")) {
				t.Errorf("%s: bucket-access role denied %s on its own prefix", tr.Name, a)
			}
		}
		if !allows(stmts, admin, "s3:ListBucket", bucket) {
			t.Errorf("%s: location-admin role cannot list the bucket (the location access test fails)", tr.Name)
		}
		for _, a := range DestinationObjectActions {
			if allows(stmts, admin, a, obj(own+"x")) {
				t.Errorf("%s: location-admin role allowed %s on objects", tr.Name, a)
			}
		}
		// A role of the same account that is not named stays out.
		if allows(stmts, strings.Replace(access, "bucket-access", "other", 1), "s3:PutObject", obj(own+"x")) {
			t.Errorf("%s: another role of the account may write", tr.Name)
		}
	}
	// Prefix transfers stay out of each other's prefixes and of the bucket's root.
	a, b := role(ts[0], Transfer.BucketAccessRoleName), role(ts[1], Transfer.BucketAccessRoleName)
	for _, denied := range []struct{ role, key string }{{a, "teams/b/x"}, {b, "teams/a/x"}, {a, "teams/ab/x"}, {a, "root.txt"}} {
		for _, action := range []string{"s3:PutObject", "s3:DeleteObject", "s3:GetObject"} {
			if allows(stmts, denied.role, action, obj(denied.key)) {
				t.Errorf("%s allowed %s on %s", denied.role, action, denied.key)
			}
		}
	}
	// Two transfers into one prefix share one statement.
	prefixStmts := 0
	for _, s := range stmts {
		if strings.HasPrefix(s.Sid, "DataSyncXXXXXX"+SidPrefix) {
			prefixStmts++
		}
	}
	if prefixStmts != 3 {
		t.Errorf("%d prefix statements for three prefixes", prefixStmts)
	}
}

func TestQuotaWarnings(t *testing.T) {
	var ts []Transfer
	for i := 0; i < DataSyncTasksQuota; i++ {
		ts = append(ts, into(fmt.Sprintf("t-%03d", i), "111111111111", fmt.Sprintf("bucket-%03d", i), ""))
	}
	if w := QuotaWarnings(ts); len(w) != 0 {
		t.Errorf("warnings at the quota: %v", w)
	}
	ts = append(ts, into("one-more", "111111111111", "bucket-x", ""))
	w := QuotaWarnings(ts)
	if len(w) != 1 || !strings.Contains(w[0], "account 111111111111 would have 101 DataSync tasks in us-east-1; DataSync's default quota is 100") {
		t.Errorf("warnings = %v", w)
	}
}

func TestDerivedNamesStayWithinAWSLimits(t *testing.T) {
	longest := valid()
	longest.Name = "a" + strings.Repeat("b", 31)
	if err := longest.Validate(); err != nil {
		t.Fatalf("a 32-character name is rejected: %v", err)
	}
	if n := len(longest.LocationAdminRoleName()); n > 64 {
		t.Errorf("the longest valid name makes a %d-character role name", n)
	}
	tooLong := valid()
	tooLong.Name = "a" + strings.Repeat("b", 50)
	err := tooLong.Validate()
	if err == nil || !strings.Contains(err.Error(), "makes the IAM role name \"datasync-abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-bucket-access\" 74 characters long, over AWS's limit of 64") {
		t.Errorf("error = %v", err)
	}
}

// TestPrefixTransfersAtTheBudget pins the bounds docs/policy-budget.md gives: every role ARN is
// named in the policy, so names cost three bytes a character per transfer. With
// 17-character prefixes into an existing bucket, 24 transfers from 24 accounts fit
// with names of 14 characters, not 15, and 25 from 25 accounts with names of 5, not 6.
func TestPrefixTransfersAtTheBudget(t *testing.T) {
	for _, tc := range []struct {
		transfers, nameLength int
		fits                  bool
	}{{24, 14, true}, {24, 15, false}, {25, 5, true}, {25, 6, false}} {
		ts := scale(tc.transfers, tc.transfers, true)
		for i := range ts {
			ts[i].Name = fmt.Sprintf("t%s%03d", strings.Repeat("x", tc.nameLength-4), i)
		}
		if err := ValidateSet(ts); (err == nil) != tc.fits {
			t.Errorf("%d transfers with names of %d characters: fits %t, want %t (%v)", tc.transfers, tc.nameLength, err == nil, tc.fits, err)
		}
	}
}
