package igfake

import (
	"net/url"
	"strings"
)

// route is what one GET operation resolves to, before authentication.
type route struct {
	endpoint string
	account  string // account charged for the call ("" for app-level calls)
	handler  func(*call) (any, *apiError)
	err      *apiError
	// auth, when set, replaces the token check (the token endpoints).
	auth func(*call) *apiError
}

// route resolves the path of a GET operation without side effects.
func (c *call) route() route {
	segs := c.segs
	ds := c.s.ds
	if rt, ok := c.tokenRoute(); ok {
		return rt
	}
	if len(segs) == 0 {
		if c.query.Get("ids") != "" {
			return route{endpoint: "GET /?ids", handler: (*call).multiIDs}
		}
		return route{endpoint: "GET /", err: errUnsupportedGet("GET", "")}
	}
	id, edge := segs[0], ""
	if len(segs) > 1 {
		edge = segs[1]
	}
	if len(segs) > 2 {
		return route{endpoint: "GET /{unknown}", err: errUnknownPath(strings.Join(segs[2:], "/"))}
	}
	switch id {
	case "me", ds.UserID:
		switch edge {
		case "":
			return route{endpoint: "GET /me", handler: (*call).me}
		case "accounts":
			return route{endpoint: "GET /me/accounts", handler: (*call).meAccounts}
		default:
			return route{endpoint: "GET /me/" + edge, err: errNonexistingField(edge)}
		}
	}
	switch o := ds.objects[id].(type) {
	case *Account:
		rt := route{endpoint: "GET /{ig-user-id}", account: o.ID}
		switch edge {
		case "":
			rt.handler = func(c *call) (any, *apiError) { return c.userNode(o) }
		case "media":
			rt.handler = func(c *call) (any, *apiError) { return c.mediaList(o) }
		case "stories":
			rt.handler = func(c *call) (any, *apiError) { return c.storyList(o) }
		case "insights":
			rt.handler = func(c *call) (any, *apiError) { return c.userInsights(o, c.query) }
		case "tags", "live_media", "mentioned_media":
			rt.handler = func(c *call) (any, *apiError) { return obj{{"data", []any{}}}, nil }
		default:
			rt.err = errNonexistingField(edge)
		}
		if edge != "" {
			rt.endpoint += "/" + edge
		}
		return rt
	case *Media:
		rt := route{endpoint: "GET /{media-id}", account: o.AccountID}
		switch edge {
		case "":
			rt.handler = func(c *call) (any, *apiError) {
				if o.FailsAlone {
					return nil, errUnsupportedGet("GET", o.ID)
				}
				return c.mediaNode(o)
			}
		case "insights":
			rt.handler = func(c *call) (any, *apiError) { return c.mediaInsights(o, c.query) }
		case "children":
			rt.handler = func(c *call) (any, *apiError) { return c.childrenList(o) }
		case "comments":
			rt.handler = func(c *call) (any, *apiError) { return c.commentList(o) }
		case "collaborators":
			rt.handler = func(c *call) (any, *apiError) { return obj{{"data", []any{}}}, nil }
		default:
			rt.err = errNonexistingField(edge)
		}
		if edge != "" {
			rt.endpoint += "/" + edge
		}
		return rt
	case *Page:
		rt := route{endpoint: "GET /{page-id}", handler: func(c *call) (any, *apiError) { return c.pageNode(o) }}
		if edge != "" {
			rt.endpoint += "/" + edge
			rt.err = errNonexistingField(edge)
		}
		return rt
	}
	if acct, ok := c.s.lookupComment(id); ok {
		rt := route{endpoint: "GET /{comment-id}", account: acct}
		switch edge {
		case "":
			rt.handler = func(c *call) (any, *apiError) { return c.commentNode(id) }
		case "replies":
			rt.handler = func(c *call) (any, *apiError) { return c.commentReplies(id) }
		default:
			rt.err = errNonexistingField(edge)
		}
		if edge != "" {
			rt.endpoint += "/" + edge
		}
		return rt
	}
	return route{endpoint: "GET /{unknown}", err: errUnsupportedGet("GET", id)}
}

// multiIDs serves GET /?ids=a,b,c: one node per id, each counted and charged
// as a call of its own.
func (c *call) multiIDs() (any, *apiError) {
	ids := strings.Split(c.query.Get("ids"), ",")
	var missing []string
	for _, id := range ids {
		if c.s.ds.objects[strings.TrimSpace(id)] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, &apiError{Status: 400, Type: typeOAuth, Code: 803,
			Message: "(#803) Some of the aliases you requested do not exist: " + strings.Join(missing, ",")}
	}
	out := obj{}
	for i, id := range ids {
		id = strings.TrimSpace(id)
		sub := *c
		sub.segs = []string{id}
		sub.query = url.Values{}
		for k, v := range c.query {
			if k != "ids" {
				sub.query[k] = v
			}
		}
		rt := sub.route()
		if i > 0 {
			c.s.countCall("GET /?ids")
		}
		if rt.account != "" {
			if err := c.charge(rt.account); err != nil {
				return nil, err
			}
		}
		v, err := rt.handler(&sub)
		if err != nil {
			return nil, err
		}
		out = append(out, kv{id, v})
	}
	return out, nil
}
