package graph

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// The body of a batch POST is built by hand: it is the same bytes as
// url.Values{access_token, appsecret_proof, batch, include_headers}.Encode()
// with batch the JSON array of the operations (encoding/json, HTML left
// unescaped), and each operation's relative_url what splitPath and
// url.Values.Encode make of its Request, without the maps and strings
// those build on the way (a run sends ~100,000 operations).

// relativeURL returns the endpoint (the version-less path) of rq and its
// relative_url in a batch: the path without its leading "/", and the
// query (rq.Params and any "?query" of the path, access_token and
// appsecret_proof removed) sorted by key as url.Values.Encode sorts it.
func relativeURL(rq Request) (endpoint, rel string) {
	if strings.Contains(rq.Path, "?") {
		// rare: merge the path's query the long way
		p, q := splitPath(rq.Path, rq.Params)
		q.Del("appsecret_proof")
		rel = strings.TrimPrefix(p, "/")
		if len(q) > 0 {
			rel += "?" + q.Encode()
		}
		return p, rel
	}
	p := rq.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if strings.HasPrefix(p, "/v") {
		if m := versionPrefix.FindString(p); m != "" {
			p = "/" + strings.TrimPrefix(p[len(m):], "/")
		}
	}
	var stack [8]string
	keys := stack[:0]
	for k := range rq.Params {
		if k != "access_token" && k != "appsecret_proof" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return p, p[1:]
	}
	slices.Sort(keys)
	n := len(p)
	for _, k := range keys {
		for _, v := range rq.Params[k] {
			n += 2 + queryEscapedLen(k) + queryEscapedLen(v)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, p[1:]...)
	b = append(b, '?')
	first := true
	for _, k := range keys {
		for _, v := range rq.Params[k] {
			if !first {
				b = append(b, '&')
			}
			first = false
			b = appendQueryEscaped(b, k)
			b = append(b, '=')
			b = appendQueryEscaped(b, v)
		}
	}
	return p, string(b)
}

// batchBody returns the form body of a batch POST of ops: access_token,
// appsecret_proof (when proof is set), batch and include_headers=false,
// in url.Values.Encode's order and escaping.
func batchBody(ops []batchOp, token, proof string) []byte {
	// The batch JSON first, then its query escaping into the body.
	js := make([]byte, 0, 64*len(ops)+2)
	js = append(js, '[')
	for i, op := range ops {
		if i > 0 {
			js = append(js, ',')
		}
		js = append(js, `{"method":`...)
		js = appendJSONString(js, op.Method)
		js = append(js, `,"relative_url":`...)
		js = appendJSONString(js, op.RelativeURL)
		js = append(js, '}')
	}
	js = append(js, ']')
	n := len("access_token=") + queryEscapedLen(token) + len("&batch=") + queryEscapedLen(js) + len("&include_headers=false")
	if proof != "" {
		n += len("&appsecret_proof=") + queryEscapedLen(proof)
	}
	b := make([]byte, 0, n)
	b = append(b, "access_token="...)
	b = appendQueryEscaped(b, token)
	if proof != "" {
		b = append(b, "&appsecret_proof="...)
		b = appendQueryEscaped(b, proof)
	}
	b = append(b, "&batch="...)
	b = appendQueryEscaped(b, js)
	b = append(b, "&include_headers=false"...)
	return b
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// with SetEscapeHTML(false).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			// control characters or non-ASCII: encoding/json's rules
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s) // a string always encodes
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// shouldQueryEscape reports whether url.QueryEscape escapes c: all but
// the unreserved characters A–Z a–z 0–9 - _ . ~ (a space becomes "+").
func shouldQueryEscape(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	case c == '-', c == '_', c == '.', c == '~':
		return false
	}
	return true
}

// queryEscapedLen is len(url.QueryEscape(s)).
func queryEscapedLen[S string | []byte](s S) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && shouldQueryEscape(c) {
			n += 2
		}
	}
	return n
}

// appendQueryEscaped appends url.QueryEscape(s).
func appendQueryEscaped[S string | []byte](b []byte, s S) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b = append(b, '+')
		case shouldQueryEscape(c):
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}
