package igfake

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Dataset is everything the emulator serves. It is built once by New from
// the seed and the clock and never changes afterwards (stories still drop out
// of /stories as the clock moves past their 24 hours), so it is safe to read
// concurrently. Value functions (MediaInsight, UserInsight, …) return exactly
// the numbers the API answers, for tests that check exported rows.
type Dataset struct {
	// Accounts are the IG business accounts, in /me/accounts order.
	Accounts []*Account
	// Pages are the Facebook Pages of /me/accounts, with and without an IG account.
	Pages []*Page
	// UserID and UserName describe the token's Facebook user (GET /me).
	UserID, UserName string
	// Generated is the clock reading New built the data at: media and story
	// timestamps are relative to it.
	Generated time.Time

	seed        int64
	loc         *time.Location
	now         func() time.Time
	lowViewers  int
	convertedAt time.Time
	// lowViewerMetric is Faults.LowViewerMetric, sharedToFacebook
	// Options.SharedToFacebook.
	lowViewerMetric, sharedToFacebook string
	objects                           map[string]any // id → *Account, *Media or *Page
}

// Account is one IG business (professional) account.
type Account struct {
	ID                    string
	IGID                  int64 // legacy ig_id
	LegacyInstagramUserID string
	Username              string
	Name                  string
	Biography             string
	Website               string
	ProfilePictureURL     string
	FollowersCount        int64
	FollowsCount          int64
	MediaCount            int64
	PageID                string
	// Media are the account's published media, newest first.
	Media []*Media
	// Stories are the account's stories, newest first; /stories lists the ones
	// younger than 24 hours.
	Stories []*Media
}

// Page is a Facebook Page listed by /me/accounts.
type Page struct {
	ID       string
	Name     string
	Category string
	// Account is the linked IG business account, nil for a Page without one.
	Account *Account
}

// Media is an IG media object: a feed post, reel, carousel, carousel child or story.
type Media struct {
	ID                     string
	IGID                   string
	LegacyInstagramMediaID string
	AccountID              string
	Username               string
	Caption                string // "" when the media has none (children never have one)
	MediaType              string // IMAGE, VIDEO, CAROUSEL_ALBUM
	MediaProductType       string // FEED, REELS, STORY
	MediaURL               string // "" when Graph omits it (copyrighted audio)
	ThumbnailURL           string // VIDEO only
	Permalink              string // "" on carousel children
	Shortcode              string // "" on carousel children
	Timestamp              time.Time
	LikeCount              int64
	CommentsCount          int64
	// LikesHidden: the owner hid like counts, so like_count is omitted when the
	// media is read through an edge or field expansion.
	LikesHidden      bool
	IsCommentEnabled bool
	// SharedToFacebook: crossposted reels answer facebook_views/crossposted_views;
	// other media answer -1/2207086 "Fatal".
	SharedToFacebook bool
	AltText          string
	// Children are the slides of a CAROUSEL_ALBUM.
	Children []*Media
	// ParentID is the carousel of a child ("" otherwise).
	ParentID string
	// FailsAlone: GET /{id} of this child fails (Faults.FailingChildren).
	FailsAlone bool
	// LowViewers: the story answers "(#10) Not enough viewers…" on insights.
	LowViewers bool
	// DeletedAfterListing: the media is listed, but its insights answer
	// 100/33 as for an object deleted in between (Options.DeletedMedia).
	DeletedAfterListing bool
	// NoInsightsPermission: its insights answer "(#10) Application does not
	// have permission for this action" (Options.NoPermissionMedia).
	NoInsightsPermission bool
}

// IsStory reports whether m is a story.
func (m *Media) IsStory() bool { return m.MediaProductType == "STORY" }

// IsChild reports whether m is a carousel child.
func (m *Media) IsChild() bool { return m.ParentID != "" }

// Account returns the account with that IG user id, or nil.
func (d *Dataset) Account(id string) *Account {
	a, _ := d.objects[id].(*Account)
	return a
}

// Media returns the media, child or story with that id, or nil.
func (d *Dataset) Media(id string) *Media {
	m, _ := d.objects[id].(*Media)
	return m
}

// Page returns the Page with that id, or nil.
func (d *Dataset) Page(id string) *Page {
	p, _ := d.objects[id].(*Page)
	return p
}

// LiveStories returns the account's stories younger than 24 hours at the
// current clock, newest first.
func (d *Dataset) LiveStories(a *Account) []*Media {
	now := d.now()
	var out []*Media
	for _, s := range a.Stories {
		if now.Sub(s.Timestamp) < 24*time.Hour && !s.Timestamp.After(now) {
			out = append(out, s)
		}
	}
	return out
}

