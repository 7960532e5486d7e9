// Package config reads the app's YAML config file: the transfers (spec.Transfer, with
// the same keys) and an optional pipeline. Every problem of the whole file is
// reported at once, each with its path, value and line, before anything is built.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
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
		return nil, &Error{File: name, Problems: []string{"YAML syntax error " + yaml.FormatError(err, false, true)}}
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, &Error{File: name, Problems: []string{"expected one YAML document with a transfers: list"}}
	}
	root := file.Docs[0].Body
	c := &checker{lines: map[string]int{}, undecoded: map[int]bool{}}
	c.walk(root, reflect.TypeOf(Config{}), "")

	cfg := &Config{}
	if m, ok := root.(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			switch kv.Key.String() {
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
					if !c.decode(item, &cfg.Transfers[i]) {
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
	lines     map[string]int // path -> line of its value
	undecoded map[int]bool   // transfers with a type error: not validated further
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
// (typos) and unquoted account IDs, everywhere in the file. It records each path's line.
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
				c.add(line(node), "%s: expected a mapping of keys (%s), got %s", orRoot(path), strings.Join(yamlKeys(t), ", "), node.Type())
				return
			}
		}
		fields := yamlFields(t)
		for _, kv := range m.Values {
			key := kv.Key.String()
			f, known := fields[key]
			if !known {
				c.add(line(kv.Key), "%s: unknown key %q (allowed: %s)", join(path, key), key, strings.Join(yamlKeys(t), ", "))
				continue
			}
			p := join(path, key)
			c.lines[p] = line(kv.Value)
			if key == "account" && kv.Value.Type() != ast.StringType && kv.Value.Type() != ast.NullType {
				c.add(line(kv.Value), "%s: %s is not quoted: YAML reads unquoted digits as a number (a leading 0 even as octal); write %q",
					p, kv.Value.String(), kv.Value.String())
				continue
			}
			c.walk(kv.Value, f.Type, p)
		}
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			c.add(line(node), "%s: expected a list, got %s", path, node.Type())
			return
		}
		for i, item := range seq.Values {
			p := fmt.Sprintf("%s[%d]", path, i)
			c.lines[p] = line(item)
			c.walk(item, t.Elem(), p)
		}
	}
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
	if len(cfg.Transfers) == 0 {
		c.add(c.lines["transfers"], "transfers: no transfers: list at least one")
	}
	for i, t := range cfg.Transfers {
		if c.undecoded[i] {
			continue
		}
		var errs spec.Errors
		if err := t.Validate(); errors.As(err, &errs) {
			for _, fe := range errs.Prefixed(fmt.Sprintf("transfers[%d]", i)) {
				c.add(c.lineOf(fe.Path), "%s", fe.Error())
			}
		}
	}
	// Transfers deployed together: unique names, buckets they agree about, policy sizes.
	var setErrs spec.Errors
	if errors.As(spec.ValidateSet(cfg.Transfers), &setErrs) {
		for _, fe := range setErrs {
			if !c.undecoded[transferIndex(fe.Path)] {
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
