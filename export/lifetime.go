package export

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
)

// lifetimeOps: audience demographics, one batch operation per metric and
// breakdown, one batch call.
func lifetimeOps(accountID string, spec StreamSpec) []Op {
	var ops []Op
	path := "/" + accountID + "/insights"
	for _, m := range spec.Metrics[catalog.Demographics] {
		for _, b := range spec.Breakdowns {
			ops = append(ops, Op{Path: path, Send: sendBatch, Metrics: []string{m.Name}, Breakdown: b,
				Params: url.Values{"period": {"lifetime"}, "metric_type": {"total_value"}, "timeframe": {spec.Timeframe}}})
		}
	}
	return ops
}

// runLifetime fetches audience demographics (lifetimeOps); long format,
// one row per bucket.
func (a *accountRun) runLifetime(ctx context.Context) error {
	s := a.stream(schema.UserLifetimeInsights)
	spec := a.r.job.Spec(schema.UserLifetimeInsights)
	ops := lifetimeOps(a.t.ID, spec)
	path := "/" + a.t.ID + "/insights"
	timeframe := spec.Timeframe
	resps, err := s.client.Batch(ctx, requests(ops))
	if err != nil {
		return err
	}
	p := newPartitions[schema.LifetimeInsight](s)
	defer p.abort()
	if _, err := p.open(a.r.snapDT); err != nil {
		return err
	}
	fetched := a.r.fetchedAt()
	for i, op := range ops {
		o := struct{ metric, breakdown string }{op.Metrics[0], op.Breakdown}
		rs := resps[i]
		if rs.Err != nil {
			var ge *graph.Error
			if errors.As(rs.Err, &ge) && ge.Code == 100 && !ge.Transient() {
				s.skip(o.metric+" by "+o.breakdown, firstLine(ge.Message))
				continue
			}
			return fmt.Errorf("%s %s by %s: %w", path, o.metric, o.breakdown, rs.Err)
		}
		var rows []schema.LifetimeInsight
		parser := a.r.parsers.Get()
		err := eachInsight(parser, rs.Body, path, func(_ string, d *fastjson.Value) error {
			tv := d.Get("total_value")
			if tv == nil || tv.Type() != fastjson.TypeObject {
				return nil
			}
			for _, b := range tv.GetArray("breakdowns") {
				keys, err := stringArray(b, "dimension_keys")
				if err != nil {
					return fmt.Errorf("malformed response from %s: %s by %s: %w", path, o.metric, o.breakdown, err)
				}
				for _, r := range b.GetArray("results") {
					v, ok := jsonNum(r.Get("value"))
					if !ok {
						return fmt.Errorf("malformed response from %s: %s by %s: value %s is not a number", path, o.metric, o.breakdown, jsonText(r.Get("value")))
					}
					dims, err := stringArray(r, "dimension_values")
					if err != nil {
						return fmt.Errorf("malformed response from %s: %s by %s: %w", path, o.metric, o.breakdown, err)
					}
					rows = append(rows, demographicRow(o.metric, timeframe, o.breakdown, keys, dims, v.i, fetched))
				}
			}
			return nil
		})
		a.r.parsers.Put(parser)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if err := p.add(a.r.snapDT, row); err != nil {
				return err
			}
		}
		n := len(rows)
		if n == 0 {
			s.skip(o.metric+" by "+o.breakdown, "no data (accounts under 100 followers or engagements get none)")
		}
	}
	files, err := p.commit(ctx)
	if err != nil {
		return err
	}
	dt := a.r.snapDT
	s.done(files, snapshotTaken(dt))
	return nil
}

// demographicRow is one bucket of a demographics breakdown: each dimension
// value in the column of its dimension key.
func demographicRow(metric, timeframe, breakdown string, keys, dims []string, v int64, fetched time.Time) schema.LifetimeInsight {
	row := schema.LifetimeInsight{Metric: metric, Timeframe: timeframe, Breakdown: breakdown, Value: v, FetchedAt: fetched}
	for k, key := range keys {
		if k >= len(dims) {
			break
		}
		v := schema.Ptr(dims[k])
		switch strings.ToLower(key) {
		case "age":
			row.Age = v
		case "gender":
			row.Gender = v
		case "country":
			row.Country = v
		case "city":
			row.City = v
		}
	}
	return row
}
