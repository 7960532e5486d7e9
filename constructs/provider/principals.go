package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// uniqueID matches an IAM unique ID: a four-letter prefix naming the kind of entity
// and at least 12 more upper-case letters and digits. The prefixes are IAM's own
// ("Understanding unique ID prefixes",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes):
// AROA role, AIDA IAM user, AGPA user group, AIPA EC2 instance profile, ANPA managed
// policy, ANVA managed policy version, APKA public key, ASCA certificate, ACCA
// context-specific credential, AKIA access key, ASIA temporary (STS) access key,
// ABIA STS service bearer token. IAM's API gives unique IDs 16 to 128 characters.
//
// When a role or user named by ARN in a resource policy is deleted, the policy shows
// its unique ID in place of the ARN (AROA... for a role, AIDA... for a user), and S3
// refuses every later PutBucketPolicy that still holds it with "MalformedPolicy:
// Invalid principal in policy" (AWS Knowledge Center, "Why am I getting the error
// 'Invalid principal in policy' when I try to update my Amazon S3 bucket policy?",
// https://repost.aws/knowledge-center/s3-invalid-principal-in-policy-error). This
// project's own statements never hold one: they name the source account's root with
// an ArnEquals aws:PrincipalArn condition, which stays an ARN (DESIGN.md).
var uniqueID = regexp.MustCompile(`^(AROA|AIDA|AGPA|AIPA|ANPA|ANVA|APKA|ASCA|ACCA|AKIA|ASIA|ABIA)[A-Z0-9]{12,124}$`)

// deadPrincipal is one unique ID in a statement of the current bucket policy.
type deadPrincipal struct {
	// Index is the statement's position in the policy's Statement list, Sid its Sid.
	Index int
	Sid   string
	// Element is "Principal" or "NotPrincipal".
	Element string
	ID      string
}

// statementName names a statement the way a person finds it in the policy.
func statementName(index int, sid string) string {
	if sid != "" {
		return fmt.Sprintf("statement %q (Statement[%d])", sid, index)
	}
	return fmt.Sprintf("Statement[%d] (no Sid)", index)
}

// describeDead lists dead principals grouped by statement:
// `statement "Sid" (Statement[0]): Principal AROA..., AIDA...; Statement[2] (no Sid): ...`.
func describeDead(dead []deadPrincipal) string {
	var parts []string
	for i := 0; i < len(dead); {
		j := i
		var ids []string
		for ; j < len(dead) && dead[j].Index == dead[i].Index; j++ {
			ids = append(ids, dead[j].Element+" "+dead[j].ID)
		}
		parts = append(parts, statementName(dead[i].Index, dead[i].Sid)+": "+strings.Join(ids, ", "))
		i = j
	}
	return strings.Join(parts, "; ")
}

// principalsPruned is the outcome of pruneDeadPrincipals.
type principalsPruned struct {
	// Policy is the policy without the removed principals and statements.
	Policy []byte
	// Removed are the unique IDs taken out; DroppedStatements the statements
	// removed because no principal was left in them (as statementName gives them).
	Removed           []deadPrincipal
	DroppedStatements []string
	// Kept are unique IDs that cannot be removed without changing what the policy
	// allows or denies: the last entries of a NotPrincipal ("everyone except a
	// deleted role" means everyone; without the statement it would mean nobody).
	Kept []deadPrincipal
}

// pruneDeadPrincipals finds the unique IDs in the statements of policy whose Sid is
// not in skip and, when remove is set, takes them out: from each Principal or
// NotPrincipal "AWS" list; a principal element left empty is dropped; a statement
// left without Principal (and without NotPrincipal) is dropped. Every other byte of
// a statement it does not change is kept as it was.
func pruneDeadPrincipals(policy []byte, skip []string, remove bool) (principalsPruned, error) {
	out := principalsPruned{Policy: policy}
	doc, stmts, err := parsePolicy(policy)
	if err != nil {
		return out, err
	}
	kept := make([]Statement, 0, len(stmts))
	changed := false
	for i, s := range stmts {
		sid := sidOf(s)
		if sid != "" && slices.Contains(skip, sid) {
			kept = append(kept, s)
			continue
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal(s, &fields) != nil {
			kept = append(kept, s)
			continue
		}
		touched := false
		for _, element := range []string{"Principal", "NotPrincipal"} {
			ids, rest, ok := principalIDs(fields[element])
			if !ok || len(ids) == len(rest) {
				continue
			}
			for _, id := range ids {
				if !uniqueID.MatchString(id) {
					continue
				}
				d := deadPrincipal{Index: i, Sid: sid, Element: element, ID: id}
				if remove && (element == "Principal" || len(rest) > 0) {
					out.Removed = append(out.Removed, d)
				} else {
					out.Kept = append(out.Kept, d)
				}
			}
			if !remove || (element == "NotPrincipal" && len(rest) == 0) {
				continue
			}
			touched = true
			if fields[element], err = withAWSPrincipals(fields[element], rest); err != nil {
				return out, err
			}
			if fields[element] == nil {
				delete(fields, element)
			}
		}
		if !touched {
			kept = append(kept, s)
			continue
		}
		changed = true
		if fields["Principal"] == nil && fields["NotPrincipal"] == nil {
			out.DroppedStatements = append(out.DroppedStatements, statementName(i, sid))
			continue
		}
		c, err := compactJSON(fields)
		if err != nil {
			return out, err
		}
		kept = append(kept, c)
	}
	if !changed {
		return out, nil
	}
	if len(kept) == 0 {
		out.Policy = nil
		return out, nil
	}
	if doc["Statement"], err = compactJSON(kept); err != nil {
		return out, err
	}
	out.Policy, err = compactJSON(doc)
	return out, err
}

// principalIDs reads the "AWS" entry of a Principal or NotPrincipal element (a
// string or a list of strings) and returns all of them and those that are not unique
// IDs. ok is false when there is no such entry (e.g. "*", or only a Service).
func principalIDs(element json.RawMessage) (all, rest []string, ok bool) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(element)) == 0 || json.Unmarshal(element, &m) != nil || m["AWS"] == nil {
		return nil, nil, false
	}
	var one string
	if json.Unmarshal(m["AWS"], &one) == nil {
		all = []string{one}
	} else if json.Unmarshal(m["AWS"], &all) != nil {
		return nil, nil, false
	}
	for _, id := range all {
		if !uniqueID.MatchString(id) {
			rest = append(rest, id)
		}
	}
	return all, rest, true
}

