// Package schema is the data contract of igexport: the streams, their
// kinds and primary keys, and the Go row types whose struct tags define the
// Parquet schemas of SPEC §3.
//
// Every other package (export, sinks, ddl) takes its column list from here,
// so a column is declared exactly once. Conventions, each one required by a
// query engine that reads the files as-is:
//
//   - nullable values are pointers (nil is NULL, 0 stays 0);
//   - timestamps are time.Time / *time.Time tagged timestamp(microsecond)
//     (UTC-adjusted); a bare time.Time would be NANOS;
//   - dates are int32 days since the Unix epoch tagged date (parquet-go's
//     date tag on time.Time writes wrong values in v0.32.0);
//   - lists carry the list tag (3-level LIST);
//   - counts are int64, never unsigned;
//   - dt and account_id are never columns: they live in the object key.
package schema

import (
	"fmt"
	"time"
)

// Version is written to every file as igexport.schema_version. Schema
// evolution within a version is additive only. Version 2 added the
// metrics of Graph API v24.0+ (media_insights, story_insights and
// user_insights columns named as the metrics). The opt-in comments stream
// came within version 2: a new stream is additive, no existing file changes.
const Version = "2"

// Stream names, fixed by SPEC §1.
const (
	Users                = "users"
	Media                = "media"
	MediaInsights        = "media_insights"
	Stories              = "stories"
	StoryInsights        = "story_insights"
	UserInsights         = "user_insights"
	UserLifetimeInsights = "user_lifetime_insights"
	// Comments is opt-in: not in the default streams list.
	Comments = "comments"
)

// Kind says how a stream's partitions are filled.
type Kind string

// The three stream kinds of SPEC §1.
const (
	// Snapshot streams write the state as of the run into the run date's partition.
	Snapshot Kind = "snapshot"
	// Merge streams partition by the item's own date and merge into it by key.
	Merge Kind = "merge"
	// Incremental streams fetch only what is new since the cursor, minus a re-read window.
	Incremental Kind = "incremental"
)

// StreamInfo describes one stream.
type StreamInfo struct {
	Name       string
	Kind       Kind
	PrimaryKey []string // columns, within one account
	// Row is a zero value of the stream's row type (for schema derivation).
	Row any
	// OptIn streams are exported only when the config's streams list names
	// them (comments: third-party content, and requests per media).
	OptIn bool
}

// Streams lists the streams in their canonical order: the seven of SPEC §1
// and the opt-in comments stream.
var Streams = []StreamInfo{
	{Users, Snapshot, []string{"id"}, User{}, false},
	{Media, Snapshot, []string{"id"}, MediaRow{}, false},
	{MediaInsights, Snapshot, []string{"id"}, MediaInsight{}, false},
	{Stories, Merge, []string{"id"}, Story{}, false},
	{StoryInsights, Merge, []string{"id"}, StoryInsight{}, false},
	{UserInsights, Incremental, []string{"date"}, UserInsight{}, false},
	{UserLifetimeInsights, Snapshot, []string{"metric", "timeframe", "breakdown", "age", "gender", "country", "city"}, LifetimeInsight{}, false},
	{Comments, Merge, []string{"id"}, Comment{}, true},
}

// Names returns the stream names in canonical order.
func Names() []string {
	out := make([]string, len(Streams))
	for i, s := range Streams {
		out[i] = s.Name
	}
	return out
}

// DefaultNames returns the streams exported when a config has no streams
// list: every stream but the opt-in ones, in canonical order.
func DefaultNames() []string {
	var out []string
	for _, s := range Streams {
		if !s.OptIn {
			out = append(out, s.Name)
		}
	}
	return out
}

// Lookup returns the stream with that name.
func Lookup(name string) (StreamInfo, bool) {
	for _, s := range Streams {
		if s.Name == name {
			return s, true
		}
	}
	return StreamInfo{}, false
}

