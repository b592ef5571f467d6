package igfake

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCommentsMatchCounts: every feed media and reel has comments_count
// comments and replies, deterministic from the seed; most media have few,
// a few have hundreds.
func TestCommentsMatchCounts(t *testing.T) {
	a, b := New(Options{Media: 60, Seed: 4, Now: func() time.Time { return t0 }}), New(Options{Media: 60, Seed: 4, Now: func() time.Time { return t0 }})
	var counts []int64
	for _, m := range a.Dataset().Accounts[0].Media {
		cs := a.Comments(m.ID)
		n := int64(len(cs))
		for _, c := range cs {
			n += int64(len(c.Replies))
			if c.ParentID != "" || c.MediaID != m.ID || c.Timestamp.Before(m.Timestamp) || c.Timestamp.After(t0) {
				t.Errorf("comment %+v of media %s (%v)", c, m.ID, m.Timestamp)
			}
			for _, r := range c.Replies {
				if r.ParentID != c.ID || r.Timestamp.Before(c.Timestamp) {
					t.Errorf("reply %+v of %s", r, c.ID)
				}
			}
		}
		if n != m.CommentsCount || n != a.CommentsCount(m) {
			t.Errorf("media %s: %d comments and replies, comments_count %d", m.ID, n, m.CommentsCount)
		}
		if !slices.EqualFunc(cs, b.Comments(m.ID), func(x, y Comment) bool { return x.ID == y.ID && x.Text == y.Text && x.LikeCount == y.LikeCount }) {
			t.Errorf("media %s: comments differ between two servers of one seed", m.ID)
		}
		counts = append(counts, n)
	}
	slices.Sort(counts)
	median, top := counts[len(counts)/2], counts[len(counts)-1]
	t.Logf("comments per media: median %d, max %d", median, top)
	if median > 60 || top < 100 {
		t.Errorf("comments per media: median %d, max %d; want most media few, some hundreds", median, top)
	}
}

// TestCommentsServedPagedAndChanging: GET /{media-id}/comments pages its
// comments (paging.next), replies{…} comes as a nested list whose next is
// followed on /{comment-id}/replies, posted comments raise comments_count,
// and edits change likes or hidden flags, never the count.
func TestCommentsServedPagedAndChanging(t *testing.T) {
	e := newEnv(t, Options{Media: 40, Seed: 4})
	var m *Media
	for _, x := range e.srv.Dataset().Accounts[0].Media {
		if x.CommentsCount > 150 && (m == nil || x.CommentsCount > m.CommentsCount) {
			m = x
		}
	}
	if m == nil {
		t.Fatal("no media with more than 150 comments")
	}
	const fields = "id,text,username,timestamp,like_count,hidden,replies{id,text,username,timestamp,like_count,hidden}"
	read := func() (map[string]map[string]any, int) {
		got := map[string]map[string]any{}
		requests := 0
		var follow func(path string)
		follow = func(path string) {
			for path != "" {
				r := e.mustGet(path)
				requests++
				for _, c := range r.data() {
					got[c["id"].(string)] = c
					if rp, ok := c["replies"].(map[string]any); ok {
						for _, x := range rp["data"].([]any) {
							got[x.(map[string]any)["id"].(string)] = x.(map[string]any)
						}
						pg, _ := rp["paging"].(map[string]any)
						if next, _ := pg["next"].(string); next != "" {
							follow(strings.TrimPrefix(next, e.ts.URL))
						}
					}
				}
				pg, _ := r.body["paging"].(map[string]any)
				next, _ := pg["next"].(string)
				path = strings.TrimPrefix(next, e.ts.URL)
			}
		}
		follow("/v23.0/" + m.ID + "/comments?limit=100&fields=" + url.QueryEscape(fields))
		return got, requests
	}
	got, requests := read()
	replyPages := e.srv.Stats().ByEndpoint["GET /{comment-id}/replies"]
	if int64(len(got)) != m.CommentsCount || requests < 2 || replyPages == 0 {
		t.Fatalf("%d comments and replies in %d requests (%d reply pages), comments_count %d", len(got), requests, replyPages, m.CommentsCount)
	}
	for _, c := range e.srv.Comments(m.ID) {
		g := got[c.ID]
		if g == nil || g["text"] != c.Text || g["username"] != c.Username || num(g["like_count"]) != c.LikeCount || g["hidden"] != c.Hidden {
			t.Errorf("comment %s: %v, want %+v", c.ID, g, c)
		}
	}

	before := e.srv.Comments(m.ID)
	e.srv.EditComments()
	after := e.srv.Comments(m.ID)
	changed := 0
	for i := range before {
		if before[i].LikeCount != after[i].LikeCount || before[i].Hidden != after[i].Hidden {
			changed++
		}
		if after[i].LikeCount < before[i].LikeCount {
			t.Errorf("comment %s lost likes", after[i].ID)
		}
	}
	if changed == 0 || changed == len(before) || e.srv.CommentsCount(m) != m.CommentsCount {
		t.Errorf("an edit round changed %d of %d comments, comments_count %d", changed, len(before), e.srv.CommentsCount(m))
	}

	if err := e.srv.AddComments(m.ID, 3); err != nil {
		t.Fatal(err)
	}
	cc := e.mustGet("/v23.0/" + m.ID + "?fields=comments_count").body["comments_count"]
	if got, _ := read(); int64(len(got)) != m.CommentsCount+3 || num(cc) != m.CommentsCount+3 {
		t.Errorf("after 3 posted: %d served, comments_count %v, want %d", len(got), cc, m.CommentsCount+3)
	}
	if err := e.srv.AddComments("nope", 1); err == nil {
		t.Error("AddComments of an unknown media: no error")
	}
}
