package spec

import (
	"fmt"
	"strings"
)

// DestinationBucket is the destination side of every transfer into one bucket: the
// bucket's own settings, on which those transfers agree (ValidateSet), and the
// transfers. One destination stack owns it.
type DestinationBucket struct {
	// Name is the bucket's name.
	Name string
	// Account and Region own the bucket; Partition is the Region's.
	Account, Region, Partition string
	// Create, CreateKmsKey and KmsKeyArn are the transfers' destination.createBucket,
	// destination.createKmsKey and destination.kmsKeyArn.
	Create, CreateKmsKey bool
	KmsKeyArn            string
	// NoncurrentVersionExpirationDays is destination.noncurrentVersionExpirationDays.
	NoncurrentVersionExpirationDays int
	// RemoveDeletedPrincipals is destination.removeDeletedPrincipals.
	RemoveDeletedPrincipals bool
	// Owner is a token of OwnerTokenLength letters and digits that identifies the
	// construct owning the bucket's statements, in their Sids (see Sid). The
	// DestinationAccess construct sets it from its address; "" stands for a token of
	// the same length.
	Owner string
	// Transfers are the transfers into the bucket, as given (without defaults), in
	// the order given.
	Transfers []Transfer
}

// DestinationStackName is the name of the stack that owns a destination bucket's
// side: <bucket>-destination, with each '.' of the bucket name written as '-'
// (CloudFormation stack names allow letters, digits and hyphens). A bucket name that
// starts with a digit gets "s3-" in front, since a stack name must start with a letter.
func DestinationStackName(bucket string) string {
	name := strings.ReplaceAll(bucket, ".", "-") + "-destination"
	if name[0] >= '0' && name[0] <= '9' {
		name = "s3-" + name
	}
	return name
}

// Arn is the bucket's ARN.
func (b DestinationBucket) Arn() string { return fmt.Sprintf("arn:%s:s3:::%s", b.Partition, b.Name) }

// StackName is DestinationStackName of the bucket.
func (b DestinationBucket) StackName() string { return DestinationStackName(b.Name) }

// KeyAlias is the alias of the KMS key the destination stack creates for the bucket
// (createKmsKey): alias/datasync/<bucket>, with '.' written as '-'. The bucket-access
// roles' policies match the key by it, since the key's ID is known only after deployment.
func (b DestinationBucket) KeyAlias() string { return DestinationKeyAlias(b.Name) }

// DestinationKeyAlias is the KMS key alias of a destination bucket (see KeyAlias).
func DestinationKeyAlias(bucket string) string {
	return "alias/datasync/" + strings.ReplaceAll(bucket, ".", "-")
}

// GroupDestinations groups transfers by destination bucket, in the order the
// buckets first appear. Call it on transfers that passed ValidateSet: the bucket's
// settings are taken from its first transfer.
func GroupDestinations(ts []Transfer) []DestinationBucket {
	var out []DestinationBucket
	index := map[string]int{}
	for _, t := range ts {
		i, ok := index[t.Destination.Bucket]
		if !ok {
			i = len(out)
			index[t.Destination.Bucket] = i
			d := t.Destination
			out = append(out, DestinationBucket{
				Name: d.Bucket, Account: d.Account, Region: d.Region, Partition: t.Partition(),
				Create: d.CreateBucket, CreateKmsKey: d.CreateKmsKey, KmsKeyArn: d.KmsKeyArn,
				NoncurrentVersionExpirationDays: d.NoncurrentVersionExpirationDays, RemoveDeletedPrincipals: d.RemoveDeletedPrincipals,
			})
		}
		out[i].Transfers = append(out[i].Transfers, t)
	}
	return out
}

