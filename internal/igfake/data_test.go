package igfake

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestReferenceDataset(t *testing.T) {
	srv := New(Options{Now: func() time.Time { return t0 }})
	ds := srv.Dataset()
	if len(ds.Accounts) != 1 {
		t.Fatalf("accounts = %d, want 1", len(ds.Accounts))
	}
	a := ds.Accounts[0]
	if a.ID != "17841400000000001" || a.Username != "igfake_1" || a.PageID == "" {
		t.Errorf("account = %s %s page %q", a.ID, a.Username, a.PageID)
	}
	if len(a.Media) != 500 || len(a.Stories) != 3 {
		t.Fatalf("media %d stories %d, want 500 and 3", len(a.Media), len(a.Stories))
	}
	carousels, children := 0, 0
	types := map[string]int{}
	for i, m := range a.Media {
		types[m.MediaType+"/"+m.MediaProductType]++
		if m.MediaType == "CAROUSEL_ALBUM" {
			carousels++
			if len(m.Children) != 5 {
				t.Errorf("carousel %s has %d children", m.ID, len(m.Children))
			}
			children += len(m.Children)
		}
		if i > 0 && !m.Timestamp.Before(a.Media[i-1].Timestamp) {
			t.Errorf("media %d not older than media %d", i, i-1)
		}
		if age := t0.Sub(m.Timestamp); age <= 0 || age >= twoYears {
			t.Errorf("media %d is %v old", i, age)
		}
	}
	if carousels != 50 || children != 250 {
		t.Errorf("carousels %d children %d, want 50 and 250", carousels, children)
	}
	for _, k := range []string{"IMAGE/FEED", "VIDEO/FEED", "VIDEO/REELS"} {
		if types[k] < 100 {
			t.Errorf("%s: %d media", k, types[k])
		}
	}
	for _, s := range a.Stories {
		if age := t0.Sub(s.Timestamp); age <= 0 || age >= 24*time.Hour || !s.IsStory() {
			t.Errorf("story %s: age %v product %s", s.ID, age, s.MediaProductType)
		}
	}
	ids := map[string]bool{}
	idRE := regexp.MustCompile(`^1[7-9]\d{15}$`)
	for _, m := range a.Media {
		for _, x := range append([]*Media{m}, m.Children...) {
			if ids[x.ID] || !idRE.MatchString(x.ID) {
				t.Errorf("bad or duplicate id %q", x.ID)
			}
			ids[x.ID] = true
		}
	}
}

func TestAccountsAndPages(t *testing.T) {
	ds := New(Options{Accounts: 3, PagesWithoutIG: 2, Media: 5, Now: func() time.Time { return t0 }}).Dataset()
	if len(ds.Accounts) != 3 || len(ds.Pages) != 5 {
		t.Fatalf("accounts %d pages %d", len(ds.Accounts), len(ds.Pages))
	}
	for i, a := range ds.Accounts {
		if want := fmt.Sprintf("178414%011d", i+1); a.ID != want || a.Username != fmt.Sprintf("igfake_%d", i+1) {
			t.Errorf("account %d = %s %s", i, a.ID, a.Username)
		}
		if p := ds.Page(a.PageID); p == nil || p.Account != a {
			t.Errorf("page of %s not linked", a.ID)
		}
	}
	without := 0
	for _, p := range ds.Pages {
		if p.Account == nil {
			without++
		}
	}
	if without != 2 {
		t.Errorf("pages without IG = %d, want 2", without)
	}
}

// TestDeterminism: the same options and clock give byte-identical bodies;
// another seed gives other values.
func TestDeterminism(t *testing.T) {
	paths := func(e *env) []string {
		a := e.srv.Dataset().Accounts[0]
		return []string{
			"/v23.0/" + a.ID + "?fields=id,ig_id,username,followers_count,follows_count,profile_picture_url",
			"/v23.0/" + a.ID + "/media?fields=id,caption,media_type,timestamp,like_count,children{id,media_url}&limit=40",
			"/v23.0/" + a.Media[1].ID + "/insights?metric=views,reach,likes,shares",
			"/v23.0/" + a.Stories[0].ID + "/insights?metric=navigation&breakdown=story_navigation_action_type",
			"/v23.0/" + a.ID + "/insights?metric=reach&period=day&since=1756710000&until=1759302000",
			"/v23.0/" + a.ID + "/insights?metric=follower_demographics&period=lifetime&metric_type=total_value&timeframe=this_month&breakdown=country",
			"/v23.0/" + a.ID + "/insights?metric=views&period=day", // an error: fbtrace_id sequence too
		}
	}
	run := func(seed int64) [][]byte {
		e := newEnv(t, Options{Seed: seed, Media: 60})
		var out [][]byte
		host := []byte(strings.ReplaceAll(e.ts.URL, "/", `\/`))
		for _, p := range paths(e) {
			out = append(out, bytes.ReplaceAll(e.get(p).raw, host, []byte("HOST")))
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("request %d differs between two runs with seed 7:\n%.300s\n%.300s", i, a[i], b[i])
		}
	}
	same := 0
	for i := range a {
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	if same == len(a) {
		t.Error("seed 8 served the same bodies as seed 7")
	}
}
