package igfake

import (
	"encoding/base64"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func cursor(id string) string { return base64.StdEncoding.EncodeToString([]byte(id)) }

// position decodes a cursor into the index of the item it points at.
func position(cur string, n int, id func(int) string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(cur)
	if err != nil {
		return 0, false
	}
	for i := range n {
		if id(i) == string(raw) {
			return i, true
		}
	}
	return 0, false
}

// limitOf parses a limit: default when absent or not positive, capped at max.
func limitOf(s string, def, max int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return def
	}
	return min(n, max)
}

// list serves one cursor page of a top-level edge: limit (default and cap
// from Options), after/before cursors (base64 of the item id), and paging
// with cursors, previous and next. next repeats the query (access_token
// included when it came in the query string) and is absent on the last page,
// while cursors.after is still there. path overrides the path of the paging
// URLs ("" = the request path).
func (c *call) list(n int, id func(int) string, render func(int) (any, *apiError), path string) (any, *apiError) {
	o := c.s.o
	if k := o.Faults.ReduceDataAbove; k > 0 && limitOf(c.query.Get("limit"), o.DefaultPageSize, math.MaxInt) > k {
		return nil, errReduceData()
	}
	limit := limitOf(c.query.Get("limit"), o.DefaultPageSize, o.MaxPageSize)
	if o.Faults.EndlessPages {
		return c.endlessPage(limit, path), nil
	}
	start := 0
	if a := c.query.Get("after"); a != "" {
		i, ok := position(a, n, id)
		if !ok {
			return nil, errParam("(#100) The after cursor is not valid or points at an item that no longer exists")
		}
		start = i + 1
	} else if b := c.query.Get("before"); b != "" {
		i, ok := position(b, n, id)
		if !ok {
			return nil, errParam("(#100) The before cursor is not valid or points at an item that no longer exists")
		}
		start = max(i-limit, 0)
		limit = i - start
	}
	end := min(start+limit, n)
	data := []any{}
	for i := start; i < end; i++ {
		v, err := render(i)
		if err != nil {
			return nil, err
		}
		data = append(data, v)
	}
	out := obj{{"data", data}}
	if start >= end {
		return out, nil
	}
	if path == "" {
		path = "/" + strings.Join(c.segs, "/")
	}
	paging := obj{{"cursors", obj{{"before", cursor(id(start))}, {"after", cursor(id(end - 1))}}}}
	if start > 0 {
		paging = append(paging, kv{"previous", c.pageURL(path, limit, "before", cursor(id(start)))})
	}
	if end < n {
		paging = append(paging, kv{"next", c.pageURL(path, limit, "after", cursor(id(end-1)))})
	}
	return append(out, kv{"paging", paging}), nil
}

// pageURL is an absolute paging URL repeating the request's query.
func (c *call) pageURL(path string, limit int, key, cur string) string {
	q := cloneValues(c.query)
	q.Del("after")
	q.Del("before")
	q.Set("limit", strconv.Itoa(limit))
	q.Set(key, cur)
	return c.base + c.prefix + path + "?" + q.Encode()
}

func cloneValues(v url.Values) url.Values {
	q := make(url.Values, len(v))
	for k, x := range v {
		q[k] = slices.Clone(x)
	}
	return q
}

// nestedList renders an edge inside field expansion (children{…},
// media.limit(5){…}): data plus cursors, and next when .limit cut it short.
func (c *call) nestedList(parent string, f field, n int, id func(int) string, render func(int) (any, *apiError)) (obj, *apiError) {
	limit := f.limit(c.s.o.DefaultPageSize)
	if f.Name == "children" {
		limit = f.limit(10) // a carousel's children come whole unless limited
	}
	if k := c.s.o.Faults.ReduceDataAbove; k > 0 && limit > k {
		return nil, errReduceData()
	}
	limit = min(limit, c.s.o.MaxPageSize)
	end := min(limit, n)
	data := []any{}
	for i := range end {
		v, err := render(i)
		if err != nil {
			return nil, err
		}
		data = append(data, v)
	}
	out := obj{{"data", data}}
	if end == 0 {
		return out, nil
	}
	paging := obj{{"cursors", obj{{"before", cursor(id(0))}, {"after", cursor(id(end - 1))}}}}
	if end < n {
		q := url.Values{}
		q.Set("fields", fieldsString(f.Sub))
		q.Set("limit", strconv.Itoa(limit))
		q.Set("after", cursor(id(end-1)))
		if c.tokenInQuery {
			q.Set("access_token", c.token)
		}
		paging = append(paging, kv{"next", c.base + c.prefix + "/" + parent + "/" + f.Name + "?" + q.Encode()})
	}
	return append(out, kv{"paging", paging}), nil
}

// fieldsString serializes parsed fields back into the fields grammar.
func fieldsString(fs []field) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Name)
		for _, k := range slices.Sorted(maps.Keys(f.Mods)) {
			b.WriteString("." + k + "(" + strings.Join(f.Mods[k], ",") + ")")
		}
		if f.HasSub {
			b.WriteString("{" + fieldsString(f.Sub) + "}")
		}
	}
	return b.String()
}

// endlessPage is the EndlessPages fault: an empty page whose next URL was
// never given before.
func (c *call) endlessPage(limit int, path string) any {
	c.s.mu.Lock()
	c.s.endless++
	k := c.s.endless
	c.s.mu.Unlock()
	if path == "" {
		path = "/" + strings.Join(c.segs, "/")
	}
	cur := cursor("endless-" + strconv.FormatInt(k, 10))
	return obj{{"data", []any{}}, {"paging", obj{
		{"cursors", obj{{"before", cur}, {"after", cur}}},
		{"next", c.pageURL(path, limit, "after", cur)},
	}}}
}
