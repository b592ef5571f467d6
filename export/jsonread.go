package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/schema"
)

// The wire layer: every response shape of the Graph API the engine reads,
// and its decoder, is in this file; rows are built straight from it and a
// missing key (an id) is an error, never a row.
//
//   - list pages (/media, /stories, /me/accounts): items parsed once by the
//     client's item pager (graph.Client.PageItems), read with fields;
//   - /insights bodies (media, story, account and demographics: one shape):
//     eachInsight, fastjson with pooled parsers, read by parseInsightValues
//     (media and story: the hottest decode of a run, one body per media),
//     userInsights.parse and runLifetime;
//   - the profile: userJSON (one body per account, encoding/json).
//
// fastjson reads the hot bodies in one pass, against encoding/json's three
// (the client's page split, a validity scan, the decode), which made
// decoding the largest cost of a run.

// fields reads the members of one JSON object. A missing or null member
// reads as nil; the first member of the wrong type is kept in err and
// named in it.
type fields struct {
	v   *fastjson.Value
	err error
}

func (f *fields) get(key string) *fastjson.Value {
	v := f.v.Get(key)
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil
	}
	return v
}

func (f *fields) wrongType(key, want string, v *fastjson.Value) {
	if f.err == nil {
		f.err = fmt.Errorf("%s is a JSON %s, not %s", key, v.Type(), want)
	}
}

// str reads a string member.
func (f *fields) str(key string) *string {
	v := f.get(key)
	if v == nil {
		return nil
	}
	b, err := v.StringBytes()
	if err != nil {
		f.wrongType(key, "a string", v)
		return nil
	}
	s := validUTF8(b)
	return &s
}

// validUTF8 copies b out of the parser's memory as a string, with invalid
// UTF-8 replaced by U+FFFD as encoding/json does (Parquet strings must be
// UTF-8; Graph never sends anything else, but a proxy might).
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// internName is validUTF8(b), or the string of known equal to b (no
// allocation).
func internName(b []byte, known []string) string {
	for _, k := range known {
		if string(b) == k {
			return k
		}
	}
	return validUTF8(b)
}

// id reads a string member that is always there (empty when it is not).
func (f *fields) id(key string) string {
	if s := f.str(key); s != nil {
		return *s
	}
	return ""
}

// member reads member key of f with read, which fails on the wrong type
// (want names the right one); nil when the member is missing or null.
func member[T any](f *fields, key, want string, read func(*fastjson.Value) (T, error)) *T {
	v := f.get(key)
	if v == nil {
		return nil
	}
	x, err := read(v)
	if err != nil {
		f.wrongType(key, want, v)
		return nil
	}
	return &x
}

// int reads an integer member.
func (f *fields) int(key string) *int64 {
	return member(f, key, "an integer", (*fastjson.Value).Int64)
}

// bool reads a boolean member.
func (f *fields) bool(key string) *bool { return member(f, key, "a boolean", (*fastjson.Value).Bool) }

// flex reads a member given as a string or a number (ig_id comes as either).
func (f *fields) flex(key string) *string {
	v := f.get(key)
	if v == nil {
		return nil
	}
	var s string
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s = validUTF8(b)
	case fastjson.TypeNumber:
		s = string(v.MarshalTo(nil))
	default:
		f.wrongType(key, "a string or number", v)
		return nil
	}
	return &s
}

// object reads an object member.
func (f *fields) object(key string) *fields {
	v := f.get(key)
	if v == nil {
		return nil
	}
	if v.Type() != fastjson.TypeObject {
		f.wrongType(key, "an object", v)
		return nil
	}
	return &fields{v: v}
}

// array reads an array member.
func (f *fields) array(key string) []*fastjson.Value {
	v := f.get(key)
	if v == nil {
		return nil
	}
	a, err := v.Array()
	if err != nil {
		f.wrongType(key, "an array", v)
		return nil
	}
	return a
}

// time reads a Graph timestamp member ("2019-09-26T22:36:43+0000").
func (f *fields) time(key string) *time.Time {
	s := f.str(key)
	if s == nil {
		return nil
	}
	t, err := apiTime(s)
	if err != nil && f.err == nil {
		f.err = err // it names the timestamp
	}
	return t
}

// ErrMissingKey is wrapped by the error of a response that lacks a field
// a row's key is made of (an id, a date), or has it empty: a malformed
// response (SPEC §7), never a row. Rows merge by key, so items without one
// would all become a single row.
var ErrMissingKey = errors.New("a key field is missing or empty")

