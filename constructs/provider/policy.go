package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// Statement is one policy statement kept as raw JSON, so statements that are not
// ours are written back exactly as they were read (only whitespace may change).
type Statement = json.RawMessage

// ParseStatements reads a JSON array of statements and returns them with their Sids.
// Every statement must have a non-empty, unique Sid: the Sid is how the provider
// recognises its own statements later.
func ParseStatements(statementsJSON string) ([]Statement, []string, error) {
	var stmts []Statement
	if err := json.Unmarshal([]byte(statementsJSON), &stmts); err != nil {
		return nil, nil, fmt.Errorf("statements are not a JSON array: %w", err)
	}
	sids := make([]string, len(stmts))
	seen := map[string]bool{}
	for i, s := range stmts {
		sid := sidOf(s)
		if sid == "" {
			return nil, nil, fmt.Errorf("statement %d has no Sid: every statement the provider manages needs one", i)
		}
		if seen[sid] {
			return nil, nil, fmt.Errorf("Sid %q appears twice", sid)
		}
		seen[sid] = true
		sids[i] = sid
	}
	return stmts, sids, nil
}

func sidOf(s Statement) string {
	var v struct {
		Sid any `json:"Sid"`
	}
	if json.Unmarshal(s, &v) != nil {
		return ""
	}
	sid, _ := v.Sid.(string)
	return sid
}

// MergePolicy returns the bucket policy that results from putting ours into the
// current policy (nil or empty when the bucket has none) and taking out every
// statement whose Sid is in remove:
//   - a statement whose Sid is one of ours is replaced in place by ours, so ours are
//     never duplicated; further statements with that Sid are dropped;
//   - ours not yet present are appended;
//   - every other statement, and every other top-level key (Version, Id), is kept.
//
// It returns nil when no statement is left (the caller deletes the policy). Merging
// the result again with the same arguments returns it unchanged.
func MergePolicy(current []byte, ours []Statement, remove []string) ([]byte, error) {
	doc, existing, err := parsePolicy(current)
	if err != nil {
		return nil, err
	}
	oursBySid := map[string]Statement{}
	for _, s := range ours {
		oursBySid[sidOf(s)] = s
	}
	removed := map[string]bool{}
	for _, sid := range remove {
		removed[sid] = true
	}

	placed := map[string]bool{}
	merged := make([]Statement, 0, len(existing)+len(ours))
	for _, s := range existing {
		sid := sidOf(s)
		switch mine, isOurs := oursBySid[sid]; {
		case sid != "" && isOurs:
			if !placed[sid] {
				merged = append(merged, mine)
				placed[sid] = true
			}
		case sid != "" && removed[sid]:
		default:
			merged = append(merged, s)
		}
	}
	for _, s := range ours {
		if sid := sidOf(s); !placed[sid] {
			merged = append(merged, s)
			placed[sid] = true
		}
	}
	if len(merged) == 0 {
		return nil, nil
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = json.RawMessage(`"2012-10-17"`)
	}
	stmts, err := compactJSON(merged)
	if err != nil {
		return nil, err
	}
	doc["Statement"] = stmts
	return compactJSON(doc)
}

// compactJSON marshals v without whitespace and without escaping <, > and & (which
// would change the bytes, and the size, of statements that are not ours).
func compactJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// parsePolicy splits a bucket policy (nil or empty: none) into its top-level keys
// and its statements.
func parsePolicy(policy []byte) (map[string]json.RawMessage, []Statement, error) {
	doc := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(policy)) == 0 {
		return doc, nil, nil
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		return nil, nil, fmt.Errorf("current bucket policy is not a JSON object: %w", err)
	}
	raw, ok := doc["Statement"]
	if !ok {
		return doc, nil, nil
	}
	stmts, err := statementList(raw)
	return doc, stmts, err
}

// statementList reads a policy's Statement element, which IAM allows to be a single
// object or an array.
func statementList(raw json.RawMessage) ([]Statement, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		return []Statement{raw}, nil
	}
	var list []Statement
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("current bucket policy's Statement is neither an object nor an array: %w", err)
	}
	return list, nil
}

// jsonEqual reports whether two JSON documents hold the same value.
func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}

// MaxBucketPolicyBytes is S3's limit on the size of a bucket policy: 20 KB
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html),
// counted on the policy without insignificant whitespace, which is how the provider
// writes it. The constructs check their statements against the same number at synth.
const MaxBucketPolicyBytes = 20 * 1024

