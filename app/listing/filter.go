package listing

import (
	"fmt"
	"strings"
)

// Filter is a DataSync task's include and exclude filters (SIMPLE_PATTERN), applied
// to keys relative to the source location exactly as DataSync applies them. From the
// DataSync user guide, "Filtering data transferred by AWS DataSync"
// (docs.aws.amazon.com/datasync/latest/userguide/filtering.html; awsdocs/aws-datasync-user-guide
// doc_source/filtering.md):
//
//   - A filter is patterns joined with "|"; filters are case sensitive.
//   - Patterns are relative to the source location: "/transfer_this" is the folder
//     directly under it. "/dir" and "/dir/" are the same pattern, and match both
//     the folder and its content. In S3, "/" in a key is a folder separator.
//   - "*" matches any characters, "/" included: "*/temp" is a folder temp at any
//     level, "*.temp" any object ending in .temp, "/folder-to-transfer/*" that
//     folder's content.
//   - "\" escapes the next character ("\*", "\|", "\\").
//   - With include filters, DataSync transfers only what an include pattern matches;
//     an exclude pattern removes what it matches, also when an include matches.
//
// A pattern matches an object when it matches the object's path ("/" + relative key)
// or the path of one of its folders.
type Filter struct {
	includes, excludes []pattern
}

// pattern is one SIMPLE_PATTERN: literal pieces between wildcards.
type pattern struct {
	text   string   // as written, for messages
	pieces []string // literal text between the "*"s; len(pieces)-1 wildcards
}

// NewFilter compiles include and exclude patterns: each slice holds one pattern per
// element (a config's list), or whole filters joined with "|" (DataSync's API
// form); both are split on unescaped "|". Every bad pattern is reported at once.
func NewFilter(includes, excludes []string) (*Filter, error) {
	f := &Filter{}
	var problems []string
	for _, side := range []struct {
		name string
		in   []string
		out  *[]pattern
	}{{"includes", includes, &f.includes}, {"excludes", excludes, &f.excludes}} {
		for i, value := range side.in {
			for _, text := range splitFilter(value) {
				p, err := compile(text)
				if err != nil {
					problems = append(problems, fmt.Sprintf("task.%s[%d]: %q: %v", side.name, i, text, err))
					continue
				}
				*side.out = append(*side.out, p)
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%d bad filter pattern(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return f, nil
}

// splitFilter splits a filter on the "|" that are not escaped.
func splitFilter(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte(s[i])
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '|':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

func compile(text string) (pattern, error) {
	if text == "" {
		return pattern{}, fmt.Errorf("is empty (two '|' in a row, or one at an end)")
	}
	p := pattern{text: text}
	var cur strings.Builder
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\\':
			if i+1 == len(text) {
				return pattern{}, fmt.Errorf(`ends in an escape character "\": escape a backslash as "\\"`)
			}
			i++
			cur.WriteByte(text[i])
		case c == '*':
			p.pieces = append(p.pieces, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	last := cur.String()
	// "/dir/" is "/dir": a trailing "/" names the folder the same way.
	if len(p.pieces) > 0 || len(last) > 1 {
		last = strings.TrimSuffix(last, "/")
	}
	p.pieces = append(p.pieces, last)
	return p, nil
}

// Empty says whether the filter has no patterns (everything is transferred).
func (f *Filter) Empty() bool { return f == nil || len(f.includes)+len(f.excludes) == 0 }

// Match says whether DataSync transfers the object at key (relative to the source
// location). A nil Filter matches everything.
func (f *Filter) Match(key string) bool {
	if f.Empty() {
		return true
	}
	path := "/" + strings.TrimSuffix(key, "/")
	if len(f.includes) > 0 && !anyMatch(f.includes, path) {
		return false
	}
	return !anyMatch(f.excludes, path)
}

// anyMatch says whether a pattern matches path or one of its folders.
func anyMatch(ps []pattern, path string) bool {
	for _, p := range ps {
		for cut := len(path); cut > 0; cut = strings.LastIndexByte(path[:cut], '/') {
			if p.match(path[:cut]) {
				return true
			}
		}
	}
	return false
}

// match says whether the whole of s matches the pattern.
func (p pattern) match(s string) bool {
	n := len(p.pieces)
	if n == 1 {
		return s == p.pieces[0]
	}
	if !strings.HasPrefix(s, p.pieces[0]) {
		return false
	}
	s = s[len(p.pieces[0]):]
	last := p.pieces[n-1]
	if len(s) < len(last) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[:len(s)-len(last)]
	for _, mid := range p.pieces[1 : n-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return true
}
