package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // America/Los_Angeles fallback day boundary on machines without zoneinfo

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// API limits for account insights (graph-api.md §7.1, §9).
const (
	// maxHistoryDays is how far back user_insights goes: D-729 is served and
	// D-730 is "not valid" (graph-api.md §9); one day of margin keeps every
	// since of the oldest day inside the limit whatever the account's time zone.
	maxHistoryDays      = 728
	followerCountDays   = 29 // follower_count: last 30 days excluding today
	maxWindowDays       = 27 // days per time-series window: with its margin days a window spans 29 days, under the 30-day limit
	defaultLookbackDays = 2
)

// insightsWindow is the user_insights range of one run.
type insightsWindow struct {
	From, To schema.Date // inclusive, days the values cover
	TooOld   *[2]schema.Date
	Backfill bool
}

// userInsightsWindow computes what user_insights fetches (SPEC §4): from
// cursor − lookback_days (first run: start_date, else 2 years back) to
// yesterday, or the -from/-to backfill range; never older than the API serves.
func userInsightsWindow(now time.Time, cursor *schema.Date, lookback int, start *schema.Date, from, to *schema.Date) (insightsWindow, bool) {
	today := schema.DateOf(now)
	oldest := today.AddDays(-maxHistoryDays)
	w := insightsWindow{To: today.AddDays(-1)}
	switch {
	case from != nil:
		w.Backfill = true
		w.From = *from
		if to != nil && *to < w.To {
			w.To = *to
		}
	case cursor != nil:
		w.From = cursor.AddDays(-lookback)
		if start != nil && w.From < *start {
			w.From = *start // the re-read window never reaches before start_date
		}
	case start != nil:
		w.From = *start
	default:
		w.From = oldest
	}
	if w.From < oldest {
		end := min(oldest.AddDays(-1), w.To)
		w.TooOld = &[2]schema.Date{w.From, end}
		w.From = oldest
	}
	return w, w.From <= w.To
}

// coveredDay is the day a value covers: the date of end_time − 12 h (SPEC §3).
func coveredDay(end time.Time) schema.Date { return schema.DateOf(end.Add(-12 * time.Hour)) }

// uiOp is one account-insights operation.
type uiOp struct {
	params  url.Values
	metrics []string
	day     *schema.Date // total_value ops: the one day they cover
	span    [2]schema.Date
}

type dayRow struct {
	row schema.UserInsight
	ok  bool // at least one value arrived
}

// runUserInsights fetches account insights incrementally (SPEC §1.1, §4).
func (a *accountRun) runUserInsights(ctx context.Context) error {
	s := a.stream(schema.UserInsights)
	set := a.r.cfg.StreamSetting(schema.UserInsights)
	prev := a.prevStream(schema.UserInsights)
	var cursor *schema.Date
	if prev != nil {
		cursor = prev.Cursor
	}
	start := a.t.StartDate
	if start == nil {
		start = set.StartDate
	}
	lookback := set.LookbackDays
	w, any := userInsightsWindow(a.r.now, cursor, lookback, start, a.r.opts.From, a.r.opts.To)
	if w.TooOld != nil {
		s.note("%s..%s is older than the 2 years the API serves: not recoverable, not requested", w.TooOld[0], w.TooOld[1])
	}
	if !any {
		s.note("nothing to fetch: up to date")
		s.done(nil, nil)
		return nil
	}
	ui := &userInsights{a: a, s: s, w: w, days: map[schema.Date]*dayRow{}, failed: map[schema.Date]bool{}}
	for _, m := range a.r.cat.Select(catalog.UserTimeSeries, set.Metrics) {
		ui.series = append(ui.series, m.Name)
	}
	for _, m := range a.r.cat.Select(catalog.UserTotalValue, set.Metrics) {
		if m.Breakdown != "" {
			ui.breakdownTV = append(ui.breakdownTV, m)
		} else {
			ui.totals = append(ui.totals, m.Name)
		}
	}
	ui.online = len(a.r.cat.Select(catalog.UserLifetime, set.Metrics)) > 0
	if err := ui.fetch(ctx); err != nil {
		return err
	}
	return ui.commit(ctx, cursor)
}

