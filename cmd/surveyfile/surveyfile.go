// Package surveyfile reads survey definition files, written in YAML, into
// survey.Definition values, and holds the default survey that is built into
// the binary.
//
// It is the YAML adapter of package survey: it turns a YAML document into
// survey.Node values (resolving anchors and aliases, keeping line numbers)
// and leaves every check of keys and values to survey.Decode, which stays
// free of any YAML library.
package surveyfile

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"toolmap/survey"
)

//go:embed default.yaml
var defaultYAML []byte

// defaultV1YAML is version 1 of the built-in survey, kept so that sessions
// begun under it finish under it and exports describe its answers.
//
//go:embed default_v1.yaml
var defaultV1YAML []byte

// DefaultName is how the built-in survey is named in messages.
const DefaultName = "default survey (built in)"

// DefaultYAML returns the text of the built-in default survey, for authors
// who want to start from it.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns the built-in default survey, its earlier versions in
// Earlier.
func Default() (*survey.Definition, error) {
	def, err := Parse(DefaultName, defaultYAML)
	if err != nil {
		return nil, err
	}
	v1, err := Parse(DefaultName+", version 1", defaultV1YAML)
	if err != nil {
		return nil, err
	}
	if err := def.SetEarlier(v1); err != nil {
		return nil, err
	}
	return def, nil
}

// Load reads and validates the survey definition file at path.
func Load(path string) (*survey.Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// maxFileBytes bounds a definition file; the default survey is about 30 KB.
const maxFileBytes = 4 << 20

// maxDepth bounds nesting, and with it the work aliases can cause.
const maxDepth = 32

// maxNodes bounds the size of the tree after aliases are expanded.
const maxNodes = 200_000

// Parse reads and validates a survey definition. name is the file name
// used in problems. Every problem found is reported, as a survey.Problems
// error, each with its line.
func Parse(name string, data []byte) (*survey.Definition, error) {
	if len(data) > maxFileBytes {
		return nil, survey.Problems{{File: name, Msg: fmt.Sprintf("the file is %d bytes; a survey definition may be at most %d", len(data), maxFileBytes)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxProblem(name, err)
	}
	c := converter{name: name}
	root := c.node(&doc, 0)
	if c.err != nil {
		return nil, c.err
	}
	return survey.Decode(name, root)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblem matches parser errors that yaml.v3 reports on the line
// before the block holding the mistake.
var yamlParserProblem = regexp.MustCompile(`^(did not find expected (key|node content|'-' indicator|',' or '[\]}]'|<document start>)|found undefined tag handle)$`)

// syntaxProblem turns a YAML syntax error into a problem with a line.
func syntaxProblem(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		ps := survey.Problems{}
		for _, e := range te.Errors {
			ps = append(ps, survey.Problem{File: name, Msg: e})
		}
		return ps
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if yamlParserProblem.MatchString(m[2]) {
			line++
		}
		return survey.Problems{{File: name, Line: line, Msg: "YAML syntax: " + m[2]}}
	}
	return survey.Problems{{File: name, Msg: "YAML syntax: " + msg}}
}

type converter struct {
	name  string
	nodes int
	err   error
}

func (c *converter) fail(n *yaml.Node, format string, args ...any) *survey.Node {
	if c.err == nil {
		c.err = survey.Problems{{File: c.name, Line: n.Line, Msg: fmt.Sprintf(format, args...)}}
	}
	return &survey.Node{Kind: survey.NodeNull, Line: n.Line, Column: n.Column}
}

func (c *converter) node(n *yaml.Node, depth int) *survey.Node {
	if c.err != nil {
		return nil
	}
	c.nodes++
	if c.nodes > maxNodes {
		return c.fail(n, "the document is too large once aliases are expanded")
	}
	if depth > maxDepth {
		return c.fail(n, "nested more than %d levels deep", maxDepth)
	}
	out := &survey.Node{Line: n.Line, Column: n.Column}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &survey.Node{Kind: survey.NodeNull, Line: 1}
		}
		return c.node(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return c.fail(n, "alias to nothing")
		}
		a := c.node(n.Alias, depth+1)
		if a != nil {
			cp := *a
			cp.Line, cp.Column = n.Line, n.Column
			return &cp
		}
		return a
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			out.Kind = survey.NodeNull
			return out
		}
		out.Kind = survey.NodeScalar
		out.Value = n.Value
	case yaml.SequenceNode:
		out.Kind = survey.NodeList
		for _, it := range n.Content {
			out.Items = append(out.Items, c.node(it, depth+1))
		}
	case yaml.MappingNode:
		out.Kind = survey.NodeMap
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return c.fail(k, "a key must be a plain word")
			}
			if k.Value == "<<" {
				return c.fail(k, "merge keys (<<) are not supported: write the keys out")
			}
			out.Fields = append(out.Fields, survey.Field{Key: k.Value, Line: k.Line, Value: c.node(v, depth+1)})
		}
	default:
		return c.fail(n, "unexpected YAML node")
	}
	return out
}
