package export

import (
	"math"
	"reflect"
	"time"

	"github.com/igexport/igexport/internal/schema"
)

// uiDays holds the values of the window's days while user_insights is
// fetched, compactly: per metric column a slice of int64 indexed by the
// day's offset from the window start (allocated when the column gets its
// first value; a float column holds the bits of its float64), per day a
// bitmask of the columns set, whether a value arrived (ok) and whether an
// end_time is known, the end_time in unix microseconds, and the hourly
// online_followers of the few days that have them. The schema.UserInsight
// rows, with a heap pointer per value, are built only in commit (row).
type uiDays struct {
	from schema.Date
	cols columns[schema.UserInsight]
	// slot maps a field index of schema.UserInsight to its column's
	// slot (−1: not a metric column); field and float map a slot back.
	slot  []int8
	field []int
	float []bool

	mask   []uint32  // per day: bit s (< uiSlotBits): slot s set; uiOK, uiEnd
	vals   [][]int64 // per slot, per day
	end    []int64   // per day: the end_time (unix µs) when mask has uiEnd
	online map[schema.Date][]schema.HourFollowers

	follows, unfollows int // the slots of the follows and unfollows columns, −1 if none
}

const (
	uiSlotBits        = 30
	uiOK       uint32 = 1 << 30 // at least one value arrived
	uiEnd      uint32 = 1 << 31 // the end_time is known
)

// newUIDays returns the empty days of from..to (inclusive; none when to < from).
func newUIDays(cols columns[schema.UserInsight], from, to schema.Date) *uiDays {
	rt := reflect.TypeFor[schema.UserInsight]()
	d := &uiDays{from: from, cols: cols, slot: make([]int8, rt.NumField()), follows: -1, unfollows: -1}
	for i := range rt.NumField() {
		d.slot[i] = -1
		if t := rt.Field(i).Type; t == int64PtrType || t == float64PtrType {
			if len(d.field) == uiSlotBits {
				panic("export: too many metric columns in schema.UserInsight")
			}
			d.slot[i] = int8(len(d.field))
			d.field = append(d.field, i)
			d.float = append(d.float, t == float64PtrType)
		}
	}
	if i, ok := cols.field["follows"]; ok {
		d.follows = int(d.slot[i])
	}
	if i, ok := cols.field["unfollows"]; ok {
		d.unfollows = int(d.slot[i])
	}
	if to >= from {
		d.mask = make([]uint32, int(to-from)+1)
		d.vals = make([][]int64, len(d.field))
	}
	return d
}

// index is the offset of day in the window, false outside it.
func (d *uiDays) index(day schema.Date) (int, bool) {
	i := int(day - d.from)
	return i, day >= d.from && i < len(d.mask)
}

// setSlot stores v (the bits of a float for a float column) in slot s of day i.
func (d *uiDays) setSlot(i, s int, v int64) {
	if d.vals[s] == nil {
		d.vals[s] = make([]int64, len(d.mask))
	}
	d.vals[s][i] = v
	d.mask[i] |= 1 << s
}

// slotOf is the slot of the column of metric (a metric name or a column
// name, as columns.set takes it), −1 when there is no such column.
func (d *uiDays) slotOf(metric string) int {
	f, ok := d.cols.fieldOf(metric)
	if !ok {
		return -1
	}
	return int(d.slot[f])
}

// bits is v as slot s stores it: the integer, or a float column's float64 bits.
func (d *uiDays) bits(s int, v num) int64 {
	if d.float[s] {
		return int64(math.Float64bits(v.f))
	}
	return v.i
}

// has reports whether slot s of day i is set.
func (d *uiDays) has(i, s int) bool { return s >= 0 && d.mask[i]&(1<<s) != 0 }

// setEnd sets the end_time of day i (unix µs) unless it is known.
func (d *uiDays) setEnd(i int, us int64) {
	if d.mask[i]&uiEnd != 0 {
		return
	}
	if d.end == nil {
		d.end = make([]int64, len(d.mask))
	}
	d.end[i] = us
	d.mask[i] |= uiEnd
}

// endTime is the end_time of day i, false when it is not known.
func (d *uiDays) endTime(i int) (time.Time, bool) {
	if d.mask[i]&uiEnd == 0 {
		return time.Time{}, false
	}
	return time.UnixMicro(d.end[i]).UTC(), true
}

// ok reports whether a value arrived for day i.
func (d *uiDays) ok(i int) bool { return d.mask[i]&uiOK != 0 }

// day is the date of offset i.
func (d *uiDays) day(i int) schema.Date { return d.from.AddDays(i) }

// row builds the row of day i.
func (d *uiDays) row(i int) schema.UserInsight {
	day := d.day(i)
	r := schema.UserInsight{Date: day, OnlineFollowers: d.online[day]}
	if t, ok := d.endTime(i); ok {
		r.EndTime = &t
	}
	rv := reflect.ValueOf(&r).Elem()
	for s, f := range d.field {
		if !d.has(i, s) {
			continue
		}
		v := d.vals[s][i]
		if d.float[s] {
			x := math.Float64frombits(uint64(v))
			rv.Field(f).Set(reflect.ValueOf(&x))
		} else {
			x := v
			rv.Field(f).Set(reflect.ValueOf(&x))
		}
	}
	return r
}
