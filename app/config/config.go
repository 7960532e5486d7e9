// Package config reads the app's YAML config file: the transfers (spec.Transfer, with
// the same keys) and an optional pipeline. Every problem of the whole file is
// reported at once, each with its path, value and line, before anything is built.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Config is the whole config file.
type Config struct {
	// Pipeline switches the app to CDK Pipelines mode. Default: plain stacks.
	Pipeline *Pipeline `yaml:"pipeline"`
	// Transfers are the transfers to set up; at least one. Required.
	Transfers []spec.Transfer `yaml:"transfers"`
}

// Pipeline configures the self-mutating CDK pipeline that deploys the transfers.
type Pipeline struct {
	// Account is the pipeline account's 12-digit ID. Required.
	Account string `yaml:"account"`
	// Region is the pipeline's Region. Required.
	Region string `yaml:"region"`
	// ConnectionArn is the CodeConnections connection to the repository. Required.
	ConnectionArn string `yaml:"connectionArn"`
	// Repository is "owner/repo". Required.
	Repository string `yaml:"repository"`
	// Branch is the branch the pipeline follows. Required.
	Branch string `yaml:"branch"`
	// Name is the pipeline's name (and its stack's). Default: datasync-transfers.
	Name string `yaml:"name"`
}

// DefaultPipelineName is the pipeline's name when the config gives none.
const DefaultPipelineName = "datasync-transfers"

// Error is every problem of a config file, one per line.
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.File, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Load reads and checks the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(data, path)
}

// Parse checks a config document; name is used in messages.
func Parse(data []byte, name string) (*Config, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &Error{File: name, Problems: []string{syntaxError(data, err)}}
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, &Error{File: name, Problems: []string{"expected one YAML document with a transfers: list"}}
	}
	root := file.Docs[0].Body
	c := &checker{lines: map[string]int{}, undecoded: map[int]bool{}, reported: map[string]bool{}}
	c.walk(root, reflect.TypeOf(Config{}), "")

	cfg := &Config{}
	if m, ok := root.(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			switch keyName(kv.Key) {
			case "pipeline":
				cfg.Pipeline = &Pipeline{}
				if !c.decode(kv.Value, cfg.Pipeline) {
					c.undecoded[-1] = true
				}
			case "transfers":
				seq, ok := kv.Value.(*ast.SequenceNode)
				if !ok {
					continue // reported by walk
				}
				cfg.Transfers = make([]spec.Transfer, len(seq.Values))
				for i, item := range seq.Values {
					if c.reported[fmt.Sprintf("transfers[%d]", i)] || !c.decode(item, &cfg.Transfers[i]) {
						c.undecoded[i] = true
					}
				}
			}
		}
	}
	c.validate(cfg)
	if len(c.problems) > 0 {
		return nil, &Error{File: name, Problems: c.problems}
	}
	return cfg, nil
}

type checker struct {
	problems  []string
	lines     map[string]int  // path -> line of its value
	undecoded map[int]bool    // transfers that did not decode: not validated further
	reported  map[string]bool // paths walk reported (and emptied): not reported again
}

func (c *checker) add(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	c.problems = append(c.problems, msg)
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// walk checks node against the Go type the config decodes it into: unknown keys
// (typos), unquoted account IDs and values of the wrong type, everywhere in the file.
// It records each path's line. A value it reports is replaced by null, so that the
// rest of its transfer still decodes and is validated, and the value is reported once.
func (c *checker) walk(node ast.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node == nil || node.Type() == ast.NullType {
		return
	}
	if anchor, ok := node.(*ast.AnchorNode); ok {
		node = anchor.Value
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := node.(*ast.MappingNode)
		if !ok {
			if mv, isOne := node.(*ast.MappingValueNode); isOne {
				m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
			} else {
				c.add(line(node), "%s: expected a mapping of keys (%s), got %s", orRoot(path), strings.Join(yamlKeys(t), ", "), describe(node))
				c.reported[path] = true
				return
			}
		}
		fields := yamlFields(t)
		for _, kv := range m.Values {
			key := keyName(kv.Key)
			f, known := fields[key]
			if !known {
				c.add(line(kv.Key), "%s: unknown key %q (allowed: %s)", join(path, key), key, strings.Join(yamlKeys(t), ", "))
				continue
			}
			p := join(path, key)
			c.lines[p] = line(kv.Value)
			if problem := c.wrongType(kv.Value, f.Type, key); problem != "" {
				c.add(line(kv.Value), "%s: %s", p, problem)
				c.reported[p] = true
				kv.Value = ast.Null(kv.Value.GetToken())
				continue
			}
			c.walk(kv.Value, f.Type, p)
		}
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return // reported by wrongType
		}
		for i, item := range seq.Values {
			p := fmt.Sprintf("%s[%d]", path, i)
			c.lines[p] = line(item)
			c.walk(item, t.Elem(), p)
		}
	}
}

