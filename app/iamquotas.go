package main

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// iamProblems checks every IAM role and managed policy of a stack template against
// IAM's size quotas (spec.MaxRoleInlinePolicyChars for the inline policies of a
// role together, its own Policies and the AWS::IAM::Policy resources attached to it;
// spec.MaxTrustPolicyChars; spec.MaxManagedPolicyChars), whoever made them: this
// project's constructs, CDK Pipelines, an embedding app. References are counted as
// spec.EstimatedPolicyChars does.
func iamProblems(stack string, resources map[string]struct {
	Type       string
	Properties json.RawMessage
}) []string {
	type doc = any
	inline := map[string][]doc{} // role logical ID -> its inline policy documents
	names := map[string]string{} // role logical ID -> how to name it
	var trust []struct {
		role string
		doc  doc
	}
	var out []string
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := resources[id]
		var p struct {
			RoleName                 any
			AssumeRolePolicyDocument doc
			Policies                 []struct{ PolicyDocument doc }
			PolicyDocument           doc
			Roles                    []any
			ManagedPolicyName        any
		}
		if r.Type != "AWS::IAM::Role" && r.Type != "AWS::IAM::Policy" && r.Type != "AWS::IAM::ManagedPolicy" {
			continue
		}
		if err := json.Unmarshal(r.Properties, &p); err != nil {
			out = append(out, fmt.Sprintf("stack %s: %s: %v", stack, id, err))
			continue
		}
		switch r.Type {
		case "AWS::IAM::Role":
			names[id] = id
			if n, ok := p.RoleName.(string); ok {
				names[id] = n
			}
			for _, pol := range p.Policies {
				inline[id] = append(inline[id], pol.PolicyDocument)
			}
			trust = append(trust, struct {
				role string
				doc  doc
			}{id, p.AssumeRolePolicyDocument})
		case "AWS::IAM::Policy":
			for _, role := range p.Roles {
				if ref, ok := role.(map[string]any); ok {
					if target, ok := ref["Ref"].(string); ok {
						inline[target] = append(inline[target], p.PolicyDocument)
					}
				}
			}
		case "AWS::IAM::ManagedPolicy":
			if n := spec.EstimatedPolicyChars(p.PolicyDocument); n > spec.MaxManagedPolicyChars {
				out = append(out, fmt.Sprintf("stack %s: managed policy %s would be %d characters (white space not counted), over IAM's quota of %d per managed policy. "+
					"Split its statements across several managed policies.", stack, id, n, spec.MaxManagedPolicyChars))
			}
		}
	}
	for _, id := range ids {
		docs, isRole := inline[id]
		if _, known := names[id]; !isRole || !known {
			continue
		}
		total := 0
		for _, d := range docs {
			total += spec.EstimatedPolicyChars(d)
		}
		if total > spec.MaxRoleInlinePolicyChars {
			out = append(out, fmt.Sprintf("stack %s: role %s would have %d characters of inline policies (white space not counted), over IAM's quota of %d per role. "+
				"Shorten the names and prefixes its policies name, or split the transfers across several configs.", stack, names[id], total, spec.MaxRoleInlinePolicyChars))
		}
	}
	for _, tr := range trust {
		if n := spec.EstimatedPolicyChars(tr.doc); n > spec.MaxTrustPolicyChars {
			out = append(out, fmt.Sprintf("stack %s: role %s's trust policy would be %d characters (white space not counted), over IAM's default quota of %d. "+
				"Raise \"Role trust policy length\" in Service Quotas first.", stack, names[tr.role], n, spec.MaxTrustPolicyChars))
		}
	}
	return out
}
