package igfake

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pageAll follows paging.next from path until it is absent and returns the
// ids and the raw next URLs seen.
func (e *env) pageAll(path string, auth string) (ids []string, nexts []string, pages []resp) {
	e.t.Helper()
	for u := path; u != ""; {
		r := e.do("GET", u, nil, auth)
		if r.status != 200 {
			e.t.Fatalf("GET %s: %d %s", u, r.status, r.raw)
		}
		pages = append(pages, r)
		for _, d := range r.data() {
			ids = append(ids, d["id"].(string))
		}
		u = ""
		if p, ok := r.body["paging"].(map[string]any); ok {
			if n, ok := p["next"].(string); ok {
				u = n
				nexts = append(nexts, n)
			}
		}
		if len(pages) > 1000 {
			e.t.Fatal("paging does not end")
		}
	}
	return ids, nexts, pages
}

func TestMediaPaging(t *testing.T) {
	e := newEnv(t, Options{Media: 250})
	a := e.srv.Dataset().Accounts[0]
	tests := []struct {
		name      string
		limit     string
		wantPages int
	}{
		{"default page size 25", "", 10},
		{"limit 100", "&limit=100", 3},
		{"limit above the cap is capped at 100", "&limit=500", 3},
		{"limit 50 divides evenly", "&limit=50", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, _, pages := e.pageAll("/v23.0/"+a.ID+"/media?fields=id,timestamp"+tt.limit, "Bearer "+DefaultToken)
			if len(pages) != tt.wantPages || len(ids) != 250 {
				t.Fatalf("pages %d ids %d, want %d and 250", len(pages), len(ids), tt.wantPages)
			}
			for i, id := range ids {
				if id != a.Media[i].ID {
					t.Fatalf("item %d = %s, want %s (newest first)", i, id, a.Media[i].ID)
				}
			}
			last := pages[len(pages)-1].body["paging"].(map[string]any)
			if _, ok := last["next"]; ok {
				t.Error("last page has next")
			}
			if c := last["cursors"].(map[string]any); c["after"] == "" || c["after"] == nil {
				t.Error("last page has no cursors.after")
			}
			if _, ok := pages[0].body["paging"].(map[string]any)["previous"]; ok {
				t.Error("first page has previous")
			}
		})
	}
}