// wrongType says what is wrong when node cannot be the value of key, of Go type t,
// and what to write instead; "" when it can.
func (c *checker) wrongType(node ast.Node, t reflect.Type, key string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if anchor, ok := node.(*ast.AnchorNode); ok {
		node = anchor.Value
	}
	if node == nil || node.Type() == ast.NullType {
		return ""
	}
	typ := node.Type()
	collection := typ == ast.MappingType || typ == ast.MappingValueType || typ == ast.SequenceType
	switch t.Kind() {
	case reflect.String:
		switch {
		case key == "account" && typ != ast.StringType && !collection:
			// The token's own text: YAML may read 022222222222 as an octal number.
			text := node.GetToken().Value
			return fmt.Sprintf("%s is not quoted: YAML reads unquoted digits as a number (a leading 0 even as octal); write %s: %q", text, key, text)
		case collection:
			return fmt.Sprintf("expected a single value, got %s: write %s: <value>", describe(node), key)
		}
	case reflect.Bool:
		if typ != ast.BoolType {
			return fmt.Sprintf("%s is not true or false: write %s: true or %s: false", describe(node), key, key)
		}
	case reflect.Int, reflect.Int64:
		if typ != ast.IntegerType {
			return fmt.Sprintf("%s is not a whole number: %s", describe(node), numberAdvice(node, key))
		}
	case reflect.Slice:
		if typ != ast.SequenceType {
			if collection {
				return fmt.Sprintf("expected a list, got %s: write %s: [<item>, <item>]", describe(node), key)
			}
			return fmt.Sprintf("%s is a single value, but %s is a list: write %s: [%s]", describe(node), key, key, quoteFlow(node.GetToken().Value))
		}
	case reflect.Struct:
		if !collection || typ == ast.SequenceType {
			return fmt.Sprintf("expected a mapping of keys (%s), got %s: write the keys indented below %s:",
				strings.Join(yamlKeys(t), ", "), describe(node), key)
		}
	}
	return ""
}

// describe names a node for a message: a scalar by its text as written, anything
// else by its kind.
func describe(node ast.Node) string {
	switch node.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	}
	return strconv.Quote(node.GetToken().Value)
}

// quoteFlow writes a scalar as an item of a YAML flow list.
func quoteFlow(s string) string { return strconv.Quote(s) }

var sizeRe = regexp.MustCompile(`(?i)^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt])(i?)b?(?:/s|ps)?\s*$`)

// numberAdvice says how to write a whole number, converting a size with a unit
// (100MB, 1.5 GiB) when the value is one.
func numberAdvice(node ast.Node, key string) string {
	m := sizeRe.FindStringSubmatch(node.GetToken().Value)
	if key != "bytesPerSecond" || m == nil {
		return fmt.Sprintf("write %s: <digits>", key)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	base := 1000.0
	if m[3] != "" {
		base = 1024
	}
	exp := strings.Index("kmgt", strings.ToLower(m[2])) + 1
	bytes := int64(n * math.Pow(base, float64(exp)))
	return fmt.Sprintf("write it in bytes per second, digits only: %s: %d (-1 for no limit)", key, bytes)
}

// keyName is a mapping key's value: quoted keys ("name", 'name', as in JSON) by the
// string they stand for, not their token text.
func keyName(key ast.MapKeyNode) string {
	if s, ok := key.(*ast.StringNode); ok {
		return s.Value
	}
	return key.String()
}

// syntaxError describes a YAML syntax error with the lines before it and a caret
// under its position, from the document itself.
func syntaxError(data []byte, err error) string {
	var se *yaml.SyntaxError
	if !errors.As(err, &se) || se.Token == nil || se.Token.Position == nil {
		return "YAML syntax error " + yaml.FormatError(err, false, true)
	}
	pos := se.Token.Position
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	msg := fmt.Sprintf("line %d: YAML syntax error [%d:%d]: %s", pos.Line, pos.Line, pos.Column, se.Message)
	if pos.Line < 1 || pos.Line > len(lines) {
		return msg
	}
	if hint := indentationHint(lines, pos.Line); hint != "" {
		msg += " (" + hint + ")"
	}
	var b strings.Builder
	b.WriteString(msg)
	width := len(strconv.Itoa(pos.Line + 1))
	for n := max(1, pos.Line-3); n <= min(len(lines), pos.Line+1); n++ {
		marker := " "
		if n == pos.Line {
			marker = ">"
		}
		fmt.Fprintf(&b, "\n  %s %*d | %s", marker, width, n, lines[n-1])
		if n == pos.Line {
			fmt.Fprintf(&b, "\n    %s   %s^", strings.Repeat(" ", width), strings.Repeat(" ", max(0, pos.Column-1)))
		}
	}
	return b.String()
}

// indentationHint points out a line indented differently from the one before it
// when neither is a list item, the usual cause of "not allowed in this context".
func indentationHint(lines []string, n int) string {
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	prev := n - 1
	for prev >= 1 && strings.TrimSpace(lines[prev-1]) == "" {
		prev--
	}
	if prev < 1 {
		return ""
	}
	cur, before := lines[n-1], lines[prev-1]
	if strings.HasPrefix(strings.TrimSpace(cur), "- ") || strings.HasSuffix(strings.TrimSpace(before), ":") || indent(cur) == indent(before) {
		return ""
	}
	return fmt.Sprintf("check the indentation: line %d starts in column %d, line %d in column %d; keys of one mapping start in the same column",
		n, indent(cur)+1, prev, indent(before)+1)
}

func orRoot(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// decode reads node into v, recording a type error (with its position) as a
// problem. Keys unknown to v are ignored here; walk reports them.
func (c *checker) decode(node ast.Node, v any) bool {
	if err := yaml.NodeToValue(node, v); err != nil {
		c.add(0, "%s", yaml.FormatError(err, false, true))
		return false
	}
	return true
}

var (
	accountRe       = regexp.MustCompile(`^[0-9]{12}$`)
	connectionArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]+$`)
	repositoryRe    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	pipelineNameRe  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,99}$`)
)