// missingKeyError names the field; it matches ErrMissingKey.
type missingKeyError struct{ field string }

func (e *missingKeyError) Error() string        { return e.field + " is missing or empty" }
func (e *missingKeyError) Is(target error) bool { return target == ErrMissingKey }

func missingKey(field string) error { return &missingKeyError{field: field} }

// key reads a member that identifies the row: missing, null or empty is an
// error wrapping ErrMissingKey, never a row.
func (f *fields) key(key string) string {
	id := f.id(key)
	if id == "" && f.err == nil {
		f.err = missingKey(key)
	}
	return id
}

// pageItems decodes the object items of a list page with read, skipping
// nulls; what names an item in errors is its index and, once read, its
// kind and id (read returns the id; an item without one is named by its
// index only).
func pageItems[T any](items []*fastjson.Value, kind string, read func(f *fields) (T, string)) ([]T, error) {
	out := make([]T, 0, len(items))
	for i, item := range items {
		if item.Type() == fastjson.TypeNull {
			continue
		}
		if item.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("data[%d] is a JSON %s, not an object", i, item.Type())
		}
		f := &fields{v: item}
		row, id := read(f)
		if f.err != nil {
			if id == "" {
				return nil, fmt.Errorf("data[%d]: %w", i, f.err)
			}
			return nil, fmt.Errorf("data[%d] (%s %s): %w", i, kind, id, f.err)
		}
		out = append(out, row)
	}
	return out, nil
}

// mediaRows decodes the items of a /media page straight into rows.
func mediaRows(items []*fastjson.Value, fetched time.Time) ([]schema.MediaRow, error) {
	return pageItems(items, "media", func(f *fields) (schema.MediaRow, string) {
		m := schema.MediaRow{
			ID: f.key("id"), IGID: f.flex("ig_id"), Caption: f.str("caption"), MediaType: f.str("media_type"),
			MediaProductType: f.str("media_product_type"), MediaURL: f.str("media_url"),
			ThumbnailURL: f.str("thumbnail_url"), Permalink: f.str("permalink"), Shortcode: f.str("shortcode"),
			Username: f.str("username"), OwnerID: f.owner(), Timestamp: f.time("timestamp"), LikeCount: f.int("like_count"),
			CommentsCount: f.int("comments_count"), IsCommentEnabled: f.bool("is_comment_enabled"), FetchedAt: fetched,
		}
		if c := f.object("children"); c != nil && f.err == nil {
			m.Children, f.err = children(c)
		}
		return m, m.ID
	})
}

// children decodes a carousel's children (children.data).
func children(c *fields) ([]schema.Child, error) {
	out := []schema.Child{}
	for k, cv := range c.array("data") {
		if cv.Type() == fastjson.TypeNull {
			continue
		}
		if cv.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("children.data[%d] is a JSON %s, not an object", k, cv.Type())
		}
		cf := &fields{v: cv}
		ch := schema.Child{ID: cf.key("id"), MediaType: cf.str("media_type"), MediaURL: cf.str("media_url"),
			ThumbnailURL: cf.str("thumbnail_url"), Timestamp: cf.time("timestamp")}
		if cf.err != nil {
			if ch.ID == "" {
				return nil, fmt.Errorf("children.data[%d]: %w", k, cf.err)
			}
			return nil, fmt.Errorf("child %s: %w", ch.ID, cf.err)
		}
		out = append(out, ch)
	}
	if c.err != nil {
		return nil, fmt.Errorf("children: %w", c.err)
	}
	return out, nil
}

// storyRows decodes the items of a /stories page straight into rows.
func storyRows(items []*fastjson.Value, fetched time.Time) ([]schema.Story, error) {
	return pageItems(items, "story", func(f *fields) (schema.Story, string) {
		st := schema.Story{
			ID: f.key("id"), IGID: f.flex("ig_id"), Caption: f.str("caption"), MediaType: f.str("media_type"),
			MediaProductType: f.str("media_product_type"), MediaURL: f.str("media_url"),
			ThumbnailURL: f.str("thumbnail_url"), Permalink: f.str("permalink"), Shortcode: f.str("shortcode"),
			Username: f.str("username"), OwnerID: f.owner(), Timestamp: f.time("timestamp"), LikeCount: f.int("like_count"),
			FetchedAt: fetched,
		}
		return st, st.ID
	})
}

