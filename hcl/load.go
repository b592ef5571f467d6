package hcl

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// LoadOptions are the values given outside the file. The zero value is
// ready to use.
type LoadOptions struct {
	// Vars are the -var NAME=VALUE flags; they win over every other source.
	Vars map[string]string
	// VarFiles are the -var-file files (NAME = "value" lines), applied in
	// order, the last one winning.
	VarFiles []string
	// LookupEnv reads environment variables, for env() and
	// IGEXPORT_VAR_<NAME>; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Now is the time metric deprecation dates are judged against; nil
	// means time.Now.
	Now func() time.Time
	// Schemes are the bucket URL schemes the program can open
	// (sinks.Schemes()); a destination or state URL with another scheme is
	// an error. Nil accepts any scheme: opening the bucket then decides.
	Schemes []string
	// QueryParams returns the query parameters a bucket URL of a scheme
	// may carry (sinks.QueryParams); nil, or false for a scheme, checks
	// none.
	QueryParams func(scheme string) ([]string, bool)
}

// Load reads the configuration file at path and decodes it.
//
// The Diagnostics hold every problem found, errors and warnings, each
// pointing into the file where possible; decoding carries on after errors
// so one run reports them all. When Diagnostics.HasErrors is true the
// Config must not be used: it is nil when the file could not be read or
// has syntax errors, and incomplete otherwise. Warnings alone leave a
// usable Config.
func Load(path string, o LoadOptions) (*Config, Diagnostics) {
	l := &loader{path: path, opts: o, parser: hclparse.NewParser(), lookupEnv: o.LookupEnv, now: o.Now}
	if l.lookupEnv == nil {
		l.lookupEnv = os.LookupEnv
	}
	if l.now == nil {
		l.now = time.Now
	}
	cfg := l.load()
	return cfg, l.diagnostics(cfg)
}

// loader holds the state of one Load.
type loader struct {
	path      string
	opts      LoadOptions
	parser    *hclparse.Parser
	lookupEnv func(string) (string, bool)
	now       func() time.Time
	diags     hcl2.Diagnostics
	masks     []string // sensitive values to mask besides Config.Secrets
}

var rootSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{{Name: "streams"}},
	Blocks: []hcl2.BlockHeaderSchema{
		{Type: "igexport"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "account", LabelNames: []string{"name"}},
		{Type: "discover", LabelNames: []string{"name"}},
		{Type: "stream", LabelNames: []string{"name"}},
		{Type: "destination"},
		{Type: "state"},
		{Type: "rate_limit"},
	},
}

// parseFile reads and parses a file the user names (the config, a
// -var-file) with readFile: a FIFO or a device is a diagnostic, not a hang.
// what says which file it is ("configuration file", "-var-file").
func (l *loader) parseFile(path, what string) (*hcl2.File, hcl2.Diagnostics) {
	src, err := readFile(path)
	if err != nil {
		return nil, hcl2.Diagnostics{{
			Severity: hcl2.DiagError,
			Summary:  "Failed to read file",
			Detail:   fmt.Sprintf("The %s %q could not be read: %v.", what, path, err),
		}}
	}
	return l.parser.ParseHCL(src, path)
}

func (l *loader) load() *Config {
	f, diags := l.parseFile(l.path, "configuration file")
	l.diags = append(l.diags, diags...)
	if f == nil || diags.HasErrors() {
		// Decoding a file with syntax errors would mostly report
		// consequences of them.
		return nil
	}
	content, diags := f.Body.Content(rootSchema)
	l.diags = append(l.diags, diags...)

	var varBlocks []*hcl2.Block
	for _, b := range content.Blocks {
		if b.Type == "variable" {
			varBlocks = append(varBlocks, b)
		}
	}
	vars := l.decodeVariables(varBlocks)
	l.settleValues(vars)

	cfg := &Config{Path: l.path}
	declared, sensitive := map[string]bool{}, map[string]bool{}
	literalDefaults := map[string]hcl2.Range{}
	varEnv := map[string][]string{}
	for _, b := range varBlocks {
		if attrs, diags := b.Body.JustAttributes(); !diags.HasErrors() {
			if a, ok := attrs["default"]; ok {
				varEnv[b.Labels[0]] = envCalls(a.Expr)
			}
		}
		varEnv[b.Labels[0]] = append(varEnv[b.Labels[0]], EnvVarPrefix+b.Labels[0])
	}
	for _, v := range vars {
		declared[v.Name] = true
		sensitive[v.Name] = v.Sensitive
		if v.literalDefault != nil {
			literalDefaults[v.Name] = *v.literalDefault
		}
		cfg.Variables = append(cfg.Variables, v.Variable)
	}
	d := &decoder{
		ctx: &hcl2.EvalContext{
			Variables: map[string]cty.Value{"var": varObject(vars)},
			Functions: functions(filepath.Dir(l.path), l.lookupEnv),
		},
		schemes:         l.opts.Schemes,
		queryParams:     l.opts.QueryParams,
		declared:        declared,
		sensitive:       sensitive,
		literalDefaults: literalDefaults,
		varEnv:          varEnv,
	}
	l.decodeConfig(d, cfg, content, f.Body.MissingItemRange())
	l.diags = append(l.diags, d.diags...)
	return cfg
}

// diagnostics wraps what was found with the sources and the secrets to
// mask.
func (l *loader) diagnostics(cfg *Config) Diagnostics {
	secrets := slices.Clone(l.masks)
	if cfg != nil {
		secrets = append(secrets, cfg.Secrets()...)
	}
	slices.Sort(secrets)
	secrets = slices.Compact(secrets)
	sortLongestFirst(secrets)
	sortDiags(l.diags)
	return Diagnostics{diags: l.diags, files: maps.Clone(l.parser.Files()), secrets: secrets}
}
