package hcl

import (
	"errors"

	"github.com/hashicorp/go-cty-funcs/filesystem"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions callable in a file whose file() paths
// are relative to baseDir.
func functions(baseDir string, lookupEnv func(string) (string, bool)) map[string]function.Function {
	return map[string]function.Function{
		"env":  envFunc(lookupEnv),
		"file": noUnknownOnError(filesystem.MakeFileFunc(baseDir, false)),
		"try":  tryfunc.TryFunc,
		"can":  tryfunc.CanFunc,

		"upper":      stdlib.UpperFunc,
		"lower":      stdlib.LowerFunc,
		"trimspace":  stdlib.TrimSpaceFunc,
		"trim":       stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc,
		"format":     stdlib.FormatFunc,
		"join":       stdlib.JoinFunc,
		"split":      stdlib.SplitFunc,
		"replace":    stdlib.ReplaceFunc,
		"substr":     stdlib.SubstrFunc,
		"regex":      stdlib.RegexFunc,
		"coalesce":   coalesceFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
	}
}

// envFunc is env(name): the environment variable's value, "" when unset.
func envFunc(lookupEnv func(string) (string, bool)) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or an empty string when it is not set.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, _ := lookupEnv(args[0].AsString())
			return cty.StringVal(v), nil
		},
	})
}

// noUnknownOnError wraps a function that returns an unknown value along
// with its error, which makes HCL report a second, confusing "value must
// be known" diagnostic after the real one.
func noUnknownOnError(f function.Function) function.Function {
	params := f.Params()
	return function.New(&function.Spec{
		Description: f.Description(),
		Params:      params,
		VarParam:    f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, err := f.Call(args)
			if err != nil {
				return cty.NilVal, err
			}
			return v, nil
		},
	})
}

// coalesceFunc is coalesce(a, b, ...): the first argument that is neither
// null nor an empty string, as in Terraform, so that
// coalesce(env("X"), var.fallback) falls back when X is unset. (cty's own
// coalesce only skips nulls.)
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is neither null nor an empty string.",
	VarParam: &function.Parameter{
		Name:             "vals",
		Type:             cty.String,
		AllowNull:        true,
		AllowUnknown:     true,
		AllowDynamicType: true,
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for _, a := range args {
			if !a.IsKnown() {
				return cty.UnknownVal(cty.String), nil
			}
			if !a.IsNull() && a.AsString() != "" {
				return a, nil
			}
		}
		return cty.NilVal, errors.New("no non-empty argument: every argument is null or an empty string")
	},
})
