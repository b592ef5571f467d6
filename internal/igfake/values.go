package igfake

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// twoYears is how far back insights are served (D-729 is the oldest day).
const twoYears = 730 * 24 * time.Hour

// mediaValues computes every integer metric of m (lifetime values as of now;
// they do not change with the clock). Keys are metric names, plus the
// navigation and profile_activity breakdown buckets in lowercase.
func (d *Dataset) mediaValues(m *Media) map[string]int64 {
	r := func(metric string, lo, hi int64) int64 { return between(d.hash(m.ID, metric), lo, hi) }
	pct := func(metric string, base, lo, hi int64) int64 { return base * r(metric, lo, hi) / 100 }
	v := make(map[string]int64, 40) // every metric and bucket: no rehashing as it fills
	switch {
	case m.IsStory():
		v["views"] = r("views", 20, 800)
		if m.LowViewers {
			v["views"] = r("views", 0, 4)
		}
	case m.MediaProductType == "REELS":
		v["views"] = r("views", 1000, 40000)
	case m.MediaType == "VIDEO":
		v["views"] = r("views", 300, 6000)
	default:
		v["views"] = r("views", 200, 4000)
	}
	v["reach"] = pct("reach", v["views"], 50, 85)
	if m.IsStory() {
		v["replies"] = pct("replies", v["reach"], 0, 3)
		v["shares"] = pct("shares", v["reach"], 0, 2)
		v["total_interactions"] = v["replies"] + v["shares"]
		v["follows"] = pct("follows", v["reach"], 0, 2)
		v["profile_visits"] = pct("profile_visits", v["reach"], 0, 6)
		v["link_clicks"] = pct("link_clicks", v["reach"], 0, 4)
		v["tap_forward"] = pct("tap_forward", v["views"], 40, 70)
		v["tap_back"] = pct("tap_back", v["views"], 3, 12)
		v["tap_exit"] = pct("tap_exit", v["views"], 5, 15)
		v["swipe_forward"] = pct("swipe_forward", v["views"], 2, 10)
		v["navigation"] = v["tap_forward"] + v["tap_back"] + v["tap_exit"] + v["swipe_forward"]
	} else {
		v["likes"] = pct("likes", v["reach"], 2, 12)
		v["comments"] = pct("comments", v["likes"], 0, 20)
		v["saved"] = pct("saved", v["likes"], 0, 25)
		v["shares"] = pct("shares", v["likes"], 0, 25)
		v["total_interactions"] = v["likes"] + v["comments"] + v["saved"] + v["shares"]
		v["total_likes"] = v["likes"] + pct("total_likes", v["likes"], 0, 10)
		v["total_comments"] = v["comments"] + pct("total_comments", v["comments"], 0, 10)
	}
	v["reposts"] = pct("reposts", v["shares"], 0, 30)
	v["total_views"] = v["views"] + pct("total_views", v["views"], 0, 10)
	if m.SharedToFacebook {
		v["facebook_views"] = pct("facebook_views", v["views"], 5, 30)
		if m.MediaProductType == "REELS" {
			v["crossposted_views"] = v["views"] + v["facebook_views"]
		}
	}
	if m.MediaProductType == "REELS" {
		v["ig_reels_avg_watch_time"] = r("ig_reels_avg_watch_time", 1500, 14000)
		v["ig_reels_video_view_total_time"] = v["ig_reels_avg_watch_time"] * v["views"] * r("replays", 100, 130) / 100
	} else {
		if !m.IsStory() {
			v["follows"] = pct("follows", v["reach"], 0, 2)
			v["profile_visits"] = pct("profile_visits", v["reach"], 0, 6)
		}
		total := int64(0)
		for _, a := range actionTypes {
			x := r("profile_activity/"+a, 0, 9) * v["profile_visits"] / 10
			if d.hash(m.ID, "pa0", a)%3 == 0 {
				x = 0
			}
			v[a] = x
			total += x
		}
		v["profile_activity"] = total
	}
	return v
}

// actionTypes are the profile_activity breakdown values (lowercase, as the
// sample responses show them).
var actionTypes = []string{"bio_link_clicked", "call", "direction", "email", "other", "text"}

// navigationTypes are the story_navigation_action_type values.
var navigationTypes = []string{"tap_forward", "tap_back", "tap_exit", "swipe_forward"}

