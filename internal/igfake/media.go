package igfake

import (
	"net/url"
	"strings"
	"time"
)

// timeLayout is Graph's timestamp format: 2019-09-26T22:36:43+0000.
const timeLayout = "2006-01-02T15:04:05-0700"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// withID appends the node id when the fields did not ask for it, as Graph does.
func withID(o obj, id string) obj {
	if _, ok := o.get("id"); !ok {
		o = append(o, kv{"id", id})
	}
	return o
}

// ---- nodes ----

func (c *call) me() (any, *apiError) {
	fs, err := fieldsOf(c.query, "id", "name")
	if err != nil {
		return nil, err
	}
	out := obj{}
	for _, f := range fs {
		switch f.Name {
		case "id":
			out = append(out, kv{"id", c.s.ds.UserID})
		case "name":
			out = append(out, kv{"name", c.s.ds.UserName})
		case "accounts":
			l, err := c.nestedList(c.s.ds.UserID, f, len(c.s.ds.Pages), func(i int) string { return c.s.ds.Pages[i].ID },
				func(i int) (any, *apiError) { return c.pageFields(c.s.ds.Pages[i], f.subOr("id", "name")) })
			if err != nil {
				return nil, err
			}
			out = append(out, kv{"accounts", l})
		default:
			return nil, errNonexistingField(f.Name)
		}
	}
	return withID(out, c.s.ds.UserID), nil
}

func (c *call) meAccounts() (any, *apiError) {
	fs, err := fieldsOf(c.query, "id", "name")
	if err != nil {
		return nil, err
	}
	pages := c.s.ds.Pages
	// Graph rewrites /me to the user id in paging URLs.
	return c.list(len(pages), func(i int) string { return pages[i].ID },
		func(i int) (any, *apiError) { return c.pageFields(pages[i], fs) },
		"/"+c.s.ds.UserID+"/accounts")
}

func (c *call) pageNode(p *Page) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id", "name")
	if err != nil {
		return nil, err
	}
	return c.pageFields(p, fs)
}

func (c *call) pageFields(p *Page, fs []field) (obj, *apiError) {
	out := obj{}
	for _, f := range fs {
		switch f.Name {
		case "id":
			out = append(out, kv{"id", p.ID})
		case "name":
			out = append(out, kv{"name", p.Name})
		case "category":
			out = append(out, kv{"category", p.Category})
		case "access_token":
			out = append(out, kv{"access_token", c.s.o.Token})
		case "tasks":
			out = append(out, kv{"tasks", []string{"ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"}})
		case "instagram_business_account":
			if p.Account != nil {
				v, err := c.userFields(p.Account, f.subOr("id"))
				if err != nil {
					return nil, err
				}
				out = append(out, kv{f.Name, v})
			}
		default:
			return nil, errNonexistingField(f.Name)
		}
	}
	return c.s.dropID("page", withID(out, p.ID)), nil
}

func (c *call) userNode(a *Account) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id")
	if err != nil {
		return nil, err
	}
	return c.userFields(a, fs)
}

