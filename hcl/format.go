package hcl

import (
	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL form (what `terraform fmt` does:
// indentation, spacing, aligned equals signs). filename is used in
// diagnostics only. A file with syntax errors is not formatted: the
// result is nil and the Diagnostics say why.
func Format(src []byte, filename string) ([]byte, Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl2.InitialPos)
	if diags.HasErrors() {
		sortDiags(diags)
		return nil, Diagnostics{diags: diags, files: map[string]*hcl2.File{filename: f}}
	}
	return hclwrite.Format(src), Diagnostics{}
}
