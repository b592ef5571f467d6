// Package catalog is the metric catalog of SPEC §1.3: one table, per Graph
// API version, of which metric is valid for which kind of object, with which
// period, metric_type and breakdown, and when it was or will be deprecated.
//
// Every metric name the exporter sends comes from here; nothing else in the
// code spells a metric list.
package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/igexport/igexport/internal/graph"
)

// Kind is the kind of object a metric applies to.
type Kind string

// Kinds of objects with insights.
const (
	FeedImage      Kind = "FEED_IMAGE"
	FeedVideo      Kind = "FEED_VIDEO"
	Carousel       Kind = "CAROUSEL_ALBUM"
	Reels          Kind = "REELS"
	Story          Kind = "STORY"
	UserTimeSeries Kind = "USER_TIME_SERIES" // period=day, time_series, 30-day windows
	UserTotalValue Kind = "USER_TOTAL_VALUE" // period=day, metric_type=total_value, one day per request
	UserLifetime   Kind = "USER_LIFETIME"    // period=lifetime (online_followers)
	Demographics   Kind = "DEMOGRAPHICS"     // period=lifetime, total_value, timeframe, breakdowns
)

// MediaKinds are the kinds a media_insights row can be about.
var MediaKinds = []Kind{FeedImage, FeedVideo, Carousel, Reels}

// Metric is one catalog entry.
type Metric struct {
	Name       string
	Kinds      []Kind
	Period     string // "lifetime" or "day"
	MetricType string // "", "time_series" or "total_value"
	Breakdown  string // requested breakdown, if any
	// BucketPrefix: the buckets of the breakdown fill the columns named
	// BucketPrefix + the bucket in lower case (navigation "": tap_forward;
	// profile_activity "profile_activity_": profile_activity_call).
	BucketPrefix string
	// Default metrics are requested unless a stream block overrides the list.
	Default bool
	// Deprecated is the day the API stops serving the metric, when known.
	Deprecated *time.Time
	// Removed says the metric is no longer served by this API version;
	// RemovedIn is the version that removed it, when known.
	Removed   bool
	RemovedIn string
	// Since is the first version the catalog models the metric in ("": all).
	Since string
	// FacebookShareOnly marks metrics served only for media shared to
	// Facebook: the API rejects them per media otherwise (seen as code -1,
	// subcode 2207086 "Fatal"), which makes that media's insights partial,
	// never a failed stream.
	FacebookShareOnly bool
	// Logins are the login kinds whose API serves the metric (LoginFacebook,
	// LoginInstagram); empty: both. The Instagram API with Instagram Login
	// (graph.instagram.com) does not serve the Facebook-Login-only ones:
	// their columns are NULL for its accounts and validate rejects them in
	// a stream block when an account or discover block uses that login.
	Logins []string
	// Column is the output column (stream column name) the metric fills;
	// empty for removed metrics.
	Column string
	Note   string
}

// Login kinds (hcl's login attribute), declared by graph.
const (
	LoginFacebook  = graph.LoginFacebook
	LoginInstagram = graph.LoginInstagram
)

// facebookOnly marks a metric only the Instagram API with Facebook Login serves.
var facebookOnly = []string{LoginFacebook}

// ServedWith reports whether the API of a login kind serves the metric
// ("" is Facebook Login).
func (m Metric) ServedWith(login string) bool {
	if login == "" {
		login = LoginFacebook
	}
	return len(m.Logins) == 0 || slices.Contains(m.Logins, login)
}

// ForLogin returns those of ms the API of a login kind serves.
func ForLogin(ms []Metric, login string) []Metric {
	var out []Metric
	for _, m := range ms {
		if m.ServedWith(login) {
			out = append(out, m)
		}
	}
	return out
}

// CheckLogin says whether metric name, valid for stream (see Check), is
// served with a login kind: nil when it is, an error saying which login
// serves it otherwise.
func (c *Catalog) CheckLogin(stream, name, login string) error {
	m, ok := c.getFor(name, StreamKinds(stream))
	if !ok || m.ServedWith(login) {
		return nil
	}
	return fmt.Errorf("metric %q is served only by the Instagram API with %s Login, not with login = %q",
		name, strings.ToUpper(m.Logins[0][:1])+m.Logins[0][1:], login)
}

// AppliesTo reports whether the metric is valid for kind k.
func (m Metric) AppliesTo(k Kind) bool { return slices.Contains(m.Kinds, k) }

// Catalog is the metric table of one Graph API version.
type Catalog struct {
	version string
	metrics []Metric
}

// Version is the Graph API version this catalog describes.
func (c *Catalog) Version() string { return c.version }

