package graph

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// mayHaveKey reports whether the JSON object b may have a member named key
// (compared without case, as encoding/json matches struct fields) at its
// top level. It only scans: strings are skipped over their escapes
// and nested values by depth, which is several times cheaper than decoding.
// When in doubt (not an object, malformed, an escaped member name) it says
// true, and the caller decodes for real. parseError uses it so that a
// successful body is not decoded once more just to look for "error".
func mayHaveKey(b []byte, key string) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return true
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return true
		}
		if b[i] == '}' {
			return false
		}
		if b[i] != '"' {
			return true
		}
		end := stringEnd(b, i)
		if end < 0 {
			return true
		}
		name := b[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 || bytes.EqualFold(name, []byte(key)) {
			return true
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return true
		}
		if i = valueEnd(b, skipSpace(b, i+1)); i < 0 {
			return true
		}
		i = skipSpace(b, i)
		switch {
		case i >= len(b):
			return true
		case b[i] == ',':
			i++
		case b[i] == '}':
			return false
		default:
			return true
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that starts at b[i]
// (a '"'), or -1 when it does not end.
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

// valueEnd returns the index just past the JSON value that starts at b[i],
// or -1 when it does not end or nests fastjson.MaxDepth deep. Literals are
// not checked.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			k := bytes.IndexAny(b[j:], `"{}[]`)
			if k < 0 {
				return -1
			}
			j += k
			switch b[j] {
			case '"':
				if j = stringEnd(b, j); j < 0 {
					return -1
				}
				continue
			case '{', '[':
				// A value nested as deep as fastjson allows does not end
				// here: inside an array (a batch response) it would be
				// one level too deep for the parse of the whole.
				if depth++; depth >= fastjson.MaxDepth {
					return -1
				}
			default:
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
