package export

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

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
	followerCountDays   = 30 // follower_count: last 30 days excluding today
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
// last, the account's last finished day, or the -from/-to backfill range;
// never older than the API serves.
func userInsightsWindow(now time.Time, last schema.Date, cursor *schema.Date, lookback int, start *schema.Date, from, to *schema.Date) (insightsWindow, bool) {
	today := schema.DateOf(now)
	oldest := today.AddDays(-maxHistoryDays)
	w := insightsWindow{To: last}
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

// uiInput is everything the requests of user_insights depend on: the
// settings, the state (cursor), the selection (backfill), the clock and
// the account's day boundary. Plan and apply build it the same way
// (accountRun.uiInput, planner.uiInput).
type uiInput struct {
	accountID string
	spec      StreamSpec
	cursor    *schema.Date
	start     *schema.Date // the account's start_date, else the stream's
	from, to  *schema.Date // -from/-to
	now       time.Time
	day       dayBoundary
}

// window is the days user_insights covers: up to the account's last
// finished day under its day boundary.
func (in uiInput) window() (insightsWindow, bool) {
	return userInsightsWindow(in.now, in.day.lastFinished(in.now), in.cursor, in.spec.LookbackDays, in.start, in.from, in.to)
}

// seriesOps: per time-series metric one operation per window of
// maxWindowDays days (follower_count over the days it is served only),
// online_followers once; one batch call. notes say what is not requested.
func seriesOps(in uiInput, w insightsWindow) (ops []Op, notes []string) {
	today := schema.DateOf(in.now)
	for _, m := range in.spec.Metrics[catalog.UserTimeSeries] {
		lo := w.From
		if m.Name == "follower_count" {
			lo = max(lo, today.AddDays(-followerCountDays))
			if lo > w.To {
				notes = append(notes, fmt.Sprintf("follower_count is served for the last 30 days only: not requested for %s..%s", w.From, w.To))
				continue
			}
			if lo > w.From {
				notes = append(notes, fmt.Sprintf("follower_count is served for the last 30 days only: NULL before %s", lo))
			}
		}
		ops = append(ops, seriesWindows(in, w, m.Name, "day", lo)...)
	}
	if len(in.spec.Metrics[catalog.UserLifetime]) > 0 {
		// One hourly map per day of the last 30, with since/until (§10.3).
		if lo := max(w.From, today.AddDays(-followerCountDays)); lo <= w.To {
			ops = append(ops, seriesWindows(in, w, "online_followers", "lifetime", lo)...)
		}
	}
	return ops, notes
}

// seriesWindows: the ops of one time-series metric over lo..w.To, a
// window of maxWindowDays days each. until ends one second before the
// window's margin (inclusive, §10.3); the metrics served for the last 30
// days only (follower_count, online_followers) start no earlier than now −
// 30 d, which lies inside the oldest day served in any time zone.
func seriesWindows(in uiInput, w insightsWindow, metric, period string, lo schema.Date) []Op {
	var ops []Op
	path := "/" + in.accountID + "/insights"
	for from := lo; from <= w.To; from = from.AddDays(maxWindowDays) {
		to := min(from.AddDays(maxWindowDays-1), w.To)
		since := from.Time()
		oldest := in.now.Add(-followerCountDays * 24 * time.Hour)
		if (metric == "follower_count" || metric == "online_followers") && since.Before(oldest) {
			since = oldest
		}
		until := to.AddDays(2).Time()
		if until.After(in.now) {
			until = in.now
		}
		until = until.Add(-time.Second) // until is inclusive (graph-api.md §10.3)
		ops = append(ops, Op{Path: path, Send: sendBatch, Metrics: []string{metric}, Span: [2]schema.Date{from, to},
			Params: url.Values{"period": {period}, "since": {unix(since)}, "until": {unix(until)}}})
	}
	return ops
}

// totalOps: per finished day of the window, one operation for the plain
// total_value metrics and one per breakdown metric; one batch call (sent
// in parts of whole POSTs: userInsights.run), after the series (whose
// end_times tell the account's day boundary).
func totalOps(in uiInput, w insightsWindow) []Op {
	return slices.Collect(totalOpSeq(in, w))
}

// totalOpSeq yields totalOps one day at a time: apply builds the
// operations of one Batch call at a time, not the ~1,500 of two years.
func totalOpSeq(in uiInput, w insightsWindow) iter.Seq[Op] {
	return func(yield func(Op) bool) {
		var plain []string
		var split []catalog.Metric
		for _, m := range in.spec.Metrics[catalog.UserTotalValue] {
			if m.Breakdown != "" {
				split = append(split, m)
			} else {
				plain = append(plain, m.Name)
			}
		}
		path := "/" + in.accountID + "/insights"
		for d := w.From; d <= w.To; d = d.AddDays(1) {
			end := in.day.endOf(d)
			if end.After(in.now) {
				continue // the day is not over yet
			}
			dd := d
			// The day's query (period=day, metric_type=total_value, since,
			// until) rides in the path, one string shared by the day's ops,
			// in url.Values.Encode's order: until is inclusive, the day's
			// end − 1 s.
			dayPath := path + "?metric_type=total_value&period=day&since=" + unix(end.Add(-24*time.Hour)) + "&until=" + unix(end.Add(-time.Second))
			if len(plain) > 0 && !yield(Op{Path: dayPath, Send: sendBatch, Batch: 1, Metrics: plain, Day: &dd, Span: [2]schema.Date{d, d}}) {
				return
			}
			for _, m := range split {
				if !yield(Op{Path: dayPath, Send: sendBatch, Batch: 1, Metrics: []string{m.Name}, Breakdown: m.Breakdown,
					Day: &dd, Span: [2]schema.Date{d, d}}) {
					return
				}
			}
		}
	}
}

// uiInput is the user_insights input of this account's run.
func (a *accountRun) uiInput(ctx context.Context) uiInput {
	spec := a.spec(schema.UserInsights)
	prev := a.prevStream(schema.UserInsights)
	in := uiInput{accountID: a.t.ID, spec: spec, start: a.t.StartDate, from: a.r.job.Selection.From, to: a.r.job.Selection.To,
		now: a.r.now, day: knownDayBoundary(ctx, a.r.data, a.t.ID, prev)}
	if prev != nil {
		in.cursor = prev.Cursor
	}
	if in.start == nil {
		in.start = spec.StartDate
	}
	return in
}

// runUserInsights fetches account insights incrementally (SPEC §1.1, §4).
func (a *accountRun) runUserInsights(ctx context.Context) error {
	s := a.stream(schema.UserInsights)
	in := a.uiInput(ctx)
	w, any := in.window()
	if w.TooOld != nil {
		s.note("%s..%s is older than the 2 years the API serves: not recoverable, not requested", w.TooOld[0], w.TooOld[1])
	}
	cols := metricColumns[schema.UserInsight](slices.Collect(maps.Values(in.spec.Metrics))...)
	ui := &userInsights{a: a, s: s, in: in, w: w, days: newUIDays(cols, w.From, w.To), failed: map[schema.Date]bool{}}
	if !any {
		s.note("nothing to fetch: up to date")
	} else if err := ui.fetch(ctx); err != nil {
		return err
	}
	return ui.commit(ctx, in.cursor)
}

type userInsights struct {
	a  *accountRun
	s  *streamRun
	in uiInput
	w  insightsWindow

	days   *uiDays              // the values of the window's days
	failed map[schema.Date]bool // days an operation could not fetch (retried next run)
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// fetch sends the series, learns the account's day boundary from their
// end_times, then sends the total_value operations.
func (u *userInsights) fetch(ctx context.Context) error {
	ops, notes := seriesOps(u.in, u.w)
	for _, n := range notes {
		u.s.note("%s", n)
	}
	if err := u.run(ctx, slices.Values(ops)); err != nil {
		return err
	}
	u.learnEnds()
	return u.run(ctx, totalOpSeq(u.in, u.w))
}

// run executes ops in Batch calls of at most runner.uiCallOps operations
// (a multiple of graph.MaxBatchOps, so that the POSTs are those of one
// call), each built, sent and parsed before the next: the operations,
// requests and bodies held are those of one call.
func (u *userInsights) run(ctx context.Context, ops iter.Seq[Op]) error {
	n := u.a.r.uiCallOps
	if n <= 0 {
		n = math.MaxInt
	}
	var call []Op
	for op := range ops {
		call = append(call, op)
		if len(call) == n {
			if err := u.runCall(ctx, call); err != nil {
				return err
			}
			call = call[:0]
		}
	}
	if len(call) == 0 {
		return nil
	}
	return u.runCall(ctx, call)
}

// runCall executes ops in batches; a metric the API rejects is dropped and
// the op retried without it; a since the API calls not valid marks the days
// as failed (retried next run) without failing the stream.
func (u *userInsights) runCall(ctx context.Context, ops []Op) error {
	path := "/" + u.a.t.ID + "/insights"
	for len(ops) > 0 {
		reqs := make([]graph.Request, len(ops))
		for i := range reqs {
			reqs[i] = ops[i].compactRequest()
			// Read where the body lies in the batch response (no copy);
			// applied in request order below.
			op := &ops[i]
			reqs[i].Decode = func(body []byte) (any, error) { return u.read(body, *op, nil) }
		}
		resps, err := u.s.client.Batch(ctx, reqs)
		if err != nil {
			return err
		}
		var next []Op
		for i, op := range ops {
			rs := resps[i]
			if rs.Err == nil {
				if vals, ok := rs.Value.([]uiValue); ok && rs.Decoded() {
					u.apply(vals)
					continue
				}
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
				u.s.note("%s: %s", strings.Join(op.Metrics, ","), firstLine(ge.Message))
			case len(rejected(op, ge)) > 0:
				bad := rejected(op, ge)
				for _, m := range bad {
					u.s.skip(m, firstLine(ge.Message))
				}
				op.Metrics = slices.DeleteFunc(slices.Clone(op.Metrics), func(m string) bool { return slices.Contains(bad, m) })
				if len(op.Metrics) > 0 {
					next = append(next, op)
				}
			default:
				return fmt.Errorf("%s %s: %w", path, strings.Join(op.Metrics, ","), rs.Err)
			}
		}
		ops = next
	}
	return nil
}

func (u *userInsights) fail(op Op, why string) {
	for d := op.Span[0]; d <= op.Span[1]; d = d.AddDays(1) {
		u.failed[d] = true
	}
	u.s.note("%s..%s (%s): %s", op.Span[0], op.Span[1], strings.Join(op.Metrics, ","), why)
}

// parse reads an account insights body: the days of time-series values
// (by end_time), online_followers by hour, the one day of a total_value op.
func (u *userInsights) parse(body []byte, op Op) error {
	vals, err := u.read(body, op, nil)
	u.apply(vals)
	return err
}

// uiKind is what a uiValue sets.
type uiKind uint8

const (
	uiDay     uiKind = iota // the day has a row (a total_value item without a value)
	uiMetric                // column name of the day = v (a series value: EndTime = et unless set)
	uiFollows               // follows and unfollows of the day (0 when the API left a bucket out)
	uiOnline                // online_followers of the day
)

// uiValue is one thing an account insights body says about a day: read
// (while the body is borrowed from its batch response, see
// graph.Request.Decode) and applied to the rows in request order.
// 32 bytes: a first run holds a value per metric and day of the
// operations of a call in flight.
type uiValue struct {
	v    int64   // uiMetric: the value, the bits of a float64 in a float column
	et   int64   // uiMetric from a series: its end_time (unix µs) when hasEt
	more *uiMore // uiFollows, uiOnline
	day  schema.Date
	slot int8 // uiMetric: the column's slot in uiDays, −1 when the metric has none
	kind uiKind
	// hasEt: et is set.
	hasEt bool
}

// metricValue is the uiMetric value v of metric on day.
func (u *userInsights) metricValue(day schema.Date, metric string, v num) uiValue {
	s := u.days.slotOf(metric)
	x := uiValue{kind: uiMetric, day: day, slot: int8(s)}
	if s >= 0 {
		x.v = u.days.bits(s, v)
	}
	return x
}

// uiMore is what the rarer uiValues carry (a total_value op, one per day
// and metric, is most of a first run's values: those stay small).
type uiMore struct {
	follows, unfollows *int64
	hours              []schema.HourFollowers
}

// apply sets what vals say on the days, in order.
func (u *userInsights) apply(vals []uiValue) {
	var none uiMore
	d := u.days
	for _, x := range vals {
		i, in := d.index(x.day)
		if x.kind == uiDay || !in {
			continue
		}
		m := x.more
		if m == nil {
			m = &none
		}
		switch x.kind {
		case uiFollows:
			for _, b := range [2]struct {
				slot int
				v    *int64
			}{{d.follows, m.follows}, {d.unfollows, m.unfollows}} {
				if b.slot < 0 {
					continue
				}
				// Buckets with zero are omitted by the API: the day was
				// answered, so a missing bucket is a real 0.
				if b.v != nil {
					d.setSlot(i, b.slot, *b.v)
				} else if !d.has(i, b.slot) {
					d.setSlot(i, b.slot, 0)
				}
			}
		case uiOnline:
			if d.online == nil {
				d.online = map[schema.Date][]schema.HourFollowers{}
			}
			d.online[x.day] = m.hours
		case uiMetric:
			if x.slot >= 0 {
				d.setSlot(i, int(x.slot), x.v)
			}
			if x.hasEt {
				d.setEnd(i, x.et)
			}
		}
		d.mask[i] |= uiOK
	}
}

// read appends to dst what body says about the days (see apply); it only
// reads u's settings, so that it can run on the goroutine of a batch POST.
func (u *userInsights) read(body []byte, op Op, dst []uiValue) ([]uiValue, error) {
	endpoint := "/" + u.a.t.ID + "/insights"
	p := u.a.r.uiParsers.Get()
	defer u.a.r.uiParsers.Put(p)
	if dst == nil {
		dst = make([]uiValue, 0, max(1, len(op.Metrics))) // a total_value op: a value per metric
	}
	err := eachInsight(p, body, endpoint, op.Metrics, func(name string, d *fastjson.Value) error {
		if tv := d.Get("total_value"); tv != nil && tv.Type() == fastjson.TypeObject && op.Day != nil {
			day := *op.Day
			if name == "follows_and_unfollows" {
				x := uiValue{kind: uiFollows, day: day, more: &uiMore{}}
				for _, b := range tv.GetArray("breakdowns") {
					for _, res := range b.GetArray("results") {
						v, ok := jsonNum(res.Get("value"))
						dims, err := stringArray(res, "dimension_values")
						if err != nil {
							return fmt.Errorf("malformed response from %s: %s: %w", endpoint, name, err)
						}
						if !ok || len(dims) == 0 {
							continue
						}
						switch strings.ToUpper(dims[0]) {
						case "FOLLOWER":
							x.more.follows = &v.i
						case "NON_FOLLOWER":
							x.more.unfollows = &v.i
						}
					}
				}
				dst = append(dst, x)
				return nil
			}
			if tval := tv.Get("value"); tval != nil && tval.Type() != fastjson.TypeNull {
				v, ok := jsonNum(tval)
				if !ok {
					return fmt.Errorf("malformed response from %s: %s: total value %s is not a number", endpoint, name, tval)
				}
				dst = append(dst, u.metricValue(day, name, v))
				return nil
			}
			dst = append(dst, uiValue{kind: uiDay, day: day})
			return nil
		}
		for j, v := range d.GetArray("values") {
			// end_time gives the row's date, its key: a value without it
			// belongs to no day.
			etv := v.Get("end_time")
			if etv == nil || etv.Type() == fastjson.TypeNull {
				return fmt.Errorf("malformed response from %s: %s: values[%d]: %w", endpoint, name, j, missingKey("end_time"))
			}
			etb, err := etv.StringBytes()
			if err != nil {
				return fmt.Errorf("malformed response from %s: %s: values[%d]: end_time is a JSON %s, not a string", endpoint, name, j, etv.Type())
			}
			if len(etb) == 0 {
				return fmt.Errorf("malformed response from %s: %s: values[%d]: %w", endpoint, name, j, missingKey("end_time"))
			}
			ets := string(etb)
			et, err := apiTime(&ets)
			if err != nil {
				return fmt.Errorf("malformed response from %s: %s: values[%d]: end_time: %v", endpoint, name, j, err)
			}
			day := coveredDay(*et)
			if day < u.w.From || day > u.w.To {
				continue
			}
			val := v.Get("value")
			if val == nil || val.Type() == fastjson.TypeNull {
				continue
			}
			if name == "online_followers" {
				hours, err := onlineFollowers(val)
				if err != nil {
					return fmt.Errorf("malformed response from %s: online_followers value: %w", endpoint, err)
				}
				dst = append(dst, uiValue{kind: uiOnline, day: day, more: &uiMore{hours: hours}})
				continue
			}
			x, ok := jsonNum(val)
			if !ok {
				return fmt.Errorf("malformed response from %s: %s value %s is not a number", endpoint, name, val)
			}
			mv := u.metricValue(day, name, x)
			mv.et, mv.hasEt = et.UnixMicro(), true
			dst = append(dst, mv)
		}
		return nil
	})
	return dst, err
}

// onlineFollowers reads the hour → followers object of online_followers.
func onlineFollowers(v *fastjson.Value) ([]schema.HourFollowers, error) {
	obj, err := v.Object()
	if err != nil {
		return nil, fmt.Errorf("a JSON %s, not an object", v.Type())
	}
	out := []schema.HourFollowers{}
	for h := 0; h < 24; h++ {
		hv := obj.Get(strconv.Itoa(h))
		if hv == nil || hv.Type() == fastjson.TypeNull {
			continue
		}
		n, ok := jsonNum(hv)
		if !ok {
			return nil, fmt.Errorf("hour %d: %s is not a number", h, hv)
		}
		out = append(out, schema.HourFollowers{Hour: int32(h), Followers: n.i})
	}
	return out, nil
}

// learnEnds records each day's end_time from the series (the account's day
// boundary, which moves with daylight saving time) over what was known.
func (u *userInsights) learnEnds() {
	var learned dayBoundary
	for i := range u.days.mask {
		if t, ok := u.days.endTime(i); ok {
			learned.add(u.days.day(i), t)
		}
	}
	if len(learned.ends) > 0 {
		u.in.day = learned
	}
}

func (u *userInsights) commit(ctx context.Context, prevCursor *schema.Date) error {
	p := newPartitions[schema.UserInsight](u.s)
	defer p.abort()
	migrate := u.s.migrationNeeded()
	var replaced []string
	if migrate {
		var err error
		if replaced, err = foldLegacy(ctx, u.s, p, func(r schema.UserInsight) time.Time { return r.FetchedAt }); err != nil {
			return err
		}
	}
	fetched := u.a.r.fetchedAt()
	var dates []schema.Date
	for i := range u.days.mask {
		d := u.days.day(i)
		if !u.days.ok(i) || u.failed[d] || u.in.day.endOf(d).After(u.in.now) {
			continue
		}
		dates = append(dates, d)
		r := u.days.row(i)
		r.FetchedAt = fetched
		if r.EndTime == nil {
			e := u.in.day.endOf(d)
			r.EndTime = &e
		}
		if err := p.add(ctx, d, r); err != nil {
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
	if len(replaced) > 0 {
		u.a.mu.Lock()
		u.a.replaced[u.s.name()] = replaced
		u.a.mu.Unlock()
	}
	u.s.done(files, func(st *sinks.StreamState) {
		st.Cursor = cursor
		// The partitioning is recorded once a run finds no old file left
		// (the one after a migration): until then each run looks for them.
		if migrate && len(replaced) == 0 {
			st.Partition = u.s.partition()
		}
		if u.s.partition() == schema.Day {
			st.Partition = ""
		}
	})
	return nil
}
