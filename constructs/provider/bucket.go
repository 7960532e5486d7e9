package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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

// maxPolicyWrites bounds the read-merge-write rounds when concurrent writers keep
// dropping our statements.
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
		remove, ours, sids = sids, nil, nil
		if event.PhysicalResourceID != physicalID {
			// The create failed before anything was written.
			return Result{PhysicalID: event.PhysicalResourceID}, nil
		}
	case cfn.RequestUpdate:
		var old BucketPolicyStatementsProps
		if err := decodeProps(event.OldResourceProperties, &old); err != nil {
			return Result{}, err
		}
		if old.Bucket != p.Bucket {
			// A new bucket: CloudFormation's delete of the old physical ID cleans up there.
			break
		}
		if _, oldSids, err := ParseStatements(old.Statements); err == nil {
			remove = slices.DeleteFunc(oldSids, func(s string) bool { return slices.Contains(sids, s) })
		}
	}
	err = h.mergeBucketPolicy(ctx, h.S3(p.Region), p.Bucket, ours, sids, remove)
	if event.RequestType == cfn.RequestDelete && isNotFound(err) {
		err = nil // the bucket is gone, and our statements with it
	}
	// The physical ID is reported even when a create fails, so the rollback's delete
	// takes out whatever part of our statements was written.
	return Result{PhysicalID: physicalID}, err
}

// mergeBucketPolicy reads the policy, merges, writes, and reads it back until ours
// are there (a concurrent writer that read before our write would have dropped them).
func (h *Handler) mergeBucketPolicy(ctx context.Context, client S3API, bucket string, ours []Statement, sids, remove []string) error {
	for round := 1; ; round++ {
		current, err := h.getBucketPolicy(ctx, client, bucket)
		if err != nil {
			return err
		}
		merged, err := MergePolicy(current, ours, remove)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", bucket, err)
		}
		unchanged := (current == nil && merged == nil) || (current != nil && merged != nil && jsonEqual(current, merged))
		if !unchanged {
			if err := h.writeBucketPolicy(ctx, client, bucket, merged); err != nil {
				return err
			}
		}
		if len(ours) == 0 {
			return nil
		}
		if err := h.Retry.sleep(ctx, h.PolicySettle); err != nil {
			return err
		}
		after, err := h.getBucketPolicy(ctx, client, bucket)
		if err != nil {
			return err
		}
		if hasSids(after, sids) {
			return nil
		}
		if round == maxPolicyWrites {
			return fmt.Errorf("bucket %s: another writer kept replacing the bucket policy; our statements %v were dropped %d times", bucket, sids, round)
		}
	}
}

func (h *Handler) getBucketPolicy(ctx context.Context, client S3API, bucket string) ([]byte, error) {
	out, err := retryIAM(ctx, h.Retry, "GetBucketPolicy", func() (*s3.GetBucketPolicyOutput, error) {
		return client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	})
	if err != nil {
		if isNoSuchBucketPolicy(err) {
			return nil, nil
		}
		return nil, err
	}
	return []byte(aws.ToString(out.Policy)), nil
}

func (h *Handler) writeBucketPolicy(ctx context.Context, client S3API, bucket string, policy []byte) error {
	if policy == nil {
		_, err := retryIAM(ctx, h.Retry, "DeleteBucketPolicy", func() (*s3.DeleteBucketPolicyOutput, error) {
			return client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
		})
		if isNoSuchBucketPolicy(err) {
			return nil
		}
		return err
	}
	_, err := retryIAM(ctx, h.Retry, "PutBucketPolicy", func() (*s3.PutBucketPolicyOutput, error) {
		return client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(policy))})
	})
	return err
}