// hash derives a deterministic 64-bit value from the seed and parts: FNV-1a
// over the seed's 8 little-endian bytes, then each part followed by a zero
// byte (written out, so that no part is copied to a []byte).
func (d *Dataset) hash(parts ...string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	seed := uint64(d.seed)
	for i := 0; i < 8; i++ {
		h = (h ^ (seed >> (8 * i) & 0xff)) * prime
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * prime
		}
		h *= prime // ^ 0
	}
	return splitmix(h)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// between maps h onto [lo, hi].
func between(h uint64, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(h%uint64(hi-lo+1))
}

// mediaKinds is the cycle of media types by position (newest first): every
// 10th media is a carousel, the rest a mix of reels, feed images and feed videos.
var mediaKinds = [10][2]string{
	{"CAROUSEL_ALBUM", "FEED"}, {"VIDEO", "REELS"}, {"IMAGE", "FEED"}, {"VIDEO", "FEED"}, {"VIDEO", "REELS"},
	{"IMAGE", "FEED"}, {"IMAGE", "FEED"}, {"VIDEO", "REELS"}, {"IMAGE", "FEED"}, {"VIDEO", "FEED"},
}

var captionWords = strings.Fields(`sunrise coffee studio launch behind the scenes new drop weekend
team recipe travel city lights summer winter collection workshop giveaway tutorial morning
community update product design market sale event thank you`)

var captionEmoji = []string{"☀️", "🎉", "📸", "✨", "🌊", "☕", "🔥", "💡"}

// build generates the dataset.
func build(o *Options, now time.Time) *Dataset {
	d := &Dataset{
		UserID: "100000000000001", UserName: "IGFake Owner",
		Generated: now, seed: o.Seed, loc: o.Location, now: o.Now,
		lowViewers: o.LowViewerStories, convertedAt: o.ConvertedAt,
		lowViewerMetric: o.Faults.LowViewerMetric, sharedToFacebook: o.SharedToFacebook,
		objects: map[string]any{},
	}
	pageSeq := 0
	nextPage := func() string { pageSeq++; return fmt.Sprintf("1%014d", 100000+pageSeq) }
	var orphans []*Page
	for i := 1; i <= o.Accounts; i++ {
		a := d.buildAccount(o, i, now)
		a.PageID = nextPage()
		p := &Page{ID: a.PageID, Name: fmt.Sprintf("IGFake Page %d", i), Category: "Brand", Account: a}
		d.Accounts = append(d.Accounts, a)
		d.Pages = append(d.Pages, p)
		d.objects[a.ID], d.objects[p.ID] = a, p
		if i <= o.PagesWithoutIG {
			q := &Page{ID: nextPage(), Name: fmt.Sprintf("IGFake Page without Instagram %d", i), Category: "Local business"}
			d.Pages = append(d.Pages, q) // interleaved with the linked pages
			d.objects[q.ID] = q
		}
	}
	for i := o.Accounts + 1; i <= o.PagesWithoutIG; i++ {
		q := &Page{ID: nextPage(), Name: fmt.Sprintf("IGFake Page without Instagram %d", i), Category: "Local business"}
		orphans = append(orphans, q)
		d.objects[q.ID] = q
	}
	d.Pages = append(d.Pages, orphans...)
	return d
}

func (d *Dataset) buildAccount(o *Options, i int, now time.Time) *Account {
	id := fmt.Sprintf("178414%011d", i)
	a := &Account{
		ID:                    id,
		IGID:                  5000000000 + int64(i)*7919 + between(d.hash(id, "igid"), 0, 7000),
		LegacyInstagramUserID: fmt.Sprintf("%d", 17000000000+between(d.hash(id, "legacy"), 0, 999999999)),
		Username:              fmt.Sprintf("igfake_%d", i),
		Name:                  fmt.Sprintf("IGFake Account %d", i),
		Biography:             fmt.Sprintf("Account %d of the igexport emulator ✨ Data is synthetic.", i),
		Website:               fmt.Sprintf("https://example.com/igfake_%d", i),
		FollowersCount:        int64(o.Followers),
		FollowsCount:          between(d.hash(id, "follows_count"), 50, 900),
		MediaCount:            int64(o.Media),
	}
	a.ProfilePictureURL = d.cdnURL(id, "t51.2885-19", "jpg", now)
	span := 720 * 24 * time.Hour
	step := span / time.Duration(max(o.Media, 1))
	childSeq := 0
	failing := o.Faults.FailingChildren
	for j := 0; j < o.Media; j++ {
		mid := fmt.Sprintf("17%04d%011d", i, j+1)
		jitter := time.Duration(between(d.hash(mid, "ts"), 0, int64(step/3)))
		ts := now.Add(-time.Duration(j+1)*step + jitter).Truncate(time.Second).UTC()
		kind := mediaKinds[j%10]
		m := d.newMedia(a, mid, kind[0], kind[1], ts, now)
		if m.MediaType == "CAROUSEL_ALBUM" {
			for c := 0; c < o.Children; c++ {
				childSeq++
				cid := fmt.Sprintf("18%04d%011d", i, childSeq)
				ct := "IMAGE"
				if c%3 == 2 {
					ct = "VIDEO"
				}
				ch := d.newMedia(a, cid, ct, "FEED", ts, now)
				ch.ParentID, ch.Caption, ch.Permalink, ch.Shortcode = m.ID, "", "", ""
				ch.LikeCount, ch.CommentsCount, ch.LikesHidden, ch.AltText = 0, 0, false, ""
				if failing > 0 {
					ch.FailsAlone = true
					failing--
				}
				m.Children = append(m.Children, ch)
				d.objects[cid] = ch
			}
		}
		m.DeletedAfterListing = j < o.DeletedMedia
		m.NoInsightsPermission = j >= o.DeletedMedia && j < o.DeletedMedia+o.NoPermissionMedia
		a.Media = append(a.Media, m)
		d.objects[mid] = m
	}
	for k := 0; k < o.Stories; k++ {
		sid := fmt.Sprintf("19%04d%011d", i, k+1)
		ts := now.Add(-time.Duration(k+1) * 23 * time.Hour / time.Duration(o.Stories+1)).Truncate(time.Second).UTC()
		st := "IMAGE"
		if k%2 == 1 {
			st = "VIDEO"
		}
		s := d.newMedia(a, sid, st, "STORY", ts, now)
		s.Permalink = fmt.Sprintf("https://www.instagram.com/stories/%s/%s/", a.Username, s.IGID)
		s.LikeCount, s.CommentsCount, s.LikesHidden = 0, 0, false
		s.LowViewers = k < d.lowViewers
		a.Stories = append(a.Stories, s)
		d.objects[sid] = s
	}
	return a
}

