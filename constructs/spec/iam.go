package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IAM's size quotas for the policies of a role, in characters, white space not
// counted. AWS IAM User Guide, "IAM and AWS STS quotas" (reference_iam-quotas.html),
// and the Knowledge Center's "iam-increase-policy-size": "You can add as many inline
// policies as you want to an IAM user, role, or group. But the total aggregate policy
// size (the sum size of all inline policies) per entity cannot exceed the following
// quotas: ... Role policy size cannot exceed 10,240 characters"; "The maximum
// character size limit for managed policies is 6,144"; "Role trust policy length"
// 2,048 characters by default (adjustable with Service Quotas). IAM does not count
// white space when it measures a policy against these quotas.
const (
	// MaxRoleInlinePolicyChars is the total of a role's inline policies.
	MaxRoleInlinePolicyChars = 10240
	// MaxManagedPolicyChars is one managed policy.
	MaxManagedPolicyChars = 6144
	// MaxTrustPolicyChars is a role's trust policy, IAM's default quota.
	MaxTrustPolicyChars = 2048
)

// PolicyChars is the size of a policy document as IAM measures it against its
// quotas: its characters, without the white space between JSON tokens. White space
// inside strings is counted (IAM's documents do not say it is not; counting it can
// only overstate the size).
func PolicyChars(doc []byte) int {
	n, inString, escaped := 0, false, false
	for len(doc) > 0 {
		r, size := utf8.DecodeRune(doc)
		doc = doc[size:]
		switch {
		case inString:
			n++
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
		case r == '"':
			n++
			inString = true
		case !unicode.IsSpace(r):
			n++
		}
	}
	return n
}

// Sizes assumed for values CloudFormation resolves at deploy time: the pseudo
// parameters' longest values, and EstimatedReferenceChars for a value that holds any
// other reference.
var pseudoChars = map[string]int{"AWS::Partition": len("aws-us-gov"), "AWS::Region": len("ap-southeast-5"), "AWS::AccountId": 12, "AWS::URLSuffix": len("amazonaws.com.cn")}

// EstimatedReferenceChars is the length assumed for a value that holds a reference
// (Ref, Fn::GetAtt, ...) other than a pseudo parameter: the CDK's own estimate of an
// unresolved ARN when it splits large policies (aws-iam's DEFAULT_ARN_SIZE_ESTIMATE,
// 150, context key @aws-cdk/aws-iam.arnSizeEstimate), so that a policy the CDK sized
// to fit is measured the same way here.
const EstimatedReferenceChars = 150

// EstimatedPolicyChars is PolicyChars of a policy document as a template holds it
// (decoded JSON), with each CloudFormation intrinsic function counted as the length
// its value may have: a pseudo parameter its longest value, a Fn::Join of literals and
// pseudo parameters the sum of its parts, any value holding another reference
// EstimatedReferenceChars.
func EstimatedPolicyChars(doc any) int {
	raw, err := json.Marshal(estimated(doc))
	if err != nil {
		panic(err) // decoded JSON: cannot fail
	}
	return PolicyChars(raw)
}

func estimated(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if n, ok := intrinsicChars(v); ok {
			return strings.Repeat("x", n)
		}
		out := map[string]any{}
		for k, e := range v {
			out[k] = estimated(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = estimated(e)
		}
		return out
	}
	return v
}

// intrinsicChars is the length a CloudFormation intrinsic function's value may have,
// and whether m is one.
func intrinsicChars(m map[string]any) (int, bool) {
	if len(m) != 1 {
		return 0, false
	}
	for k, arg := range m {
		switch {
		case k == "Ref":
			if n, ok := pseudoChars[fmt.Sprint(arg)]; ok {
				return n, true
			}
			return EstimatedReferenceChars, true
		case k == "Fn::Join":
			parts, _ := arg.([]any)
			if len(parts) != 2 {
				return EstimatedReferenceChars, true
			}
			sep, _ := parts[0].(string)
			list, _ := parts[1].([]any)
			n := utf8.RuneCountInString(sep) * max(0, len(list)-1)
			for _, e := range list {
				switch e := e.(type) {
				case string:
					n += utf8.RuneCountInString(e)
				case map[string]any:
					ref, _ := e["Ref"].(string)
					c, pseudo := pseudoChars[ref]
					if len(e) != 1 || !pseudo {
						return EstimatedReferenceChars, true
					}
					n += c
				default:
					return EstimatedReferenceChars, true
				}
			}
			return n, true
		case strings.HasPrefix(k, "Fn::"):
			return EstimatedReferenceChars, true
		}
	}
	return 0, false
}

// IdentityPolicyDocument is an identity-based policy (no Principal) holding stmts,
// compact, with '<', '>' and '&' written as themselves, as CloudFormation passes the
// document to IAM.
func IdentityPolicyDocument(stmts []Statement) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Version   string      `json:"Version"`
		Statement []Statement `json:"Statement"`
	}{"2012-10-17", stmts}); err != nil {
		panic(err) // strings only: cannot fail
	}
	return bytes.TrimSpace(b.Bytes())
}

