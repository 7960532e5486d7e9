package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ownershipControls disables ACLs (BucketOwnerEnforced) on a bucket the stack does
// not own, so every object DataSync writes from the source account belongs to the
// destination account.
//
// It reads before it writes. A bucket already at BucketOwnerEnforced is left alone.
// A bucket whose ACL grants anyone but the bucket owner (an S3 server-access-log
// target granting the log delivery group, a CloudFront standard-log bucket, a grant
// to another account, a public grant) fails at once, naming each grant: S3 would
// refuse the change with InvalidBucketAclWithObjectOwnership, and if it did not, the
// change would silently cut off whoever relies on the grant. Anything else is set to
// BucketOwnerEnforced.
//
// Delete leaves the setting as it is: objects written meanwhile are owned by the
// bucket owner either way, other transfers into the same bucket rely on it, and
// turning ACLs back on would silently weaken the bucket's security.
func (h *Handler) ownershipControls(ctx context.Context, event cfn.Event) (Result, error) {
	if event.RequestType == cfn.RequestDelete {
		return Result{PhysicalID: event.PhysicalResourceID}, nil
	}
	p, _, err := props[OwnershipControlsProps](event)
	if err != nil {
		return Result{}, err
	}
	client := h.S3(p.Region)
	done := Result{PhysicalID: p.Bucket}
	current, err := retryIAM(ctx, h.Retry, "GetBucketOwnershipControls", func() (s3types.ObjectOwnership, error) {
		out, err := client.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(p.Bucket)})
		if code, _ := awsErrorOf(err); code == "OwnershipControlsNotFoundError" {
			return "", nil // never set: ACLs are enabled (ObjectWriter)
		}
		if err != nil || out.OwnershipControls == nil || len(out.OwnershipControls.Rules) == 0 {
			return "", err
		}
		return out.OwnershipControls.Rules[0].ObjectOwnership, nil
	})
	if err != nil {
		return Result{}, err
	}
	if current == s3types.ObjectOwnershipBucketOwnerEnforced {
		return done, nil
	}
	acl, err := retryIAM(ctx, h.Retry, "GetBucketAcl", func() (*s3.GetBucketAclOutput, error) {
		return client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(p.Bucket)})
	})
	if err != nil {
		return Result{}, err
	}
	if others := foreignGrants(acl); len(others) > 0 {
		return Result{}, aclError(p.Bucket, others, nil)
	}
	_, err = retryIAM(ctx, h.Retry, "PutBucketOwnershipControls", func() (*s3.PutBucketOwnershipControlsOutput, error) {
		return client.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{
			Bucket: aws.String(p.Bucket),
			OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{
				{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced},
			}},
		})
	})
	if code, _ := awsErrorOf(err); code == "InvalidBucketAclWithObjectOwnership" {
		// Someone added a grant after we read the ACL.
		return Result{}, aclError(p.Bucket, nil, err)
	}
	if err != nil {
		return Result{}, err
	}
	return done, nil
}

// Well-known grantee groups of S3 ACLs.
var aclGroups = map[string]string{
	"http://acs.amazonaws.com/groups/global/AllUsers":           "everyone (AllUsers)",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "any AWS account (AuthenticatedUsers)",
	"http://acs.amazonaws.com/groups/s3/LogDelivery":            "the S3 log delivery group (LogDelivery)",
}

// foreignGrants describes every grant of a bucket ACL to anyone but the bucket owner.
func foreignGrants(acl *s3.GetBucketAclOutput) []string {
	ownerID := ""
	if acl.Owner != nil {
		ownerID = aws.ToString(acl.Owner.ID)
	}
	var out []string
	for _, g := range acl.Grants {
		who := "an unknown grantee"
		if e := g.Grantee; e != nil {
			switch {
			case e.Type == s3types.TypeCanonicalUser && aws.ToString(e.ID) == ownerID:
				continue
			case e.Type == s3types.TypeCanonicalUser:
				who = "canonical user " + aws.ToString(e.ID)
				if n := aws.ToString(e.DisplayName); n != "" {
					who += " (" + n + ")"
				}
			case e.Type == s3types.TypeGroup:
				who = cmp.Or(aclGroups[aws.ToString(e.URI)], "group "+aws.ToString(e.URI))
			case e.Type == s3types.TypeAmazonCustomerByEmail:
				who = "account of " + aws.ToString(e.EmailAddress)
			}
		}
		out = append(out, fmt.Sprintf("%s to %s", g.Permission, who))
	}
	return out
}

// aclError explains why ACLs cannot be disabled on bucket, and the ways out.
func aclError(bucket string, grants []string, awsErr error) error {
	what := "its ACL grants access to others than the bucket owner"
	if len(grants) > 0 {
		what = "its ACL grants " + strings.Join(grants, "; ")
	}
	msg := fmt.Sprintf("bucket %s: cannot disable ACLs (Object Ownership BucketOwnerEnforced), which every DataSync "+
		"transfer into it needs so that the destination account owns the objects: %s. Disabling ACLs would end those "+
		"grants. Ways out: remove those grants from the bucket ACL (if the bucket receives S3 server access logs, grant "+
		"the logging.s3.amazonaws.com service principal s3:PutObject in the bucket policy first); or choose a destination "+
		"bucket whose ACLs are already disabled; or let this project create the destination bucket (destination.createBucket: true)",
		bucket, what)
	if awsErr != nil {
		return fmt.Errorf("%s: %w", msg, awsErr)
	}
	return errors.New(msg)
}

// maxPolicyWrites bounds the rounds of read, merge, write and read back when the
// policy keeps changing under us.
const maxPolicyWrites = 5

