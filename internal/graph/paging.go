package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// DefaultPageSize is the limit PageItems sets when params has none.
const DefaultPageSize = "100"

// MinPageSize is the floor of the page limit PageItems halves on code 1
// "Please reduce the amount of data you're asking for" (graph-api.md §10.3).
const MinPageSize = 10

// withLimit returns u with its limit query parameter set to n.
func withLimit(u string, n int) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	q.Set("limit", strconv.Itoa(n))
	pu.RawQuery = q.Encode()
	return pu.String()
}

// limitOf returns the limit query parameter of u, 0 when absent.
func limitOf(u string) int {
	pu, err := url.Parse(u)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(pu.Query().Get("limit"))
	return n
}

// Paging bounds (see Options.MaxPages and Options.MaxEmptyPages).
const (
	// MaxPageItems is the number of items whose pages a PageItems call
	// follows at most by default: ten times the 10,000 most recent media
	// the media edge serves, far above any real account's list.
	MaxPageItems = 100_000
	// MinMaxPages is the least page bound whatever the page size.
	MinMaxPages = 1_000
	// DefaultMaxEmptyPages is the default bound of empty pages in a row that
	// still have a paging.next.
	DefaultMaxEmptyPages = 5
)

// ErrPaging is wrapped by the error of a PageItems call stopped by a paging
// bound: a next URL that repeats a page, too many pages, or too many empty
// pages in a row.
var ErrPaging = errors.New("paging does not end")

// PageItems fetches path with params (limit=100 unless set) and calls fn
// with the items of every page's "data" array, parsed once by the client,
// following paging.next until it is absent — not cursors.after, and an
// empty page that has a next continues (the API sends such pages), up to
// MaxEmptyPages of them in a row. The items are valid until fn returns (the
// parser is reused for the next page).
//
// A next URL is followed as given, except that any access_token in it is
// dropped (the Authorization header carries the token) and appsecret_proof
// is replaced by the client's own. A next URL on another origin (scheme,
// host or port) than BaseURL is an error. So is paging that does not end:
// a next URL already followed (a loop), more pages than Options.MaxPages,
// or more empty pages in a row than Options.MaxEmptyPages (each with a new
// next: no progress); those errors wrap [ErrPaging] and name the endpoint.
// An error from fn stops the iteration and is returned as is.
//
// Code 1 "Please reduce the amount of data" on a page halves its limit (not
// below MinPageSize) and asks the page again; the client remembers the
// smaller limit for that path (the account's listing) and keeps it on the
// later pages and listings of the path.
func (c *Client) PageItems(ctx context.Context, path string, params url.Values, fn func(items []*fastjson.Value) error) error {
	p := url.Values{}
	for k, v := range params {
		p[k] = v
	}
	if p.Get("limit") == "" {
		p.Set("limit", DefaultPageSize)
	}
	c.mu.Lock()
	reduced := c.pageLimits[path]
	c.mu.Unlock()
	if n, _ := strconv.Atoi(p.Get("limit")); reduced > 0 && n > reduced {
		p.Set("limit", strconv.Itoa(reduced))
	}
	r, err := c.getRequest(path, p)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	if u, err := url.Parse(r.url); err == nil {
		seen[pageKey(u)] = true
	}
	return c.pages(ctx, r, path, reduced, p.Get("limit"), seen, fn)
}

// PageNext is PageItems from a paging.next URL a response gave (a list
// inside a batch operation's body, or inside a field expansion): the pages
// from that one on, under PageItems' rules (same origin as BaseURL, no
// loop, bounded). from names the list in errors.
func (c *Client) PageNext(ctx context.Context, from, next string, fn func(items []*fastjson.Value) error) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	seen := map[string]bool{}
	r, err := c.nextRequest(from, next, seen)
	if err != nil {
		return err
	}
	limit := ""
	if u, err := url.Parse(next); err == nil {
		limit = u.Query().Get("limit")
	}
	c.mu.Lock()
	reduced := c.pageLimits[from]
	c.mu.Unlock()
	if n := limitOf(r.url); reduced > 0 && n > reduced {
		r.url = withLimit(r.url, reduced)
	}
	return c.pages(ctx, r, from, reduced, limit, seen, fn)
}

// pages fetches r and the pages after it (see PageItems); path keys the
// page size the API asked to reduce (reduced, 0: none yet), limit is the
// page size asked for ("" unknown).
func (c *Client) pages(ctx context.Context, r request, path string, reduced int, limit string, seen map[string]bool, fn func(items []*fastjson.Value) error) error {
	first := r.endpoint
	maxPages := c.maxPages
	if maxPages <= 0 {
		maxPages = MinMaxPages
		if n, err := strconv.Atoi(limit); err == nil && n > 0 {
			maxPages = max(MinMaxPages, (MaxPageItems+n-1)/n)
		}
	}
	empty := 0 // empty pages in a row
	for page := 1; ; page++ {
		// The parser is taken once the body is there and given back once
		// fn is done with the items: held while decoding, not while waiting.
		var parser *pageParser
		var items []*fastjson.Value
		var next string
		r.decode = func(body []byte) (err error) {
			if parser == nil {
				parser = pageParsers.Get()
			}
			items, next, err = decodePage(parser, r.endpoint, page, body)
			return err
		}
		_, err := c.do(ctx, r)
		var ge *Error
		if n := limitOf(r.url); err != nil && errors.As(err, &ge) && ge.ReduceData() && n > MinPageSize {
			parser.release()
			reduced = max(MinPageSize, n/2)
			c.mu.Lock()
			if c.pageLimits == nil {
				c.pageLimits = map[string]int{}
			}
			c.pageLimits[path] = reduced
			c.mu.Unlock()
			r.url = withLimit(r.url, reduced)
			page--
			continue
		}
		if err == nil {
			err = fn(items)
		}
		parser.release()
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if len(items) == 0 {
			empty++
		} else {
			empty = 0
		}
		if empty >= c.maxEmpty {
			return &safeError{msg: fmt.Sprintf("graph: %s: paging makes no progress: %d empty pages in a row, each with a new paging.next (stopped at page %d)",
				Redact(first), empty, page), err: ErrPaging}
		}
		if page >= maxPages {
			return &safeError{msg: fmt.Sprintf("graph: %s: paging does not end: still a paging.next after %d pages, the most a list is followed for (stopped)",
				Redact(first), page), err: ErrPaging}
		}
		if r, err = c.nextRequest(r.endpoint, next, seen); err != nil {
			return err
		}
		if n := limitOf(r.url); reduced > 0 && n > reduced {
			r.url = withLimit(r.url, reduced)
		}
	}
}