func (d *Dataset) newMedia(a *Account, id, mediaType, product string, ts, now time.Time) *Media {
	h := d.hash(id, "media")
	m := &Media{
		ID: id, AccountID: a.ID, Username: a.Username,
		IGID:                   fmt.Sprintf("%d", 3000000000000000000+int64(h>>4)%999999999999999999),
		LegacyInstagramMediaID: fmt.Sprintf("%d_%d", 2000000000000000000+int64(h>>5)%999999999999999999, a.IGID),
		MediaType:              mediaType, MediaProductType: product, Timestamp: ts,
		IsCommentEnabled: h%20 != 0,
		LikesHidden:      h%15 == 7 && mediaType != "CAROUSEL_ALBUM",
		SharedToFacebook: d.sharedToFacebook == "all" || d.sharedToFacebook == "" && product == "REELS" && h%3 == 0,
	}
	var sc [8]byte
	binary.BigEndian.PutUint64(sc[:], d.hash(id, "shortcode"))
	m.Shortcode = strings.TrimRight(base64.RawURLEncoding.EncodeToString(sc[:]), "=")
	switch product {
	case "REELS":
		m.Permalink = "https://www.instagram.com/reel/" + m.Shortcode + "/"
	default:
		m.Permalink = "https://www.instagram.com/p/" + m.Shortcode + "/"
	}
	switch mediaType {
	case "VIDEO":
		m.MediaURL = d.cdnURL(id, "o1/v/t16", "mp4", now)
		m.ThumbnailURL = d.cdnURL(id+"t", "t51.29350-15", "jpg", now)
		if h%25 == 3 && product == "REELS" {
			m.MediaURL = "" // copyrighted audio
		}
	default:
		m.MediaURL = d.cdnURL(id, "t51.29350-15", "jpg", now)
		m.AltText = "Photo by " + a.Username
	}
	if h%11 != 5 {
		var words []string
		for k := range 3 + int(h%6) {
			words = append(words, captionWords[d.hash(id, "w", fmt.Sprint(k))%uint64(len(captionWords))])
		}
		m.Caption = strings.Join(words, " ")
		if h%4 == 0 {
			m.Caption += " " + captionEmoji[h%uint64(len(captionEmoji))]
		}
		m.Caption += " #igfake"
	}
	if product != "STORY" {
		v := d.mediaValues(m)
		m.LikeCount, m.CommentsCount = v["likes"], v["comments"]
	}
	return m
}

// cdnURL makes a signed-looking CDN URL with an oe= expiry ~32 h after now.
func (d *Dataset) cdnURL(id, path, ext string, now time.Time) string {
	h := d.hash(id, "cdn", path)
	host := "scontent.cdninstagram.com"
	if ext == "mp4" {
		host = "video.cdninstagram.com"
	}
	return fmt.Sprintf("https://%s/v/%s/%s_%d_n.%s?_nc_cat=1&_nc_sid=8ae9d6&_nc_ht=%s&oh=00_%016x&oe=%X",
		host, path, id, h%1000000000, ext, host, d.hash(id, "oh"), now.Add(32*time.Hour).Unix())
}