// Row is implemented by every row type: Key returns the primary key (within
// one account) used to merge partitions, newest row wins.
type Row interface {
	Key() string
}

// User is one row of the users stream: the account's profile.
type User struct {
	ID                string    `parquet:"id"`
	IGID              *int64    `parquet:"ig_id,optional"`
	Username          *string   `parquet:"username,optional"`
	Name              *string   `parquet:"name,optional"`
	Biography         *string   `parquet:"biography,optional"`
	Website           *string   `parquet:"website,optional"`
	ProfilePictureURL *string   `parquet:"profile_picture_url,optional"`
	FollowersCount    *int64    `parquet:"followers_count,optional"`
	FollowsCount      *int64    `parquet:"follows_count,optional"`
	MediaCount        *int64    `parquet:"media_count,optional"`
	PageID            *string   `parquet:"page_id,optional"`
	FetchedAt         time.Time `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r User) Key() string { return r.ID }

// Child is one carousel child of a media row.
type Child struct {
	ID           string     `parquet:"id"`
	MediaType    *string    `parquet:"media_type,optional,dict"`
	MediaURL     *string    `parquet:"media_url,optional"`
	ThumbnailURL *string    `parquet:"thumbnail_url,optional"`
	Timestamp    *time.Time `parquet:"timestamp,optional,timestamp(microsecond)"`
}

// MediaRow is one row of the media stream: a published media object.
type MediaRow struct {
	ID               string     `parquet:"id"`
	IGID             *string    `parquet:"ig_id,optional"`
	Caption          *string    `parquet:"caption,optional"`
	MediaType        *string    `parquet:"media_type,optional,dict"`
	MediaProductType *string    `parquet:"media_product_type,optional,dict"`
	MediaURL         *string    `parquet:"media_url,optional"`
	ThumbnailURL     *string    `parquet:"thumbnail_url,optional"`
	Permalink        *string    `parquet:"permalink,optional"`
	Shortcode        *string    `parquet:"shortcode,optional"`
	Username         *string    `parquet:"username,optional,dict"`
	OwnerID          *string    `parquet:"owner_id,optional,dict"`
	Timestamp        *time.Time `parquet:"timestamp,optional,timestamp(microsecond)"`
	LikeCount        *int64     `parquet:"like_count,optional"`
	CommentsCount    *int64     `parquet:"comments_count,optional"`
	IsCommentEnabled *bool      `parquet:"is_comment_enabled,optional"`
	Children         []Child    `parquet:"children,optional,list"`
	FetchedAt        time.Time  `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r MediaRow) Key() string { return r.ID }

// Insights status values (SPEC §3).
const (
	StatusOK                       = "ok"
	StatusPartial                  = "partial"
	StatusNotEnoughViewers         = "not_enough_viewers"
	StatusBeforeBusinessConversion = "before_business_conversion"
	StatusUnsupported              = "unsupported"
	StatusPermissionDenied         = "permission_denied"
)

