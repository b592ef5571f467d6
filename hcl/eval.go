package hcl

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveMark marks the values of sensitive variables while expressions
// are evaluated, so HCL never prints them and this package never echoes
// them.
const sensitiveMark = "sensitive"

// decoder evaluates expressions and collects diagnostics.
type decoder struct {
	ctx *hcl2.EvalContext
	// declared are the declared variable names; nil while variables
	// themselves are decoded (no var.* allowed there).
	declared map[string]bool
	diags    hcl2.Diagnostics
	// sensitive are the names of the sensitive variables.
	sensitive map[string]bool
	// literalDefaults locates the defaults written as constants in the
	// file, by variable name, for variables whose value is that default.
	literalDefaults map[string]hcl2.Range
	// varEnv are the environment variables each variable's value may come
	// from: env() calls in its default, then IGEXPORT_VAR_NAME.
	varEnv map[string][]string
	// warned are the variables already warned about as secret literals.
	warned map[string]bool
	// metrics are the stream blocks' metrics, for the catalog checks.
	metrics []metricRef
	// queryParams are LoadOptions.QueryParams.
	queryParams func(scheme string) ([]string, bool)
	// schemes are the accepted bucket URL schemes (LoadOptions.Schemes).
	schemes []string
}

// str is a decoded string with where it came from.
type str struct {
	val       string
	sensitive bool // derived from a sensitive variable
	rng       hcl2.Range
}

// show quotes the value for a message, unless it is sensitive.
func (s str) show() string {
	if s.sensitive {
		return redacted
	}
	return strconv.Quote(s.val)
}

func (d *decoder) add(diags ...*hcl2.Diagnostic) { d.diags = append(d.diags, diags...) }

func (d *decoder) errorf(rng hcl2.Range, summary, format string, args ...any) {
	d.add(&hcl2.Diagnostic{Severity: hcl2.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()})
}

func (d *decoder) warnf(rng hcl2.Range, summary, format string, args ...any) {
	d.add(&hcl2.Diagnostic{Severity: hcl2.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()})
}

// checkRefs reports references HCL would explain badly: var.NAME for an
// undeclared NAME, or any root other than var. It returns false when it
// reported something (the expression must then not be evaluated).
func (d *decoder) checkRefs(expr hcl2.Expression) bool {
	ok := true
	for _, t := range expr.Variables() {
		root := t.RootName()
		if root != "var" || d.declared == nil {
			hint := "Only var.NAME can be referenced; use env(\"NAME\") to read an environment variable."
			if d.declared == nil {
				hint = "Variables are decoded before everything else, so this value cannot refer to another variable."
			}
			d.errorf(t.SourceRange(), "Unsupported reference", "%s is not allowed here. %s", traversalString(t), hint)
			ok = false
			continue
		}
		if len(t) < 2 {
			continue // "var" alone: HCL's own message is fine
		}
		var name string
		switch step := t[1].(type) {
		case hcl2.TraverseAttr:
			name = step.Name
		case hcl2.TraverseIndex:
			if step.Key.Type() == cty.String && step.Key.IsKnown() {
				name = step.Key.AsString()
			}
		}
		if name != "" && !d.declared[name] {
			d.errorf(t.SourceRange(), "Undefined variable",
				"No variable %q is declared. Declare it with a variable %q block.%s",
				name, name, suggest(name, keys(d.declared)))
			ok = false
		}
	}
	return ok
}

// value evaluates expr. It returns the value with marks removed, whether
// it derived from a sensitive value, and false when the value cannot be
// used (an error was reported, or it depends on a variable without a
// value, which was reported at the variable).
func (d *decoder) value(expr hcl2.Expression) (cty.Value, bool, bool) {
	if !d.checkRefs(expr) {
		return cty.NilVal, false, false
	}
	v, diags := expr.Value(d.ctx)
	if d.usesSensitive(expr) {
		diags = hideDetails(diags)
	}
	d.add(diags...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false, false
	}
	sensitive := v.ContainsMarked()
	v, _ = v.UnmarkDeep()
	return v, sensitive, true
}

// str evaluates a string attribute. A null value counts as unset.
func (d *decoder) str(attr *hcl2.Attribute) (str, bool) {
	return d.strExpr(attr.Expr, attr.Name)
}