type userInsights struct {
	a           *accountRun
	s           *streamRun
	w           insightsWindow
	series      []string
	totals      []string
	breakdownTV []catalog.Metric
	online      bool

	days    map[schema.Date]*dayRow
	ends    map[schema.Date]time.Time // end_time per covered day, learned from the series
	failed  map[schema.Date]bool      // days an operation could not fetch (retried next run)
	skipped []string
}

func (u *userInsights) day(d schema.Date) *dayRow {
	r, ok := u.days[d]
	if !ok {
		r = &dayRow{row: schema.UserInsight{Date: d}}
		u.days[d] = r
	}
	return r
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func (u *userInsights) fetch(ctx context.Context) error {
	now := u.a.r.now
	today := schema.DateOf(now)
	// Batch 1: time series in ≤30-day windows, follower_count over the days
	// it is served, online_followers.
	var ops []uiOp
	for _, m := range u.series {
		lo := u.w.From
		if m == "follower_count" {
			lo = max(lo, today.AddDays(-followerCountDays))
			if lo > u.w.To {
				u.s.note("follower_count is served for the last 30 days only: not requested for %s..%s", u.w.From, u.w.To)
				continue
			}
			if lo > u.w.From {
				u.s.note("follower_count is served for the last 30 days only: NULL before %s", lo)
			}
		}
		for from := lo; from <= u.w.To; from = from.AddDays(maxWindowDays) {
			to := min(from.AddDays(maxWindowDays-1), u.w.To)
			since := from.Time()
			until := to.AddDays(2).Time()
			if until.After(now) {
				until = now
			}
			ops = append(ops, uiOp{metrics: []string{m}, span: [2]schema.Date{from, to}, params: url.Values{
				"metric": {m}, "period": {"day"}, "since": {unix(since)}, "until": {unix(until)}}})
		}
	}
	if u.online {
		ops = append(ops, uiOp{metrics: []string{"online_followers"}, span: [2]schema.Date{u.w.From, u.w.To},
			params: url.Values{"metric": {"online_followers"}, "period": {"lifetime"}}})
	}
	if err := u.run(ctx, ops); err != nil {
		return err
	}
	u.learnEnds()
	// Batch 2: total_value metrics, one day per operation.
	ops = ops[:0]
	for d := u.w.From; d <= u.w.To; d = d.AddDays(1) {
		end := u.endOf(d)
		if end.After(now) {
			continue // the day is not over yet
		}
		dd := d
		base := url.Values{"period": {"day"}, "metric_type": {"total_value"},
			"since": {unix(end.Add(-24 * time.Hour))}, "until": {unix(end)}}
		if len(u.totals) > 0 {
			q := cloneValues(base)
			q.Set("metric", strings.Join(u.totals, ","))
			ops = append(ops, uiOp{params: q, metrics: slices.Clone(u.totals), day: &dd, span: [2]schema.Date{d, d}})
		}
		for _, m := range u.breakdownTV {
			q := cloneValues(base)
			q.Set("metric", m.Name)
			q.Set("breakdown", m.Breakdown)
			ops = append(ops, uiOp{params: q, metrics: []string{m.Name}, day: &dd, span: [2]schema.Date{d, d}})
		}
	}
	return u.run(ctx, ops)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// run executes ops in batches; a metric the API rejects is dropped and the
// op retried without it; a since the API calls not valid marks the days as
// failed (retried next run) without failing the stream.
func (u *userInsights) run(ctx context.Context, ops []uiOp) error {
	path := "/" + u.a.t.ID + "/insights"
	for len(ops) > 0 {
		reqs := make([]graph.Request, len(ops))
		for i, op := range ops {
			reqs[i] = graph.Request{Path: path, Params: op.params}
		}
		resps, err := u.s.client.Batch(ctx, reqs)
		if err != nil {
			return err
		}
		var next []uiOp
		for i, op := range ops {
			rs := resps[i]
			if rs.Err == nil {
				if err := u.parse(rs.Body, op); err != nil {
					return err
				}
				continue
			}
			var ge *graph.Error
			if !errors.As(rs.Err, &ge) {
				return rs.Err
			}
			switch {
			case ge.Code == 100 && strings.Contains(ge.Message, "since param is not valid"):
				u.fail(op, "the API called since not valid; retried next run")
			case ge.Code == 100 && strings.Contains(ge.Message, "only supports querying data for the last 30 days"):
				u.s.note("%s: %s", strings.Join(op.metrics, ","), firstLine(ge.Message))
			case len(rejected(insightOp{metrics: op.metrics}, ge)) > 0:
				bad := rejected(insightOp{metrics: op.metrics}, ge)
				for _, m := range bad {
					u.s.skip(m, firstLine(ge.Message))
				}
				op.metrics = slices.DeleteFunc(op.metrics, func(m string) bool { return slices.Contains(bad, m) })
				if len(op.metrics) > 0 {
					op.params = cloneValues(op.params)
					op.params.Set("metric", strings.Join(op.metrics, ","))
					next = append(next, op)
				}
			default:
				return fmt.Errorf("%s %s: %w", path, strings.Join(op.metrics, ","), rs.Err)
			}
		}
		ops = next
	}
	return nil
}

func (u *userInsights) fail(op uiOp, why string) {
	for d := op.span[0]; d <= op.span[1]; d = d.AddDays(1) {
		u.failed[d] = true
	}
	u.s.note("%s..%s (%s): %s", op.span[0], op.span[1], strings.Join(op.metrics, ","), why)
}

func (u *userInsights) parse(body []byte, op uiOp) error {
	var sj insightsJSON
	endpoint := "/" + u.a.t.ID + "/insights"
	if err := decode(body, &sj, endpoint); err != nil {
		return err
	}
	for i, d := range sj.Data {
		if d.Name == "" {
			return fmt.Errorf("malformed response from %s: data[%d]: %w", endpoint, i, missingKey("name"))
		}
		if d.TotalValue != nil && op.day != nil {
			r := u.day(*op.day)
			if d.Name == "follows_and_unfollows" {
				for _, b := range d.TotalValue.Breakdowns {
					for _, res := range b.Results {
						v, ok := toInt(res.Value)
						if !ok || len(res.DimensionValues) == 0 {
							continue
						}
						switch strings.ToUpper(res.DimensionValues[0]) {
						case "FOLLOWER":
							r.row.Follows = &v
						case "NON_FOLLOWER":
							r.row.Unfollows = &v
						}
					}
				}
				// Buckets with zero are omitted by the API: the day was
				// answered, so a missing bucket is a real 0.
				if r.row.Follows == nil {
					r.row.Follows = schema.Ptr(int64(0))
				}
				if r.row.Unfollows == nil {
					r.row.Unfollows = schema.Ptr(int64(0))
				}
				r.ok = true
				continue
			}
			if d.TotalValue.Value != nil {
				if v, ok := toInt(*d.TotalValue.Value); ok {
					setUserMetric(&r.row, d.Name, v)
					r.ok = true
				}
			}
			continue
		}
		for j, v := range d.Values {
			// end_time gives the row's date, its key: a value without it
			// belongs to no day.
			if v.EndTime == nil || *v.EndTime == "" {
				return fmt.Errorf("malformed response from %s: %s: values[%d]: %w", endpoint, d.Name, j, missingKey("end_time"))
			}
			et, err := apiTime(v.EndTime)
			if err != nil {
				return fmt.Errorf("malformed response from %s: %s: values[%d]: end_time: %v", endpoint, d.Name, j, err)
			}
			day := coveredDay(*et)
			if day < u.w.From || day > u.w.To {
				continue
			}
			if d.Name == "online_followers" {
				var hours map[string]json.Number
				if err := json.Unmarshal(v.Value, &hours); err != nil {
					return fmt.Errorf("malformed response from %s: online_followers value: %v", endpoint, err)
				}
				r := u.day(day)
				r.row.OnlineFollowers = onlineFollowers(hours)
				r.ok = true
				continue
			}
			var n json.Number
			if err := json.Unmarshal(v.Value, &n); err != nil {
				return fmt.Errorf("malformed response from %s: %s value %s is not a number", endpoint, d.Name, v.Value)
			}
			if x, ok := toInt(n); ok {
				r := u.day(day)
				setUserMetric(&r.row, d.Name, x)
				if r.row.EndTime == nil {
					r.row.EndTime = et
				}
				r.ok = true
			}
		}
	}
	return nil
}

func onlineFollowers(hours map[string]json.Number) []schema.HourFollowers {
	out := []schema.HourFollowers{}
	for h := 0; h < 24; h++ {
		if n, ok := hours[strconv.Itoa(h)]; ok {
			if v, ok := toInt(n); ok {
				out = append(out, schema.HourFollowers{Hour: int32(h), Followers: v})
			}
		}
	}
	return out
}

func setUserMetric(r *schema.UserInsight, name string, v int64) {
	p := &v
	switch name {
	case "follower_count":
		r.FollowerCount = p
	case "reach":
		r.Reach = p
	case "views":
		r.Views = p
	case "accounts_engaged":
		r.AccountsEngaged = p
	case "total_interactions":
		r.TotalInteractions = p
	case "likes":
		r.Likes = p
	case "comments":
		r.Comments = p
	case "shares":
		r.Shares = p
	case "saves":
		r.Saves = p
	case "replies":
		r.Replies = p
	case "profile_links_taps":
		r.ProfileLinksTaps = p
	}
}

// learnEnds records each day's end_time from the series (the account's day
// boundary, which moves with daylight saving time).
func (u *userInsights) learnEnds() {
	u.ends = map[schema.Date]time.Time{}
	for d, r := range u.days {
		if r.row.EndTime != nil {
			u.ends[d] = *r.row.EndTime
		}
	}
}

var pacific = func() *time.Location {
	l, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.FixedZone("PT", -8*3600)
	}
	return l
}()

// endOf returns the end_time of day d: from the series when known, else
// the nearest known day's boundary, else midnight US Pacific.
func (u *userInsights) endOf(d schema.Date) time.Time {
	if t, ok := u.ends[d]; ok {
		return t
	}
	best, bestDist := time.Time{}, -1
	for k, t := range u.ends {
		dist := int(k - d)
		if dist < 0 {
			dist = -dist
		}
		if bestDist < 0 || dist < bestDist {
			best, bestDist = t, dist
		}
	}
	if bestDist >= 0 {
		return best.AddDate(0, 0, int(d-coveredDay(best)))
	}
	t := d.AddDays(1).Time()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, pacific).UTC()
}

