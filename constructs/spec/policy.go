package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Statement is one IAM policy statement as this project writes it into resource
// policies (the destination bucket policy, a KMS key policy). It marshals compactly:
// a list of one value is written as a string, empty parts are left out, so that the
// size computed at synth time is the size S3 and KMS see.
type Statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]Values            `json:"Principal,omitempty"`
	Action    Values                       `json:"Action"`
	Resource  Values                       `json:"Resource"`
	Condition map[string]map[string]Values `json:"Condition,omitempty"`
}

// Values is a policy element that holds one or more strings.
type Values []string

// MarshalJSON writes a single value as a string and several as a list.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]string(v))
}

// PolicyDocument is the policy that holds the statements.
func PolicyDocument(stmts []Statement) []byte {
	doc, err := json.Marshal(struct {
		Version   string      `json:"Version"`
		Statement []Statement `json:"Statement"`
	}{"2012-10-17", stmts})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return doc
}

// Quotas of the policies this project writes (bytes of the JSON document).
const (
	// MaxBucketPolicyBytes is S3's limit for a bucket policy (20 KB).
	MaxBucketPolicyBytes = 20 * 1024
	// ForeignPolicyReserveBytes is left in an existing bucket's policy for statements
	// that are not this project's.
	ForeignPolicyReserveBytes = 4 * 1024
	// MaxKeyPolicyBytes is KMS's limit for a key policy (32 KB).
	MaxKeyPolicyBytes = 32 * 1024
)

// Actions of the DataSync bucket-access role, split by the resource they apply to:
// DataSync's "Required permissions" for Amazon S3 source and destination locations
// (AWS DataSync User Guide, "Configuring AWS DataSync transfers with Amazon S3",
// create-s3-location.html#create-s3-location-required-permissions). Its destination
// policy lists the cross-account tutorial's seven object actions plus
// s3:GetObjectVersion and s3:GetObjectVersionTagging (the tutorial's earlier revision,
// seed/datasync-s3-cross-account-tutorial.txt, has the seven); its source policy is
// SourceBucketActions and SourceObjectActions.
var (
	// DestinationBucketActions apply to the destination bucket itself.
	DestinationBucketActions = []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
	// DestinationObjectActions apply to the objects under the destination prefix.
	DestinationObjectActions = []string{
		"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion",
		"s3:GetObjectVersionTagging", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging",
	}
	// SourceBucketActions apply to the source bucket itself.
	SourceBucketActions = []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
	// SourceObjectActions read the objects under the source prefix, including the
	// versions of a versioned bucket.
	SourceObjectActions = []string{
		"s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:GetObjectVersionTagging", "s3:ListMultipartUploadParts",
	}
	// DestinationKeyActions let the bucket-access role write SSE-KMS objects.
	DestinationKeyActions = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
	// SourceKeyActions let the bucket-access role read SSE-KMS objects.
	SourceKeyActions = []string{"kms:Decrypt", "kms:DescribeKey"}
)

// BucketArn is the ARN of a bucket in the transfer's partition.
func (t Transfer) BucketArn(bucket string) string {
	return fmt.Sprintf("arn:%s:s3:::%s", t.Partition(), bucket)
}

// ObjectsArn is the ARN of the objects a transfer may touch in a bucket: those
// under prefix, or every object when prefix is empty.
func ObjectsArn(bucketArn, prefix string) string {
	if p := strings.Trim(prefix, "/"); p != "" {
		return bucketArn + "/" + p + "/*"
	}
	return bucketArn + "/*"
}

// AccountPrincipal is the root ARN of an account: a policy principal that stands
// for the account, narrowed to a role by an aws:PrincipalArn condition.
func AccountPrincipal(partition, account string) string {
	return fmt.Sprintf("arn:%s:iam::%s:root", partition, account)
}

// Kinds of this project's statements in a destination bucket's policy and key
// policy. A statement's Sid is "DataSync" + the owner's token + the kind (Sid).
// The provider recognises its statements by Sid; every statement of a bucket is
// managed by the one resource of the bucket's destination stack.
const (
	SidBucket                = "Bucket"
	SidWholeBucket           = "WholeBucket"
	SidPrefix                = "Prefix" // followed by 1, 2, ...
	SidKeyAccess             = "KeyAccess"
	SidDenyInsecureTransport = "DenyInsecureTransport"
)

// OwnerTokenLength is the length of DestinationBucket.Owner.
const OwnerTokenLength = 6

// Sid is the Sid of this owner's statement of a kind: DataSync<owner><kind>. The
// owner's token keeps the statements of two owners of one bucket apart (two
// constructs, or one renamed, whose old resource's delete runs after the new one's
// create): each removes only its own.
func (b DestinationBucket) Sid(kind string) string {
	owner := b.Owner
	if owner == "" {
		owner = strings.Repeat("X", OwnerTokenLength) // same length: sizes computed without an owner hold
	}
	return "DataSync" + owner + kind
}

