package export

import (
	"context"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// runStories lists live stories (stories stream, partitioned by each
// story's own date and merged there) and fetches their insights in one
// batch: plain metrics and navigation as separate operations.
func (a *accountRun) runStories(ctx context.Context) error {
	ss, is, list := a.listStreams(schema.Stories, schema.StoryInsights)
	var stories []schema.Story
	op := listOps(a.t.ID, "stories", storyFieldsFor(a.t.Login), 0)[0]
	endpoint := op.Path
	err := a.listPages(ctx, list, op, func(items []*fastjson.Value) error {
		page, err := storyRows(items, a.r.fetchedAt())
		if err != nil {
			return fmt.Errorf("malformed response from %s: %w", endpoint, err)
		}
		stories = append(stories, page...)
		return nil
	})
	if err != nil {
		return err
	}
	storyDT := func(st schema.Story) schema.Date {
		if st.Timestamp == nil {
			return a.r.snapDT
		}
		return schema.DateOf(*st.Timestamp)
	}
	if ss != nil {
		p := newPartitions[schema.Story](ss)
		defer p.abort()
		for _, st := range stories {
			if err := p.add(ctx, storyDT(st), st); err != nil {
				return err
			}
		}
		files, err := p.commit(ctx)
		if err != nil {
			return err
		}
		ss.done(files, nil)
	}
	if is == nil {
		return nil
	}
	ids := make([]string, len(stories))
	for i, st := range stories {
		ids[i] = st.ID
	}
	metrics := a.spec(schema.StoryInsights).Metrics[catalog.Story]
	results, err := is.fetchInsights(ctx, len(stories), storyInsightOps(ids, metrics))
	if err != nil {
		return err
	}
	p := newPartitions[schema.StoryInsight](is)
	defer p.abort()
	fetched := a.r.fetchedAt()
	cols := metricColumns[schema.StoryInsight](metrics)
	for i, st := range stories {
		row := schema.StoryInsight{ID: st.ID, StoryTimestamp: st.Timestamp, InsightsStatus: results[i].finalStatus(), FetchedAt: fetched}
		cols.fill(&row, results[i].values)
		if err := p.add(ctx, storyDT(st), row); err != nil {
			return err
		}
	}
	files, err := p.commit(ctx)
	if err != nil {
		return err
	}
	is.done(files, nil)
	return nil
}

// storyInsightOps: per story, its plain metrics in one batch operation and
// each breakdown metric (navigation) in one of its own (a breakdown metric
// cannot share a request with plain metrics); one batch call.
func storyInsightOps(storyIDs []string, metrics []catalog.Metric) []Op {
	plain, split := splitBreakdowns(metrics)
	var ops []Op
	for i, id := range storyIDs {
		path := "/" + id + "/insights"
		if len(plain) > 0 {
			ops = append(ops, Op{Path: path, Send: sendBatch, Item: i, Metrics: plain})
		}
		for _, m := range split {
			ops = append(ops, Op{Path: path, Send: sendBatch, Item: i, Metrics: []string{m.Name}, Breakdown: m.Breakdown})
		}
	}
	return ops
}
