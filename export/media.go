package export

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/sourcegraph/conc/pool"
	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// mediaFields asks for carousel children by field expansion: one request
// per 100 media, none per child (SPEC §1.1).
const mediaFields = "id,ig_id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,username,owner,timestamp,like_count,comments_count,is_comment_enabled,children{id,media_type,media_url,thumbnail_url,timestamp}"

const storyFields = "id,ig_id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,username,owner,timestamp,like_count"

// mediaJSON is one object of a /media or /stories page (jsonread.go).
type mediaJSON struct {
	ID               string
	IGID             *flexString
	Caption          *string
	MediaType        *string
	MediaProductType *string
	MediaURL         *string
	ThumbnailURL     *string
	Permalink        *string
	Shortcode        *string
	Username         *string
	Owner            *mediaOwner
	Timestamp        *string
	LikeCount        *int64
	CommentsCount    *int64
	IsCommentEnabled *bool
	Children         *mediaChildren
}

type mediaOwner struct{ ID string }

type mediaChildren struct{ Data []mediaChild }

type mediaChild struct {
	ID           string
	MediaType    *string
	MediaURL     *string
	ThumbnailURL *string
	Timestamp    *string
}

// mediaRef is what insights need to know about a media object.
type mediaRef struct {
	id          string
	mediaType   *string
	productType *string
	timestamp   *time.Time
}

func (m mediaJSON) toRow(fetched time.Time) (schema.MediaRow, error) {
	ts, err := apiTime(m.Timestamp)
	if err != nil {
		return schema.MediaRow{}, fmt.Errorf("media %s: %w", m.ID, err)
	}
	row := schema.MediaRow{
		ID: m.ID, IGID: m.IGID.ptr(), Caption: m.Caption, MediaType: m.MediaType,
		MediaProductType: m.MediaProductType, MediaURL: m.MediaURL, ThumbnailURL: m.ThumbnailURL,
		Permalink: m.Permalink, Shortcode: m.Shortcode, Username: m.Username, Timestamp: ts,
		LikeCount: m.LikeCount, CommentsCount: m.CommentsCount, IsCommentEnabled: m.IsCommentEnabled,
		FetchedAt: fetched,
	}
	if m.Owner != nil && m.Owner.ID != "" {
		row.OwnerID = schema.Ptr(m.Owner.ID)
	}
	if m.Children != nil {
		row.Children = []schema.Child{}
		for _, c := range m.Children.Data {
			cts, err := apiTime(c.Timestamp)
			if err != nil {
				return schema.MediaRow{}, fmt.Errorf("media %s child %s: %w", m.ID, c.ID, err)
			}
			row.Children = append(row.Children, schema.Child{ID: c.ID, MediaType: c.MediaType,
				MediaURL: c.MediaURL, ThumbnailURL: c.ThumbnailURL, Timestamp: cts})
		}
	}
	return row, nil
}

// runMedia lists the account's media (writing the media stream) and, as
// pages arrive, fetches their insights in Graph batches (media_insights).
func (a *accountRun) runMedia(ctx context.Context) error {
	var ms, is *streamRun
	if a.r.selected(schema.Media) {
		ms = a.stream(schema.Media)
	}
	if a.r.selected(schema.MediaInsights) {
		is = a.stream(schema.MediaInsights)
	}
	list := ms
	if list == nil {
		list = is
	}
	var mediaParts *partitions[schema.MediaRow]
	if ms != nil {
		mediaParts = newPartitions[schema.MediaRow](ms)
		defer mediaParts.abort()
		if _, err := mediaParts.open(a.r.snapDT); err != nil {
			return err
		}
	}
	var ins *mediaInsights
	if is != nil {
		ins = a.newMediaInsights(ctx, is)
		defer ins.parts.abort()
	}

	var rows int64
	endpoint := "/" + a.t.ID + "/media"
	err := list.client.PageItems(ctx, endpoint, url.Values{"fields": {mediaFields}, "limit": {"100"}}, func(items []*fastjson.Value) error {
		page, err := mediaPage(items)
		if err != nil {
			return fmt.Errorf("malformed response from %s: %w", endpoint, err)
		}
		fetched := fetchedAt()
		for _, m := range page {
			row, err := m.toRow(fetched)
			if err != nil {
				return fmt.Errorf("malformed response from %s: %w", endpoint, err)
			}
			if mediaParts != nil {
				if err := mediaParts.add(a.r.snapDT, row); err != nil {
					return err
				}
			}
			if ins != nil {
				ins.add(mediaRef{id: row.ID, mediaType: row.MediaType, productType: row.MediaProductType, timestamp: row.Timestamp})
			}
		}
		rows += int64(len(page))
		a.r.opts.progress().StreamProgress(a.t.Name, list.name(), rows)
		return nil
	})
	if err != nil {
		if ins != nil {
			ins.pool.Wait()
		}
		return err
	}
	dt := a.r.snapDT
	if ms != nil {
		files, err := mediaParts.commit(ctx)
		if err != nil {
			return err
		}
		ms.done(files, snapshotTaken(dt))
	}
	if ins != nil {
		if err := ins.finish(ctx); err != nil {
			return err
		}
	}
	return nil
}

