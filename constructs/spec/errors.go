package spec

import (
	"fmt"
	"strings"
)

// FieldError is one problem of one field: its path (as in the config file, e.g.
// "destination.bucket"), the value received and what is wrong or allowed.
type FieldError struct {
	Path    string
	Value   any // nil for a problem of a missing field or block: the message has no value
	Problem string
	// Transfer is the name of the transfer a path transfers[i].<field> is in, shown
	// after its index in messages about several transfers; "" to show the path alone.
	Transfer string
}

func (e FieldError) Error() string {
	path := e.Path
	if e.Transfer != "" {
		// transfers[i].field -> transfers[i] ("name").field
		if i := strings.Index(path, "]"); strings.HasPrefix(path, "transfers[") && i > 0 {
			path = fmt.Sprintf("%s (%q)%s", path[:i+1], e.Transfer, path[i+1:])
		}
	}
	if e.Value == nil {
		return fmt.Sprintf("%s: %s", path, e.Problem)
	}
	return fmt.Sprintf("%s: %s %s", path, formatValue(e.Value), e.Problem)
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		quoted := make([]string, len(v))
		for i, s := range v {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	default:
		return fmt.Sprint(v)
	}
}

// Errors is every problem found in an input, in field order. It is an error when
// non-empty; its message has one problem per line.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Prefixed returns the errors with prefix+"." put before each path, for a transfer
// that sits inside a larger document (e.g. "transfers[2]").
func (es Errors) Prefixed(prefix string) Errors {
	out := make(Errors, len(es))
	for i, e := range es {
		e.Path = prefix + "." + e.Path
		out[i] = e
	}
	return out
}

// Err returns es as an error, or nil when there is no problem.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

type collector struct{ errs Errors }

func (c *collector) add(path string, value any, problem string, args ...any) {
	c.errs = append(c.errs, FieldError{Path: path, Value: value, Problem: fmt.Sprintf(problem, args...)})
}
