package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
)

// Config is the operator's configuration file. See config.example.yaml.
type Config struct {
	// Survey is the survey definition file; empty means the built-in
	// default survey. A relative path is relative to the config file.
	Survey string `yaml:"survey"`
	// Database is the bbolt database file. A relative path is relative to
	// the config file.
	Database string `yaml:"database"`

	file string
}

// DefaultConfig is the configuration used without a file.
func DefaultConfig() Config {
	return Config{Database: "toolmap.db"}
}

var yamlErrLine = regexp.MustCompile(`line (\d+): (.*)`)
var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// ReadConfigFile reads the configuration at path. Unknown keys are errors,
// each named with its line.
func ReadConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read the config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, configError(path, err)
	}
	cfg.file = path
	dir := filepath.Dir(path)
	if cfg.Survey != "" && !filepath.IsAbs(cfg.Survey) {
		cfg.Survey = filepath.Join(dir, cfg.Survey)
	}
	if cfg.Database == "" {
		return cfg, fmt.Errorf("%s: database: must name a file, e.g. database: toolmap.db", path)
	}
	if !filepath.IsAbs(cfg.Database) {
		cfg.Database = filepath.Join(dir, cfg.Database)
	}
	return cfg, nil
}

// configError rewrites a YAML error as "file:line: problem" lines.
func configError(path string, err error) error {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out []string
	for _, l := range lines {
		if m := yamlErrLine.FindStringSubmatch(l); m != nil {
			msg := m[2]
			if f := unknownField.FindStringSubmatch(msg); f != nil {
				msg = fmt.Sprintf("unknown key %q", f[1])
			}
			out = append(out, fmt.Sprintf("%s:%s: %s", path, m[1], msg))
			continue
		}
		out = append(out, path+": "+l)
	}
	return errors.New(strings.Join(out, "\n"))
}

// loadSurvey reads the survey file, or the built-in default when path is "".
func loadSurvey(path string) (*survey.Definition, error) {
	if path == "" {
		return surveyfile.Default()
	}
	return surveyfile.Load(path)
}