// checkPolicySize fails, in the provider's own words, when the policy to be written
// is over S3's limit: S3's own error names neither the cause nor the way out.
func checkPolicySize(bucket string, policy []byte, ours []Statement) error {
	if len(policy) <= MaxBucketPolicyBytes {
		return nil
	}
	oursBytes := 0
	for _, s := range ours {
		c, err := compactJSON(s)
		if err != nil {
			return err
		}
		oursBytes += len(c) + 1 // and the comma that separates it
	}
	_, all, _ := parsePolicy(policy)
	return fmt.Errorf("bucket %s: the bucket policy would be %d bytes, over S3's limit of %d bytes: this project's %d statements "+
		"take %d bytes, the bucket's %d other statements and the policy's envelope %d bytes. Ways out: fewer transfers into "+
		"this bucket, transfers of the whole bucket instead of one prefix each (fewer statements), spreading the transfers over "+
		"several destination buckets, or trimming the bucket's other statements",
		bucket, len(policy), MaxBucketPolicyBytes, len(ours), oursBytes, len(all)-len(ours), len(policy)-oursBytes)
}

// policyConflicts lists what is wrong with after, the policy read back after
// written was meant to be in place: a statement of written that is not ours missing
// or changed, one of ours missing or changed, or one with a removed Sid present.
// Statements are compared by their canonical form (see canonicalStatement), and
// those that are not ours as a multiset, since a policy may hold identical ones.
func policyConflicts(after, written []byte, ours []Statement, remove []string) []string {
	_, got, err := parsePolicy(after)
	if err != nil {
		return []string{"the policy read back is not valid JSON: " + err.Error()}
	}
	_, want, _ := parsePolicy(written)
	oursBySid := map[string]string{}
	for _, s := range ours {
		oursBySid[sidOf(s)] = canonicalStatement(s)
	}
	have := map[string]int{} // canonical form -> count in after
	sidsAfter := map[string][]string{}
	for _, s := range got {
		c := canonicalStatement(s)
		have[c]++
		sidsAfter[sidOf(s)] = append(sidsAfter[sidOf(s)], c)
	}
	var problems []string
	for _, s := range want {
		if _, isOurs := oursBySid[sidOf(s)]; isOurs && sidOf(s) != "" {
			continue
		}
		if c := canonicalStatement(s); have[c] > 0 {
			have[c]--
		} else {
			problems = append(problems, "statement "+describeStatement(s)+" (not ours) is missing or changed")
		}
	}
	for _, s := range ours {
		sid := sidOf(s)
		switch forms := sidsAfter[sid]; {
		case len(forms) == 0:
			problems = append(problems, "our statement "+sid+" is missing")
		case !slices.Contains(forms, oursBySid[sid]):
			problems = append(problems, "our statement "+sid+" was changed")
		}
	}
	for _, sid := range remove {
		if _, isOurs := oursBySid[sid]; !isOurs && sid != "" && len(sidsAfter[sid]) > 0 {
			problems = append(problems, "our removed statement "+sid+" is back")
		}
	}
	return problems
}

// describeStatement names a statement in an error: by Sid, or by its text.
func describeStatement(s Statement) string {
	if sid := sidOf(s); sid != "" {
		return strconv.Quote(sid)
	}
	c, _ := compactJSON(s)
	if len(c) > 160 {
		return string(c[:160]) + "..."
	}
	return string(c)
}

// canonicalStatement is a statement's meaning as a string, independent of how S3
// stores it: object keys in order, lists of strings (actions, resources,
// principals, condition values: sets in IAM) sorted and without duplicates, a list
// of one the same as the bare value, and an account principal the same whether
// written as the account ID or as its root ARN.
func canonicalStatement(s Statement) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(s)
	}
	c, _ := compactJSON(canonicalValue(v, false))
	return string(c)
}

var (
	accountID   = regexp.MustCompile(`^[0-9]{12}$`)
	accountRoot = regexp.MustCompile(`^arn:[a-z-]+:iam::([0-9]{12}):root$`)
)

func canonicalValue(v any, awsPrincipal bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canonicalValue(e, k == "AWS")
		}
		return out
	case []any:
		strs := make([]string, 0, len(x))
		for _, e := range x {
			c := canonicalValue(e, awsPrincipal)
			s, ok := c.(string)
			if !ok {
				out := make([]any, len(x))
				for i, e := range x {
					out[i] = canonicalValue(e, awsPrincipal)
				}
				return out
			}
			strs = append(strs, s)
		}
		slices.Sort(strs)
		strs = slices.Compact(strs)
		if len(strs) == 1 {
			return strs[0]
		}
		out := make([]any, len(strs))
		for i, s := range strs {
			out[i] = s
		}
		return out
	case string:
		if awsPrincipal {
			if m := accountRoot.FindStringSubmatch(x); m != nil {
				return "account:" + m[1]
			}
			if accountID.MatchString(x) {
				return "account:" + x
			}
		}
		return x
	}
	return v
}
