package export

import (
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// TestUIDaysApply: what apply makes of the values of a window's days, as
// rows: a day with no value (a total_value item without one) has none; a
// follows_and_unfollows answer defaults a missing bucket to 0 but never
// overwrites a value with it; a later value of a column replaces the
// earlier; the first end_time of a day stays; online_followers is set; a
// metric without a column still makes the day's row; a day outside the
// window is ignored.
func TestUIDaysApply(t *testing.T) {
	from := schema.Date(20000)
	cols := metricColumns[schema.UserInsight]([]catalog.Metric{{Name: "follows_and_unfollows", Column: "follows"}})
	u := &userInsights{days: newUIDays(cols, from, from.AddDays(5))}
	et := func(d schema.Date, h int) int64 {
		return d.AddDays(1).Time().Add(time.Duration(h) * time.Hour).UnixMicro()
	}
	i64 := func(v int64) *int64 { return &v }
	withEt := func(x uiValue, et int64) uiValue { x.et, x.hasEt = et, true; return x }
	hours := []schema.HourFollowers{{Hour: 3, Followers: 7}}
	u.apply([]uiValue{
		{kind: uiDay, day: from},                                 // day 0: no value
		{kind: uiFollows, day: from.AddDays(1), more: &uiMore{}}, // day 1: both buckets left out
		{kind: uiFollows, day: from.AddDays(2), more: &uiMore{follows: i64(4)}},
		u.metricValue(from.AddDays(2), "unfollows", intNum(9)),
		{kind: uiFollows, day: from.AddDays(2), more: &uiMore{}}, // keeps 4 and 9
		withEt(u.metricValue(from.AddDays(3), "reach", intNum(5)), et(from.AddDays(3), 7)),
		withEt(u.metricValue(from.AddDays(3), "reach", intNum(6)), et(from.AddDays(3), 8)),
		u.metricValue(from.AddDays(3), "views", intNum(0)),
		{kind: uiOnline, day: from.AddDays(4), more: &uiMore{hours: hours}},
		u.metricValue(from.AddDays(5), "no_such_metric", intNum(1)),
		u.metricValue(from.AddDays(6), "reach", intNum(1)),
		u.metricValue(from.AddDays(-1), "reach", intNum(1)),
	})
	end := time.UnixMicro(et(from.AddDays(3), 7)).UTC()
	want := []*schema.UserInsight{
		nil,
		{Follows: i64(0), Unfollows: i64(0)},
		{Follows: i64(4), Unfollows: i64(9)},
		{Reach: i64(6), Views: i64(0), EndTime: &end},
		{OnlineFollowers: hours},
		{},
	}
	if n := len(u.days.mask); n != len(want) {
		t.Fatalf("%d days, want %d", n, len(want))
	}
	for i, w := range want {
		if got := u.days.ok(i); got != (w != nil) {
			t.Errorf("day %d: ok %v", i, got)
		}
		if w == nil {
			continue
		}
		w.Date = from.AddDays(i)
		if got := u.days.row(i); !reflect.DeepEqual(got, *w) {
			t.Errorf("day %d:\n got %+v\nwant %+v", i, got, *w)
		}
	}
	u.learnEnds()
	if len(u.in.day.ends) != 1 || !u.in.day.endOf(from.AddDays(3)).Equal(end) {
		t.Errorf("learned %+v", u.in.day)
	}
}

// TestDayBoundaryEndOf: a known day's end_time, else the nearest known
// day's boundary (the earlier of two as near), else midnight US Pacific:
// as the map it replaces computed it.
func TestDayBoundaryEndOf(t *testing.T) {
	base := schema.Date(20000)
	known := map[schema.Date]time.Time{}
	var b dayBoundary
	for _, k := range []int{0, 1, 5, 9, 20} {
		d := base.AddDays(k)
		e := d.AddDays(1).Time().Add(time.Duration(7+k%3) * time.Hour)
		known[d] = e
		b.add(d, e)
	}
	ref := func(d schema.Date) time.Time {
		if t, ok := known[d]; ok {
			return t
		}
		best, bestDist := time.Time{}, -1
		for k, t := range known {
			dist := int(k - d)
			if dist < 0 {
				dist = -dist
			}
			if bestDist < 0 || dist < bestDist || dist == bestDist && k < d {
				best, bestDist = t, dist
			}
		}
		return best.AddDate(0, 0, int(d-coveredDay(best)))
	}
	for k := -3; k < 25; k++ {
		d := base.AddDays(k)
		if got, want := b.endOf(d), ref(d); !got.Equal(want) {
			t.Errorf("endOf(%s) = %s, want %s", d, got, want)
		}
	}
	var none dayBoundary
	if got := none.endOf(base); got.Sub(base.AddDays(1).Time()) != 8*time.Hour && got.Sub(base.AddDays(1).Time()) != 7*time.Hour {
		t.Errorf("no boundary: endOf = %s, want midnight US Pacific", got)
	}
}

// TestTotalOpRequests: a total_value op's request, its query in the path,
// is the one its parameters as a map make (same relative_url).
func TestTotalOpRequests(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	spec := StreamSpec{Metrics: map[catalog.Kind][]catalog.Metric{catalog.UserTotalValue: {
		{Name: "reach"}, {Name: "views"}, {Name: "follows_and_unfollows", Breakdown: "follow_type"}}}}
	in := uiInput{accountID: "1784", spec: spec, now: now}
	w := insightsWindow{From: schema.DateOf(now).AddDays(-3), To: schema.DateOf(now).AddDays(-1)}
	ops := totalOps(in, w)
	if len(ops) != 6 {
		t.Fatalf("%d ops", len(ops))
	}
	for _, op := range ops {
		end := in.day.endOf(*op.Day)
		q := url.Values{"period": {"day"}, "metric_type": {"total_value"},
			"since": {strconv.FormatInt(end.Add(-24*time.Hour).Unix(), 10)}, "until": {strconv.FormatInt(end.Add(-time.Second).Unix(), 10)}}
		old := Op{Path: "/1784/insights", Params: q, Metrics: op.Metrics, Breakdown: op.Breakdown}.request()
		want := old.Path + "?" + old.Params.Encode()
		if got := op.compactRequest(); got.Path != want || len(got.Params) != 0 {
			t.Errorf("request %+v, want path %s", got, want)
		}
	}
}

// TestUIValueSize: a uiValue stays 32 bytes (a call in flight holds one
// per metric and day).
func TestUIValueSize(t *testing.T) {
	if n := unsafe.Sizeof(uiValue{}); n > 32 {
		t.Errorf("uiValue is %d bytes", n)
	}
}