// mediaInsights pipelines insights batches behind the media pages.
type mediaInsights struct {
	a       *accountRun
	s       *streamRun
	parts   *partitions[schema.MediaInsight]
	pool    *pool.ContextPool
	metrics map[catalog.Kind][]string
	cutoff  *time.Time
	old     int

	pending []mediaRef
	seq     int // batches handed out

	mu    sync.Mutex
	next  int                           // next batch to write, in listing order
	ready map[int][]schema.MediaInsight // finished batches waiting for an earlier one
}

func (a *accountRun) newMediaInsights(ctx context.Context, s *streamRun) *mediaInsights {
	m := &mediaInsights{a: a, s: s, parts: newPartitions[schema.MediaInsight](s),
		pool:    pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(4),
		metrics: map[catalog.Kind][]string{}, ready: map[int][]schema.MediaInsight{}}
	set := a.r.cfg.StreamSetting(schema.MediaInsights)
	for _, k := range catalog.MediaKinds {
		for _, mt := range a.r.cat.Select(k, set.Metrics) {
			m.metrics[k] = append(m.metrics[k], mt.Name)
		}
	}
	if set.MaxMediaAgeDays > 0 {
		c := a.r.now.AddDate(0, 0, -set.MaxMediaAgeDays)
		m.cutoff = &c
	}
	_, _ = m.parts.open(a.r.snapDT)
	return m
}

const batchSize = 50

func (m *mediaInsights) add(ref mediaRef) {
	if m.cutoff != nil && ref.timestamp != nil && ref.timestamp.Before(*m.cutoff) {
		m.old++
		return
	}
	m.pending = append(m.pending, ref)
	if len(m.pending) >= batchSize {
		m.flush()
	}
}

func (m *mediaInsights) flush() {
	if len(m.pending) == 0 {
		return
	}
	refs, seq := m.pending, m.seq
	m.pending = nil
	m.seq++
	m.pool.Go(func(ctx context.Context) error { return m.fetch(ctx, seq, refs) })
}

func (m *mediaInsights) fetch(ctx context.Context, seq int, refs []mediaRef) error {
	var ops []insightOp
	for i, ref := range refs {
		k := catalog.KindOf(deref(ref.mediaType), deref(ref.productType))
		if ms := m.metrics[k]; len(ms) > 0 {
			ops = append(ops, insightOp{item: i, objectID: ref.id, metrics: ms})
		}
	}
	results, err := m.s.fetchInsights(ctx, len(refs), ops)
	if err != nil {
		return err
	}
	fetched := fetchedAt()
	rows := make([]schema.MediaInsight, len(refs))
	for i, ref := range refs {
		r := results[i]
		st := r.finalStatus()
		k := catalog.KindOf(deref(ref.mediaType), deref(ref.productType))
		if len(m.metrics[k]) == 0 {
			st = schema.StatusUnsupported
		}
		v := r.values
		rows[i] = schema.MediaInsight{
			ID: ref.id, MediaType: ref.mediaType, MediaProductType: ref.productType, MediaTimestamp: ref.timestamp,
			Views: metricPtr(v, "views"), Reach: metricPtr(v, "reach"), Likes: metricPtr(v, "likes"),
			Comments: metricPtr(v, "comments"), Saved: metricPtr(v, "saved"), Shares: metricPtr(v, "shares"),
			TotalInteractions: metricPtr(v, "total_interactions"), Follows: metricPtr(v, "follows"),
			ProfileVisits: metricPtr(v, "profile_visits"), IGReelsAvgWatchTime: metricPtr(v, "ig_reels_avg_watch_time"),
			IGReelsVideoViewTotalTime: metricPtr(v, "ig_reels_video_view_total_time"),
			InsightsStatus:            st, FetchedAt: fetched,
		}
	}
	return m.write(seq, rows)
}

// write adds a batch's rows in listing order, whatever order the batches
// finish in, so a re-run writes the same rows in the same order.
func (m *mediaInsights) write(seq int, rows []schema.MediaInsight) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ready[seq] = rows
	for {
		rows, ok := m.ready[m.next]
		if !ok {
			return nil
		}
		delete(m.ready, m.next)
		m.next++
		if err := m.parts.add(m.a.r.snapDT, rows...); err != nil {
			return err
		}
	}
}

func (m *mediaInsights) finish(ctx context.Context) error {
	m.flush()
	if err := m.pool.Wait(); err != nil {
		return err
	}
	if m.old > 0 {
		m.s.note("%d media older than max_media_age_days (%d) not refreshed",
			m.old, m.a.r.cfg.StreamSetting(schema.MediaInsights).MaxMediaAgeDays)
	}
	files, err := m.parts.commit(ctx)
	if err != nil {
		return err
	}
	dt := m.a.r.snapDT
	m.s.done(files, snapshotTaken(dt))
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
