package igfake

import (
	"strings"
	"testing"
)

func TestEveryMediaField(t *testing.T) {
	e := newEnv(t, Options{Media: 30})
	a := e.srv.Dataset().Accounts[0]
	fields := "id,ig_id,legacy_instagram_media_id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink," +
		"shortcode,timestamp,username,owner{id,username},like_count,comments_count,is_comment_enabled,is_shared_to_feed,alt_text," +
		"is_ai_generated,media_audio_type,reposts_count,shares_count,saved_count,total_like_count,total_comments_count," +
		"total_views_count,boost_eligibility_info,children{id},comments,collaborators"
	kinds := append(append([]*Media{}, samples(a)["CAROUSEL_ALBUM/FEED"], a.Media[0].Children[2]), a.Media[1:4]...)
	kinds = append(kinds, a.Stories[0])
	for _, m := range kinds {
		name := m.MediaType + "/" + m.MediaProductType
		if m.IsChild() {
			name += "/child"
		}
		t.Run(name, func(t *testing.T) {
			b := e.mustGet("/" + m.ID + "?fields=" + fields).body
			video, child, story := m.MediaType == "VIDEO", m.IsChild(), m.IsStory()
			rules := map[string]bool{
				"thumbnail_url":     video,
				"media_audio_type":  video,
				"is_shared_to_feed": m.MediaProductType == "REELS",
				"children":          m.MediaType == "CAROUSEL_ALBUM",
				"permalink":         !child,
				"shortcode":         !child,
				"like_count":        !child && !story,
				"comments_count":    !child && !story,
				"reposts_count":     !child && !story,
				"total_views_count": video && !child && !story,
				"caption":           !child && m.Caption != "",
				"owner":             true,
				"timestamp":         true,
			}
			for f, want := range rules {
				if _, got := b[f]; got != want {
					t.Errorf("%s present = %v, want %v", f, got, want)
				}
			}
			if o := b["owner"].(map[string]any); o["username"] != a.Username {
				t.Errorf("owner %v", o)
			}
			if m.MediaType == "CAROUSEL_ALBUM" && len(b["children"].(map[string]any)["data"].([]any)) != 5 {
				t.Errorf("children %v", b["children"])
			}
		})
	}
}

func TestUserNestedEdgesAndMe(t *testing.T) {
	e := newEnv(t, Options{Media: 30})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	r := e.mustGet("/" + a.ID + "?fields=id,legacy_instagram_user_id,has_profile_pic,is_published,media.limit(2){id,caption},stories{id}")
	media := r.body["media"].(map[string]any)
	if d := media["data"].([]any); len(d) != 2 || d[0].(map[string]any)["id"] != a.Media[0].ID {
		t.Errorf("media edge %v", media)
	}
	next := media["paging"].(map[string]any)["next"].(string)
	if !strings.Contains(next, "/"+a.ID+"/media?") {
		t.Errorf("nested next %s", next)
	}
	if n := e.do("GET", next, nil, "Bearer "+DefaultToken); len(n.data()) != 2 || n.data()[0]["id"] != a.Media[2].ID {
		t.Errorf("following the nested next: %s", n.raw)
	}
	if d := r.body["stories"].(map[string]any)["data"].([]any); len(d) != 3 {
		t.Errorf("stories edge %v", r.body["stories"])
	}
	if r.body["has_profile_pic"] != true || r.body["legacy_instagram_user_id"] == "" {
		t.Errorf("got %s", r.raw)
	}
	me := e.mustGet("/me?fields=id,name,accounts{id,name,category,access_token,tasks}")
	acc := me.body["accounts"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if acc["id"] != a.PageID || acc["access_token"] != DefaultToken || acc["category"] == nil {
		t.Errorf("me: %s", me.raw)
	}
}

func TestDebugToken(t *testing.T) {
	e := newEnv(t, Options{Media: 3})
	ok := e.mustGet("/debug_token?input_token=" + DefaultToken).body["data"].(map[string]any)
	bad := e.mustGet("/debug_token?input_token=nope").body["data"].(map[string]any)
	if ok["is_valid"] != true || bad["is_valid"] != false || bad["error"] == nil {
		t.Errorf("ok %v bad %v", ok, bad)
	}
}

func TestReachWeeklyAndDateParams(t *testing.T) {
	e := newEnv(t, Options{Media: 3})
	ds := e.srv.Dataset()
	a := ds.Accounts[0]
	r := e.mustGet("/" + a.ID + "/insights?metric=reach&period=week&since=2026-09-01&until=2026-09-03")
	vals := r.data()[0]["values"].([]any)
	if len(vals) != 2 {
		t.Fatalf("got %s", r.raw)
	}
	var want int64
	for k := range 7 {
		v, _ := ds.UserInsight(a.ID, "reach", laDay(2026, 9, 2).AddDate(0, 0, -k))
		want += v
	}
	if got := num(vals[1].(map[string]any)["value"]); got != want {
		t.Errorf("week ending 2026-09-02 = %d, want %d", got, want)
	}
	r2 := e.mustGet("/" + a.ID + "/insights?metric=reach&period=day&since=2026-09-01T07:00:00Z&until=2026-09-03T07:00:00Z")
	if len(r2.data()[0]["values"].([]any)) != 2 {
		t.Errorf("RFC 3339 window: %s", r2.raw)
	}
	wantErr(t, e.get("/"+a.ID+"/insights?metric=reach&period=day&since=yesterday"), 400, 100, 0,
		"(#100) The parameter since must be a valid unix timestamp")
}