// ValidateSet checks transfers that are deployed together (one config file, one
// app): unique names, transfers into one bucket that agree about it, destination
// stack names that do not collide, overlapping prefixes that a REMOVE would empty,
// and the size of every bucket policy and key policy against its quota. Paths are
// transfers[i].<field>, and each problem names its transfer (FieldError.Transfer)
// and, when it is between two transfers, the other one by index and name. It assumes
// each transfer passed Validate.
func ValidateSet(ts []Transfer) error {
	c := &collector{}
	at := func(i int, field string) string { return fmt.Sprintf("transfers[%d].%s", i, field) }
	ref := func(i int) string { return fmt.Sprintf("transfers[%d] (%q)", i, ts[i].Name) }

	names := map[string]int{}
	for i, t := range ts {
		if j, dup := names[t.Name]; dup {
			c.add(at(i, "name"), t.Name, "is already the name of %s: names must be unique (they name the stacks, roles and task)", ref(j))
		} else {
			names[t.Name] = i
		}
	}

	firstOf := map[string]int{}    // bucket -> first transfer into it
	stackOf := map[string]string{} // destination stack name -> bucket
	disagree := map[string]bool{}  // buckets whose transfers disagree
	for i, t := range ts {
		d := t.Destination
		j, seen := firstOf[d.Bucket]
		if !seen {
			firstOf[d.Bucket] = i
			stack := DestinationStackName(d.Bucket)
			if other, clash := stackOf[stack]; clash {
				c.add(at(i, "destination.bucket"), d.Bucket, "maps to the stack name %s, as bucket %q of %s does: the app cannot name both buckets' stacks",
					stack, other, ref(firstOf[other]))
			}
			stackOf[stack] = d.Bucket
			continue
		}
		o := ts[j].Destination
		for _, f := range []struct {
			field    string
			mine, of any
			why      string
		}{
			{"account", d.Account, o.Account, "a bucket belongs to one account"},
			{"region", d.Region, o.Region, "a bucket lives in one Region"},
			{"createBucket", d.CreateBucket, o.CreateBucket, "the bucket is either created by its destination stack or exists already"},
			{"createKmsKey", d.CreateKmsKey, o.CreateKmsKey, "the bucket has one encryption key"},
			{"kmsKeyArn", d.KmsKeyArn, o.KmsKeyArn, "the bucket has one encryption key, and every transfer into it needs to be granted that key"},
			{"noncurrentVersionExpirationDays", d.NoncurrentVersionExpirationDays, o.NoncurrentVersionExpirationDays, "the bucket has one lifecycle"},
			{"removeDeletedPrincipals", d.RemoveDeletedPrincipals, o.RemoveDeletedPrincipals, "one resource writes the bucket's policy for all of them"},
		} {
			if f.mine != f.of {
				disagree[d.Bucket] = true
				c.add(at(i, "destination."+f.field), f.mine, "disagrees with %s, which gives %s for the same bucket %q: every transfer into one bucket must agree on it (%s)",
					ref(j), formatValue(f.of), d.Bucket, f.why)
			}
		}
	}

	for _, b := range GroupDestinations(ts) {
		if disagree[b.Name] {
			continue
		}
		first := firstOf[b.Name]
		checkOverlaps(c, ts, b.Name, at, ref)
		if size, budget := len(PolicyDocument(b.OwnedPolicyStatements())), b.PolicyBudget(); size > budget {
			reserve := ""
			if !b.Create {
				reserve = fmt.Sprintf(", less %d bytes left for the bucket's other statements", ForeignPolicyReserveBytes)
			}
			c.add(at(first, "destination.bucket"), b.Name,
				"would get %d bytes of bucket-policy statements from its %d transfers, over the budget of %d bytes (S3 allows %d bytes per bucket policy%s). "+
					"Ways out: split the transfers across several destination buckets, use fewer transfers into prefixes of this bucket (each prefix needs its own statement; "+
					"transfers without a prefix share one), or shorter transfer names (every role ARN is named in the policy)",
				size, len(b.Transfers), budget, MaxBucketPolicyBytes, reserve)
		}
		if b.CreateKmsKey {
			// The key policy also holds CDK's statement that lets the account administer the key.
			admin := Statement{Effect: "Allow", Principal: map[string]Values{"AWS": {AccountPrincipal(b.Partition, b.Account)}}, Action: Values{"kms:*"}, Resource: Values{"*"}}
			if size := len(PolicyDocument([]Statement{admin, b.KeyPolicyStatement()})); size > MaxKeyPolicyBytes {
				c.add(at(first, "destination.createKmsKey"), true, "would give the key of bucket %q a %d-byte key policy for its %d transfers, over KMS's limit of %d bytes: split the transfers across several buckets",
					b.Name, size, len(b.Transfers), MaxKeyPolicyBytes)
			}
		}
	}
	// Each problem names its transfer by name too, as it names the other one.
	for i := range c.errs {
		var n int
		if _, err := fmt.Sscanf(c.errs[i].Path, "transfers[%d]", &n); err == nil && n >= 0 && n < len(ts) {
			c.errs[i].Transfer = ts[n].Name
		}
	}
	return c.errs.Err()
}

