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

// listPages sends a listing op (media, stories) page by page to fn. A field
// the API does not know — "(#100) Tried accessing nonexisting field (f)",
// which fails the whole request (graph-api.md §10.3) — is dropped for the
// rest of the run (every account's listings), reported like a rejected
// metric, and the listing asked again, skipping the items fn already had.
func (a *accountRun) listPages(ctx context.Context, s *streamRun, op Op, fn func(items []*fastjson.Value) error) error {
	delivered := 0
	for {
		params := make(url.Values, len(op.Params))
		for k, v := range op.Params {
			params[k] = v
		}
		fields := a.r.withoutRetired(op.Params.Get("fields"))
		params.Set("fields", fields)
		skip := delivered
		err := s.client.PageItems(ctx, op.Path, params, func(items []*fastjson.Value) error {
			if skip >= len(items) {
				skip -= len(items)
				return nil
			}
			items, skip = items[skip:], 0
			delivered += len(items)
			return fn(items)
		})
		var ge *graph.Error
		if errors.As(err, &ge) {
			if f, ok := ge.NonexistingField(); ok && slices.Contains(fieldNames(fields), f) && !slices.Contains(fieldNames(dropField(fields, f)), f) {
				a.r.retire(f)
				s.skip("field "+f, firstLine(ge.Message))
				continue
			}
		}
		return err
	}
}

// retire drops field f from the listings of the rest of the run.
func (r *runner) retire(f string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.retired, f) {
		r.retired = append(r.retired, f)
	}
}

// withoutRetired returns a fields parameter without the retired fields.
func (r *runner) withoutRetired(fields string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.retired {
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