func (u *userInsights) commit(ctx context.Context, prevCursor *schema.Date) error {
	p := newPartitions[schema.UserInsight](u.s)
	defer p.abort()
	fetched := fetchedAt()
	var dates []schema.Date
	for d, r := range u.days {
		if r.ok && !u.failed[d] && !u.endOf(d).After(u.a.r.now) {
			dates = append(dates, d)
		}
	}
	slices.Sort(dates)
	for _, d := range dates {
		r := u.days[d]
		r.row.FetchedAt = fetched
		if r.row.EndTime == nil {
			e := u.endOf(d)
			r.row.EndTime = &e
		}
		if err := p.add(d, r.row); err != nil {
			return err
		}
	}
	files, err := p.commit(ctx)
	if err != nil {
		return err
	}
	// The cursor: the last day of the contiguous run of fetched days from
	// the window start; never backwards.
	cursor := prevCursor
	got := map[schema.Date]bool{}
	for _, d := range dates {
		got[d] = true
	}
	var last *schema.Date
	for d := u.w.From; d <= u.w.To && got[d]; d = d.AddDays(1) {
		dd := d
		last = &dd
	}
	contiguous := prevCursor == nil || u.w.From <= prevCursor.AddDays(1)
	if last != nil && contiguous && (cursor == nil || *last > *cursor) {
		cursor = last
	}
	u.s.done(files, func(st *sinks.StreamState) { st.Cursor = cursor })
	return nil
}
