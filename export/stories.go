package export

import (
	"context"
	"fmt"
	"net/url"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// runStories lists live stories (stories stream, partitioned by each
// story's own date and merged there) and fetches their insights in one
// batch: plain metrics and navigation as separate operations.
func (a *accountRun) runStories(ctx context.Context) error {
	var ss, is *streamRun
	if a.r.selected(schema.Stories) {
		ss = a.stream(schema.Stories)
	}
	if a.r.selected(schema.StoryInsights) {
		is = a.stream(schema.StoryInsights)
	}
	list := ss
	if list == nil {
		list = is
	}
	var stories []schema.Story
	endpoint := "/" + a.t.ID + "/stories"
	err := list.client.PageItems(ctx, endpoint, url.Values{"fields": {storyFields}, "limit": {"100"}}, func(items []*fastjson.Value) error {
		page, err := mediaPage(items)
		if err != nil {
			return fmt.Errorf("malformed response from %s: %w", endpoint, err)
		}
		fetched := fetchedAt()
		for _, m := range page {
			ts, err := apiTime(m.Timestamp)
			if err != nil {
				return fmt.Errorf("malformed response from %s: story %s: %w", endpoint, m.ID, err)
			}
			st := schema.Story{ID: m.ID, IGID: m.IGID.ptr(), Caption: m.Caption, MediaType: m.MediaType,
				MediaProductType: m.MediaProductType, MediaURL: m.MediaURL, ThumbnailURL: m.ThumbnailURL,
				Permalink: m.Permalink, Shortcode: m.Shortcode, Username: m.Username, Timestamp: ts,
				LikeCount: m.LikeCount, FetchedAt: fetched}
			if m.Owner != nil && m.Owner.ID != "" {
				st.OwnerID = schema.Ptr(m.Owner.ID)
			}
			stories = append(stories, st)
		}
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
			if err := p.add(storyDT(st), st); err != nil {
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
	set := a.r.cfg.StreamSetting(schema.StoryInsights)
	var plain []string
	var nav *catalog.Metric
	for _, m := range a.r.cat.Select(catalog.Story, set.Metrics) {
		if m.Breakdown != "" {
			nav = &m
			continue
		}
		plain = append(plain, m.Name)
	}
	var ops []insightOp
	for i, st := range stories {
		if len(plain) > 0 {
			ops = append(ops, insightOp{item: i, objectID: st.ID, metrics: plain})
		}
		if nav != nil {
			ops = append(ops, insightOp{item: i, objectID: st.ID, metrics: []string{nav.Name}, breakdown: nav.Breakdown})
		}
	}
	results, err := is.fetchInsights(ctx, len(stories), ops)
	if err != nil {
		return err
	}
	p := newPartitions[schema.StoryInsight](is)
	defer p.abort()
	fetched := fetchedAt()
	for i, st := range stories {
		v := results[i].values
		row := schema.StoryInsight{ID: st.ID, StoryTimestamp: st.Timestamp,
			Views: metricPtr(v, "views"), Reach: metricPtr(v, "reach"), Replies: metricPtr(v, "replies"),
			Shares: metricPtr(v, "shares"), TotalInteractions: metricPtr(v, "total_interactions"),
			Follows: metricPtr(v, "follows"), ProfileVisits: metricPtr(v, "profile_visits"),
			Navigation: metricPtr(v, "navigation"), TapForward: metricPtr(v, "tap_forward"),
			TapBack: metricPtr(v, "tap_back"), TapExit: metricPtr(v, "tap_exit"),
			SwipeForward: metricPtr(v, "swipe_forward"), InsightsStatus: results[i].finalStatus(), FetchedAt: fetched}
		if err := p.add(storyDT(st), row); err != nil {
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