// userFields renders the IG User fields of graph-api.md §6.1.
func (c *call) userFields(a *Account, fs []field) (obj, *apiError) {
	out := obj{}
	for _, f := range fs {
		if c.s.retired(f.Name) {
			return nil, errNonexistingField(f.Name)
		}
		var v any
		switch f.Name {
		case "id":
			v = a.ID
		case "ig_id":
			v = a.IGID
		case "legacy_instagram_user_id":
			v = a.LegacyInstagramUserID
		case "username":
			v = a.Username
		case "name":
			v = a.Name
		case "biography":
			v = a.Biography
		case "website":
			v = a.Website
		case "profile_picture_url":
			v = a.ProfilePictureURL
		case "followers_count":
			v = a.FollowersCount
		case "follows_count":
			v = a.FollowsCount
		case "media_count":
			v = a.MediaCount
		case "has_profile_pic", "is_published":
			v = true
		case "shopping_product_tag_eligibility":
			return nil, errNoPermission()
		case "media":
			l, err := c.nestedList(a.ID, f, len(a.Media), func(i int) string { return a.Media[i].ID },
				func(i int) (any, *apiError) { return c.mediaFields(a.Media[i], f.subOr("id"), true) })
			if err != nil {
				return nil, err
			}
			v = l
		case "stories":
			live := c.s.ds.LiveStories(a)
			l, err := c.nestedList(a.ID, f, len(live), func(i int) string { return live[i].ID },
				func(i int) (any, *apiError) { return c.mediaFields(live[i], f.subOr("id"), true) })
			if err != nil {
				return nil, err
			}
			v = l
		default:
			return nil, errNonexistingField(f.Name)
		}
		out = append(out, kv{f.Name, v})
	}
	return c.s.dropID("ig-user", withID(out, a.ID)), nil
}

func (c *call) mediaNode(m *Media) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id")
	if err != nil {
		return nil, err
	}
	return c.mediaFields(m, fs, false)
}

// mediaFields renders the IG Media fields of graph-api.md §6.2 with their
// conditional omissions. viaEdge is set when the media is read through an
// edge or field expansion (like_count is then omitted when likes are hidden).
func (c *call) mediaFields(m *Media, fs []field, viaEdge bool) (obj, *apiError) {
	a := c.s.ds.Account(m.AccountID)
	child, video := m.IsChild(), m.MediaType == "VIDEO"
	feedOrReels := !child && !m.IsStory()
	out := obj{}
	for _, f := range fs {
		if c.s.retired(f.Name) || c.s.missingField(f.Name) {
			return nil, errNonexistingField(f.Name)
		}
		var v any
		switch f.Name {
		case "id":
			v = m.ID
		case "ig_id":
			v = m.IGID
		case "legacy_instagram_media_id":
			v = m.LegacyInstagramMediaID
		case "caption":
			if m.Caption == "" {
				continue
			}
			v = m.Caption
		case "media_type":
			v = m.MediaType
		case "media_product_type":
			v = m.MediaProductType
		case "media_url":
			if m.MediaURL == "" {
				continue
			}
			v = m.MediaURL
		case "thumbnail_url":
			if !video {
				continue
			}
			v = m.ThumbnailURL
		case "permalink":
			if child {
				continue
			}
			v = m.Permalink
		case "shortcode":
			if child {
				continue
			}
			v = m.Shortcode
		case "timestamp":
			v = ts(m.Timestamp)
		case "username":
			v = m.Username
		case "owner":
			o, err := c.userFields(a, f.subOr("id"))
			if err != nil {
				return nil, err
			}
			v = o
		case "like_count":
			if !feedOrReels || m.LikesHidden && viaEdge {
				continue
			}
			v = m.LikeCount
		case "comments_count":
			if !feedOrReels {
				continue
			}
			v = c.s.CommentsCount(m)
		case "is_comment_enabled":
			if child {
				continue
			}
			v = m.IsCommentEnabled
		case "is_shared_to_feed":
			if m.MediaProductType != "REELS" {
				continue
			}
			v = true
		case "alt_text":
			if m.AltText == "" {
				continue
			}
			v = m.AltText
		case "is_ai_generated":
			v = false
		case "media_audio_type":
			if !video {
				continue
			}
			v = "ORIGINAL_SOUND"
		case "reposts_count", "shares_count", "saved_count", "total_like_count", "total_comments_count", "total_views_count":
			if !feedOrReels || f.Name == "total_views_count" && !video {
				continue
			}
			v = c.s.ds.countField(m, f.Name)
		case "boost_eligibility_info":
			if child {
				continue
			}
			v = obj{{"eligible_to_boost", true}}
		case "view_count":
			return nil, errBusinessDiscoveryOnly()
		case "copyright_check_information":
			if !video {
				return nil, errVideoNotFound()
			}
			v = obj{{"status", obj{{"status", "completed"}, {"matches_found", false}}}}
		case "children":
			if m.MediaType != "CAROUSEL_ALBUM" || child {
				continue
			}
			l, err := c.nestedList(m.ID, f, len(m.Children), func(i int) string { return m.Children[i].ID },
				func(i int) (any, *apiError) { return c.mediaFields(m.Children[i], f.subOr("id"), true) })
			if err != nil {
				return nil, err
			}
			v = l
		case "insights":
			q := url.Values{}
			for k, args := range f.Mods {
				q.Set(k, strings.Join(args, ","))
			}
			ins, err := c.mediaInsights(m, q)
			if err != nil {
				return nil, err // an error in any expanded item fails the whole request
			}
			v = ins
		case "comments", "collaborators":
			v = obj{{"data", []any{}}}
		default:
			return nil, errNonexistingField(f.Name)
		}
		out = append(out, kv{f.Name, v})
	}
	kind := "media"
	switch {
	case child:
		kind = "child"
	case m.IsStory():
		kind = "story"
	}
	return c.s.dropID(kind, withID(out, m.ID)), nil
}

