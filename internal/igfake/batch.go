package igfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// maxBatch is the largest batch Graph accepts.
const maxBatch = 50

// batchOp is one operation of a batch request.
type batchOp struct {
	Method      string `json:"method"`
	RelativeURL string `json:"relative_url"`
	Name        string `json:"name"`
	Body        string `json:"body"`
}

// batch serves POST / with a batch form field: the operations run in order
// (dependencies by name are resolved), each is counted and charged as a call,
// and the answer is a JSON array of {code, headers, body} (null for an
// operation hit by BatchNullEvery) with HTTP 200, whatever the operations
// answered.
func (s *Server) batch(r *http.Request, c *call) (result, []string, string) {
	s.mu.Lock()
	s.st.ByEndpoint["POST batch"]++
	if r.PostForm.Get("access_token") == "" {
		s.st.BatchesWithoutFormToken++
	}
	peek := s.calls + 1
	s.mu.Unlock()
	collectToken(c, r.Form, r.Header.Get("Authorization"), false)
	c.tokenInQuery = false
	proof := r.Form.Get("appsecret_proof")
	if c.token == "" {
		return c.fail(errNoToken()), nil, c.version
	}
	if err := c.auth(peek, proof); err != nil {
		return c.fail(err), nil, c.version
	}
	var ops []batchOp
	if err := json.Unmarshal([]byte(r.Form.Get("batch")), &ops); err != nil {
		return c.fail(errParam("(#100) The parameter batch must be a JSON array of requests")), nil, c.version
	}
	if len(ops) > maxBatch {
		return c.fail(errParam("(#100) Too many requests in batch message. Maximum batch size is %d", maxBatch)), nil, c.version
	}
	headers := r.Form.Get("include_headers") != "false"
	named := map[string]any{}
	out := make([]any, len(ops))
	var accounts []string
	size := 2 // of the response: the bodies, escaped, and a little per element
	for i, op := range ops {
		if s.nullOp(op.RelativeURL) {
			continue // out[i] stays null: the operation "timed out"
		}
		res, opAccounts, version := s.batchOp(c, op, named, proof)
		accounts = append(accounts, opAccounts...)
		item := obj{{"code", res.status}}
		if headers {
			hs := []any{obj{{"name", "Content-Type"}, {"value", "text/javascript; charset=UTF-8"}},
				obj{{"name", "facebook-api-version"}, {"value", version}}}
			if v := res.header.Get("Www-Authenticate"); v != "" {
				hs = append(hs, obj{{"name", "WWW-Authenticate"}, {"value", v}})
			}
			item = append(item, kv{"headers", hs})
		}
		out[i] = append(item, kv{"body", string(res.body)})
		size += len(res.body) + len(res.body)/4 + 32
	}
	return result{status: http.StatusOK, body: fastEncode(make([]byte, 0, size), out)}, accounts, c.version
}

// nullOp decides whether a batch operation is answered null: every
// BatchNullEvery-th operation, unless the same operation was already
// answered null once (so a retry succeeds).
func (s *Server) nullOp(rel string) bool {
	k := s.o.Faults.BatchNullEvery
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops++
	if k <= 0 || s.ops%int64(k) != 0 {
		return false
	}
	key := opKey(rel)
	if s.nulled[key] {
		return false
	}
	s.nulled[key] = true
	s.st.NullOps++
	return true
}

// opKey identifies an operation regardless of its credentials.
func opKey(rel string) string {
	u, err := url.Parse(strings.TrimPrefix(rel, "/"))
	if err != nil {
		return rel
	}
	q := u.Query()
	q.Del("access_token")
	q.Del("appsecret_proof")
	return u.Path + "?" + q.Encode()
}

// batchOp runs one operation as a GET with the outer token unless the
// relative_url carries its own.
func (s *Server) batchOp(outer *call, op batchOp, named map[string]any, proof string) (result, []string, string) {
	rel, derr := resolveDeps(op.RelativeURL, named)
	u, err := url.Parse("/" + strings.TrimPrefix(rel, "/"))
	version, prefix, segs, verr := "", "", []string(nil), (*apiError)(nil)
	if err == nil {
		version, prefix, segs, verr = splitVersion(u.Path)
	}
	if prefix == "" {
		version, prefix = outer.version, outer.prefix
	}
	c := &call{s: s, version: version, prefix: prefix, segs: segs, base: outer.base}
	switch {
	case err != nil:
		return c.fail(errParam("(#100) Invalid relative_url %q", op.RelativeURL)), nil, version
	case verr != nil:
		return c.fail(verr), nil, version
	case derr != nil:
		return c.fail(derr), nil, version
	}
	c.query = u.Query()
	collectToken(c, c.query, "", true)
	if c.token == "" {
		c.token = outer.token
	}
	if p := c.query.Get("appsecret_proof"); p != "" {
		proof = p
	}
	if m := strings.ToUpper(op.Method); m != "" && m != http.MethodGet {
		id := "/"
		if len(segs) > 0 {
			id = segs[0]
		}
		s.countCall(m + " /{unknown}")
		return c.fail(errUnsupportedGet(m, id)), nil, version
	}
	res := c.do(proof)
	if op.Name != "" && res.status == http.StatusOK {
		var v any
		if json.Unmarshal(res.body, &v) == nil {
			named[op.Name] = v
		}
	}
	return res, c.accounts, version
}

var depRE = regexp.MustCompile(`\{result=([^:}]+):(\$[^}]*)\}`)

// resolveDeps replaces {result=name:$.path} references with the
// comma-joined values the JSONPath selects in the named operation's body.
func resolveDeps(rel string, named map[string]any) (string, *apiError) {
	var failed *apiError
	out := depRE.ReplaceAllStringFunc(rel, func(m string) string {
		g := depRE.FindStringSubmatch(m)
		v, ok := named[g[1]]
		if !ok {
			failed = errParam("(#100) The request named %s, which this request depends on, did not succeed", g[1])
			return ""
		}
		return strings.Join(jsonPath(v, strings.Split(strings.TrimPrefix(g[2], "$"), ".")), ",")
	})
	return out, failed
}

// jsonPath evaluates the dotted path subset of JSONPath ($.a.b, $.data.*.id, $.data.0.id).
func jsonPath(v any, path []string) []string {
	for len(path) > 0 && path[0] == "" {
		path = path[1:]
	}
	if len(path) == 0 {
		switch x := v.(type) {
		case string:
			return []string{x}
		case float64:
			return []string{strconv.FormatFloat(x, 'f', -1, 64)}
		case nil:
			return nil
		default:
			b, _ := json.Marshal(x)
			return []string{string(b)}
		}
	}
	head, rest := path[0], path[1:]
	switch x := v.(type) {
	case []any:
		if head == "*" {
			var out []string
			for _, e := range x {
				out = append(out, jsonPath(e, rest)...)
			}
			return out
		}
		if i, err := strconv.Atoi(head); err == nil && i >= 0 && i < len(x) {
			return jsonPath(x[i], rest)
		}
	case map[string]any:
		if head == "*" {
			var out []string
			for _, e := range x {
				out = append(out, jsonPath(e, rest)...)
			}
			return out
		}
		return jsonPath(x[head], rest)
	}
	return nil
}