func TestNextURLRepeatsQuery(t *testing.T) {
	e := newEnv(t, Options{Media: 30})
	a := e.srv.Dataset().Accounts[0]
	t.Run("token in the query is echoed", func(t *testing.T) {
		_, nexts, _ := e.pageAll("/v23.0/"+a.ID+"/media?fields=id,caption&limit=10&access_token="+DefaultToken, "")
		if len(nexts) != 2 {
			t.Fatalf("nexts = %d", len(nexts))
		}
		u, err := url.Parse(nexts[0])
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if !strings.HasPrefix(nexts[0], e.ts.URL+"/v23.0/"+a.ID+"/media?") || q.Get("access_token") != DefaultToken ||
			q.Get("fields") != "id,caption" || q.Get("limit") != "10" || q.Get("after") == "" {
			t.Errorf("next = %s", nexts[0])
		}
	})
	t.Run("token in the header is not", func(t *testing.T) {
		_, nexts, _ := e.pageAll("/"+a.ID+"/media?limit=10", "Bearer "+DefaultToken)
		for _, n := range nexts {
			if strings.Contains(n, "access_token") || !strings.HasPrefix(n, e.ts.URL+"/"+a.ID+"/media?") {
				t.Errorf("next = %s", n)
			}
		}
	})
	t.Run("before walks back", func(t *testing.T) {
		r := e.mustGet("/v23.0/" + a.ID + "/media?limit=10&after=" + url.QueryEscape(cursor(a.Media[9].ID)))
		prev := r.body["paging"].(map[string]any)["previous"].(string)
		back := e.do("GET", prev, nil, "Bearer "+DefaultToken)
		d := back.data()
		if len(d) != 10 || d[0]["id"] != a.Media[0].ID {
			t.Errorf("previous page = %s", back.raw)
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		r := e.get("/v23.0/" + a.ID + "/media?after=bm9wZQ==")
		if r.status != 400 || r.err().Code != 100 {
			t.Errorf("got %d %s", r.status, r.raw)
		}
	})
}

func TestMediaFieldExpansion(t *testing.T) {
	e := newEnv(t, Options{Media: 40})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	r := e.mustGet("/v23.0/" + a.ID + "/media?limit=40&fields=id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,username,owner,like_count,comments_count,is_comment_enabled,children{id,media_type,media_url,thumbnail_url,timestamp,permalink}")
	items := r.data()
	if len(items) != 40 {
		t.Fatalf("items = %d", len(items))
	}
	sawHidden, sawChildVideo := false, false
	for i, it := range items {
		m := a.Media[i]
		if it["media_type"] != m.MediaType || it["media_product_type"] != m.MediaProductType ||
			it["timestamp"] != m.Timestamp.UTC().Format("2006-01-02T15:04:05+0000") || it["username"] != a.Username {
			t.Errorf("item %d = %v", i, it)
		}
		if o := it["owner"].(map[string]any); o["id"] != a.ID {
			t.Errorf("owner = %v", o)
		}
		if _, ok := it["thumbnail_url"]; ok != (m.MediaType == "VIDEO") {
			t.Errorf("%s %s: thumbnail_url present = %v", m.ID, m.MediaType, ok)
		}
		if _, ok := it["like_count"]; ok == m.LikesHidden {
			t.Errorf("%s: like_count present = %v, hidden = %v", m.ID, ok, m.LikesHidden)
		}
		sawHidden = sawHidden || m.LikesHidden
		ch, ok := it["children"].(map[string]any)
		if ok != (m.MediaType == "CAROUSEL_ALBUM") {
			t.Fatalf("%s: children present = %v", m.ID, ok)
		}
		if !ok {
			continue
		}
		kids := ch["data"].([]any)
		if len(kids) != 5 {
			t.Fatalf("%s: %d children", m.ID, len(kids))
		}
		for j, k := range kids {
			k := k.(map[string]any)
			c := m.Children[j]
			if k["id"] != c.ID || k["media_type"] != c.MediaType || k["timestamp"] != it["timestamp"] {
				t.Errorf("child %d = %v", j, k)
			}
			if _, ok := k["permalink"]; ok {
				t.Errorf("child %s has a permalink", c.ID)
			}
			if _, ok := k["thumbnail_url"]; ok != (c.MediaType == "VIDEO") {
				t.Errorf("child %s thumbnail_url present = %v", c.ID, ok)
			}
			sawChildVideo = sawChildVideo || c.MediaType == "VIDEO"
		}
	}
	if !sawHidden || !sawChildVideo {
		t.Errorf("dataset lacks hidden likes (%v) or video children (%v)", sawHidden, sawChildVideo)
	}

	t.Run("like_count of hidden likes is returned on the node itself", func(t *testing.T) {
		for _, m := range a.Media {
			if m.LikesHidden {
				r := e.mustGet("/" + m.ID + "?fields=like_count")
				if num(r.body["like_count"]) != m.LikeCount || r.body["id"] != m.ID {
					t.Errorf("got %s", r.raw)
				}
				return
			}
		}
	})
	t.Run("children limit", func(t *testing.T) {
		r := e.mustGet("/" + a.Media[0].ID + "?fields=children.limit(2){id}")
		ch := r.body["children"].(map[string]any)
		if len(ch["data"].([]any)) != 2 || ch["paging"].(map[string]any)["next"] == nil {
			t.Errorf("got %s", r.raw)
		}
	})
	t.Run("default fields are id only", func(t *testing.T) {
		r := e.mustGet("/" + a.ID + "/media?limit=1")
		if d := r.data()[0]; len(d) != 1 || d["id"] != a.Media[0].ID {
			t.Errorf("got %s", r.raw)
		}
	})
	t.Run("insights through field expansion", func(t *testing.T) {
		m := a.Media[2] // IMAGE/FEED
		r := e.mustGet("/" + m.ID + "?fields=id,insights.metric(reach,likes)")
		ins := r.body["insights"].(map[string]any)["data"].([]any)
		want, _ := ds.MediaInsight(m.ID, "reach")
		if len(ins) != 2 || num(ins[0].(map[string]any)["values"].([]any)[0].(map[string]any)["value"]) != want {
			t.Errorf("got %s", r.raw)
		}
		// An error in any expanded item fails the whole request.
		r = e.get("/" + a.ID + "/media?limit=3&fields=id,insights.metric(follows)")
		wantErr(t, r, 400, 100, 0, "(#100) The Media Insights API does not support the follows metric for this media product type.")
	})
}

func TestFieldErrors(t *testing.T) {
	e := newEnv(t, Options{Media: 5})
	a := e.srv.Dataset().Accounts[0]
	tests := []struct {
		name, path   string
		status, code int
		subcode      int
		msg          string
	}{
		{"unknown media field", "/" + a.ID + "/media?fields=id,branded_content_partner", 400, 100, 0,
			"(#100) Tried accessing nonexisting field (branded_content_partner)"},
		{"unknown user field", "/" + a.ID + "?fields=id,nope", 400, 100, 0, "(#100) Tried accessing nonexisting field (nope)"},
		{"duplicate field", "/" + a.ID + "?fields=id,id", 400, 2500, 0,
			`Syntax error "Field id specified more than once. This is only possible before version 2.1" at character 5: id,id`},
		{"view_count outside business discovery", "/" + a.Media[1].ID + "?fields=view_count", 400, 36104, 0,
			"(#36104) You do not have permission to access this field outside of the Business Discovery API."},
		{"copyright check of an image", "/" + a.Media[2].ID + "?fields=copyright_check_information", 400, 9005, 1452042,
			"Video content was not found."},
		{"shopping eligibility without permission", "/" + a.ID + "?fields=shopping_product_tag_eligibility", 400, 10, 0,
			"(#10) Application does not have permission for this action"},
		{"unknown object", "/17999999999999999", 400, 100, 33,
			"Unsupported get request. Object with ID '17999999999999999' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"},
		{"unknown edge", "/" + a.ID + "/nope", 400, 100, 0, "(#100) Tried accessing nonexisting field (nope)"},
		{"too deep a path", "/" + a.ID + "/media/x", 400, 2500, 0, "Unknown path components: /x"},
		{"future version", "/v99.0/" + a.ID, 400, 2500, 0, "Unknown path components: /v99.0/" + a.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.get(tt.path), tt.status, tt.code, tt.subcode, tt.msg)
		})
	}
}