// MediaInsight is one row of media_insights: lifetime metrics of one media
// object as of the run. Watch times are milliseconds.
type MediaInsight struct {
	ID                        string     `parquet:"id"`
	MediaType                 *string    `parquet:"media_type,optional,dict"`
	MediaProductType          *string    `parquet:"media_product_type,optional,dict"`
	MediaTimestamp            *time.Time `parquet:"media_timestamp,optional,timestamp(microsecond)"`
	Views                     *int64     `parquet:"views,optional"`
	Reach                     *int64     `parquet:"reach,optional"`
	Likes                     *int64     `parquet:"likes,optional"`
	Comments                  *int64     `parquet:"comments,optional"`
	Saved                     *int64     `parquet:"saved,optional"`
	Shares                    *int64     `parquet:"shares,optional"`
	TotalInteractions         *int64     `parquet:"total_interactions,optional"`
	Follows                   *int64     `parquet:"follows,optional"`
	ProfileVisits             *int64     `parquet:"profile_visits,optional"`
	IGReelsAvgWatchTime       *int64     `parquet:"ig_reels_avg_watch_time,optional"`
	IGReelsVideoViewTotalTime *int64     `parquet:"ig_reels_video_view_total_time,optional"`
	Reposts                   *int64     `parquet:"reposts,optional"`
	CrosspostedViews          *int64     `parquet:"crossposted_views,optional"`
	FacebookViews             *int64     `parquet:"facebook_views,optional"`
	ProfileActivity           *int64     `parquet:"profile_activity,optional"`
	TotalLikes                *int64     `parquet:"total_likes,optional"`
	TotalComments             *int64     `parquet:"total_comments,optional"`
	TotalViews                *int64     `parquet:"total_views,optional"`
	// ReelsSkipRate is a percentage with decimals (48.4), never rounded.
	ReelsSkipRate *float64 `parquet:"reels_skip_rate,optional"`
	// ProfileActivity<Bucket> are the action_type breakdown of
	// profile_activity (NULL where the API gave no bucket).
	ProfileActivityBioLinkClicked *int64    `parquet:"profile_activity_bio_link_clicked,optional"`
	ProfileActivityCall           *int64    `parquet:"profile_activity_call,optional"`
	ProfileActivityDirection      *int64    `parquet:"profile_activity_direction,optional"`
	ProfileActivityEmail          *int64    `parquet:"profile_activity_email,optional"`
	ProfileActivityText           *int64    `parquet:"profile_activity_text,optional"`
	InsightsStatus                string    `parquet:"insights_status,dict"`
	FetchedAt                     time.Time `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r MediaInsight) Key() string { return r.ID }

// Story is one row of the stories stream: a story live at run time.
type Story struct {
	ID               string     `parquet:"id"`
	IGID             *string    `parquet:"ig_id,optional"`
	Caption          *string    `parquet:"caption,optional"`
	MediaType        *string    `parquet:"media_type,optional,dict"`
	MediaProductType *string    `parquet:"media_product_type,optional,dict"`
	MediaURL         *string    `parquet:"media_url,optional"`
	ThumbnailURL     *string    `parquet:"thumbnail_url,optional"`
	Permalink        *string    `parquet:"permalink,optional"`
	Shortcode        *string    `parquet:"shortcode,optional"`
	Username         *string    `parquet:"username,optional,dict"`
	OwnerID          *string    `parquet:"owner_id,optional,dict"`
	Timestamp        *time.Time `parquet:"timestamp,optional,timestamp(microsecond)"`
	LikeCount        *int64     `parquet:"like_count,optional"`
	FetchedAt        time.Time  `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r Story) Key() string { return r.ID }

// StoryInsight is one row of story_insights.
type StoryInsight struct {
	ID                string     `parquet:"id"`
	StoryTimestamp    *time.Time `parquet:"story_timestamp,optional,timestamp(microsecond)"`
	Views             *int64     `parquet:"views,optional"`
	Reach             *int64     `parquet:"reach,optional"`
	Replies           *int64     `parquet:"replies,optional"`
	Shares            *int64     `parquet:"shares,optional"`
	TotalInteractions *int64     `parquet:"total_interactions,optional"`
	Follows           *int64     `parquet:"follows,optional"`
	ProfileVisits     *int64     `parquet:"profile_visits,optional"`
	Navigation        *int64     `parquet:"navigation,optional"`
	TapForward        *int64     `parquet:"tap_forward,optional"`
	TapBack           *int64     `parquet:"tap_back,optional"`
	TapExit           *int64     `parquet:"tap_exit,optional"`
	SwipeForward      *int64     `parquet:"swipe_forward,optional"`
	Reposts           *int64     `parquet:"reposts,optional"`
	FacebookViews     *int64     `parquet:"facebook_views,optional"`
	ProfileActivity   *int64     `parquet:"profile_activity,optional"`
	TotalViews        *int64     `parquet:"total_views,optional"`
	InsightsStatus    string     `parquet:"insights_status,dict"`
	FetchedAt         time.Time  `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r StoryInsight) Key() string { return r.ID }

// Comment is one row of the comments stream: a comment or a reply on one
// of the account's media. Username is as configured: the commenter's
// username, its salted SHA-256 (usernames = "hash") or NULL ("drop").
type Comment struct {
	ID        string     `parquet:"id"`
	MediaID   string     `parquet:"media_id,dict"`
	ParentID  *string    `parquet:"parent_id,optional"`
	Text      *string    `parquet:"text,optional"`
	Username  *string    `parquet:"username,optional"`
	Timestamp *time.Time `parquet:"timestamp,optional,timestamp(microsecond)"`
	LikeCount *int64     `parquet:"like_count,optional"`
	Hidden    *bool      `parquet:"hidden,optional"`
	FetchedAt time.Time  `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r Comment) Key() string { return r.ID }

