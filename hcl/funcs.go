package hcl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/igexport/igexport/internal/userfile"
)

// functions returns the functions callable in a file whose file() paths
// are relative to baseDir.
func functions(baseDir string, lookupEnv func(string) (string, bool)) map[string]function.Function {
	return map[string]function.Function{
		"env":  envFunc(lookupEnv),
		"file": fileFunc(baseDir),
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

// MaxFileSize bounds what igexport reads of a file the user names: the
// config, a -var-file, a file() argument.
const MaxFileSize = 1 << 20

// readFile reads a file the user names with userfile.Read: a regular file
// of at most MaxFileSize bytes, never a FIFO (which would block) nor a
// device such as /dev/zero (which would fill memory).
func readFile(path string) ([]byte, error) {
	return userfile.Read(path, MaxFileSize)
}

// fileFunc is file(path): the content of a regular UTF-8 file of at most
// MaxFileSize bytes, path relative to baseDir (the config file's directory)
// or starting with ~/. Anything else is an error, which HCL reports at the
// call (file:line:col).
func fileFunc(baseDir string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the content of a regular UTF-8 text file of at most 1 MiB, relative to the configuration file.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := args[0].AsString()
			if rest, ok := strings.CutPrefix(path, "~/"); ok {
				home, err := os.UserHomeDir()
				if err != nil {
					return cty.NilVal, fmt.Errorf("cannot expand ~: %w", err)
				}
				path = filepath.Join(home, rest)
			}
			if !filepath.IsAbs(path) {
				path = filepath.Join(baseDir, path)
			}
			path = filepath.Clean(path)
			b, err := readFile(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return cty.NilVal, fmt.Errorf("no file exists at %s", path)
			case err != nil:
				return cty.NilVal, err
			case !utf8.Valid(b):
				return cty.NilVal, fmt.Errorf("contents of %s are not valid UTF-8", path)
			}
			return cty.StringVal(string(b)), nil
		},
	})
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
