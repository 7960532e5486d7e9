package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
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
	p, _, err := props[resource.OwnershipControlsProps](event)
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
	var p resource.BucketPolicyStatementsProps
	if err := resource.Decode(event.ResourceProperties, &p); err != nil {
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
		var old resource.BucketPolicyStatementsProps
		if err := resource.Decode(event.OldResourceProperties, &old); err != nil {
			return Result{}, err
		}
		if old.ReplacedBy(p) {
			// A new bucket: CloudFormation's delete of the old physical ID cleans up there.
			break
		}
		if _, oldSids, err := ParseStatements(old.Statements); err == nil {
			remove = slices.DeleteFunc(oldSids, func(s string) bool { return slices.Contains(sids, s) })
		}
	}
	opts := mergeOptions{removeDead: p.RemoveDeletedPrincipals == "true", deleting: event.RequestType == cfn.RequestDelete}
	removed, err := h.mergeBucketPolicy(ctx, h.S3(p.Region), p.Bucket, ours, remove, opts)
	if event.RequestType == cfn.RequestDelete && isNotFound(err) {
		err = nil // the bucket is gone, and our statements with it
	}
	// The physical ID is reported even when a create fails, so the rollback's delete
	// takes out whatever part of our statements was written.
	res := Result{PhysicalID: physicalID}
	if len(removed.ids) > 0 {
		res.Message = removed.message(p.Bucket)
		res.Data = map[string]any{
			"RemovedDeletedPrincipals": fmt.Sprint(len(removed.ids)),
			"RemovedStatements":        fmt.Sprint(len(removed.statements)),
		}
		log.Print(res.Message)
	}
	return res, err
}

// mergeOptions are the choices of one bucket-policy request.
type mergeOptions struct {
	// removeDead lets the provider take unique IDs of deleted principals out of
	// statements that are not ours (destination.removeDeletedPrincipals).
	removeDead bool
	// deleting: the request takes our statements out (a stack delete).
	deleting bool
}

// removedPrincipals is what the provider took out of the policy, over all rounds.
type removedPrincipals struct {
	ids        []deadPrincipal
	statements []string
}

func (r *removedPrincipals) add(p principalsPruned) {
	for _, d := range p.Removed {
		if !slices.Contains(r.ids, d) {
			r.ids = append(r.ids, d)
		}
	}
	for _, s := range p.DroppedStatements {
		if !slices.Contains(r.statements, s) {
			r.statements = append(r.statements, s)
		}
	}
}

// message is the report of the removal, for the stack event and the log.
func (r removedPrincipals) message(bucket string) string {
	msg := fmt.Sprintf("bucket %s: removed %d unique ID(s) of deleted IAM principals from the bucket policy "+
		"(destination.removeDeletedPrincipals: true): %s", bucket, len(r.ids), describeDead(r.ids))
	if len(r.statements) > 0 {
		msg += fmt.Sprintf("; and %d statement(s) left without any principal: %s", len(r.statements), strings.Join(r.statements, ", "))
	}
	return msg
}