// pageParserPages is the number of pages a page parser parses before it
// is dropped for a new one (see pageParser).
const pageParserPages = 8

// pageParser is a parser of list pages. A fastjson parser keeps a cache of
// values for the next document, which grows past what a page needs:
//   - the cache's array grows by reallocation while a document is parsed,
//     and the values made before that stay in the old arrays, reachable
//     from entries of the new one past their length: parsing the same
//     document once more, now without growing, overwrites those entries
//     and leaves one array (~170 KB for 100 media, instead of ~400 KB);
//   - each cached value keeps the members slice of the biggest object that
//     landed on it in any page, and those slices add up over the pages: a
//     parser that parsed 30 pages of 100 media holds ~0.7 MB, a new one
//     ~0.3 MB once its first page is parsed twice.
//
// So a page parser parses a page twice when it is the biggest it has seen
// (by length), and is dropped after pageParserPages pages: ~0.2 MB less on
// average than one kept for good, for one more parse every few pages.
type pageParser struct {
	p       fastjson.Parser
	pages   int // pages parsed
	biggest int // length of the biggest page parsed
}

// parse parses body, twice when it is the biggest body p has parsed.
func (p *pageParser) parse(body []byte) (*fastjson.Value, error) {
	p.pages++
	v, err := p.p.ParseBytes(body)
	if err == nil && len(body) > p.biggest {
		p.biggest = len(body)
		v, err = p.p.ParseBytes(body)
	}
	return v, err
}

// release gives p back to pageParsers, or drops it after pageParserPages
// pages; p may be nil.
func (p *pageParser) release() {
	if p != nil && p.pages < pageParserPages {
		pageParsers.Put(p)
	}
}

// decodePage parses a page with p and returns the items of its data array
// and paging.next. A body that does not parse is a syntax error (the page
// is fetched again); one of the wrong shape is not.
func decodePage(p *pageParser, endpoint string, page int, body []byte) (items []*fastjson.Value, next string, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, "", decodeError(endpoint, errEmptyBody)
	}
	v, err := p.parse(body)
	if err != nil {
		return nil, "", decodeError(endpoint, &notJSONError{msg: err.Error()})
	}
	d := v.Get("data")
	if d == nil || d.Type() != fastjson.TypeArray {
		return nil, "", decodeError(endpoint, fmt.Errorf(`page %d: "data" is missing or not an array`, page))
	}
	if pg := v.Get("paging"); pg != nil && pg.Type() != fastjson.TypeObject && pg.Type() != fastjson.TypeNull {
		return nil, "", decodeError(endpoint, fmt.Errorf("page %d: paging is a JSON %s, not an object", page, pg.Type()))
	}
	if n := v.Get("paging", "next"); n != nil && n.Type() != fastjson.TypeNull {
		b, err := n.StringBytes()
		if err != nil {
			return nil, "", decodeError(endpoint, fmt.Errorf("page %d: paging.next is a JSON %s, not a string", page, n.Type()))
		}
		next = string(b)
	}
	items, _ = d.Array()
	return items, next, nil
}

// pageKey identifies a page URL for loop detection, ignoring credentials.
func pageKey(u *url.URL) string {
	q := u.Query()
	q.Del("access_token")
	q.Del("appsecret_proof")
	return strings.ToLower(u.Host) + u.EscapedPath() + "?" + q.Encode()
}

// nextRequest turns a paging.next URL into the request for the next page.
func (c *Client) nextRequest(from, next string, seen map[string]bool) (request, error) {
	u, err := url.Parse(next)
	if err != nil {
		return request{}, fmt.Errorf("graph: %s: paging.next is not a valid URL: %s", Redact(from), c.sc.clean(next))
	}
	if !u.IsAbs() {
		u = c.base.ResolveReference(u)
	}
	if !sameOrigin(u, c.base) {
		return request{}, fmt.Errorf("graph: %s: paging.next points to %s, not the Graph API host %s; refusing to send the token there",
			Redact(from), Redact(origin(u)), Redact(origin(c.base)))
	}
	key := pageKey(u)
	if seen[key] {
		return request{}, &safeError{msg: fmt.Sprintf("graph: %s: paging loop: paging.next repeats a page already fetched (%s)", Redact(from), Redact(c.sc.clean(u.String()))), err: ErrPaging}
	}
	seen[key] = true
	q := u.Query()
	q.Del("access_token")
	q.Del("appsecret_proof")
	if c.proof != "" {
		q.Set("appsecret_proof", c.proof)
	}
	u.RawQuery = q.Encode()
	u.User = nil
	u.Fragment = ""
	return request{method: http.MethodGet, url: u.String(), endpoint: endpointOf(u), ops: 1}, nil
}
