package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/valyala/fastjson"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/graph"
	"github.com/igexport/igexport/internal/schema"
	"github.com/igexport/igexport/sinks"
)

// The comments stream (opt-in): the comments and replies on the account's
// media, one row each, partitioned by the comment's own date and merged
// there by id, newest wins (like stories), so every comment ever seen stays.
//
// It spends requests only where comments changed. The media listing (made
// once for media, media_insights and comments) gives each media's
// comments_count; a media's comments are fetched when that count differs
// from the one the state remembers for it, or when the media is younger
// than refresh_days (new comments, likes and hidden flags change most
// there), and never when the count is 0. The state keeps those counts
// (sinks.CommentsState), not the previous media snapshot: the media stream
// may not be selected, may be a -snapshot-date re-run, or may have been
// written by a run whose comments failed; the counts in the comments
// stream's own state are committed with its files, so they describe exactly
// what the lake holds. One number per media with comments keeps the state
// small.

// commentFields: each comment with its replies by field expansion (a
// reply list longer than the expansion's page is followed by its
// paging.next).
const commentFields = "id,text,username,timestamp,like_count,hidden,replies{id,text,username,timestamp,like_count,hidden}"

// commentsAdvice names the permissions Meta requires to read comments on
// the account's own media (IG Media /comments reference, "Requirements").
const commentsAdvice = "reading comments needs the permissions instagram_basic, instagram_manage_comments and pages_read_engagement " +
	"(Facebook Login; plus ads_management or ads_read when the Page role comes from Business Manager), or " +
	"instagram_business_basic and instagram_business_manage_comments (Instagram Login): grant them to the token, " +
	"or remove comments from streams"

// commentMedia is what the comments stream knows of one listed media.
type commentMedia struct {
	id    string
	count int64
	ts    *time.Time
}

// commentsDue returns the media whose comments a run fetches, in listing
// order: comments_count > 0, and a count other than the one prev remembers
// or a media younger than refreshDays at now. young are the listed media
// younger than refreshDays (for the next plan).
func commentsDue(media []commentMedia, prev *sinks.CommentsState, now time.Time, refreshDays int) (due []commentMedia, young map[string]time.Time) {
	young = map[string]time.Time{}
	cutoff := now.AddDate(0, 0, -refreshDays)
	for _, m := range media {
		isYoung := refreshDays > 0 && m.ts != nil && m.ts.After(cutoff)
		if isYoung {
			young[m.id] = *m.ts
		}
		if m.count <= 0 {
			continue
		}
		changed := prev == nil || prev.Counts[m.id] != m.count
		if changed || isYoung {
			due = append(due, m)
		}
	}
	return due, young
}

// commentOps: one batch operation per due media (Graph batches of
// graph.MaxBatchOps), and, as plan counts them, the paging requests the
// state says a media's comments took after its operation (extra).
func commentOps(due []commentMedia, extra map[string]int64) []Op {
	var ops []Op
	params := url.Values{"fields": {commentFields}, "limit": {strconv.Itoa(pageSize)}}
	for i, m := range due {
		path := "/" + m.id + "/comments"
		ops = append(ops, Op{Path: path, Params: params, Send: sendBatch, Batch: i / batchSize, Item: i})
		if n := extra[m.id]; n > 0 {
			ops = append(ops, Op{Path: path, Send: sendPages, Pages: n, Item: i})
		}
	}
	return ops
}

// commentsRun is the comments stream of one account in one run: it
// collects the listed media as the media pages arrive and fetches their
// comments once the listing is complete.
type commentsRun struct {
	a     *accountRun
	s     *streamRun
	spec  StreamSpec
	media []commentMedia
}

func (a *accountRun) newCommentsRun() *commentsRun {
	return &commentsRun{a: a, s: a.stream(schema.Comments), spec: a.r.job.Spec(schema.Comments)}
}