// mergeBucketPolicy puts ours into the bucket policy and takes the statements with
// a Sid in remove out of it, and makes sure that the result holds. It returns what
// it removed of deleted principals (opts.removeDead).
//
// S3 has no conditional write for bucket policies: a writer that read the policy
// before our write and writes after it drops what we wrote, and our write drops what
// a writer wrote between our read and our write. So every round reads, merges,
// writes and reads back (readBack), and the round holds only when the policy read
// back has ours unchanged, none of the removed ones, and every statement that is not
// ours that we wrote, unchanged (compared semantically and as a multiset: S3 may
// reformat a policy). Otherwise the next round merges again from a fresh read, so a
// concurrent writer's statements are kept, not overwritten; after maxPolicyWrites
// rounds it fails naming what kept going missing. A writer that uses the same
// protocol (another instance of this provider) heals whatever our write dropped of
// its statements the same way; a writer that does not check back (a person, another
// tool) can lose a statement written in the milliseconds between our read and our
// write, which no S3 API lets us prevent.
//
// Writes are sent once (writeOnce), never resent by the SDK: S3's SlowDown or a 5xx
// would otherwise have the same merge resent for many seconds, long after the read
// it was computed from, dropping a statement written meanwhile or deleting a policy
// put meanwhile. Such an error (and a lost answer: the write may have taken effect)
// starts the next round instead, after a pause (h.Retry's backoff), from a fresh
// read; it counts against maxPolicyWrites.
func (h *Handler) mergeBucketPolicy(ctx context.Context, client S3API, bucket string, ours []Statement, remove []string, opts mergeOptions) (removedPrincipals, error) {
	var removed removedPrincipals
	var last readBackResult
	wait := h.Retry.Initial
	for round := 1; round <= maxPolicyWrites; round++ {
		// An IAM-propagation error repeats the whole round: a merge is written only
		// right after the read it was computed from.
		w, err := retryIAM(ctx, h.Retry, "bucket policy of "+bucket, func() (policyWrite, error) {
			return h.writeMerged(ctx, client, bucket, ours, remove, opts)
		})
		if err != nil && mayHaveActed(err) {
			// SlowDown, a 5xx, a lost answer: the write is sent once (writeOnce), and
			// the next round merges again from a fresh read, after a pause.
			if round == maxPolicyWrites {
				return removed, fmt.Errorf("bucket %s: S3 refused or did not answer the bucket-policy write in each of %d rounds of "+
					"read, merge and write; run the stack operation again later: %w", bucket, maxPolicyWrites, err)
			}
			log.Printf("bucket %s: round %d of %d: the write failed (%v); reading and merging again in %s", bucket, round, maxPolicyWrites, err, wait)
			if err := h.Retry.sleep(ctx, wait); err != nil {
				return removed, fmt.Errorf("bucket %s: %w (after: %w)", bucket, err, ctx.Err())
			}
			wait = min(2*wait, h.Retry.Max)
			continue
		}
		if err != nil {
			return removed, err
		}
		removed.add(w.pruned)
		if last, err = h.readBack(ctx, client, bucket, w, ours, remove); err != nil {
			return removed, err
		}
		if len(last.conflicts) == 0 {
			return removed, nil
		}
		log.Printf("bucket %s: round %d of %d did not hold (%s): %s", bucket, round, maxPolicyWrites, last.what(), strings.Join(last.conflicts, "; "))
	}
	if last.stale {
		return removed, fmt.Errorf("bucket %s: after %d rounds of read, merge, write and read back, S3 still showed the bucket policy "+
			"from before the write (%s after the last write): %s. Either S3 took unusually long to show the change or another writer "+
			"keeps putting the old policy back; deploy again once the other change (another stack, a pipeline, a person) is done",
			bucket, maxPolicyWrites, last.what(), strings.Join(last.conflicts, "; "))
	}
	return removed, fmt.Errorf("bucket %s: another writer kept changing the bucket policy at the same time; after %d rounds of read, merge, "+
		"write and read back: %s. Deploy again once the other change (another stack, a pipeline, a person) is done",
		bucket, maxPolicyWrites, strings.Join(last.conflicts, "; "))
}

// policyWrite is what one round did.
type policyWrite struct {
	// before is the policy read right before the write (nil: none); written is what
	// the bucket should hold now (nil: no policy).
	before, written []byte
	// wrote: the round put or deleted the policy (otherwise it had nothing to change).
	wrote  bool
	pruned principalsPruned
}

// DefaultPolicyReadBack paces the reads after a bucket-policy write while they still
// show the policy from before it: 1 s, 2 s, 4 s, then every 5 s, for up to 30 s.
// S3 documents bucket configurations as eventually consistent ("Bucket
// configurations have an eventual consistency model",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel).
var DefaultPolicyReadBack = Backoff{Initial: time.Second, Max: 5 * time.Second, Budget: 30 * time.Second}

// readBackResult is the outcome of reading a policy back after a write.
type readBackResult struct {
	// conflicts are what the last read lacks of the write (policyConflicts); none:
	// the write holds.
	conflicts []string
	// stale: the last read still showed the policy from before the write.
	stale  bool
	reads  int
	waited time.Duration
}

func (r readBackResult) what() string {
	if r.stale {
		return fmt.Sprintf("%d reads over %s still showed the policy from before the write", r.reads, r.waited)
	}
	return "another writer changed the policy"
}

// readBack reads the policy after a write until a read shows the write, or shows a
// change by someone else. It waits PolicySettle before the first read, long enough
// for a concurrent writer's read-to-write window (milliseconds) to close, so that a
// write that raced ours has landed when we look. A read that still shows the policy
// from before our write is not a conflict: S3 may show a bucket's configuration late,
// so it reads again, paced by PolicyReadBack, until that budget is spent. Only a read
// that shows anything else (ours missing or changed, another statement missing or
// changed) is a conflict, and it ends the polling at once.
func (h *Handler) readBack(ctx context.Context, client S3API, bucket string, w policyWrite, ours []Statement, remove []string) (readBackResult, error) {
	var r readBackResult
	if err := h.Retry.sleep(ctx, h.PolicySettle); err != nil {
		return r, err
	}
	poll := h.PolicyReadBack
	if poll.Budget == 0 {
		poll = DefaultPolicyReadBack
	}
	if poll.Sleep == nil {
		poll.Sleep = h.Retry.Sleep
	}
	var readErr error
	_, spent, err := poll.loop(ctx, func() bool {
		r.reads++
		after, err := retryIAM(ctx, h.Retry, "GetBucketPolicy", func() ([]byte, error) {
			return getBucketPolicy(ctx, client, bucket)
		})
		if err != nil {
			readErr = err
			return true
		}
		r.conflicts = policyConflicts(after, w.written, ours, remove)
		r.stale = len(r.conflicts) > 0 && w.wrote && samePolicy(after, w.before)
		return !r.stale
	})
	r.waited = h.PolicySettle + spent
	switch {
	case readErr != nil:
		return r, readErr
	case err != nil && err != errBudget:
		return r, err
	}
	return r, nil
}