func TestUserAndPages(t *testing.T) {
	e := newEnv(t, Options{Accounts: 3, PagesWithoutIG: 2, Media: 3})
	ds := e.srv.Dataset()
	t.Run("profile", func(t *testing.T) {
		a := ds.Accounts[1]
		r := e.mustGet("/v23.0/" + a.ID + "?fields=id,ig_id,username,name,biography,website,profile_picture_url,followers_count,follows_count,media_count")
		b := r.body
		if b["id"] != a.ID || num(b["ig_id"]) != a.IGID || b["username"] != a.Username || b["biography"] != a.Biography ||
			num(b["followers_count"]) != 5000 || num(b["media_count"]) != 3 || !strings.Contains(b["profile_picture_url"].(string), "oe=") {
			t.Errorf("got %s", r.raw)
		}
		if !strings.Contains(string(r.raw), `https:\/\/`) || !strings.Contains(string(r.raw), `\u2728`) {
			t.Errorf("body not encoded like Graph (\\/ and \\u escapes): %s", r.raw)
		}
	})
	t.Run("me/accounts lists pages with and without IG", func(t *testing.T) {
		var got []map[string]any
		for u := "/v23.0/me/accounts?fields=id,name,instagram_business_account{id,username}&limit=2"; u != ""; {
			r := e.do("GET", u, nil, "Bearer "+DefaultToken)
			got = append(got, r.data()...)
			u, _ = r.body["paging"].(map[string]any)["next"].(string)
			if u != "" && !strings.Contains(u, "/v23.0/"+ds.UserID+"/accounts?") {
				t.Errorf("next = %s", u)
			}
		}
		if len(got) != 5 {
			t.Fatalf("pages = %d", len(got))
		}
		linked := 0
		for _, p := range got {
			if iba, ok := p["instagram_business_account"].(map[string]any); ok {
				linked++
				if a := ds.Account(iba["id"].(string)); a == nil || iba["username"] != a.Username || a.PageID != p["id"] {
					t.Errorf("page %v", p)
				}
			}
		}
		if linked != 3 {
			t.Errorf("linked = %d", linked)
		}
	})
	t.Run("page node", func(t *testing.T) {
		a := ds.Accounts[0]
		r := e.mustGet("/" + a.PageID + "?fields=instagram_business_account")
		if r.body["id"] != a.PageID || r.body["instagram_business_account"].(map[string]any)["id"] != a.ID {
			t.Errorf("got %s", r.raw)
		}
	})
	t.Run("me", func(t *testing.T) {
		r := e.mustGet("/me")
		if r.body["id"] != ds.UserID || r.body["name"] != ds.UserName {
			t.Errorf("got %s", r.raw)
		}
	})
	t.Run("multi ids", func(t *testing.T) {
		e.srv.ResetStats()
		r := e.mustGet("/?ids=" + ds.Accounts[0].ID + "," + ds.Accounts[1].ID + "&fields=username")
		if r.body[ds.Accounts[1].ID].(map[string]any)["username"] != "igfake_2" {
			t.Errorf("got %s", r.raw)
		}
		if st := e.srv.Stats(); st.Calls != 2 || st.RoundTrips != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestStoriesAndChildren(t *testing.T) {
	e := newEnv(t, Options{Media: 20, Stories: 4, Faults: Faults{FailingChildren: 3}})
	a := e.srv.Dataset().Accounts[0]
	t.Run("stories younger than 24h", func(t *testing.T) {
		r := e.mustGet("/v23.0/" + a.ID + "/stories?fields=id,media_type,media_product_type,timestamp,permalink")
		if d := r.data(); len(d) != 4 || d[0]["media_product_type"] != "STORY" {
			t.Fatalf("got %s", r.raw)
		}
		e.clock.Advance(6 * time.Hour) // the oldest of 4 (18.4 h old) passes 24 h
		r = e.mustGet("/v23.0/" + a.ID + "/stories")
		if d := r.data(); len(d) != 3 || d[0]["id"] != a.Stories[0].ID {
			t.Errorf("after 6h: %s", r.raw)
		}
		e.clock.Advance(-6 * time.Hour)
	})
	t.Run("children fetched one by one", func(t *testing.T) {
		var kids []*Media
		for _, m := range a.Media {
			kids = append(kids, m.Children...)
		}
		for i, c := range kids {
			r := e.get("/" + c.ID + "?fields=id,media_type,media_url,timestamp")
			if i < 3 {
				wantErr(t, r, 400, 100, 33, "Unsupported get request. Object with ID '"+c.ID+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api")
			} else if r.status != 200 || r.body["id"] != c.ID {
				t.Errorf("child %d: %d %s", i, r.status, r.raw)
			}
		}
		r := e.mustGet("/" + a.Media[0].ID + "/children?fields=id")
		if len(r.data()) != 5 {
			t.Errorf("children edge: %s", r.raw)
		}
	})
	t.Run("media since/until", func(t *testing.T) {
		since, until := a.Media[5].Timestamp.Unix(), a.Media[2].Timestamp.Unix()
		r := e.mustGet("/" + a.ID + "/media?since=" + strconv.FormatInt(since, 10) + "&until=" + strconv.FormatInt(until, 10))
		if d := r.data(); len(d) != 4 || d[0]["id"] != a.Media[2].ID {
			t.Errorf("got %s", r.raw)
		}
	})
}