// withAWSPrincipals returns the element with its "AWS" entry set to aws (dropped
// when empty), or nil when nothing is left of the element.
func withAWSPrincipals(element json.RawMessage, aws []string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(element, &m); err != nil {
		return nil, err
	}
	delete(m, "AWS")
	switch len(aws) {
	case 0:
	case 1:
		m["AWS"], _ = json.Marshal(aws[0])
	default:
		m["AWS"], _ = json.Marshal(aws)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return compactJSON(m)
}

// deadPrincipalsError is the failure when the policy holds unique IDs of deleted
// principals that the provider may not (or cannot) remove. It is not retried: no
// amount of waiting brings a deleted role back. ourSids is nil unless the request
// is a delete, which takes the statements with these Sids out: its reason gives the
// ways out that remain to a stack whose delete failed.
func deadPrincipalsError(bucket string, dead []deadPrincipal, ourSids []string, removing bool) error {
	deleting := ourSids != nil
	what := "write this project's statements into it"
	if deleting {
		what = "take this project's statements out of it"
	}
	msg := fmt.Sprintf("bucket %s: the bucket policy names IAM principals that were deleted: S3 shows a deleted role or user as its "+
		"unique ID and refuses every write of a policy that still holds one (MalformedPolicy: Invalid principal in policy), "+
		"so the provider cannot %s. %s. ", bucket, what, describeDead(dead))
	again := "deploy again"
	if deleting {
		again = "delete the stack again"
	}
	if removing {
		return fmt.Errorf("%sThese are the last principals of a NotPrincipal: the statement applies to everyone, and removing "+
			"it would change that, so destination.removeDeletedPrincipals does not touch it. Way out: edit the statement yourself "+
			"(replace the unique ID with the ARN of a principal that exists, or remove the statement), then %s%s", msg, again, retainWarning(ourSids))
	}
	edit := "edit those statements yourself (aws s3api get-bucket-policy, then put-bucket-policy: replace each unique ID with the " +
		"ARN of the role or user that should have access, written again even if it was re-created under the same name, or remove it)"
	if deleting {
		// CloudFormation deletes a resource with the properties of the last deploy, and
		// a stack whose delete failed (DELETE_FAILED) can only be deleted, not updated:
		// the key cannot be turned on any more.
		return fmt.Errorf("%sWay out: %s, then %s. A stack whose delete failed cannot be updated, so turning on "+
			"destination.removeDeletedPrincipals is no way out now%s", msg, edit, again, retainWarning(ourSids))
	}
	return fmt.Errorf("%sWays out: %s, then retry; or set destination.removeDeletedPrincipals: true and deploy again: "+
		"the provider then removes exactly these unique IDs, and a statement left without any principal, and reports what it "+
		"removed in the stack event and its log", msg, edit)
}

// retainWarning warns, on a delete, against getting past the failure by leaving
// the resource behind: delete-stack --retain-resources and --deletion-mode
// FORCE_DELETE_STACK (https://repost.aws/knowledge-center/cloudformation-stack-delete-failed)
// delete the stack but keep whatever the resource made, here this project's
// statements: a live grant to the source account's role.
func retainWarning(ourSids []string) string {
	if ourSids == nil {
		return ""
	}
	return fmt.Sprintf(". This project's statements in the policy are Sid %s; do not get past this failure with "+
		"delete-stack --retain-resources or --deletion-mode FORCE_DELETE_STACK: the stack would go, but those statements, "+
		"a live grant to the source account, would stay in the bucket policy (remove them by hand in the same edit if you "+
		"take that way)", strings.Join(ourSids, ", "))
}