// samePolicy reports whether two bucket policies (nil: none) hold the same
// statements, by meaning (see canonicalStatement) and as a multiset.
func samePolicy(a, b []byte) bool {
	_, sa, errA := parsePolicy(a)
	_, sb, errB := parsePolicy(b)
	if errA != nil || errB != nil || len(sa) != len(sb) {
		return false
	}
	canon := func(stmts []Statement) []string {
		out := make([]string, len(stmts))
		for i, s := range stmts {
			out[i] = canonicalStatement(s)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(canon(sa), canon(sb))
}

// writeMerged reads the policy, merges ours in and the removed ones out, writes the
// result if it differs, and returns what it read and what the bucket should now hold.
// When nothing but ours would be left it reads again right before deleting the
// policy, and deletes it only if that is still so.
func (h *Handler) writeMerged(ctx context.Context, client S3API, bucket string, ours []Statement, remove []string, opts mergeOptions) (policyWrite, error) {
	w, err := readAndMerge(ctx, client, bucket, ours, remove, opts)
	if err == nil && w.written == nil && w.before != nil {
		w, err = readAndMerge(ctx, client, bucket, ours, remove, opts)
	}
	if err != nil {
		return w, err
	}
	if err := checkPolicySize(bucket, w.written, ours); err != nil {
		return w, err
	}
	switch {
	case w.before == nil && w.written == nil, w.before != nil && w.written != nil && jsonEqual(w.before, w.written):
		// Nothing to change.
		return w, nil
	case w.written == nil:
		_, err = client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}, writeOnce)
		if isNoSuchBucketPolicy(err) {
			err = nil
		}
	default:
		_, err = client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(w.written))}, writeOnce)
		if code, msg := awsErrorOf(err); code == "MalformedPolicy" && strings.Contains(msg, "invalid principal") {
			err = fmt.Errorf("bucket %s: S3 refused the merged bucket policy because a principal in it does not exist, though the "+
				"policy read just before held no unique ID of a deleted principal: most likely a role or user it names by ARN was deleted "+
				"in between. Deploy again: S3 then shows that principal as its unique ID, which the provider reports (or, with "+
				"destination.removeDeletedPrincipals: true, removes): %w", bucket, err)
		}
	}
	w.wrote = err == nil
	return w, err
}

// readAndMerge reads the policy and merges ours in and the removed ones out. When
// that changes the policy and a statement that is not ours names a deleted
// principal (S3 would refuse the write), it fails naming each one, or, with
// opts.removeDead, takes them out first.
func readAndMerge(ctx context.Context, client S3API, bucket string, ours []Statement, remove []string, opts mergeOptions) (policyWrite, error) {
	var w policyWrite
	var err error
	if w.before, err = getBucketPolicy(ctx, client, bucket); err != nil {
		return w, err
	}
	if w.written, err = MergePolicy(w.before, ours, remove); err != nil {
		return w, fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if w.written == nil || (w.before != nil && jsonEqual(w.before, w.written)) {
		return w, nil // no write, or only a delete of a policy that holds nothing but ours
	}
	skip := slices.Clone(remove)
	for _, s := range ours {
		skip = append(skip, sidOf(s))
	}
	if w.pruned, err = pruneDeadPrincipals(w.before, skip, opts.removeDead); err != nil {
		return w, fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if len(w.pruned.Kept) > 0 {
		var ourSids []string // our statements' Sids, named on a delete
		if opts.deleting {
			ourSids = append([]string{}, remove...)
		}
		return w, deadPrincipalsError(bucket, w.pruned.Kept, ourSids, opts.removeDead)
	}
	if len(w.pruned.Removed) > 0 {
		if w.written, err = MergePolicy(w.pruned.Policy, ours, remove); err != nil {
			return w, fmt.Errorf("bucket %s: %w", bucket, err)
		}
	}
	return w, nil
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