// mediaServed says whether media insights of m are served at all now, and
// the error that answers them otherwise (nil and false: empty data). names
// are the metrics asked; lowViewerMetric is Faults.LowViewerMetric: when
// set, a low-viewer story refuses only a request naming that metric (nil
// names: the question is about the story as a whole, which is refused).
func (d *Dataset) mediaServed(m *Media, names []string, lowViewerMetric string) (bool, *apiError) {
	now := d.now()
	switch {
	case m.IsChild() || m.DeletedAfterListing:
		return false, errUnsupportedGet("GET", m.ID)
	case m.NoInsightsPermission:
		return false, errNoPermission()
	case !d.convertedAt.IsZero() && m.Timestamp.Before(d.convertedAt):
		return false, errPreConversion()
	case m.IsStory() && m.LowViewers && (lowViewerMetric == "" || names == nil || slices.Contains(names, lowViewerMetric)):
		return false, errNotEnoughViewers()
	case m.IsStory() && now.Sub(m.Timestamp) >= 24*time.Hour:
		return false, nil // story insights vanish after 24 h
	case now.Sub(m.Timestamp) >= twoYears:
		return false, nil
	}
	return true, nil
}

// MediaInsight returns the value GET /{media-id}/insights answers for a
// feed, reel or carousel media and metric, and whether it answers one at all
// (false for a metric invalid for the product type, a carousel child, media
// posted before ConvertedAt, media older than two years, or
// facebook_views/crossposted_views on media not shared to Facebook).
// reels_skip_rate is a float: see ReelsSkipRate.
func (d *Dataset) MediaInsight(mediaID, metric string) (int64, bool) {
	m := d.Media(mediaID)
	if m == nil {
		return 0, false
	}
	mm, ok := mediaMetricByName[metric]
	if !ok || !mm.validFor(m) || mm.float || mm.crosspost && !m.SharedToFacebook {
		return 0, false
	}
	if served, _ := d.mediaServed(m, []string{metric}, d.lowViewerMetric); !served {
		return 0, false
	}
	v, ok := d.mediaValues(m)[metric]
	return v, ok
}

// StoryInsight is MediaInsight for stories. Besides the metrics it answers
// the navigation buckets tap_forward, tap_back, tap_exit and swipe_forward
// (which sum to navigation). Low-viewer stories and stories older than 24
// hours answer nothing.
func (d *Dataset) StoryInsight(storyID, metric string) (int64, bool) {
	m := d.Media(storyID)
	if m == nil || !m.IsStory() {
		return 0, false
	}
	if slices.Contains(navigationTypes, metric) {
		if served, _ := d.mediaServed(m, []string{"navigation"}, d.lowViewerMetric); !served {
			return 0, false
		}
		return d.mediaValues(m)[metric], true
	}
	return d.MediaInsight(storyID, metric)
}

// ProfileActivityBucket returns the action_type bucket (bio_link_clicked,
// call, direction, email, other, text) of a feed media's profile_activity
// as breakdown=action_type answers it, and whether it answers that bucket
// (buckets of 0 are left out, as Meta does).
func (d *Dataset) ProfileActivityBucket(mediaID, bucket string) (int64, bool) {
	if _, ok := d.MediaInsight(mediaID, "profile_activity"); !ok || !slices.Contains(actionTypes, bucket) {
		return 0, false
	}
	v := d.mediaValues(d.Media(mediaID))[bucket]
	return v, v > 0
}

// ReelsSkipRate returns the reels_skip_rate percentage of a reel.
func (d *Dataset) ReelsSkipRate(mediaID string) (float64, bool) {
	m := d.Media(mediaID)
	if m == nil || m.MediaProductType != "REELS" {
		return 0, false
	}
	if served, _ := d.mediaServed(m, []string{"reels_skip_rate"}, d.lowViewerMetric); !served {
		return 0, false
	}
	// A percentage with one decimal that is never 0 (48.4): a value that
	// rounds to an integer would hide a column typed as an integer.
	x := between(d.hash(m.ID, "reels_skip_rate"), 50, 699)
	if x%10 == 0 {
		x++
	}
	return float64(x) / 10, true
}

// ---- account insights ----

