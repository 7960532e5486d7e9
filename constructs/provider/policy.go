package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	stmts, err := json.Marshal(merged)
	if err != nil {
		return nil, err
	}
	doc["Statement"] = stmts
	return json.Marshal(doc)
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

// hasSids reports whether policy holds a statement with each of the Sids. S3 may
// reformat a stored policy, so presence is checked by Sid: a concurrent writer that
// read the policy before ours landed drops whole statements, it does not edit them.
func hasSids(policy []byte, sids []string) bool {
	_, existing, err := parsePolicy(policy)
	if err != nil {
		return false
	}
	present := map[string]bool{}
	for _, s := range existing {
		present[sidOf(s)] = true
	}
	for _, sid := range sids {
		if !present[sid] {
			return false
		}
	}
	return true
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