// Metrics returns every entry, removed ones included.
func (c *Catalog) Metrics() []Metric { return slices.Clone(c.metrics) }

// Get returns the entry with that name.
func (c *Catalog) Get(name string) (Metric, bool) {
	for _, m := range c.metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// getFor returns the entry named name that applies to one of kinds (a name
// like reach has one entry for media and others for the account).
func (c *Catalog) getFor(name string, kinds []Kind) (Metric, bool) {
	for _, m := range c.metrics {
		if m.Name == name && slices.ContainsFunc(kinds, m.AppliesTo) {
			return m, true
		}
	}
	return Metric{}, false
}

// Defaults returns the default metrics for kind k, in catalog order.
func (c *Catalog) Defaults(k Kind) []Metric {
	var out []Metric
	for _, m := range c.metrics {
		if m.Default && !m.Removed && m.AppliesTo(k) {
			out = append(out, m)
		}
	}
	return out
}

// Select returns the metrics to request for kind k: the defaults, or, when
// names is not empty, those of names that apply to k (in catalog order).
func (c *Catalog) Select(k Kind, names []string) []Metric {
	if len(names) == 0 {
		return c.Defaults(k)
	}
	var out []Metric
	for _, m := range c.metrics {
		if !m.Removed && m.AppliesTo(k) && slices.Contains(names, m.Name) {
			out = append(out, m)
		}
	}
	return out
}

// FacebookShareOnly returns those of names the catalog marks
// FacebookShareOnly: the metrics to drop from a media's request when the
// API rejects it as not shared to Facebook.
func (c *Catalog) FacebookShareOnly(names []string) []string {
	var out []string
	for _, m := range c.metrics {
		if m.FacebookShareOnly && slices.Contains(names, m.Name) && !slices.Contains(out, m.Name) {
			out = append(out, m.Name)
		}
	}
	return out
}

// StreamKinds returns the kinds of objects a stream's metrics are about.
func StreamKinds(stream string) []Kind {
	switch stream {
	case "media_insights":
		return MediaKinds
	case "story_insights":
		return []Kind{Story}
	case "user_insights":
		return []Kind{UserTimeSeries, UserTotalValue, UserLifetime}
	case "user_lifetime_insights":
		return []Kind{Demographics}
	}
	return nil
}

// DeprecationWarningWindow is how long before a deprecation date plan and
// apply start warning about a metric.
const DeprecationWarningWindow = 90 * 24 * time.Hour

// Check says whether metric name may be configured for stream at time now:
// nil when it is fine, an error explaining why not otherwise (unknown for
// the stream, removed in this version, past its deprecation date). Use
// Warning for metrics whose deprecation date is near.
func (c *Catalog) Check(stream, name string, now time.Time) error {
	kinds := StreamKinds(stream)
	if kinds == nil {
		return fmt.Errorf("stream %q has no metrics", stream)
	}
	m, ok := c.getFor(name, kinds)
	if !ok {
		if later, ok := laterMetric(name, kinds); ok {
			return fmt.Errorf("metric %q needs Graph API %s or later (the configuration pins %s)", name, later.Since, c.version)
		}
		return fmt.Errorf("metric %q is not a %s metric in Graph API %s; valid: %s",
			name, stream, c.version, strings.Join(c.names(kinds), ", "))
	}
	if m.Removed {
		if m.RemovedIn != "" {
			return fmt.Errorf("metric %q was removed in Graph API %s%s", name, m.RemovedIn, noteSuffix(m))
		}
		return fmt.Errorf("metric %q was removed from Graph API %s%s", name, c.version, noteSuffix(m))
	}
	if m.Column == "" {
		return fmt.Errorf("metric %q has no column in igexport's %s schema%s", name, stream, noteSuffix(m))
	}
	if m.Deprecated != nil && !now.Before(*m.Deprecated) {
		return fmt.Errorf("metric %q is deprecated since %s and no longer served%s",
			name, m.Deprecated.Format(time.DateOnly), noteSuffix(m))
	}
	return nil
}

// Warning returns a non-empty message when metric name is valid but will be
// deprecated within DeprecationWarningWindow of now.
func (c *Catalog) Warning(name string, now time.Time) string {
	m, ok := c.Get(name)
	if !ok || m.Removed || m.Deprecated == nil {
		return ""
	}
	if now.Before(*m.Deprecated) && m.Deprecated.Sub(now) <= DeprecationWarningWindow {
		return fmt.Sprintf("metric %q will be deprecated on %s (Graph API %s)%s",
			name, m.Deprecated.Format(time.DateOnly), c.version, noteSuffix(m))
	}
	return ""
}

func noteSuffix(m Metric) string {
	if m.Note == "" {
		return ""
	}
	return ": " + m.Note
}

func (c *Catalog) names(kinds []Kind) []string {
	var out []string
	for _, m := range c.metrics {
		if !m.Removed && slices.ContainsFunc(kinds, m.AppliesTo) {
			out = append(out, m.Name)
		}
	}
	return out
}

// KindOf maps a media's media_type and media_product_type to its Kind.
// Unknown combinations map to FeedImage's rules when the product type is
// FEED and to "" otherwise (the caller treats "" as unsupported).
func KindOf(mediaType, productType string) Kind {
	switch strings.ToUpper(productType) {
	case "REELS":
		return Reels
	case "STORY":
		return Story
	case "FEED", "":
		switch strings.ToUpper(mediaType) {
		case "CAROUSEL_ALBUM":
			return Carousel
		case "VIDEO":
			return FeedVideo
		default:
			return FeedImage
		}
	}
	return ""
}

// laterMetric finds a metric of the whole table, for one of kinds, that a
// later version than the caller's introduces.
func laterMetric(name string, kinds []Kind) (Metric, bool) {
	for _, m := range metrics() {
		if m.Name == name && m.Since != "" && slices.ContainsFunc(kinds, m.AppliesTo) {
			return m, true
		}
	}
	return Metric{}, false
}

// VersionInfo is one Graph API version: when Meta released it and when it
// stops being served.
type VersionInfo struct {
	Name              string
	Released, Expires time.Time
	// Estimated says Meta has not published these dates (yet): they follow
	// its versioning policy (see versionTable) and may move.
	Estimated bool
}

// ExpiryWarningWindow is how long before a version's expiry plan and apply
// start warning about it: the window of metric deprecations.
const ExpiryWarningWindow = DeprecationWarningWindow

// Versions returns the Graph API versions the catalog knows, oldest first.
func Versions() []string {
	out := make([]string, len(versionTable))
	for i, v := range versionTable {
		out[i] = v.Name
	}
	return out
}

// Newest is the newest version the catalog models (the default of
// graph_api_version).
func Newest() string { return versionTable[len(versionTable)-1].Name }

// Version returns what the catalog knows of a Graph API version.
func Version(name string) (VersionInfo, bool) {
	for _, v := range versionTable {
		if v.Name == name {
			return v, true
		}
	}
	return VersionInfo{}, false
}

// CheckVersion judges a configured version at time now: an error once it
// has expired (or is unknown), a non-empty warning when it expires within
// ExpiryWarningWindow.
func CheckVersion(name string, now time.Time) (warning string, err error) {
	v, ok := Version(name)
	if !ok {
		return "", unknownVersion(name)
	}
	approx := ""
	if v.Estimated {
		approx = " (estimated from Meta's versioning policy)"
	}
	if !now.Before(v.Expires) {
		return "", fmt.Errorf("graph API %s expired on %s%s; pin a newer version (newest: %s)",
			v.Name, v.Expires.Format(time.DateOnly), approx, Newest())
	}
	if v.Expires.Sub(now) <= ExpiryWarningWindow {
		days, unit := int(v.Expires.Sub(now).Hours()/24), "days"
		if days == 1 {
			unit = "day"
		}
		return fmt.Sprintf("graph API %s expires on %s%s, in %d %s; pin a newer version (newest: %s)",
			v.Name, v.Expires.Format(time.DateOnly), approx, days, unit, Newest()), nil
	}
	return "", nil
}

func unknownVersion(name string) error {
	return fmt.Errorf("graph API version %q is not in the metric catalog (known: %s)",
		name, strings.Join(Versions(), ", "))
}

// versionNumber returns the major number of "vNN.0" (0 when malformed).
func versionNumber(v string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "v"), ".0"))
	return n
}

// New builds a catalog from an explicit table (tests, future versions).
func New(version string, metrics []Metric) *Catalog {
	return &Catalog{version: version, metrics: slices.Clone(metrics)}
}

// For returns the catalog of a Graph API version: the entries of the table
// that exist in it.
func For(version string) (*Catalog, error) {
	if _, ok := Version(version); !ok {
		return nil, unknownVersion(version)
	}
	n := versionNumber(version)
	var ms []Metric
	for _, m := range metrics() {
		if m.Since == "" || versionNumber(m.Since) <= n {
			ms = append(ms, m)
		}
	}
	if t := tweaks[version]; t != nil {
		t(ms)
	}
	return &Catalog{version: version, metrics: ms}, nil
}