// day is a calendar date as days since 1970-01-01.
type day int

func dayOf(t time.Time, loc *time.Location) day {
	y, m, dd := t.In(loc).Date()
	return day(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// start is local midnight at the beginning of the day.
func (x day) start(loc *time.Location) time.Time {
	t := time.Unix(int64(x)*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// end is local midnight after the day: the end_time Graph gives the day's value.
func (x day) end(loc *time.Location) time.Time { return (x + 1).start(loc) }

func (x day) String() string { return time.Unix(int64(x)*86400, 0).UTC().Format(time.DateOnly) }

// today is the current day in the account's Location.
func (d *Dataset) today() day { return dayOf(d.now(), d.loc) }

// userDays are the daily account metrics UserInsight knows, with the
// pseudo-metrics follows and unfollows (follows_and_unfollows by follow_type).
var userDayMetrics = []string{"reach", "follower_count", "views", "accounts_engaged", "total_interactions",
	"likes", "comments", "shares", "saves", "replies", "reposts", "profile_links_taps",
	"follows_and_unfollows", "follows", "unfollows", "profile_views", "website_clicks"}

// needs100 are the metrics not returned for accounts under 100 followers.
var needs100 = map[string]bool{"follower_count": true, "online_followers": true,
	"follows_and_unfollows": true, "follows": true, "unfollows": true, "follower_demographics": true}

// UserInsight returns the value of a daily account metric for one calendar
// day in the account's Location (only the year, month and day of the given
// time are used), and whether the API serves that day: complete days from
// D-729 to yesterday (follower_count: the last 30 days), nothing for
// accounts under 100 followers where Graph returns nothing. Metrics are those
// of graph-api.md §7.1 plus "follows" and "unfollows", the FOLLOWER and
// NON_FOLLOWER buckets of follows_and_unfollows; follower_count (new
// followers per day) equals follows.
func (d *Dataset) UserInsight(accountID, metric string, date time.Time) (int64, bool) {
	a := d.Account(accountID)
	if a == nil || !slices.Contains(userDayMetrics, metric) {
		return 0, false
	}
	y, m, dd := date.Date()
	x := dayOf(time.Date(y, m, dd, 12, 0, 0, 0, time.UTC), time.UTC)
	if !d.dayServed(a, metric, x) {
		return 0, false
	}
	return d.dayValues(a, x)[metric], true
}

func (d *Dataset) dayServed(a *Account, metric string, x day) bool {
	t := d.today()
	if x >= t || x < t-729 || needs100[metric] && a.FollowersCount < 100 {
		return false
	}
	return metric != "follower_count" && metric != "online_followers" || x >= t-30
}

// dayValues computes all daily account metrics of one day.
func (d *Dataset) dayValues(a *Account, x day) map[string]int64 {
	ds := x.String()
	r := func(metric string, lo, hi int64) int64 { return between(d.hash(a.ID, ds, metric), lo, hi) }
	pct := func(metric string, base, lo, hi int64) int64 { return base * r(metric, lo, hi) / 100 }
	v := map[string]int64{}
	v["reach"] = pct("reach", a.FollowersCount, 5, 25) + r("reach0", 3, 40)
	v["views"] = pct("views", v["reach"], 150, 300)
	v["accounts_engaged"] = pct("accounts_engaged", v["reach"], 3, 12)
	v["likes"] = pct("likes", v["reach"], 2, 8)
	v["comments"] = pct("comments", v["likes"], 2, 20)
	v["shares"] = pct("shares", v["likes"], 2, 20)
	v["saves"] = pct("saves", v["likes"], 2, 25)
	v["replies"] = r("replies", 0, 3+a.FollowersCount/1000)
	v["reposts"] = pct("reposts", v["shares"], 0, 30)
	v["total_interactions"] = v["likes"] + v["comments"] + v["shares"] + v["saves"]
	v["profile_links_taps"] = pct("profile_links_taps", v["reach"], 0, 2)
	v["follows"] = a.FollowersCount*r("follows", 1, 10)/1000 + r("follows0", 0, 3)
	v["unfollows"] = pct("unfollows", v["follows"], 10, 60)
	v["follows_and_unfollows"] = v["follows"] + v["unfollows"]
	v["follower_count"] = v["follows"]
	v["profile_views"] = pct("profile_views", v["reach"], 2, 10)
	v["website_clicks"] = pct("website_clicks", v["profile_views"], 0, 20)
	return v
}

// splits are the breakdown buckets of a daily metric, per breakdown.
var splits = map[string][]string{
	"media_product_type": {"POST", "CAROUSEL_CONTAINER", "REEL", "STORY", "AD"},
	"follow_type":        {"FOLLOWER", "NON_FOLLOWER", "UNKNOWN"},
}

// split divides v over the buckets of a breakdown deterministically; AD and
// UNKNOWN stay 0 (and are therefore omitted from results).
func (d *Dataset) split(a *Account, x day, metric, breakdown string, v int64) []int64 {
	keys := splits[breakdown]
	out := make([]int64, len(keys))
	var w []int64
	var sum int64
	for _, k := range keys {
		wk := int64(0)
		if k != "AD" && k != "UNKNOWN" {
			wk = between(d.hash(a.ID, x.String(), metric, breakdown, k), 1, 10)
		}
		w = append(w, wk)
		sum += wk
	}
	rest := v
	last := 0
	for i := range keys {
		if w[i] > 0 {
			out[i] = v * w[i] / sum
			rest -= out[i]
			last = i
		}
	}
	out[last] += rest
	return out
}

// OnlineFollowers returns the online_followers value (followers online per
// hour 0–23) served today for the account without since/until (the map of
// yesterday), nil under 100 followers.
func (d *Dataset) OnlineFollowers(accountID string) map[int]int64 {
	a := d.Account(accountID)
	if a == nil {
		return nil
	}
	return d.onlineFollowers(a, d.today()-1)
}

// OnlineFollowersOn returns the online_followers map of one calendar day in
// the account's Location (only the date of the given time is used; its
// end_time is the day's end), and whether the API serves that day: the
// last 30 complete days, nothing under 100 followers.
func (d *Dataset) OnlineFollowersOn(accountID string, date time.Time) (map[int]int64, bool) {
	a := d.Account(accountID)
	if a == nil {
		return nil, false
	}
	y, m, dd := date.Date()
	x := dayOf(time.Date(y, m, dd, 12, 0, 0, 0, time.UTC), time.UTC)
	if !d.dayServed(a, "online_followers", x) {
		return nil, false
	}
	return d.onlineFollowers(a, x), true
}

// onlineFollowers computes the hourly map of day x (nil under 100 followers).
func (d *Dataset) onlineFollowers(a *Account, x day) map[int]int64 {
	if a.FollowersCount < 100 {
		return nil
	}
	ds := (x + 1).String() // the map served on day x+1 describes day x
	out := make(map[int]int64, 24)
	for h := range 24 {
		curve := int64(10 + 30*(12-abs(h-19)%12)/12) // evening peak
		out[h] = a.FollowersCount * (curve + between(d.hash(a.ID, ds, "online", string(rune('a'+h))), 0, 10)) / 100
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Bucket is one demographic result: the dimension values in the order of the
// requested breakdown keys, and the value.
type Bucket struct {
	Dims  []string
	Value int64
}

var demoVocab = map[string][]string{
	"age":    {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"},
	"gender": {"F", "M", "U"},
	"country": strings.Fields(`US BR IN GB MX DE FR IT ES CA AU AR CO ID TR JP KR NL PL SE PH TH VN NG ZA EG SA AE
		CL PE PT BE CH AT IE DK NO FI GR RO CZ HU IL MY SG NZ PK BD KE MA UA`),
	"city": {"Los Angeles, California", "New York, New York", "Chicago, Illinois", "Houston, Texas",
		"Phoenix, Arizona", "Philadelphia, Pennsylvania", "San Antonio, Texas", "San Diego, California",
		"Dallas, Texas", "Austin, Texas", "Seattle, Washington", "Denver, Colorado", "Boston, Massachusetts",
		"Miami, Florida", "Atlanta, Georgia", "Portland, Oregon", "London, England", "Manchester, England",
		"Paris, Île-de-France", "Lyon, Auvergne-Rhône-Alpes", "Berlin, Berlin", "Munich, Bavaria",
		"Madrid, Community of Madrid", "Barcelona, Catalonia", "Rome, Lazio", "Milan, Lombardy",
		"São Paulo, São Paulo (state)", "Rio de Janeiro, Rio de Janeiro (state)", "Mexico City, Distrito Federal",
		"Guadalajara, Jalisco", "Buenos Aires, Buenos Aires", "Bogotá, Distrito Especial", "Lima, Lima Region",
		"Toronto, Ontario", "Vancouver, British Columbia", "Montreal, Quebec", "Sydney, New South Wales",
		"Melbourne, Victoria", "Tokyo, Tokyo", "Osaka, Osaka", "Seoul, Seoul", "Mumbai, Maharashtra",
		"Delhi, Delhi", "Bangalore, Karnataka", "Jakarta, Jakarta", "Istanbul, Istanbul Province",
		"Lagos, Lagos State", "Cairo, Cairo Governorate", "Dubai, Dubai", "Amsterdam, North Holland"},
}

// demographicsTotal is the population a demographic metric spreads over.
func (d *Dataset) demographicsTotal(a *Account, metric, timeframe string) int64 {
	r := func(lo, hi int64) int64 { return between(d.hash(a.ID, metric, timeframe, "total"), lo, hi) }
	switch metric {
	case "follower_demographics":
		return a.FollowersCount * r(80, 95) / 100
	case "engaged_audience_demographics":
		if timeframe == "this_week" {
			return a.FollowersCount * r(3, 7) / 100
		}
		return a.FollowersCount * r(8, 20) / 100
	default: // reached_audience_demographics
		return a.FollowersCount * r(25, 50) / 100
	}
}

// weights returns the relative weight of every value of one breakdown key.
func (d *Dataset) weights(a *Account, metric, key string) []int64 {
	vocab := demoVocab[key]
	w := make([]int64, len(vocab))
	for i, v := range vocab {
		h := d.hash(a.ID, metric, key, v)
		switch {
		case key == "gender" && v == "U":
			w[i] = between(h, 2, 5)
		case key == "country" && v == "US":
			w[i] = 400
		case key == "country" || key == "city":
			w[i] = between(h, 0, 40) * between(h>>20, 0, 3)
		default:
			w[i] = between(h, 5, 60)
		}
	}
	return w
}

// Demographics returns what the API answers for a demographic metric
// (follower_demographics, engaged_audience_demographics,
// reached_audience_demographics), breakdown ("age", "gender", "country",
// "city", or a comma list such as "age,gender") and timeframe, in response
// order: zero buckets omitted, at most the top 45, unsorted. Nil when the
// account is under 100 followers.
func (d *Dataset) Demographics(accountID, metric, breakdown, timeframe string) []Bucket {
	a := d.Account(accountID)
	if a == nil || a.FollowersCount < 100 {
		return nil
	}
	keys := strings.Split(breakdown, ",")
	for _, k := range keys {
		if demoVocab[k] == nil {
			return nil
		}
	}
	total := d.demographicsTotal(a, metric, timeframe)
	ws := make([][]int64, len(keys))
	sums := make([]int64, len(keys))
	for i, k := range keys {
		ws[i] = d.weights(a, metric, k)
		for _, x := range ws[i] {
			sums[i] += x
		}
	}
	var out []Bucket
	idx := make([]int, len(keys))
	for {
		b := Bucket{Value: total}
		for i, k := range keys {
			b.Dims = append(b.Dims, demoVocab[k][idx[i]])
			if sums[i] == 0 {
				b.Value = 0
			} else {
				b.Value = b.Value * ws[i][idx[i]] / sums[i]
			}
		}
		if b.Value > 0 {
			out = append(out, b)
		}
		i := len(keys) - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < len(demoVocab[keys[i]]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	geo := slices.Contains(keys, "country") || slices.Contains(keys, "city")
	if len(out) > 45 || geo {
		// Keep the top 45, then serve them unsorted (Graph does not sort geo buckets).
		slices.SortStableFunc(out, func(x, y Bucket) int { return cmp.Compare(y.Value, x.Value) })
		out = out[:min(len(out), 45)]
		slices.SortStableFunc(out, func(x, y Bucket) int {
			return cmp.Compare(d.hash(strings.Join(x.Dims, ",")), d.hash(strings.Join(y.Dims, ",")))
		})
	}
	return out
}
