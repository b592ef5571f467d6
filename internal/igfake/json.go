package igfake

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// obj is a JSON object that keeps its members in insertion order, so bodies
// list fields in the order the request asked for them, like Graph does.
type obj []kv

// MarshalJSON implements json.Marshaler.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := marshal(m.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping (Graph keeps & < > as is).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// get returns the value of member k.
func (o obj) get(k string) (any, bool) {
	for _, m := range o {
		if m.k == k {
			return m.v, true
		}
	}
	return nil, false
}

// encode renders v the way Graph does: compact, "/" escaped as "\/" and every
// non-ASCII character as a \uXXXX escape (UTF-16 surrogate pairs above the
// BMP). Clients must therefore decode JSON, never match raw bytes.
func encode(v any) []byte {
	return fastEncode(nil, v)
}

// encodeOld is the encoding/json based encoder fastEncode replaced; tests
// check the two agree.
func encodeOld(v any) []byte {
	raw, err := marshal(v)
	if err != nil {
		panic("igfake: encode: " + err.Error()) // only our own types are encoded
	}
	return escapeGraph(make([]byte, 0, len(raw)+len(raw)/16), raw)
}

func appendU(b []byte, r rune) []byte {
	s := strconv.FormatInt(int64(r), 16)
	b = append(b, '\\', 'u')
	for i := len(s); i < 4; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// fastEncode is encode without encoding/json's reflection and re-compaction
// of nested Marshalers: one pass, same output.
func fastEncode(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case obj:
		b = append(b, '{')
		for i, m := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStr(b, m.k)
			b = append(b, ':')
			b = fastEncode(b, m.v)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = fastEncode(b, e)
		}
		return append(b, ']')
	case []obj:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = fastEncode(b, e)
		}
		return append(b, ']')
	case string:
		return appendStr(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case bool:
		return strconv.AppendBool(b, x)
	}
	raw, err := marshal(v)
	if err != nil {
		panic("igfake: encode: " + err.Error())
	}
	return escapeGraph(b, raw)
}

// plainASCII marks the bytes appendStr copies as they are: ASCII from
// space up, except '"', '\\' and '/' (which Graph escapes).
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '/'
	}
	return t
}()

// appendStr appends s as a JSON string the way Graph writes one: '/'
// escaped, and everything outside ASCII as \uXXXX. Runs of plain ASCII are
// copied in one append (a batch body, JSON inside a string, is mostly such
// runs between quotes).
func appendStr(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && plainASCII[c] {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '/':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		start = i
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b = appendU(b, r1)
			b = appendU(b, r2)
		} else {
			b = appendU(b, r)
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func escapeGraph(out, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '/':
			out = append(out, '\\', '/')
			i++
		case c == '\\' && i+5 < len(raw) && raw[i+1] == 'u' && string(raw[i+2:i+4]) == "00" && (string(raw[i+4:i+6]) == "3c" || string(raw[i+4:i+6]) == "3e" || string(raw[i+4:i+6]) == "26"):
			// json.Marshal escapes < > & as \u003c…; Graph keeps them.
			out = append(out, map[string]byte{"3c": '<', "3e": '>', "26": '&'}[string(raw[i+4:i+6])])
			i += 6
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(raw[i:])
			i += n
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				out = appendU(out, r1)
				out = appendU(out, r2)
			} else {
				out = appendU(out, r)
			}
		}
	}
	return out
}