// countField answers the FB-Login-only count fields from the insight values.
func (d *Dataset) countField(m *Media, name string) int64 {
	v := d.mediaValues(m)
	switch name {
	case "reposts_count":
		return v["reposts"]
	case "shares_count":
		return v["shares"]
	case "saved_count":
		return v["saved"]
	case "total_like_count":
		return v["total_likes"]
	case "total_comments_count":
		return v["total_comments"]
	default:
		return v["total_views"]
	}
}

// ---- lists ----

func (c *call) mediaList(a *Account) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id")
	if err != nil {
		return nil, err
	}
	items := a.Media
	since, until, err := c.mediaWindow()
	if err != nil {
		return nil, err
	}
	if !since.IsZero() || !until.IsZero() {
		var sel []*Media
		for _, m := range items {
			if (since.IsZero() || !m.Timestamp.Before(since)) && (until.IsZero() || !m.Timestamp.After(until)) {
				sel = append(sel, m)
			}
		}
		items = sel
	}
	if len(items) > 10000 {
		items = items[:10000] // the edge serves the 10K most recent media
	}
	return c.list(len(items), func(i int) string { return items[i].ID },
		func(i int) (any, *apiError) { return c.mediaFields(items[i], fs, true) }, "")
}

// mediaWindow parses the optional since/until (Unix seconds) of /media.
func (c *call) mediaWindow() (since, until time.Time, err *apiError) {
	parse := func(name string) (time.Time, *apiError) {
		s := c.query.Get(name)
		if s == "" {
			return time.Time{}, nil
		}
		t, ok := parseTime(s, c.s.o.Location)
		if !ok {
			return time.Time{}, errParam("(#100) The parameter %s must be a valid unix timestamp", name)
		}
		return t, nil
	}
	if since, err = parse("since"); err != nil {
		return
	}
	until, err = parse("until")
	return
}

func (c *call) storyList(a *Account) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id")
	if err != nil {
		return nil, err
	}
	live := c.s.ds.LiveStories(a)
	return c.list(len(live), func(i int) string { return live[i].ID },
		func(i int) (any, *apiError) { return c.mediaFields(live[i], fs, true) }, "")
}

func (c *call) childrenList(m *Media) (any, *apiError) {
	if m.MediaType != "CAROUSEL_ALBUM" {
		return obj{{"data", []any{}}}, nil
	}
	fs, err := fieldsOf(c.query, "id")
	if err != nil {
		return nil, err
	}
	return c.list(len(m.Children), func(i int) string { return m.Children[i].ID },
		func(i int) (any, *apiError) { return c.mediaFields(m.Children[i], fs, true) }, "")
}