func (d *decoder) strExpr(expr hcl2.Expression, name string) (str, bool) {
	v, sensitive, ok := d.value(expr)
	if !ok || v.IsNull() {
		return str{}, false
	}
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		d.errorf(expr.Range(), "Incorrect value type", "%s must be a string, not %s.", name, v.Type().FriendlyName())
		return str{}, false
	}
	return str{val: sv.AsString(), sensitive: sensitive, rng: expr.Range()}, true
}

// strList evaluates a list of strings; each element keeps its own range
// when the list is written out literally.
func (d *decoder) strList(attr *hcl2.Attribute) ([]str, bool) {
	if exprs, diags := hcl2.ExprList(attr.Expr); !diags.HasErrors() {
		out := []str{}
		ok := true
		for _, e := range exprs {
			s, sok := d.strExpr(e, "each element of "+attr.Name)
			if !sok {
				ok = false
				continue
			}
			out = append(out, s)
		}
		return out, ok
	}
	v, sensitive, ok := d.value(attr.Expr)
	if !ok || v.IsNull() {
		return nil, false
	}
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || !lv.IsWhollyKnown() {
		d.errorf(attr.Expr.Range(), "Incorrect value type", "%s must be a list of strings, not %s.", attr.Name, v.Type().FriendlyName())
		return nil, false
	}
	out := []str{}
	for _, e := range lv.AsValueSlice() {
		if e.IsNull() {
			d.errorf(attr.Expr.Range(), "Incorrect value type", "%s must not contain null.", attr.Name)
			return nil, false
		}
		out = append(out, str{val: e.AsString(), sensitive: sensitive, rng: attr.Expr.Range()})
	}
	return out, true
}

// int evaluates a whole-number attribute.
func (d *decoder) int(attr *hcl2.Attribute) (int, bool) {
	v, _, ok := d.value(attr.Expr)
	if !ok || v.IsNull() {
		return 0, false
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		d.errorf(attr.Expr.Range(), "Incorrect value type", "%s must be a whole number, not %s.", attr.Name, v.Type().FriendlyName())
		return 0, false
	}
	bf := nv.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact || int64(int(i)) != i {
		d.errorf(attr.Expr.Range(), "Invalid value", "%s must be a whole number.", attr.Name)
		return 0, false
	}
	return int(i), true
}

// bool evaluates a boolean attribute.
func (d *decoder) bool(attr *hcl2.Attribute) (bool, bool) {
	v, _, ok := d.value(attr.Expr)
	if !ok || v.IsNull() {
		return false, false
	}
	bv, err := convert.Convert(v, cty.Bool)
	if err != nil {
		d.errorf(attr.Expr.Range(), "Incorrect value type", "%s must be true or false, not %s.", attr.Name, v.Type().FriendlyName())
		return false, false
	}
	return bv.True(), true
}

// isLiteral reports whether expr is a constant written in the file: it
// evaluates without any variable or function.
func isLiteral(expr hcl2.Expression) bool {
	v, diags := expr.Value(nil)
	return !diags.HasErrors() && v.IsWhollyKnown() && !v.IsNull()
}

func traversalString(t hcl2.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl2.TraverseRoot:
			b.WriteString(s.Name)
		case hcl2.TraverseAttr:
			b.WriteString("." + s.Name)
		default:
			b.WriteString("[…]")
		}
	}
	return b.String()
}

// usesSensitive reports whether expr refers to a sensitive variable.
func (d *decoder) usesSensitive(expr hcl2.Expression) bool {
	for _, t := range expr.Variables() {
		if len(t) > 1 && t.RootName() == "var" {
			if step, ok := t[1].(hcl2.TraverseAttr); ok && d.sensitive[step.Name] {
				return true
			}
		}
	}
	return false
}

// hideDetails drops what follows the first colon of each detail: function
// errors quote pieces of their arguments (jsondecode names the character
// it choked on), and here an argument is sensitive.
func hideDetails(diags hcl2.Diagnostics) hcl2.Diagnostics {
	out := make(hcl2.Diagnostics, len(diags))
	for i, dg := range diags {
		c := *dg
		if head, _, found := strings.Cut(c.Detail, ": "); found {
			c.Detail = head
		}
		c.Detail = strings.TrimSuffix(c.Detail, ".") + " (details hidden: the expression uses a sensitive value)."
		out[i] = &c
	}
	return out
}
