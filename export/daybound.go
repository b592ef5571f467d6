package export

import (
	"context"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // America/Los_Angeles fallback day boundary on machines without zoneinfo

	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// dayBoundary is an account's day as the API draws it: the end_time
// (local midnight after the day) of the days it is known for. Instagram
// does not say an account's time zone; the end_times of its values do.
// The days are kept in date order, the end_times as unix microseconds
// (UTC): two years of an account's days in one small slice.
type dayBoundary struct {
	ends []dayEnd
}

// dayEnd is the end_time of one day.
type dayEnd struct {
	day schema.Date
	end int64 // unix µs
}

// add records the end_time of day d, after every day recorded so far.
func (b *dayBoundary) add(d schema.Date, end time.Time) {
	if n := len(b.ends); n > 0 && b.ends[n-1].day >= d {
		panic("export: dayBoundary.add out of order")
	}
	b.ends = append(b.ends, dayEnd{d, end.UnixMicro()})
}

// pacific is the boundary of an account nothing is known about yet: the
// API's default day is US Pacific.
var pacific = sync.OnceValue(func() *time.Location {
	l, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.FixedZone("PT", -8*3600)
	}
	return l
})

// endOf returns the end_time of day d: known, else the nearest known day's
// boundary, else midnight US Pacific.
func (b dayBoundary) endOf(d schema.Date) time.Time {
	i, found := slices.BinarySearchFunc(b.ends, d, func(e dayEnd, d schema.Date) int { return int(e.day - d) })
	if found {
		return time.UnixMicro(b.ends[i].end).UTC()
	}
	// The nearest known day, the earlier of two as near.
	var best *dayEnd
	if i > 0 {
		best = &b.ends[i-1]
	}
	if i < len(b.ends) && (best == nil || b.ends[i].day-d < d-best.day) {
		best = &b.ends[i]
	}
	if best != nil {
		t := time.UnixMicro(best.end).UTC()
		return t.AddDate(0, 0, int(d-coveredDay(t)))
	}
	t := d.AddDays(1).Time()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, pacific()).UTC()
}

// lastFinished is the account's last day over at now: UTC yesterday for
// an account on UTC, earlier west of it in the UTC morning, UTC today east
// of it in the UTC evening.
func (b dayBoundary) lastFinished(now time.Time) schema.Date {
	d := schema.DateOf(now).AddDays(1)
	for b.endOf(d).After(now) {
		d = d.AddDays(-1)
	}
	return d
}

// knownDayBoundary is the boundary the account's last user_insights file
// tells (its newest row's end_time), empty when there is none or it
// cannot be read: plan and apply both start from it, and apply corrects it
// with the end_times of the series it fetches.
func knownDayBoundary(ctx context.Context, data *sinks.Store, accountID string, prev *sinks.StreamState) dayBoundary {
	b := dayBoundary{}
	if prev == nil || len(prev.Files) == 0 {
		return b
	}
	k, err := sinks.ParseDataKey(prev.Files[len(prev.Files)-1].Key)
	if err != nil {
		return b
	}
	// k.Rel: a month file, or a day file of the layout before
	// schema_version 3 that the state still names.
	rows, err := sinks.ReadRows[schema.UserInsight](ctx, data, k.Rel())
	if err != nil {
		return b
	}
	slices.SortFunc(rows, func(x, y schema.UserInsight) int { return int(y.Date - x.Date) })
	for _, r := range rows {
		if r.EndTime != nil {
			b.add(r.Date, *r.EndTime)
			break
		}
	}
	return b
}
