package hcl

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var variableSchema = &hcl2.BodySchema{
	Attributes: []hcl2.AttributeSchema{
		{Name: "default"},
		{Name: "sensitive"},
		{Name: "description"},
	},
}

// varState is a declared variable while its value is being settled.
type varState struct {
	Variable
	set bool // has a value
	bad bool // a value failed to evaluate (already reported)
	// literalDefault is where the default is written, when the value is
	// that default and it is a non-empty constant.
	literalDefault *hcl2.Range
}

// decodeVariables decodes the variable blocks (pass one). Defaults may
// call functions but not refer to variables.
func (l *loader) decodeVariables(blocks []*hcl2.Block) []*varState {
	d := &decoder{ctx: &hcl2.EvalContext{Functions: functions(filepath.Dir(l.path), l.lookupEnv)}}
	var vars []*varState
	seen := map[string]*varState{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			d.errorf(b.LabelRanges[0], "Invalid variable name",
				"%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorf(b.LabelRanges[0], "Duplicate variable",
				"A variable named %q was already declared at %s.", name, at(first.DeclRange))
			continue
		}
		v := &varState{Variable: Variable{Name: name, DeclRange: b.DefRange}}
		seen[name] = v
		vars = append(vars, v)

		content, diags := b.Body.Content(variableSchema)
		d.add(diags...)
		if a, ok := content.Attributes["sensitive"]; ok {
			v.Sensitive, _ = d.bool(a)
		}
		if a, ok := content.Attributes["description"]; ok {
			s, _ := d.str(a)
			v.Description = s.val
		}
		if a, ok := content.Attributes["default"]; ok {
			n := len(d.diags)
			if s, ok := d.str(a); ok {
				v.Value, v.set = s.val, true
				l.noteSecret(v, s.val)
				if s.val != "" && isLiteral(a.Expr) {
					v.literalDefault = a.Expr.Range().Ptr()
				}
			} else if len(d.diags) > n {
				v.bad = true
			}
		}
	}
	l.diags = append(l.diags, d.diags...)
	return vars
}

// settleValues applies IGEXPORT_VAR_<NAME>, the var files and the -var
// flags, in that order of precedence (the last wins), and reports
// variables left without a value.
func (l *loader) settleValues(vars []*varState) {
	byName := map[string]*varState{}
	for _, v := range vars {
		byName[v.Name] = v
	}
	set := func(v *varState, val string) {
		v.Value, v.set, v.bad, v.literalDefault = val, true, false, nil
		l.noteSecret(v, val)
	}

	for _, v := range vars {
		if val, ok := l.lookupEnv(EnvVarPrefix + v.Name); ok {
			set(v, val)
		}
	}

	for _, path := range l.opts.VarFiles {
		l.readVarFile(path, byName, set)
	}

	for _, name := range slices.Sorted(maps.Keys(l.opts.Vars)) {
		v, ok := byName[name]
		if !ok {
			l.diags = append(l.diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "Undeclared variable",
				Detail: fmt.Sprintf("-var sets %q, but %s declares no variable %q.%s",
					name, l.path, name, suggest(name, varNames(vars))),
			})
			continue
		}
		set(v, l.opts.Vars[name])
	}

	for _, v := range vars {
		if !v.set && !v.bad {
			l.diags = append(l.diags, &hcl2.Diagnostic{
				Severity: hcl2.DiagError,
				Summary:  "No value for variable",
				Detail: fmt.Sprintf("Variable %q has no default and no value was given: set it with -var %s=VALUE, in a -var-file, or with the environment variable %s%s.",
					v.Name, v.Name, EnvVarPrefix, v.Name),
				Subject: v.DeclRange.Ptr(),
			})
		}
	}
}

// readVarFile applies a file of NAME = "value" lines.
func (l *loader) readVarFile(path string, byName map[string]*varState, set func(*varState, string)) {
	f, diags := l.parseFile(path, "-var-file")
	l.diags = append(l.diags, diags...)
	if f == nil || diags.HasErrors() {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	d := &decoder{ctx: &hcl2.EvalContext{Functions: functions(filepath.Dir(path), l.lookupEnv)}}
	sorted := slices.SortedFunc(maps.Values(attrs), func(a, b *hcl2.Attribute) int {
		return a.Range.Start.Byte - b.Range.Start.Byte
	})
	for _, a := range sorted {
		v, ok := byName[a.Name]
		if !ok {
			// A warning, as in Terraform: one var file may serve several
			// configurations.
			d.warnf(a.NameRange, "Undeclared variable",
				"%s sets %q, but %s declares no variable %q; the value is ignored.%s",
				path, a.Name, l.path, a.Name, suggest(a.Name, slices.Sorted(maps.Keys(byName))))
			continue
		}
		if s, ok := d.str(a); ok {
			set(v, s.val)
		}
	}
	l.diags = append(l.diags, d.diags...)
}

// varObject is the value of var in expressions: a variable without a
// value is unknown, so expressions using it are skipped silently (the
// missing value was reported once, at the variable).
func varObject(vars []*varState) cty.Value {
	m := map[string]cty.Value{}
	for _, v := range vars {
		val := cty.UnknownVal(cty.String)
		if v.set {
			val = cty.StringVal(v.Value)
		}
		if v.Sensitive {
			val = val.Mark(sensitiveMark)
		}
		m[v.Name] = val
	}
	return cty.ObjectVal(m)
}

// noteSecret remembers every value a sensitive variable took, so
// diagnostics mask even a default that was later overridden.
func (l *loader) noteSecret(v *varState, val string) {
	if v.Sensitive && strings.TrimSpace(val) != "" {
		l.masks = append(l.masks, val)
	}
}

func varNames(vars []*varState) []string {
	out := make([]string, len(vars))
	for i, v := range vars {
		out[i] = v.Name
	}
	return out
}

// at formats a range's start as FILE:LINE for messages.
func at(r hcl2.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }
