package export

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/graph"
)

// Node types whose fields igexport asks, for the unknown-field rule: a
// field Meta retires on one node type (ig_id left the IG Media table first)
// may still exist on another.
const (
	nodeUser  = "IGUser"
	nodeMedia = "IGMedia"
)

// withKnownFields is the one rule for a field the API does not know:
// "(#100) Tried accessing nonexisting field (f)" fails the whole request
// (graph-api.md §10.3), so send (a request of params, whose fields are of
// node type node) goes again without f; f is dropped from every request of
// that node type for the rest of the run (all accounts) and reported in
// the stream's skipped list like a rejected metric. The profile (users) and
// the listings (media, stories) go through it.
func (a *accountRun) withKnownFields(s *streamRun, node string, params url.Values, send func(params url.Values) error) error {
	for {
		asked := a.r.withoutRetired(node, params.Get("fields"))
		q := make(url.Values, len(params))
		for k, v := range params {
			q[k] = v
		}
		q.Set("fields", asked)
		err := send(q)
		var ge *graph.Error
		if errors.As(err, &ge) {
			if f, ok := ge.NonexistingField(); ok && slices.Contains(fieldNames(asked), f) && !slices.Contains(fieldNames(dropField(asked, f)), f) {
				a.r.retire(node, f)
				s.skip("field "+f, firstLine(ge.Message))
				continue
			}
		}
		return err
	}
}

// listPages sends a listing op (media, stories) page by page to fn, under
// the unknown-field rule (withKnownFields); asked again without a field,
// the listing skips the items fn already had.
func (a *accountRun) listPages(ctx context.Context, s *streamRun, op Op, fn func(items []*fastjson.Value) error) error {
	delivered := 0
	return a.withKnownFields(s, nodeMedia, op.Params, func(params url.Values) error {
		skip := delivered
		return s.client.PageItems(ctx, op.Path, params, func(items []*fastjson.Value) error {
			if skip >= len(items) {
				skip -= len(items)
				return nil
			}
			items, skip = items[skip:], 0
			delivered += len(items)
			return fn(items)
		})
	})
}

// retire drops field f of node type node from the requests of the rest of
// the run.
func (r *runner) retire(node, f string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.retired == nil {
		r.retired = map[string][]string{}
	}
	if !slices.Contains(r.retired[node], f) {
		r.retired[node] = append(r.retired[node], f)
	}
}

// withoutRetired returns a fields parameter of node type node without the
// retired fields.
func (r *runner) withoutRetired(node, fields string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.retired[node] {
		fields = dropField(fields, f)
	}
	return fields
}

// fieldNames lists the names of a fields parameter at every depth
// ("a,b{c,d}" → a, b, c, d).
func fieldNames(fields string) []string {
	return strings.FieldsFunc(fields, func(c rune) bool { return c == ',' || c == '{' || c == '}' })
}

// dropField removes field f (a leaf) from a fields parameter, at any depth;
// the only field of an expansion ("children{f}") stays.
func dropField(fields, f string) string {
	s := "," + fields + ","
	for _, r := range [][2]string{{"," + f + ",", ","}, {"{" + f + ",", "{"}, {"," + f + "}", "}"}} {
		for strings.Contains(s, r[0]) {
			s = strings.Replace(s, r[0], r[1], 1)
		}
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, ","), ",")
}