// BucketAccessPolicy is the inline policy of the bucket-access role (the role
// DataSync assumes): DataSync's required permissions on the source bucket and
// prefix, on the destination bucket and prefix, the KMS keys of both buckets, and
// writing task reports. Every S3 grant is pinned to the account that owns the bucket
// (aws:ResourceAccount): a bucket of the same name deleted and re-created in someone
// else's account gets nothing. Object grants are limited to the transfer's prefix.
// Call it on a transfer with defaults applied (WithDefaults).
func (t Transfer) BucketAccessPolicy() []Statement {
	inAccount := func(account string) map[string]map[string]Values {
		return map[string]map[string]Values{"StringEquals": {"aws:ResourceAccount": {account}}}
	}
	allow := func(actions []string, resource string, cond map[string]map[string]Values) Statement {
		return Statement{Effect: "Allow", Action: actions, Resource: Values{resource}, Condition: cond}
	}
	src, dst := t.BucketArn(t.Source.Bucket), t.BucketArn(t.Destination.Bucket)
	stmts := []Statement{
		allow(SourceBucketActions, src, inAccount(t.Source.Account)),
		allow(SourceObjectActions, ObjectsArn(src, t.Source.Prefix), inAccount(t.Source.Account)),
		allow(DestinationBucketActions, dst, inAccount(t.Destination.Account)),
		allow(DestinationObjectActions, ObjectsArn(dst, t.Destination.Prefix), inAccount(t.Destination.Account)),
	}
	if t.Source.KmsKeyArn != "" {
		stmts = append(stmts, allow(SourceKeyActions, t.Source.KmsKeyArn, nil))
	}
	switch {
	case t.Destination.KmsKeyArn != "":
		stmts = append(stmts, allow(DestinationKeyActions, t.Destination.KmsKeyArn, nil))
	case t.Destination.CreateKmsKey:
		// The destination stack's key has a generated ID; it carries this alias.
		keys := fmt.Sprintf("arn:%s:kms:%s:%s:key/*", t.Partition(), t.Destination.Region, t.Destination.Account)
		stmts = append(stmts, allow(DestinationKeyActions, keys,
			map[string]map[string]Values{"ForAnyValue:StringEquals": {"kms:ResourceAliases": {t.KeyAlias()}}}))
	}
	if r := t.Task.Report; r != nil {
		stmts = append(stmts, allow([]string{"s3:PutObject"}, ObjectsArn(t.BucketArn(r.Bucket), r.Prefix), inAccount(t.Source.Account)))
	}
	// The manifests of re-runs (transfers verify --rerun), read by DataSync with this
	// role: only that folder, only reads.
	if bucket, prefix, ok := t.ManifestLocation(); ok {
		stmts = append(stmts, allow(ManifestActions, ObjectsArn(t.BucketArn(bucket), prefix), inAccount(t.Source.Account)))
	}
	return stmts
}

// validateRolePolicySize checks the bucket-access role's inline policy, the one
// policy of the transfer whose size the config decides (its prefixes, bucket names
// and key ARNs), against IAM's quota. It reports at the longest prefix, the usual
// cause.
func validateRolePolicySize(c *collector, t Transfer) {
	d := t.WithDefaults()
	size := PolicyChars(IdentityPolicyDocument(d.BucketAccessPolicy()))
	if size <= MaxRoleInlinePolicyChars {
		return
	}
	path, value := "source.prefix", t.Source.Prefix
	var parts []string
	for _, p := range []struct{ path, value string }{
		{"source.prefix", t.Source.Prefix}, {"destination.prefix", t.Destination.Prefix}, {"task.report.prefix", reportPrefix(t)},
	} {
		if p.value == "" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%d characters)", p.path, utf8.RuneCountInString(p.value)))
		if utf8.RuneCountInString(p.value) > utf8.RuneCountInString(value) {
			path, value = p.path, p.value
		}
	}
	if utf8.RuneCountInString(value) > 40 {
		value = string([]rune(value)[:40]) + "..."
	}
	c.add(path, value, "makes the inline policy of the bucket-access role %s %d characters long (white space not counted), "+
		"over IAM's quota of %d characters per role: each prefix is written into the policy's object ARNs (%s). "+
		"Ways out: shorter source and destination prefixes (each is also its location's subdirectory), a shorter task.report.prefix, "+
		"or no task report",
		t.BucketAccessRoleName(), size, MaxRoleInlinePolicyChars, strings.Join(parts, ", "))
}

func reportPrefix(t Transfer) string {
	if t.Task.Report == nil {
		return ""
	}
	return t.Task.Report.Prefix
}