func (c *commentsRun) add(row schema.MediaRow) {
	c.media = append(c.media, commentMedia{id: row.ID, count: deref64(row.CommentsCount), ts: row.Timestamp})
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// finish fetches the due media's comments, writes them and records the
// counts they were fetched at.
func (c *commentsRun) finish(ctx context.Context) error {
	var prev *sinks.CommentsState
	if ps := c.a.prevStream(schema.Comments); ps != nil {
		prev = ps.Comments
	}
	due, young := commentsDue(c.media, prev, c.a.r.now, c.spec.RefreshDays)
	name, err := c.usernames(ctx)
	if err != nil {
		return err
	}
	rewritten, err := c.rewriteUsernames(ctx, prev, name)
	if err != nil {
		return err
	}
	parts := newPartitions[schema.Comment](c.s)
	defer parts.abort()
	// Batches of batchSize media, insightsBatchesInFlight at a time, their
	// rows added in listing order whatever order they finish in (so a
	// re-run writes the same files): a finished batch waits for its turn,
	// so only the batches in flight hold rows (a slow first batch does not
	// keep every later one's comments in memory).
	extra := map[string]int64{}
	gone := map[string]bool{}
	ops := commentOps(due, nil)
	order := newTurns((len(ops) + batchSize - 1) / batchSize)
	workers := pool.New().WithContext(ctx).WithCancelOnError().WithFirstError().WithMaxGoroutines(insightsBatchesInFlight)
	for seq, start := 0, 0; start < len(ops); seq, start = seq+1, start+batchSize {
		chunk := ops[start:min(start+batchSize, len(ops))]
		workers.Go(func(ctx context.Context) error {
			rows, ex, gn, err := c.fetchChunk(ctx, chunk, due, name)
			if err != nil {
				return c.permission(err)
			}
			if err := order.wait(ctx, seq); err != nil {
				return err
			}
			defer order.done(seq)
			maps.Copy(extra, ex)
			maps.Copy(gone, gn)
			for _, r := range rows {
				if err := parts.add(ctx, c.dt(r), r); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := workers.Wait(); err != nil {
		return err
	}
	files, err := parts.commit(ctx)
	if err != nil {
		return err
	}
	files = mergeFiles(rewritten, files)
	if len(due) < countWithComments(c.media) {
		c.s.note("%d of %d media with comments fetched (comments_count changed, or younger than refresh_days = %d)",
			len(due), countWithComments(c.media), c.spec.RefreshDays)
	}
	c.s.done(files, func(st *sinks.StreamState) {
		next := &sinks.CommentsState{Media: int64(len(c.media)), Counts: map[string]int64{}, Extra: map[string]int64{}, Young: young,
			Usernames: c.spec.Usernames}
		fetched := map[string]bool{}
		for _, m := range due {
			fetched[m.id] = true
		}
		for _, m := range c.media {
			if m.count <= 0 || gone[m.id] {
				continue
			}
			next.Counts[m.id] = m.count
			switch {
			case fetched[m.id] && extra[m.id] > 0:
				next.Extra[m.id] = extra[m.id]
			case !fetched[m.id] && prev != nil && prev.Extra[m.id] > 0:
				next.Extra[m.id] = prev.Extra[m.id]
			}
		}
		st.Comments = next
	})
	return nil
}

// turns orders n concurrent tasks: task i's turn comes once task i−1's
// is done, so the tasks' results are used in sequence while they run in
// parallel, and a task that finished early waits holding only its own.
type turns []chan struct{}

func newTurns(n int) turns {
	t := make(turns, n+1)
	for i := range t {
		t[i] = make(chan struct{})
	}
	close(t[0])
	return t
}

// wait blocks until task i's turn, or until ctx is done (a task before it
// failed: its turn never comes).
func (t turns) wait(ctx context.Context, i int) error {
	select {
	case <-t[i]:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// done ends task i's turn: task i+1's comes.
func (t turns) done(i int) { close(t[i+1]) }

func countWithComments(media []commentMedia) int {
	n := 0
	for _, m := range media {
		if m.count > 0 {
			n++
		}
	}
	return n
}

// fetchChunk reads the comments of one batch of media: the batch POST,
// then the further pages of each media's lists. gone are the media deleted
// since the listing; extra the paging requests of each media that needed
// some.
func (c *commentsRun) fetchChunk(ctx context.Context, chunk []Op, due []commentMedia, name func(*string) *string) (
	rows []schema.Comment, extra map[string]int64, gone map[string]bool, err error) {
	resps, err := c.s.client.Batch(ctx, requests(chunk))
	if err != nil {
		return nil, nil, nil, err
	}
	extra, gone = map[string]int64{}, map[string]bool{}
	for i, op := range chunk {
		m := due[op.Item]
		if err := resps[i].Err; err != nil {
			var ge *graph.Error
			if errors.As(err, &ge) && ge.Code == 100 && ge.Subcode == 33 {
				// Deleted since the listing: nothing to read, nothing to remember.
				c.s.skip("media", "deleted after the listing")
				gone[m.id] = true
				continue
			}
			return nil, nil, nil, fmt.Errorf("%s: %w", op.Path, err)
		}
		n, err := c.read(ctx, m.id, resps[i].Body, name, &rows)
		if err != nil {
			return nil, nil, nil, err
		}
		if n > 0 {
			extra[m.id] = n
		}
	}
	return rows, extra, gone, nil
}

// permission adds the comments permissions to the advice of a permission
// error (the account's first advice wins).
func (c *commentsRun) permission(err error) error {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Permission() {
		c.a.mu.Lock()
		if c.a.advice == "" {
			c.a.advice = commentsAdvice
		}
		c.a.mu.Unlock()
	}
	return err
}

// usernames returns what a row's username becomes under the usernames
// setting: the username, its salted hash, or NULL.
func (c *commentsRun) usernames(ctx context.Context) (func(*string) *string, error) {
	switch c.spec.Usernames {
	case hcl.UsernamesDrop:
		return func(*string) *string { return nil }, nil
	case hcl.UsernamesHash:
		salt, err := c.a.r.state.LakeSalt(ctx)
		if err != nil {
			return nil, err
		}
		return func(u *string) *string {
			if u == nil {
				return nil
			}
			return schema.Ptr(hashUsername(salt, *u))
		}, nil
	}
	return func(u *string) *string { return u }, nil
}

// rewriteUsernames: when the usernames setting is stricter than the one the
// account's comments files were written with (keep, then hash or drop;
// hash, then drop), every one of those files is rewritten with its rows'
// usernames hashed or dropped, before anything is fetched: the files a run
// does not fetch for, and the old rows a merge keeps, must not keep
// usernames in clear either. A username already hashed (64 hex digits: an
// Instagram username has at most 30 characters) stays as it is, so a run
// that crashed after rewriting some files is redone without hashing twice.
// The state records the setting with the files (data first): until then
// each run rewrites again. It returns the files rewritten.
func (c *commentsRun) rewriteUsernames(ctx context.Context, prev *sinks.CommentsState, name func(*string) *string) ([]sinks.FileInfo, error) {
	if prev == nil || !stricterUsernames(prev.Usernames, c.spec.Usernames) {
		return nil, nil
	}
	scrub := func(u *string) *string {
		if u != nil && isHashedUsername(*u) && c.spec.Usernames == hcl.UsernamesHash {
			return u
		}
		return name(u)
	}
	data := c.a.r.data
	keys, err := data.AccountFiles(ctx, schema.Comments, c.a.t.ID)
	if err != nil {
		return nil, err
	}
	var out []sinks.FileInfo
	parts := newPartitions[schema.Comment](c.s)
	defer func() { parts.abort() }()
	commit := func() error {
		files, err := parts.commit(ctx)
		out = append(out, files...)
		parts = newPartitions[schema.Comment](c.s)
		return err
	}
	for _, k := range keys {
		rows, err := sinks.ReadRows[schema.Comment](ctx, data, k.Rel())
		if err != nil {
			return nil, fmt.Errorf("%s: rewriting the usernames of %s: %w", schema.Comments, k.Rel(), err)
		}
		for i := range rows {
			rows[i].Username = scrub(rows[i].Username)
		}
		if err := parts.add(ctx, k.Date, rows...); err != nil {
			return nil, err
		}
		if parts.buffered >= spillRows {
			if err := commit(); err != nil {
				return nil, err
			}
		}
	}
	if err := commit(); err != nil {
		return nil, err
	}
	was := prev.Usernames
	if was == "" {
		was = hcl.UsernamesKeep
	}
	c.s.note("usernames changed from %q to %q: rewrote the %d comments file(s) written before", was, c.spec.Usernames, len(out))
	return out, nil
}

// stricterUsernames reports whether the usernames setting now hides more
// than was ("" is keep): keep → hash or drop, hash → drop.
func stricterUsernames(was, now string) bool {
	rank := func(m string) int {
		switch m {
		case hcl.UsernamesHash:
			return 1
		case hcl.UsernamesDrop:
			return 2
		}
		return 0
	}
	return rank(now) > rank(was)
}

// isHashedUsername reports whether u is what hashUsername gives: 64
// lowercase hex digits.
func isHashedUsername(u string) bool {
	if len(u) != 2*sha256.Size {
		return false
	}
	for _, r := range u {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}

// mergeFiles returns the files of first and second by key, one entry per
// key: second's (a later write) where both have it.
func mergeFiles(first, second []sinks.FileInfo) []sinks.FileInfo {
	if len(first) == 0 {
		return second
	}
	later := map[string]bool{}
	for _, f := range second {
		later[f.Key] = true
	}
	out := append(slices.DeleteFunc(first, func(f sinks.FileInfo) bool { return later[f.Key] }), second...)
	slices.SortFunc(out, func(a, b sinks.FileInfo) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// hashUsername is usernames = "hash": hex SHA-256 of the salt followed by
// the username.
func hashUsername(salt, username string) string {
	sum := sha256.Sum256([]byte(salt + username))
	return hex.EncodeToString(sum[:])
}

// read decodes one media's first comments page (a batch operation's body),
// follows its paging.next and its replies' paging.next, and adds the rows.
// It returns the paging requests it made.
func (c *commentsRun) read(ctx context.Context, mediaID string, body []byte, name func(*string) *string, out *[]schema.Comment) (int64, error) {
	endpoint := "/" + mediaID + "/comments"
	p := c.a.r.parsers.Get()
	v, err := p.ParseBytes(body)
	if err != nil {
		c.a.r.parsers.Put(p)
		// Not the parser's message: it quotes the body, commenters' names included.
		return 0, fmt.Errorf("malformed response from %s: not valid JSON (%d bytes)", endpoint, len(body))
	}
	var extra int64
	var pending []pageLink // paging.next links, followed once the parser is free
	d := v.Get("data")
	if d == nil || d.Type() != fastjson.TypeArray {
		c.a.r.parsers.Put(p)
		return 0, fmt.Errorf("malformed response from %s: \"data\" is missing or not an array", endpoint)
	}
	items, _ := d.Array()
	err = c.addPage(items, mediaID, nil, name, out, &pending)
	if next := pagingNext(v); next != "" {
		pending = append(pending, pageLink{next: next})
	}
	c.a.r.parsers.Put(p)
	if err != nil {
		return 0, fmt.Errorf("malformed response from %s: %w", endpoint, err)
	}
	for len(pending) > 0 {
		l := pending[0]
		pending = pending[1:]
		from := endpoint
		if l.parent != nil {
			from = "/" + *l.parent + "/replies"
		}
		err := c.s.client.PageNext(ctx, from, l.next, func(items []*fastjson.Value) error {
			extra++
			if err := c.addPage(items, mediaID, l.parent, name, out, &pending); err != nil {
				return fmt.Errorf("malformed response from %s: %w", from, err)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return extra, nil
}

// pageLink is a list to follow: top-level comments (parent nil) or the
// replies of parent.
type pageLink struct {
	parent *string
	next   string
}

// commentItem is one decoded comment with its replies' first page.
type commentItem struct {
	row         schema.Comment
	replies     []*fastjson.Value
	repliesNext string
}

// addPage appends to out the rows of a page of comments (parent nil) or
// replies, and the replies of its comments; lists that continue go to
// pending.
func (c *commentsRun) addPage(items []*fastjson.Value, mediaID string, parent *string, name func(*string) *string,
	out *[]schema.Comment, pending *[]pageLink) error {
	fetched := c.a.r.fetchedAt()
	kind := "comment"
	if parent != nil {
		kind = "reply"
	}
	got, err := pageItems(items, kind, func(f *fields) (commentItem, string) {
		it := commentItem{row: schema.Comment{ID: f.key("id"), MediaID: mediaID, ParentID: parent, Text: f.str("text"),
			Username: name(f.str("username")), Timestamp: f.time("timestamp"), LikeCount: f.int("like_count"),
			Hidden: f.bool("hidden"), FetchedAt: fetched}}
		if r := f.object("replies"); r != nil && parent == nil {
			it.replies = r.array("data")
			if pg := r.object("paging"); pg != nil {
				if n := pg.str("next"); n != nil {
					it.repliesNext = *n
				}
				if pg.err != nil && f.err == nil {
					f.err = fmt.Errorf("replies.paging: %w", pg.err)
				}
			}
			if r.err != nil && f.err == nil {
				f.err = fmt.Errorf("replies: %w", r.err)
			}
		}
		return it, it.row.ID
	})
	if err != nil {
		return err
	}
	for _, it := range got {
		*out = append(*out, it.row)
		if parent == nil && len(it.replies) > 0 {
			id := it.row.ID
			if err := c.addPage(it.replies, mediaID, &id, name, out, pending); err != nil {
				return fmt.Errorf("comment %s: %w", id, err)
			}
		}
		if it.repliesNext != "" {
			id := it.row.ID
			*pending = append(*pending, pageLink{parent: &id, next: it.repliesNext})
		}
	}
	return nil
}

// dt is a comment's partition: the date of its own timestamp (UTC).
func (c *commentsRun) dt(row schema.Comment) schema.Date {
	if row.Timestamp == nil {
		return c.a.r.snapDT
	}
	return schema.DateOf(*row.Timestamp)
}

// pagingNext reads paging.next of a list body.
func pagingNext(v *fastjson.Value) string {
	n := v.Get("paging", "next")
	if n == nil || n.Type() != fastjson.TypeString {
		return ""
	}
	b, _ := n.StringBytes()
	return string(b)
}

// planComments is the plan of the comments stream from the state: with
// the media as the last run listed them, the media due now are those
// younger than refresh_days at now (a count that changes since is known to
// apply only), each with the paging requests its comments took last time.
//
// On the stream's first run the media are those of the last media file
// when there is one (one operation per media with comments; the pages of
// long lists are known at apply time only), else unknown.
func (s *session) planComments(ctx context.Context, sp *StreamPlan, t Target, prev, mediaState *sinks.StreamState) {
	spec := s.job.Spec(schema.Comments)
	if prev == nil || prev.Comments == nil {
		sp.Estimate.LowerBound = true
		if mediaState != nil && mediaState.LastSnapshot != nil {
			last := *mediaState.LastSnapshot
			rows, err := sinks.ReadRows[schema.MediaRow](ctx, s.data, sinks.DataKey(schema.Media, last, t.ID))
			if err == nil {
				var listed []commentMedia
				for _, r := range rows {
					listed = append(listed, commentMedia{id: r.ID, count: deref64(r.CommentsCount), ts: r.Timestamp})
				}
				due, _ := commentsDue(listed, nil, s.now, spec.RefreshDays)
				sp.Estimate.Add(countOps(commentOps(due, nil)))
				sp.Basis = fmt.Sprintf("first run: %d media with comments in the media file of %s, one batch operation each, plus the further pages of long lists",
					len(due), last)
				return
			}
		}
		sp.Basis = "first run: the comments of every media with comments_count > 0 (known at apply time)"
		return
	}
	cs := prev.Comments
	var media []commentMedia
	for _, id := range sortedKeys(cs.Counts) {
		m := commentMedia{id: id, count: cs.Counts[id]}
		if t, ok := cs.Young[id]; ok {
			m.ts = &t
		}
		media = append(media, m)
	}
	due, _ := commentsDue(media, cs, s.now, spec.RefreshDays)
	sp.Estimate.Add(countOps(commentOps(due, cs.Extra)))
	sp.Basis = fmt.Sprintf("%d of %d media with comments: those younger than refresh_days (%d); media whose comments_count changes are added at apply time",
		len(due), len(media), spec.RefreshDays)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