// validate runs the library's validation on each transfer and the file-wide checks.
func (c *checker) validate(cfg *Config) {
	if len(cfg.Transfers) == 0 && !c.reported["transfers"] {
		c.add(c.lines["transfers"], "transfers: no transfers: list at least one")
	}
	for i, t := range cfg.Transfers {
		if c.undecoded[i] {
			continue
		}
		var errs spec.Errors
		if err := t.Validate(); errors.As(err, &errs) {
			for _, fe := range errs.Prefixed(fmt.Sprintf("transfers[%d]", i)) {
				if !c.alreadyReported(fe.Path) {
					c.add(c.lineOf(fe.Path), "%s", fe.Error())
				}
			}
		}
	}
	// Transfers deployed together: unique names, buckets they agree about, policy sizes.
	var setErrs spec.Errors
	if errors.As(spec.ValidateSet(cfg.Transfers), &setErrs) {
		for _, fe := range setErrs {
			if !c.undecoded[transferIndex(fe.Path)] && !c.alreadyReported(fe.Path) {
				c.add(c.lineOf(fe.Path), "%s", fe.Error())
			}
		}
	}
	if p := cfg.Pipeline; p != nil && !c.undecoded[-1] {
		check := func(key, value string, ok bool, problem string) {
			if !ok {
				c.add(c.lines["pipeline."+key], "pipeline.%s: %q %s", key, value, problem)
			}
		}
		check("account", p.Account, accountRe.MatchString(p.Account), "is not a 12-digit AWS account ID")
		check("region", p.Region, spec.KnownRegion(p.Region), "is not an AWS Region known to aws-cdk-lib")
		check("connectionArn", p.ConnectionArn, connectionArnRe.MatchString(p.ConnectionArn),
			"is not a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)")
		check("repository", p.Repository, repositoryRe.MatchString(p.Repository), "is not owner/repo")
		check("branch", p.Branch, strings.TrimSpace(p.Branch) != "", "is empty: name the branch to deploy from")
		check("name", p.Name, p.Name == "" || pipelineNameRe.MatchString(p.Name),
			"is not a pipeline name (letters, digits and hyphens, starting with a letter, at most 100)")
		name := p.Name
		if name == "" {
			name = DefaultPipelineName
		}
		for i, t := range cfg.Transfers {
			if stacks := []string{t.Name + "-source", spec.DestinationStackName(t.Destination.Bucket)}; slices.Contains(stacks, name) {
				c.add(c.lines["pipeline.name"], "pipeline.name: %q is also the name of a stack of transfers[%d] (%q): name the pipeline differently", name, i, t.Name)
			}
		}
	}
}

// alreadyReported reports whether walk reported the value at path, or at a parent
// of it (then emptied, so validation would only repeat the problem in other words).
func (c *checker) alreadyReported(path string) bool {
	for p := path; p != ""; {
		if c.reported[p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return false
}

// transferIndex is i of a path transfers[i]...
func transferIndex(path string) int {
	var i int
	if _, err := fmt.Sscanf(path, "transfers[%d]", &i); err != nil {
		return -2
	}
	return i
}

// lineOf finds the line of a path, or of its closest parent that has one.
func (c *checker) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := c.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag := strings.Split(f.Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			out[tag] = f
		}
	}
	return out
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for k := range yamlFields(t) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