// BucketPolicyStatements are the statements the destination bucket's policy needs
// for every transfer into it. They are built to be small (S3 allows 20 KB per bucket
// policy) and to keep transfers apart:
//
//   - Bucket: the bucket-level actions (GetBucketLocation, ListBucket,
//     ListBucketMultipartUploads) on the bucket, for every location-admin role (the
//     location access test lists the bucket as the caller of CreateLocationS3) and
//     the bucket-access role of every transfer into a prefix;
//   - WholeBucket: the twelve actions of DataSync's destination permissions on the bucket and all its
//     objects, for the bucket-access roles of transfers without a prefix;
//   - Prefix<n>: the object-level actions on bucket/prefix/*, for the
//     bucket-access roles that write that prefix (prefixes with the same roles share
//     a statement).
//
// Each statement names the source accounts as principals and pins the exact role ARNs
// with ArnEquals aws:PrincipalArn, so the bucket policy alone keeps a role to its own
// prefix whatever its own account grants it, and can be written before the roles
// exist (DESIGN.md, "Principals").
func (b DestinationBucket) BucketPolicyStatements() []Statement {
	var listers, wholeBucket roleSet
	prefixes := map[string]*roleSet{}
	for _, t := range b.Transfers {
		listers.add(t, Transfer.LocationAdminRoleName)
		p := strings.Trim(t.Destination.Prefix, "/")
		if p == "" {
			wholeBucket.add(t, Transfer.BucketAccessRoleName)
			continue
		}
		listers.add(t, Transfer.BucketAccessRoleName)
		if prefixes[p] == nil {
			prefixes[p] = &roleSet{}
		}
		prefixes[p].add(t, Transfer.BucketAccessRoleName)
	}
	arn := b.Arn()
	stmts := []Statement{listers.statement(b.Sid(SidBucket), b.Partition, DestinationBucketActions, arn)}
	if len(wholeBucket.roles) > 0 {
		stmts = append(stmts, wholeBucket.statement(b.Sid(SidWholeBucket), b.Partition,
			append(slices.Clone(DestinationBucketActions), DestinationObjectActions...), arn, arn+"/*"))
	}
	// Prefixes written by the same roles share one statement.
	byRoles := map[string][]string{}
	for _, p := range sortedKeys(prefixes) {
		key := strings.Join(prefixes[p].sortedRoles(), " ")
		byRoles[key] = append(byRoles[key], ObjectsArn(arn, p))
	}
	n := 0
	for _, p := range sortedKeys(prefixes) {
		key := strings.Join(prefixes[p].sortedRoles(), " ")
		resources, ok := byRoles[key]
		if !ok {
			continue // already written with an earlier prefix
		}
		delete(byRoles, key)
		n++
		stmts = append(stmts, prefixes[p].statement(b.Sid(fmt.Sprintf("%s%d", SidPrefix, n)), b.Partition, DestinationObjectActions, resources...))
	}
	return stmts
}

// DenyInsecureTransportStatement denies requests without TLS to the bucket, for a
// bucket policy the destination stack owns.
func (b DestinationBucket) DenyInsecureTransportStatement() Statement {
	arn := b.Arn()
	return Statement{
		Sid: b.Sid(SidDenyInsecureTransport), Effect: "Deny", Principal: map[string]Values{"AWS": {"*"}},
		Action: Values{"s3:*"}, Resource: Values{arn, arn + "/*"},
		Condition: map[string]map[string]Values{"Bool": {"aws:SecureTransport": {"false"}}},
	}
}

// KeyPolicyStatement is the statement the destination bucket's KMS key policy needs:
// every transfer's bucket-access role may encrypt and decrypt with the key.
func (b DestinationBucket) KeyPolicyStatement() Statement {
	var roles roleSet
	for _, t := range b.Transfers {
		roles.add(t, Transfer.BucketAccessRoleName)
	}
	return roles.statement(b.Sid(SidKeyAccess), b.Partition, DestinationKeyActions, "*")
}

// PolicyBudget is the size the bucket policy statements of BucketPolicyStatements
// (with the TLS deny when the stack owns the bucket policy) may reach: S3's limit,
// less a reserve for other statements when the policy is merged into an existing
// bucket's.
func (b DestinationBucket) PolicyBudget() int {
	if b.Create {
		return MaxBucketPolicyBytes
	}
	return MaxBucketPolicyBytes - ForeignPolicyReserveBytes
}

// OwnedPolicyStatements are the statements this project puts into the bucket's
// policy: BucketPolicyStatements, and the TLS deny for a bucket the stack creates.
func (b DestinationBucket) OwnedPolicyStatements() []Statement {
	stmts := b.BucketPolicyStatements()
	if b.Create {
		stmts = append(stmts, b.DenyInsecureTransportStatement())
	}
	return stmts
}

// roleSet collects the source-account roles a statement names.
type roleSet struct {
	accounts map[string]bool
	roles    map[string]bool
}

func (s *roleSet) add(t Transfer, roleName func(Transfer) string) {
	if s.roles == nil {
		s.accounts, s.roles = map[string]bool{}, map[string]bool{}
	}
	s.accounts[AccountPrincipal(t.Partition(), t.Source.Account)] = true
	s.roles[t.RoleArn(roleName(t))] = true
}

func (s *roleSet) sortedRoles() []string { return sortedKeys(s.roles) }

// statement allows actions on resources to the roles: their accounts as principals,
// each role pinned by its exact ARN.
func (s *roleSet) statement(sid, partition string, actions []string, resources ...string) Statement {
	return Statement{
		Sid: sid, Effect: "Allow",
		Principal: map[string]Values{"AWS": sortedKeys(s.accounts)},
		Action:    actions, Resource: resources,
		Condition: map[string]map[string]Values{"ArnEquals": {"aws:PrincipalArn": s.sortedRoles()}},
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
