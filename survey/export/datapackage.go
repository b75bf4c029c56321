package export

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
)

// Frictionless Data Package (https://specs.frictionlessdata.io/data-package/)
// with a Tabular Data Resource per CSV file.
type dataPackage struct {
	Profile     string       `json:"profile"`
	Name        string       `json:"name"`
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description"`
	Created     string       `json:"created,omitempty"`
	Licenses    []dpLicence  `json:"licenses,omitempty"`
	Resources   []dpResource `json:"resources"`
}

// dpLicence is a licence of a data package: a name (an Open Definition or
// SPDX identifier) or a path (a URL).
type dpLicence struct {
	Name string `json:"name,omitempty"`
	Path string `json:"path,omitempty"`
}

type dpResource struct {
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	Profile   string    `json:"profile"`
	Format    string    `json:"format"`
	Mediatype string    `json:"mediatype"`
	Encoding  string    `json:"encoding"`
	Dialect   dpDialect `json:"dialect"`
	Schema    dpSchema  `json:"schema"`
}

type dpDialect struct {
	Delimiter      string `json:"delimiter"`
	DoubleQuote    bool   `json:"doubleQuote"`
	Header         bool   `json:"header"`
	LineTerminator string `json:"lineTerminator"`
}

type dpSchema struct {
	Fields        []dpField `json:"fields"`
	MissingValues []string  `json:"missingValues"`
	PrimaryKey    []string  `json:"primaryKey,omitempty"`
}

type dpField struct {
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Description string         `json:"description,omitempty"`
	Constraints *dpConstraints `json:"constraints,omitempty"`
}

type dpConstraints struct {
	Enum []string `json:"enum,omitempty"`
}

var packageName = regexp.MustCompile(`[^a-z0-9._-]+`)

// writeDataPackage writes datapackage.json describing long.csv, wide.csv
// and codebook.csv as made with this codebook and these options.
func writeDataPackage(w io.Writer, l *layout) error {
	var ids, titles []string
	for _, s := range l.cb.Surveys {
		ids = append(ids, s.ID)
		if t := s.Title.In(l.lang, l.lang); t != "" {
			titles = append(titles, t)
		}
	}
	name := packageName.ReplaceAllString(strings.ToLower(strings.Join(ids, "-")), "-")
	if name == "" {
		name = "toolmap"
	}
	dp := dataPackage{
		Profile:     "tabular-data-package",
		Name:        name + "-export",
		Title:       strings.Join(titles, "; "),
		Description: "Survey responses exported by toolmap, pseudonymised. See README.txt.",
	}
	if !l.opts.Now.IsZero() {
		dp.Created = timeCell(l.opts.Now)
	}
	if lic := strings.TrimSpace(l.opts.Licence); lic != "" {
		if strings.HasPrefix(lic, "http://") || strings.HasPrefix(lic, "https://") {
			dp.Licenses = []dpLicence{{Path: lic}}
		} else {
			dp.Licenses = []dpLicence{{Name: lic}}
		}
	}
	cbCols, _ := l.cb.table()
	for _, t := range []struct {
		name, path string
		cols       []column
		key        []string
	}{
		{"long", "long.csv", l.long, nil},
		{"wide", "wide.csv", l.wide, []string{"respondent"}},
		{"codebook", "codebook.csv", cbCols, nil},
	} {
		r := dpResource{
			Name: t.name, Path: t.path, Profile: "tabular-data-resource", Format: "csv",
			Mediatype: "text/csv", Encoding: "utf-8",
			Dialect: dpDialect{Delimiter: ",", DoubleQuote: true, Header: true, LineTerminator: "\n"},
			Schema:  dpSchema{MissingValues: []string{""}, PrimaryKey: t.key},
		}
		for _, c := range t.cols {
			f := dpField{Name: c.Name, Type: c.Kind, Description: c.Desc}
			switch {
			case len(l.enums[t.name+"."+c.Name]) > 0:
				f.Constraints = &dpConstraints{Enum: l.enums[t.name+"."+c.Name]}
			case c.Kind == kindInteger && strings.HasPrefix(c.Desc, "1 if"):
				f.Constraints = &dpConstraints{Enum: []string{"0", "1"}}
			}
			r.Schema.Fields = append(r.Schema.Fields, f)
		}
		dp.Resources = append(dp.Resources, r)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(dp)
}