// checkOverlaps keeps the transfers into one bucket apart. Two transfers either
// share a destination prefix (the same prefix, or both the whole bucket: both may
// write there, by choice) or use prefixes where neither contains the other; a prefix
// inside another transfer's (or a whole-bucket transfer beside prefix transfers)
// would let one transfer's role write and delete under the other's, since object
// grants cover everything under a prefix. And a preserveDeletedFiles REMOVE must not
// overlap another transfer's prefix at all: DataSync would delete that transfer's
// objects as "deleted at the source".
func checkOverlaps(c *collector, ts []Transfer, bucket string, at func(int, string) string, ref func(int) string) {
	var into []int
	for i, t := range ts {
		if t.Destination.Bucket == bucket {
			into = append(into, i)
		}
	}
	prefix := func(i int) string { return strings.Trim(ts[i].Destination.Prefix, "/") }
	for n, j := range into {
		for _, i := range into[:n] {
			if prefix(i) != prefix(j) && prefixesOverlap(prefix(i), prefix(j)) {
				c.add(at(j, "destination.prefix"), ts[j].Destination.Prefix, "overlaps %q of %s in bucket %q: one of the two would write and delete under the other's prefix. "+
					"Transfers into one bucket use the same prefix (to share it) or prefixes where neither contains the other; "+
					"a whole-bucket transfer (no prefix) shares the bucket only with other whole-bucket transfers",
					ts[i].Destination.Prefix, ref(i), bucket)
				break
			}
		}
	}
	for _, i := range into {
		if ts[i].WithDefaults().Task.PreserveDeletedFiles != "REMOVE" {
			continue
		}
		for _, j := range into {
			if j != i && prefixesOverlap(prefix(i), prefix(j)) {
				c.add(at(i, "task.preserveDeletedFiles"), "REMOVE", "would delete what %s writes: its destination prefix %q overlaps %q in bucket %q. "+
					"Use PRESERVE, or destination prefixes where neither contains the other", ref(j), ts[j].Destination.Prefix, ts[i].Destination.Prefix, bucket)
				break
			}
		}
	}
}

// Default quotas that can be raised (Service Quotas), checked by QuotaWarnings.
const (
	// DataSyncTasksQuota is DataSync's default number of tasks per account and Region.
	DataSyncTasksQuota = 100
	// IAMRolesQuota is IAM's default number of roles per account.
	IAMRolesQuota = 1000
)

// QuotaWarnings reports adjustable quotas the transfers would exceed with their
// default values: DataSync tasks per account and Region, IAM roles per account. A
// deploy past them fails unless the quota was raised first.
func QuotaWarnings(ts []Transfer) []string {
	tasks := map[[2]string]int{}
	roles := map[string]int{}
	var order [][2]string
	for _, t := range ts {
		k := [2]string{t.Source.Account, t.Destination.Region}
		if tasks[k] == 0 {
			order = append(order, k)
		}
		tasks[k]++
		roles[t.Source.Account] += 2
	}
	var out []string
	seen := map[string]bool{}
	for _, k := range order {
		if n := tasks[k]; n > DataSyncTasksQuota {
			out = append(out, fmt.Sprintf("account %s would have %d DataSync tasks in %s; DataSync's default quota is %d tasks per account and Region. "+
				"Request an increase (Service Quotas, AWS DataSync, \"Tasks\") before deploying, or the source stacks past the quota fail.", k[0], n, k[1], DataSyncTasksQuota))
		}
		if n := roles[k[0]]; n > IAMRolesQuota && !seen[k[0]] {
			seen[k[0]] = true
			out = append(out, fmt.Sprintf("account %s would get %d IAM roles from these transfers (two each); IAM's default quota is %d roles per account. "+
				"Request an increase (Service Quotas, IAM, \"Roles per account\") before deploying.", k[0], n, IAMRolesQuota))
		}
	}
	return out
}
