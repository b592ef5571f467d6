package export

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
)

// DefaultBreakdowns are the demographic breakdowns fetched by default.
var DefaultBreakdowns = []string{"age", "gender", "country", "city", "age,gender"}

// runLifetime fetches audience demographics: one operation per metric and
// breakdown, all in one batch; long format, one row per bucket.
func (a *accountRun) runLifetime(ctx context.Context) error {
	s := a.stream(schema.UserLifetimeInsights)
	set := a.r.cfg.StreamSetting(schema.UserLifetimeInsights)
	breakdowns := set.Breakdowns
	if len(breakdowns) == 0 {
		breakdowns = DefaultBreakdowns
	}
	timeframe := set.Timeframe
	if timeframe == "" {
		timeframe = "this_month"
	}
	type op struct{ metric, breakdown string }
	var ops []op
	var reqs []graph.Request
	path := "/" + a.t.ID + "/insights"
	for _, m := range a.r.cat.Select(catalog.Demographics, set.Metrics) {
		for _, b := range breakdowns {
			ops = append(ops, op{m.Name, b})
			reqs = append(reqs, graph.Request{Path: path, Params: url.Values{
				"metric": {m.Name}, "period": {"lifetime"}, "metric_type": {"total_value"},
				"timeframe": {timeframe}, "breakdown": {b}}})
		}
	}
	resps, err := s.client.Batch(ctx, reqs)
	if err != nil {
		return err
	}
	p := newPartitions[schema.LifetimeInsight](s)
	defer p.abort()
	if _, err := p.open(a.r.snapDT); err != nil {
		return err
	}
	fetched := fetchedAt()
	for i, o := range ops {
		rs := resps[i]
		if rs.Err != nil {
			var ge *graph.Error
			if errors.As(rs.Err, &ge) && ge.Code == 100 && !ge.Transient() {
				s.skip(o.metric+" by "+o.breakdown, firstLine(ge.Message))
				continue
			}
			return fmt.Errorf("%s %s by %s: %w", path, o.metric, o.breakdown, rs.Err)
		}
		var dj insightsJSON
		if err := decode(rs.Body, &dj, path); err != nil {
			return err
		}
		n := 0
		for _, d := range dj.Data {
			if d.TotalValue == nil {
				continue
			}
			for _, b := range d.TotalValue.Breakdowns {
				for _, r := range b.Results {
					v, ok := toInt(r.Value)
					if !ok {
						return fmt.Errorf("malformed response from %s: %s by %s: value %q is not a number", path, o.metric, o.breakdown, r.Value)
					}
					row := schema.LifetimeInsight{Metric: o.metric, Timeframe: timeframe, Breakdown: o.breakdown,
						Value: v, FetchedAt: fetched}
					for k, key := range b.DimensionKeys {
						if k >= len(r.DimensionValues) {
							break
						}
						v := schema.Ptr(r.DimensionValues[k])
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
					if err := p.add(a.r.snapDT, row); err != nil {
						return err
					}
					n++
				}
			}
		}
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
