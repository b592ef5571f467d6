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
		if same := strings.TrimPrefix(rq.Path, "/"); rel == same {
			// a path already in this form (export's batch operations):
			// hold the caller's string, not a copy, while the call runs
			rel = same
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
	var b strings.Builder // one allocation: the string returned
	b.Grow(n)
	b.WriteString(p[1:])
	b.WriteByte('?')
	var scratch [64]byte
	first := true
	for _, k := range keys {
		for _, v := range rq.Params[k] {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.Write(appendQueryEscaped(scratch[:0], k))
			b.WriteByte('=')
			b.Write(appendQueryEscaped(scratch[:0], v))
		}
	}
	return p, b.String()
}

// batchBody returns the form body of a batch POST of ops: access_token,
// appsecret_proof (when proof is set), batch and include_headers=false,
// in url.Values.Encode's order and escaping. The batch JSON is escaped as
// it is written, into a body allocated once at its final size.
func batchBody(ops []batchOp, token, proof string) []byte {
	const (
		head = `{"method":`
		mid  = `,"relative_url":`
	)
	n := len("access_token=") + queryEscapedLen(token) + len("&batch=") + len("%5B%5D") + len("&include_headers=false")
	if proof != "" {
		n += len("&appsecret_proof=") + queryEscapedLen(proof)
	}
	for i, op := range ops {
		if i > 0 {
			n += len("%2C")
		}
		n += queryEscapedLen(head) + escapedJSONStringLen(op.Method) + queryEscapedLen(mid) + escapedJSONStringLen(op.RelativeURL) + len("%7D")
	}
	b := make([]byte, 0, n)
	b = append(b, "access_token="...)
	b = appendQueryEscaped(b, token)
	if proof != "" {
		b = append(b, "&appsecret_proof="...)
		b = appendQueryEscaped(b, proof)
	}
	b = append(b, "&batch=%5B"...)
	for i, op := range ops {
		if i > 0 {
			b = append(b, "%2C"...)
		}
		b = appendQueryEscaped(b, head)
		b = appendEscapedJSONString(b, op.Method)
		b = appendQueryEscaped(b, mid)
		b = appendEscapedJSONString(b, op.RelativeURL)
		b = append(b, "%7D"...)
	}
	b = append(b, "%5D&include_headers=false"...)
	return b
}

// plainJSON reports a string that JSON writes as it is, between quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// jsonString is s as encoding/json writes it with SetEscapeHTML(false)
// (control characters, non-ASCII): the rare operation whose path is not
// plain ASCII.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// escapedJSONStringLen is the length of appendEscapedJSONString(nil, s).
func escapedJSONStringLen(s string) int {
	if plainJSON(s) {
		return len("%22%22") + queryEscapedLen(s)
	}
	return queryEscapedLen(jsonString(s))
}

// appendEscapedJSONString appends s as a JSON string, query-escaped.
func appendEscapedJSONString(b []byte, s string) []byte {
	if !plainJSON(s) {
		return appendQueryEscaped(b, jsonString(s))
	}
	b = append(b, "%22"...)
	b = appendQueryEscaped(b, s)
	return append(b, "%22"...)
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