// owner reads owner.id.
func (f *fields) owner() *string {
	o := f.object("owner")
	if o == nil {
		return nil
	}
	id := o.id("id")
	if o.err != nil && f.err == nil {
		f.err = fmt.Errorf("owner: %w", o.err)
	}
	if id == "" {
		return nil
	}
	return &id
}

// fbPage is one item of a /me/accounts page.
type fbPage struct {
	id               string
	igID, igUsername string
}

// decodePages decodes the items of a /me/accounts page. A page without its
// id, or an Instagram account without its id, is a malformed answer: never
// a page "without Instagram", never an account with an empty id.
func decodePages(items []*fastjson.Value) ([]fbPage, error) {
	return pageItems(items, "page", func(f *fields) (fbPage, string) {
		p := fbPage{id: f.key("id")}
		if p.id == "" {
			return p, ""
		}
		if ig := f.object("instagram_business_account"); ig != nil && f.err == nil {
			p.igID, p.igUsername = ig.id("id"), ig.id("username")
			switch {
			case ig.err != nil:
				f.err = fmt.Errorf("instagram_business_account: %w", ig.err)
			case p.igID == "":
				f.err = missingKey("instagram_business_account.id")
			}
		}
		return p, p.id
	})
}

// eachInsight walks the data items of an /insights body (media, story,
// account or demographics: one shape) and calls fn with each item's metric
// name, which must be there (ErrMissingKey); the values are valid until fn
// returns. p is a parser from the runner's pool.
//
// known are the metric names the operation asked (Op.Metrics): a name
// among them is passed as that string, not as a new copy (one body per
// media per day names the same few metrics).
func eachInsight(p *fastjson.Parser, body []byte, path string, known []string, fn func(name string, d *fastjson.Value) error) error {
	v, err := p.ParseBytes(body)
	if err != nil {
		return fmt.Errorf("malformed response from %s: %w", path, err)
	}
	data := v.Get("data")
	if data == nil || data.Type() == fastjson.TypeNull {
		return nil
	}
	items, err := data.Array()
	if err != nil {
		return fmt.Errorf("malformed response from %s: \"data\" is a JSON %s, not an array", path, data.Type())
	}
	for i, d := range items {
		if d.Type() == fastjson.TypeNull {
			continue
		}
		if d.Type() != fastjson.TypeObject {
			return fmt.Errorf("malformed response from %s: a data item is a JSON %s, not an object", path, d.Type())
		}
		name := ""
		if nv := d.Get("name"); nv != nil && nv.Type() != fastjson.TypeNull {
			nb, err := nv.StringBytes()
			if err != nil {
				return fmt.Errorf("malformed response from %s: metric name is a JSON %s, not a string", path, nv.Type())
			}
			name = internName(nb, known)
		}
		if name == "" {
			// The value would be no metric's: lost without a word.
			return fmt.Errorf("malformed response from %s: data[%d]: %w", path, i, missingKey("name"))
		}
		if err := fn(name, d); err != nil {
			return err
		}
	}
	return nil
}

// parseInsightValues reads a media/story insights body into values: plain
// metrics by name; a breakdown metric's total under its name and each
// bucket under its lower-cased dimension value. It parses with fastjson,
// this being the hottest decode of a run (one body per media per day);
// p is a parser from the runner's pool.
func parseInsightValues(p *fastjson.Parser, body []byte, op Op, values map[string]num) error {
	pairs, err := parseInsightPairs(p, body, op, nil)
	storeInsightPairs(values, pairs)
	return err
}

// storeInsightPairs stores pairs into values, in order.
func storeInsightPairs(values map[string]num, pairs []namedNum) {
	for _, v := range pairs {
		if v.ifAbsent {
			if _, ok := values[v.name]; ok {
				continue
			}
		}
		values[v.name] = v.n
	}
}

// namedNum is one value of an insights body: parseInsightValues stores
// values[name] = n in this order.
type namedNum struct {
	name     string
	n        num
	ifAbsent bool // a breakdown's sum: stored unless name has a value
}