// HourFollowers is one element of user_insights.online_followers.
type HourFollowers struct {
	Hour      int32 `parquet:"hour"`
	Followers int64 `parquet:"followers"`
}

// UserInsight is one row of user_insights: account-level metrics for one day.
type UserInsight struct {
	Date              Date            `parquet:"date,date"`
	EndTime           *time.Time      `parquet:"end_time,optional,timestamp(microsecond)"`
	FollowerCount     *int64          `parquet:"follower_count,optional"`
	Reach             *int64          `parquet:"reach,optional"`
	Views             *int64          `parquet:"views,optional"`
	AccountsEngaged   *int64          `parquet:"accounts_engaged,optional"`
	TotalInteractions *int64          `parquet:"total_interactions,optional"`
	Likes             *int64          `parquet:"likes,optional"`
	Comments          *int64          `parquet:"comments,optional"`
	Shares            *int64          `parquet:"shares,optional"`
	Saves             *int64          `parquet:"saves,optional"`
	Replies           *int64          `parquet:"replies,optional"`
	ProfileLinksTaps  *int64          `parquet:"profile_links_taps,optional"`
	Follows           *int64          `parquet:"follows,optional"`
	Unfollows         *int64          `parquet:"unfollows,optional"`
	Reposts           *int64          `parquet:"reposts,optional"`
	OnlineFollowers   []HourFollowers `parquet:"online_followers,optional,list"`
	FetchedAt         time.Time       `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r UserInsight) Key() string { return r.Date.String() }

// LifetimeInsight is one row of user_lifetime_insights: one demographic
// bucket of one metric (long format; each breakdown dimension in its own column).
type LifetimeInsight struct {
	Metric    string    `parquet:"metric,dict"`
	Timeframe string    `parquet:"timeframe,dict"`
	Breakdown string    `parquet:"breakdown,dict"`
	Age       *string   `parquet:"age,optional,dict"`
	Gender    *string   `parquet:"gender,optional,dict"`
	Country   *string   `parquet:"country,optional,dict"`
	City      *string   `parquet:"city,optional"`
	Value     int64     `parquet:"value"`
	FetchedAt time.Time `parquet:"fetched_at,timestamp(microsecond)"`
}

// Key implements Row.
func (r LifetimeInsight) Key() string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", r.Metric, r.Timeframe, r.Breakdown,
		deref(r.Age), deref(r.Gender), deref(r.Country), deref(r.City))
}

func deref(s *string) string {
	if s == nil {
		return "\x01" // NULL is distinct from ""
	}
	return *s
}

// Date is a calendar date stored as days since 1970-01-01 (Parquet DATE).
type Date int32

// DateOf returns the calendar date of t in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format(time.DateOnly) }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// MarshalText implements encoding.TextMarshaler (JSON state, plans).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Ptr returns a pointer to v (for building rows with nullable fields).
func Ptr[T any](v T) *T { return &v }
