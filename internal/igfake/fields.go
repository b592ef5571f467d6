package igfake

import (
	"strconv"
	"strings"
)

// field is one element of a fields= value: a name with optional modifiers
// (.limit(5), .metric(reach,likes)) and optional nested fields ({id,media_type}).
//
// Grammar (whitespace around names is ignored):
//
//	list     = field { "," field }
//	field    = name { modifier } [ "{" list "}" ] { modifier }
//	modifier = "." name "(" args ")"
type field struct {
	Name   string
	Mods   map[string][]string
	Sub    []field
	HasSub bool
}

// limit returns the .limit(n) modifier, or def.
func (f field) limit(def int) int {
	if a, ok := f.Mods["limit"]; ok && len(a) == 1 {
		if n, err := strconv.Atoi(a[0]); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// parseFields parses a fields= value. Duplicate names at one level and
// unbalanced braces are the 2500 syntax errors Graph answers.
func parseFields(s string) ([]field, *apiError) {
	p := fieldParser{s: s}
	fs, err := p.list(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(s) {
		return nil, errSyntax(`Expected end of string instead of "`+string(s[p.i])+`".`, p.i, s)
	}
	return fs, nil
}

type fieldParser struct {
	s string
	i int
}

func (p *fieldParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *fieldParser) list(depth int) ([]field, *apiError) {
	var out []field
	seen := map[string]bool{}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] == '}' {
			if len(out) == 0 && (depth > 0 || p.i < len(p.s)) {
				return nil, errSyntax("Expected a field name.", p.i, p.s)
			}
			return out, nil
		}
		f, err := p.field(depth)
		if err != nil {
			return nil, err
		}
		if seen[f.Name] {
			return nil, errSyntax("Field "+f.Name+" specified more than once. This is only possible before version 2.1", p.i, p.s)
		}
		seen[f.Name] = true
		out = append(out, f)
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return out, nil
	}
}

func (p *fieldParser) name() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *fieldParser) field(depth int) (field, *apiError) {
	f := field{Name: p.name()}
	if f.Name == "" {
		return f, errSyntax("Expected a field name.", p.i, p.s)
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return f, nil
		}
		switch p.s[p.i] {
		case '.':
			p.i++
			mod := p.name()
			if mod == "" || p.i >= len(p.s) || p.s[p.i] != '(' {
				return f, errSyntax(`Expected "(" after a modifier name.`, p.i, p.s)
			}
			end := strings.IndexByte(p.s[p.i:], ')')
			if end < 0 {
				return f, errSyntax(`Expected ")" instead of end of string.`, len(p.s), p.s)
			}
			var args []string
			for a := range strings.SplitSeq(p.s[p.i+1:p.i+end], ",") {
				if a = strings.TrimSpace(a); a != "" {
					args = append(args, a)
				}
			}
			if f.Mods == nil {
				f.Mods = map[string][]string{}
			}
			f.Mods[mod] = args
			p.i += end + 1
		case '{':
			if f.HasSub {
				return f, errSyntax(`Expected "," instead of "{".`, p.i, p.s)
			}
			p.i++
			sub, err := p.list(depth + 1)
			if err != nil {
				return f, err
			}
			if p.i >= len(p.s) || p.s[p.i] != '}' {
				return f, errSyntax(`Expected "}" instead of end of string.`, p.i, p.s)
			}
			p.i++
			f.Sub, f.HasSub = sub, true
		default:
			return f, nil
		}
	}
}

// fieldsOf parses the fields parameter, or returns the defaults when it is
// absent or empty.
func fieldsOf(q interface{ Get(string) string }, defaults ...string) ([]field, *apiError) {
	s := strings.TrimSpace(q.Get("fields"))
	if s == "" {
		return plainFields(defaults...), nil
	}
	return parseFields(s)
}

func plainFields(names ...string) []field {
	out := make([]field, len(names))
	for i, n := range names {
		out[i] = field{Name: n}
	}
	return out
}

// subOr returns the nested fields of f, or the defaults.
func (f field) subOr(defaults ...string) []field {
	if f.HasSub && len(f.Sub) > 0 {
		return f.Sub
	}
	return plainFields(defaults...)
}