// bucketPolicyStatements keeps this resource's statements in the bucket policy of a
// bucket the stack does not own, leaving every other statement as it is.
func (h *Handler) bucketPolicyStatements(ctx context.Context, event cfn.Event) (Result, error) {
	var p BucketPolicyStatementsProps
	if err := decodeProps(event.ResourceProperties, &p); err != nil {
		return Result{}, err
	}
	physicalID := p.Bucket + "/policy-statements"
	ours, sids, err := ParseStatements(p.Statements)
	if err != nil {
		return Result{}, err
	}
	var remove []string
	switch event.RequestType {
	case cfn.RequestDelete:
		remove, ours = sids, nil
		if event.PhysicalResourceID != physicalID {
			// The create failed before anything was written.
			return Result{PhysicalID: event.PhysicalResourceID}, nil
		}
	case cfn.RequestUpdate:
		var old BucketPolicyStatementsProps
		if err := decodeProps(event.OldResourceProperties, &old); err != nil {
			return Result{}, err
		}
		if old.replacedBy(p) {
			// A new bucket: CloudFormation's delete of the old physical ID cleans up there.
			break
		}
		if _, oldSids, err := ParseStatements(old.Statements); err == nil {
			remove = slices.DeleteFunc(oldSids, func(s string) bool { return slices.Contains(sids, s) })
		}
	}
	err = h.mergeBucketPolicy(ctx, h.S3(p.Region), p.Bucket, ours, remove)
	if event.RequestType == cfn.RequestDelete && isNotFound(err) {
		err = nil // the bucket is gone, and our statements with it
	}
	// The physical ID is reported even when a create fails, so the rollback's delete
	// takes out whatever part of our statements was written.
	return Result{PhysicalID: physicalID}, err
}

// mergeBucketPolicy puts ours into the bucket policy and takes the statements with
// a Sid in remove out of it, and makes sure that the result holds.
//
// S3 has no conditional write for bucket policies: a writer that read the policy
// before our write and writes after it drops what we wrote, and our write drops what
// a writer wrote between our read and our write. So every round reads, merges,
// writes, waits PolicySettle and reads back, and the round holds only when the
// policy read back has ours unchanged, none of the removed ones, and every statement
// that is not ours that we wrote, unchanged (compared semantically and as a
// multiset: S3 may reformat a policy). Otherwise the next round merges again from a
// fresh read, so a concurrent writer's statements are kept, not overwritten; after
// maxPolicyWrites rounds it fails naming what kept going missing. A writer that uses
// the same protocol (another instance of this provider) heals whatever our write
// dropped of its statements the same way; a writer that does not check back (a
// person, another tool) can lose a statement written in the milliseconds between our
// read and our write, which no S3 API lets us prevent.
func (h *Handler) mergeBucketPolicy(ctx context.Context, client S3API, bucket string, ours []Statement, remove []string) error {
	var conflicts []string
	for round := 1; round <= maxPolicyWrites; round++ {
		// An IAM-propagation error repeats the whole round: a merge is written only
		// right after the read it was computed from.
		written, err := retryIAM(ctx, h.Retry, "bucket policy of "+bucket, func() ([]byte, error) {
			return h.writeMerged(ctx, client, bucket, ours, remove)
		})
		if err != nil {
			return err
		}
		if err := h.Retry.sleep(ctx, h.PolicySettle); err != nil {
			return err
		}
		after, err := retryIAM(ctx, h.Retry, "GetBucketPolicy", func() ([]byte, error) {
			return getBucketPolicy(ctx, client, bucket)
		})
		if err != nil {
			return err
		}
		if conflicts = policyConflicts(after, written, ours, remove); len(conflicts) == 0 {
			return nil
		}
		log.Printf("bucket %s: the policy changed under round %d of %d: %s", bucket, round, maxPolicyWrites, strings.Join(conflicts, "; "))
	}
	return fmt.Errorf("bucket %s: another writer kept changing the bucket policy at the same time; after %d rounds of read, merge, "+
		"write and read back: %s. Deploy again once the other change (another stack, a pipeline, a person) is done",
		bucket, maxPolicyWrites, strings.Join(conflicts, "; "))
}

// writeMerged reads the policy, merges ours in and the removed ones out, writes the
// result if it differs, and returns what the bucket should now hold (nil: no policy).
// When nothing but ours would be left it reads again right before deleting the
// policy, and deletes it only if that is still so.
func (h *Handler) writeMerged(ctx context.Context, client S3API, bucket string, ours []Statement, remove []string) ([]byte, error) {
	current, merged, err := readAndMerge(ctx, client, bucket, ours, remove)
	if err == nil && merged == nil && current != nil {
		current, merged, err = readAndMerge(ctx, client, bucket, ours, remove)
	}
	if err != nil {
		return nil, err
	}
	if err := checkPolicySize(bucket, merged, ours); err != nil {
		return nil, err
	}
	switch {
	case current == nil && merged == nil, current != nil && merged != nil && jsonEqual(current, merged):
		// Nothing to change.
	case merged == nil:
		_, err = client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
		if isNoSuchBucketPolicy(err) {
			err = nil
		}
	default:
		_, err = client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(merged))})
	}
	return merged, err
}

func readAndMerge(ctx context.Context, client S3API, bucket string, ours []Statement, remove []string) (current, merged []byte, err error) {
	if current, err = getBucketPolicy(ctx, client, bucket); err != nil {
		return nil, nil, err
	}
	if merged, err = MergePolicy(current, ours, remove); err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w", bucket, err)
	}
	return current, merged, nil
}

// getBucketPolicy returns the bucket's policy, or nil when it has none.
func getBucketPolicy(ctx context.Context, client S3API, bucket string) ([]byte, error) {
	out, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if isNoSuchBucketPolicy(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(aws.ToString(out.Policy)), nil
}