// parseInsightPairs is parseInsightValues appending to dst what it would
// store, in order: what a graph.Request.Decode can return while the body
// is borrowed, to be stored in request order afterwards.
func parseInsightPairs(p *fastjson.Parser, body []byte, op Op, dst []namedNum) ([]namedNum, error) {
	err := eachInsight(p, body, op.Path, op.Metrics, func(name string, d *fastjson.Value) error {
		if tv := d.Get("total_value"); tv != nil && tv.Type() == fastjson.TypeObject {
			if v := tv.Get("value"); v != nil && v.Type() != fastjson.TypeNull {
				n, ok := jsonNum(v)
				if !ok {
					return fmt.Errorf("malformed response from %s: metric %s: total value %s is not a number", op.Path, name, v)
				}
				dst = append(dst, namedNum{name: name, n: n})
			}
			var sum num
			var any bool
			for _, b := range tv.GetArray("breakdowns") {
				for _, rs := range b.GetArray("results") {
					dims := rs.GetArray("dimension_values")
					if len(dims) == 0 {
						continue
					}
					dim, err := dims[len(dims)-1].StringBytes()
					if err != nil {
						return fmt.Errorf("malformed response from %s: metric %s: dimension value %s is not a string", op.Path, name, dims[len(dims)-1])
					}
					v := rs.Get("value")
					if v == nil || v.Type() == fastjson.TypeNull {
						continue
					}
					n, ok := jsonNum(v)
					if !ok {
						return fmt.Errorf("malformed response from %s: metric %s: value %s of %s is not a number", op.Path, name, v, dim)
					}
					dst = append(dst, namedNum{name: strings.ToLower(validUTF8(dim)), n: n})
					sum.i += n.i
					sum.f += n.f
					any = true
				}
			}
			if any {
				dst = append(dst, namedNum{name: name, n: sum, ifAbsent: true})
			}
			return nil
		}
		if vs := d.GetArray("values"); len(vs) > 0 {
			val := vs[0].Get("value")
			if val == nil || val.Type() == fastjson.TypeNull {
				return nil
			}
			n, ok := jsonNum(val)
			if !ok {
				return fmt.Errorf("malformed response from %s: metric %s: value %s is not a number", op.Path, name, val)
			}
			dst = append(dst, namedNum{name: name, n: n})
		}
		return nil
	})
	return dst, err
}

// jsonNum reads a JSON number (or a string holding one, as encoding/json's
// Number accepts); false for anything else, NaN and infinities.
func jsonNum(v *fastjson.Value) (num, bool) {
	if v == nil {
		return num{}, false
	}
	var s string
	switch v.Type() {
	case fastjson.TypeNumber:
		if n, err := v.Int64(); err == nil {
			return intNum(n), true
		}
		s = v.String()
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s = string(b)
	default:
		return num{}, false
	}
	return numberOf(json.Number(s))
}

// numberOf reads a JSON number as a num.
func numberOf(n json.Number) (num, bool) {
	if v, err := n.Int64(); err == nil {
		return intNum(v), true
	}
	f, err := n.Float64()
	if err != nil {
		return num{}, false
	}
	return floatNum(f)
}

// apiTime parses Graph timestamps ("2019-09-26T22:36:43+0000").
func apiTime(s *string) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(layout, *s); err == nil {
			t = t.UTC().Truncate(time.Microsecond)
			return &t, nil
		}
	}
	return nil, fmt.Errorf("timestamp %q is not in the Graph API format", *s)
}

// flexString accepts a JSON string or number (ig_id comes as either).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

const userFields = "id,ig_id,username,name,biography,website,profile_picture_url,followers_count,follows_count,media_count"

type userJSON struct {
	ID                string      `json:"id"`
	IGID              *flexString `json:"ig_id"`
	Username          *string     `json:"username"`
	Name              *string     `json:"name"`
	Biography         *string     `json:"biography"`
	Website           *string     `json:"website"`
	ProfilePictureURL *string     `json:"profile_picture_url"`
	FollowersCount    *int64      `json:"followers_count"`
	FollowsCount      *int64      `json:"follows_count"`
	MediaCount        *int64      `json:"media_count"`
}

// stringArray reads member key of v as an array of strings (missing or
// null: none).
func stringArray(v *fastjson.Value, key string) ([]string, error) {
	a := v.Get(key)
	if a == nil || a.Type() == fastjson.TypeNull {
		return nil, nil
	}
	items, err := a.Array()
	if err != nil {
		return nil, fmt.Errorf("%s is a JSON %s, not an array", key, a.Type())
	}
	out := make([]string, len(items))
	for i, it := range items {
		b, err := it.StringBytes()
		if err != nil {
			return nil, fmt.Errorf("%s[%d] is a JSON %s, not a string", key, i, it.Type())
		}
		out[i] = validUTF8(b)
	}
	return out, nil
}

// jsonText renders a member for an error message ("null" when absent).
func jsonText(v *fastjson.Value) string {
	if v == nil {
		return "null"
	}
	return v.String()
}
