package export

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// The media and story pages are decoded with fastjson: one pass over each
// page, against encoding/json's three (the client's page split, a validity
// scan, the decode), which made decoding the largest cost of a run.

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

// id reads a string member that is always there (empty when it is not).
func (f *fields) id(key string) string {
	if s := f.str(key); s != nil {
		return *s
	}
	return ""
}

// int reads an integer member.
func (f *fields) int(key string) *int64 {
	v := f.get(key)
	if v == nil {
		return nil
	}
	n, err := v.Int64()
	if err != nil {
		f.wrongType(key, "an integer", v)
		return nil
	}
	return &n
}

// bool reads a boolean member.
func (f *fields) bool(key string) *bool {
	v := f.get(key)
	if v == nil {
		return nil
	}
	b, err := v.Bool()
	if err != nil {
		f.wrongType(key, "a boolean", v)
		return nil
	}
	return &b
}

// flex reads a member given as a string or a number (ig_id comes as either).
func (f *fields) flex(key string) *flexString {
	v := f.get(key)
	if v == nil {
		return nil
	}
	var s flexString
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s = flexString(validUTF8(b))
	case fastjson.TypeNumber:
		s = flexString(v.MarshalTo(nil))
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

// mediaPage decodes the items of a /media or /stories page. Every item and
// every carousel child must have its id.
func mediaPage(items []*fastjson.Value) ([]mediaJSON, error) {
	page := make([]mediaJSON, 0, len(items))
	for i, item := range items {
		if item.Type() == fastjson.TypeNull {
			continue
		}
		if item.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("data[%d] is a JSON %s, not an object", i, item.Type())
		}
		m, err := mediaOf(&fields{v: item})
		if err != nil {
			if m.ID == "" {
				return nil, fmt.Errorf("data[%d]: %w", i, err)
			}
			return nil, fmt.Errorf("data[%d] (media %s): %w", i, m.ID, err)
		}
		page = append(page, m)
	}
	return page, nil
}

// mediaOf reads one media object (a story has the same fields, fewer).
func mediaOf(f *fields) (mediaJSON, error) {
	m := mediaJSON{
		ID: f.id("id"), IGID: f.flex("ig_id"), Caption: f.str("caption"), MediaType: f.str("media_type"),
		MediaProductType: f.str("media_product_type"), MediaURL: f.str("media_url"),
		ThumbnailURL: f.str("thumbnail_url"), Permalink: f.str("permalink"), Shortcode: f.str("shortcode"),
		Username: f.str("username"), Timestamp: f.str("timestamp"), LikeCount: f.int("like_count"),
		CommentsCount: f.int("comments_count"), IsCommentEnabled: f.bool("is_comment_enabled"),
	}
	if o := f.object("owner"); o != nil {
		m.Owner = &mediaOwner{ID: o.id("id")}
		if o.err != nil {
			return m, fmt.Errorf("owner: %w", o.err)
		}
	}
	if c := f.object("children"); c != nil {
		m.Children = &mediaChildren{Data: []mediaChild{}}
		for k, cv := range c.array("data") {
			if cv.Type() == fastjson.TypeNull {
				continue
			}
			if cv.Type() != fastjson.TypeObject {
				return m, fmt.Errorf("children.data[%d] is a JSON %s, not an object", k, cv.Type())
			}
			cf := &fields{v: cv}
			ch := mediaChild{ID: cf.id("id"), MediaType: cf.str("media_type"), MediaURL: cf.str("media_url"),
				ThumbnailURL: cf.str("thumbnail_url"), Timestamp: cf.str("timestamp")}
			if cf.err != nil {
				return m, fmt.Errorf("child %s: %w", ch.ID, cf.err)
			}
			if ch.ID == "" {
				return m, fmt.Errorf("children.data[%d]: %w", k, missingKey("id"))
			}
			m.Children.Data = append(m.Children.Data, ch)
		}
		if c.err != nil {
			return m, fmt.Errorf("children: %w", c.err)
		}
	}
	if f.err == nil && m.ID == "" {
		return m, missingKey("id")
	}
	return m, f.err
}
