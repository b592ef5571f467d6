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
	spec := a.spec(schema.UserLifetimeInsights)
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
		parser := a.r.parsers.Get()
		rows, err := lifetimeRows(parser, rs.Body, path, o.metric, o.breakdown, timeframe, fetched)
		a.r.parsers.Put(parser)
		if err != nil {
			return err
		}
		if err := p.add(ctx, a.r.snapDT, rows...); err != nil {
			return err
		}
		if len(rows) == 0 {
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

// lifetimeRows reads the buckets of one demographics answer (metric by
// breakdown) into rows, one per bucket. p is a parser from the runner's
// pool.
func lifetimeRows(p *fastjson.Parser, body []byte, path, metric, breakdown, timeframe string, fetched time.Time) ([]schema.LifetimeInsight, error) {
	var rows []schema.LifetimeInsight
	seen := map[string]bool{}
	err := eachInsight(p, body, path, nil, func(_ string, d *fastjson.Value) error {
		tv := d.Get("total_value")
		if tv == nil || tv.Type() != fastjson.TypeObject {
			return nil
		}
		for _, b := range tv.GetArray("breakdowns") {
			keys, err := stringArray(b, "dimension_keys")
			if err != nil {
				return fmt.Errorf("malformed response from %s: %s by %s: %w", path, metric, breakdown, err)
			}
			for j, r := range b.GetArray("results") {
				v, ok := jsonNum(r.Get("value"))
				if !ok {
					return fmt.Errorf("malformed response from %s: %s by %s: value %s is not a number", path, metric, breakdown, jsonText(r.Get("value")))
				}
				dims, err := stringArray(r, "dimension_values")
				if err != nil {
					return fmt.Errorf("malformed response from %s: %s by %s: %w", path, metric, breakdown, err)
				}
				row := schema.LifetimeInsight{Metric: metric, Timeframe: timeframe, Breakdown: breakdown, Value: v.i, FetchedAt: fetched}
				if err := bucketDims(&row, breakdown, keys, dims); err != nil {
					return fmt.Errorf("malformed response from %s: %s by %s: results[%d]: %w", path, metric, breakdown, j, err)
				}
				// The dimensions are the row's key: two buckets with the same
				// ones would become one row.
				k := row.Key()
				if seen[k] {
					return fmt.Errorf("malformed response from %s: %s by %s: results[%d]: bucket %q appears twice",
						path, metric, breakdown, j, strings.Join(dims, ","))
				}
				seen[k] = true
				rows = append(rows, row)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// bucketDims sets the dimension columns of row from one bucket of a
// breakdown: keys[i] names values[i]. Every dimension of the breakdown asked
// for (age, gender, country, city) is part of the row's key, so each must
// come with a non-empty value; keys and values must pair up.
func bucketDims(row *schema.LifetimeInsight, breakdown string, keys, values []string) error {
	if len(values) != len(keys) {
		return fmt.Errorf("%d dimension_values for %d dimension_keys", len(values), len(keys))
	}
	for k, key := range keys {
		v := schema.Ptr(values[k])
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
	for _, dim := range strings.Split(breakdown, ",") {
		var col *string
		switch dim = strings.ToLower(strings.TrimSpace(dim)); dim {
		case "age":
			col = row.Age
		case "gender":
			col = row.Gender
		case "country":
			col = row.Country
		case "city":
			col = row.City
		default:
			continue // not a column
		}
		if col == nil || *col == "" {
			return missingKey("dimension value of " + dim)
		}
	}
	return nil
}
