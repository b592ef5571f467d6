package export

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sourcegraph/conc/pool"
	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// mediaFields asks for carousel children by field expansion: one request
// per 100 media, none per child (SPEC §1.1).
const mediaFields = "id,ig_id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,username,owner,timestamp,like_count,comments_count,is_comment_enabled,children{id,media_type,media_url,thumbnail_url,timestamp}"

const storyFields = "id,ig_id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,username,owner,timestamp,like_count"

// mediaRef is what insights need to know about a media object.
type mediaRef struct {
	id          string
	kind        catalog.Kind
	mediaType   *string
	productType *string
	timestamp   *time.Time
}

func newMediaRef(row schema.MediaRow) mediaRef {
	return mediaRef{id: row.ID, kind: mediaKind(row),
		mediaType: row.MediaType, productType: row.MediaProductType, timestamp: row.Timestamp}
}

// mediaInsightOps: per media whose kind has metrics, one batch operation
// for its plain metrics and one for each breakdown metric (a breakdown
// metric cannot share a request with plain metrics; profile_activity's
// action_type only with profile_activity_breakdown, see ResolveJob); a
// batch call per batchSize media (apply sends each batch as its media are
// listed).
//
// The ops of media of one kind share their Metrics slices (built once per
// kind): whoever changes an op's metrics clones them first.
func mediaInsightOps(refs []mediaRef, metrics map[catalog.Kind][]catalog.Metric) []Op {
	type kindOps struct {
		plain []string
		split []catalog.Metric
		names [][]string // the Metrics of each split op
	}
	kinds := map[catalog.Kind]*kindOps{}
	var ops []Op
	for i, ref := range refs {
		k := kinds[ref.kind]
		if k == nil {
			k = &kindOps{}
			k.plain, k.split = splitBreakdowns(metrics[ref.kind])
			for _, m := range k.split {
				k.names = append(k.names, []string{m.Name})
			}
			kinds[ref.kind] = k
		}
		path := "/" + ref.id + "/insights"
		if len(k.plain) > 0 {
			ops = append(ops, Op{Path: path, Send: sendBatch, Batch: i / batchSize, Item: i, Metrics: k.plain})
		}
		for j, m := range k.split {
			ops = append(ops, Op{Path: path, Send: sendBatch, Batch: i / batchSize, Item: i, Metrics: k.names[j], Breakdown: m.Breakdown})
		}
	}
	return ops
}

// splitBreakdowns returns the names of the plain metrics of ms and the
// metrics asked with a breakdown, each in an operation of its own.
func splitBreakdowns(ms []catalog.Metric) (plain []string, split []catalog.Metric) {
	for _, m := range ms {
		if m.Breakdown != "" {
			split = append(split, m)
			continue
		}
		plain = append(plain, m.Name)
	}
	return plain, split
}

// runMedia lists the account's media (writing the media stream) and, as
// pages arrive, fetches their insights in Graph batches (media_insights).
func (a *accountRun) runMedia(ctx context.Context) error {
	ms, is, list := a.listStreams(schema.Media, schema.MediaInsights)
	var com *commentsRun // comments.go: the media's comments, from the same listing
	if a.r.selected(schema.Comments) {
		com = a.newCommentsRun()
		if list == nil {
			list = com.s
		}
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
	op := listOps(a.t.ID, "media", mediaFieldsFor(a.t.Login), 0)[0]
	endpoint := op.Path
	err := a.listPages(ctx, list, op, func(items []*fastjson.Value) error {
		page, err := mediaRows(items, a.r.fetchedAt())
		if err != nil {
			return fmt.Errorf("malformed response from %s: %w", endpoint, err)
		}
		for _, row := range page {
			if mediaParts != nil {
				if err := mediaParts.add(ctx, a.r.snapDT, row); err != nil {
					return err
				}
			}
			if ins != nil {
				ins.add(newMediaRef(row))
			}
			if com != nil {
				com.add(row)
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
	if com != nil {
		return com.finish(ctx)
	}
	return nil
}

// mediaInsights pipelines insights batches behind the media pages.
type mediaInsights struct {
	a      *accountRun
	s      *streamRun
	parts  *partitions[schema.MediaInsight]
	pool   *pool.ContextPool
	spec   StreamSpec
	cols   columns[schema.MediaInsight]
	cutoff *time.Time
	old    int

	pending []mediaRef
	seq     int              // batches handed out
	kinds   map[string]int64 // media asked per kind (the state's MediaKinds)

	mu    sync.Mutex
	next  int                           // next batch to write, in listing order
	ready map[int][]schema.MediaInsight // finished batches waiting for an earlier one
}

func (a *accountRun) newMediaInsights(ctx context.Context, s *streamRun) *mediaInsights {
	m := &mediaInsights{a: a, s: s, parts: newPartitions[schema.MediaInsight](s),
		pool: pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(insightsBatchesInFlight),
		spec: a.spec(schema.MediaInsights), ready: map[int][]schema.MediaInsight{}, kinds: map[string]int64{}}
	m.cols = metricColumns[schema.MediaInsight](slices.Collect(maps.Values(m.spec.Metrics))...)
	if d := m.spec.MaxMediaAgeDays; d > 0 {
		c := a.r.now.AddDate(0, 0, -d)
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
	m.kinds[string(ref.kind)]++
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
	results, err := m.s.fetchInsights(ctx, len(refs), mediaInsightOps(refs, m.spec.Metrics))
	if err != nil {
		return err
	}
	fetched := m.a.r.fetchedAt()
	rows := make([]schema.MediaInsight, len(refs))
	for i, ref := range refs {
		r := results[i]
		st := r.finalStatus()
		if len(m.spec.Metrics[ref.kind]) == 0 {
			st = schema.StatusUnsupported
		}
		rows[i] = schema.MediaInsight{
			ID: ref.id, MediaType: ref.mediaType, MediaProductType: ref.productType, MediaTimestamp: ref.timestamp,
			InsightsStatus: st, FetchedAt: fetched,
		}
		m.cols.fill(&rows[i], r.values)
	}
	return m.write(ctx, seq, rows)
}

// write adds a batch's rows in listing order, whatever order the batches
// finish in, so a re-run writes the same rows in the same order.
func (m *mediaInsights) write(ctx context.Context, seq int, rows []schema.MediaInsight) error {
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
		if err := m.parts.add(ctx, m.a.r.snapDT, rows...); err != nil {
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
			m.old, m.spec.MaxMediaAgeDays)
	}
	files, err := m.parts.commit(ctx)
	if err != nil {
		return err
	}
	dt := m.a.r.snapDT
	m.s.done(files, func(st *sinks.StreamState) {
		snapshotTaken(dt)(st)
		st.MediaKinds = m.kinds
	})
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
