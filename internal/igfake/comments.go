package igfake

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Comments. Every feed media and reel has comments_count comments, replies
// included (graph-api.md §6.2), generated from the seed when first read: a
// feed post has a few to a few dozen, a popular reel hundreds. Comments are
// served by GET /{media-id}/comments (fields id, text, username, timestamp,
// like_count, hidden, parent_id, media, from and replies{…}), paged like
// every list, with replies as a nested list paged through GET
// /{comment-id}/replies. Unlike the rest of the dataset, comments change
// while the server runs: AddComments posts new ones and EditComments edits
// like counts and hidden flags, as commenters and moderators do between two
// exports.

// Comment is one comment or reply as the emulator serves it now.
type Comment struct {
	ID        string
	MediaID   string
	ParentID  string // "" for a top-level comment
	Text      string
	Username  string
	Timestamp time.Time
	LikeCount int64
	Hidden    bool
	// Replies are a top-level comment's replies, oldest first.
	Replies []Comment
}

// comment is the stored form: base values and the edit round it was
// posted in (edits apply from the round after).
type comment struct {
	id, mediaID, parentID string
	text, username        string
	ts                    time.Time
	likes                 int64
	hidden                bool
	replies               []*comment
}

// commentStore holds the comments generated or posted so far.
type commentStore struct {
	mu      sync.Mutex
	threads map[string][]*comment // media id → top-level comments, oldest first
	byID    map[string]*comment
	added   map[string]int64 // media id → comments posted by AddComments
	rounds  int              // EditComments calls
	fetches map[string]int64 // media id → GET /{media-id}/comments operations and their pages
}

func (cs *commentStore) init() {
	if cs.threads == nil {
		cs.threads, cs.byID = map[string][]*comment{}, map[string]*comment{}
		cs.added, cs.fetches = map[string]int64{}, map[string]int64{}
	}
}

var commenterWords = strings.Fields(`love this amazing so good wow where is this need this
beautiful great shot congrats yes please perfect obsessed the colors what a vibe can't wait
how much is it link please so cute stunning goals`)

var commentEmoji = []string{"😍", "🔥", "👏", "🙌", "❤️", "😂", "💯"}

// thread returns the top-level comments of m, generating them on first use
// (cs.mu held): comments_count of m split into comments and replies, posted
// mostly in the days after m, never after the dataset's clock reading.
func (s *Server) thread(m *Media) []*comment {
	cs := &s.comments
	cs.init()
	if t, ok := cs.threads[m.ID]; ok {
		return t
	}
	d := s.ds
	var top []*comment
	left := m.CommentsCount
	seq := 0
	newComment := func(parent *comment, after time.Time) *comment {
		seq++
		id := commentID(m.ID, seq)
		h := d.hash(id, "comment")
		span := d.Generated.Sub(after)
		window := min(span, 48*time.Hour) // most comments come in the first two days
		if h%25 == 0 {
			window = min(span, 60*24*time.Hour) // a late comment
		}
		var off time.Duration
		if window > 0 {
			off = time.Duration(between(d.hash(id, "ts"), 0, int64(window/time.Second))) * time.Second
		}
		var words []string
		for k := range 1 + int(h%5) {
			words = append(words, commenterWords[d.hash(id, "w", fmt.Sprint(k))%uint64(len(commenterWords))])
		}
		text := strings.Join(words, " ")
		if h%3 == 0 {
			text += " " + commentEmoji[h%uint64(len(commentEmoji))]
		}
		c := &comment{id: id, mediaID: m.ID, text: text,
			username: fmt.Sprintf("fan.%04d", between(d.hash(id, "user"), 1, 4000)),
			ts:       after.Add(off).Truncate(time.Second).UTC(),
			likes:    between(d.hash(id, "likes"), 0, 4) * int64(h%4/3*10+1),
			hidden:   h%29 == 0}
		if parent != nil {
			c.parentID = parent.id
		}
		cs.byID[id] = c
		return c
	}
	for left > 0 {
		c := newComment(nil, m.Timestamp)
		left--
		h := d.hash(c.id, "replies")
		n := int64(0)
		switch {
		case h%4 == 0:
			n = between(h>>8, 1, 3)
		case h%97 == 0:
			n = between(h>>8, 20, 40) // a thread
		}
		for range min(n, left) {
			c.replies = append(c.replies, newComment(c, c.ts))
			left--
		}
		top = append(top, c)
	}
	cs.threads[m.ID] = top
	return top
}

// commentID is a comment's id: "179", the media id without its "17" and
// a sequence number, so that the media of a comment id is known.
func commentID(mediaID string, seq int) string {
	return fmt.Sprintf("179%s%05d", strings.TrimPrefix(mediaID, "17"), seq)
}

// commentMedia returns the media id a comment id was made from.
func commentMedia(id string) string {
	if len(id) < 8 || !strings.HasPrefix(id, "179") {
		return ""
	}
	return "17" + id[3:len(id)-5]
}

// view renders c as served after the store's edit rounds.
func (cs *commentStore) view(c *comment, d *Dataset) Comment {
	out := Comment{ID: c.id, MediaID: c.mediaID, ParentID: c.parentID, Text: c.text, Username: c.username,
		Timestamp: c.ts, LikeCount: c.likes, Hidden: c.hidden}
	for r := 1; r <= cs.rounds; r++ {
		h := d.hash(c.id, "edit", fmt.Sprint(r))
		if h%3 == 0 {
			out.LikeCount += between(h>>8, 1, 5)
		}
		if h%23 == 0 {
			out.Hidden = !out.Hidden
		}
	}
	for _, rp := range c.replies {
		out.Replies = append(out.Replies, cs.view(rp, d))
	}
	return out
}

// Comments returns the comments of a media as served now, oldest first,
// each with its replies: what an export of them must hold.
func (s *Server) Comments(mediaID string) []Comment {
	m := s.ds.Media(mediaID)
	if m == nil {
		return nil
	}
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	var out []Comment
	for _, c := range s.thread(m) {
		out = append(out, s.comments.view(c, s.ds))
	}
	return out
}

// CommentsCount is the media's comments_count now: its comments and
// replies, those AddComments posted included.
func (s *Server) CommentsCount(m *Media) int64 {
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	s.comments.init()
	return m.CommentsCount + s.comments.added[m.ID]
}

// AddComments posts n top-level comments on a media at the clock's current
// reading: its comments_count grows by n.
func (s *Server) AddComments(mediaID string, n int) error {
	m := s.ds.Media(mediaID)
	if m == nil || m.IsStory() || m.IsChild() {
		return fmt.Errorf("igfake: no feed media or reel %q", mediaID)
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	t := s.thread(m)
	seq := len(t)
	for _, c := range t {
		seq += len(c.replies)
	}
	for range n {
		seq++
		id := commentID(m.ID, seq)
		c := &comment{id: id, mediaID: m.ID, text: fmt.Sprintf("new comment %d", seq),
			username: fmt.Sprintf("newfan.%04d", between(s.ds.hash(id, "user"), 1, 4000)), ts: now}
		s.comments.byID[id] = c
		t = append(t, c)
	}
	s.comments.threads[m.ID] = t
	s.comments.added[m.ID] += int64(n)
	return nil
}

// EditComments makes one round of edits on every comment generated so far
// and every one generated later: some gain likes, a few are hidden or
// unhidden. comments_count does not change.
func (s *Server) EditComments() {
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	s.comments.rounds++
}

// CommentFetches returns, per media, how many GET /{media-id}/comments
// operations (batch operations and pages) were served since the start or
// the last ResetStats.
func (s *Server) CommentFetches() map[string]int64 {
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	out := map[string]int64{}
	for k, v := range s.comments.fetches {
		out[k] = v
	}
	return out
}

func (s *Server) resetCommentFetches() {
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	s.comments.fetches = map[string]int64{}
}

// commentList serves GET /{media-id}/comments.
func (c *call) commentList(m *Media) (any, *apiError) {
	if c.s.o.CommentsPermissionDenied {
		return nil, errNoPermission()
	}
	if m.IsChild() {
		return nil, errUnsupportedGet("GET", m.ID)
	}
	fs, err := fieldsOf(c.query, "id", "text", "timestamp")
	if err != nil {
		return nil, err
	}
	cs := &c.s.comments
	cs.mu.Lock()
	cs.init()
	cs.fetches[m.ID]++
	var top []Comment
	if !m.IsStory() {
		for _, x := range c.s.thread(m) {
			top = append(top, cs.view(x, c.s.ds))
		}
	}
	cs.mu.Unlock()
	return c.list(len(top), func(i int) string { return top[i].ID },
		func(i int) (any, *apiError) { return c.commentFields(top[i], fs) }, "")
}

// commentReplies serves GET /{comment-id}/replies.
func (c *call) commentReplies(id string) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id", "text", "timestamp")
	if err != nil {
		return nil, err
	}
	cs := &c.s.comments
	cs.mu.Lock()
	cs.fetches[commentMedia(id)]++
	v := cs.view(cs.byID[id], c.s.ds)
	cs.mu.Unlock()
	return c.list(len(v.Replies), func(i int) string { return v.Replies[i].ID },
		func(i int) (any, *apiError) { return c.commentFields(v.Replies[i], fs) }, "")
}

// commentNode serves GET /{comment-id}.
func (c *call) commentNode(id string) (any, *apiError) {
	fs, err := fieldsOf(c.query, "id", "text", "timestamp")
	if err != nil {
		return nil, err
	}
	cs := &c.s.comments
	cs.mu.Lock()
	v := cs.view(cs.byID[id], c.s.ds)
	cs.mu.Unlock()
	return c.commentFields(v, fs)
}

// lookupComment reports whether id is a comment served so far, and its
// account (charged for the call).
func (s *Server) lookupComment(id string) (account string, ok bool) {
	m := s.ds.Media(commentMedia(id))
	if m == nil {
		return "", false
	}
	s.comments.mu.Lock()
	defer s.comments.mu.Unlock()
	s.comments.init()
	s.thread(m)
	_, ok = s.comments.byID[id]
	return m.AccountID, ok
}

// commentFields renders the IG Comment fields.
func (c *call) commentFields(v Comment, fs []field) (obj, *apiError) {
	out := obj{}
	for _, f := range fs {
		var x any
		switch f.Name {
		case "id":
			x = v.ID
		case "text":
			x = v.Text
		case "username":
			x = v.Username
		case "timestamp":
			x = ts(v.Timestamp)
		case "like_count":
			x = v.LikeCount
		case "hidden":
			x = v.Hidden
		case "parent_id":
			if v.ParentID == "" {
				continue
			}
			x = v.ParentID
		case "media":
			x = obj{{"id", v.MediaID}}
		case "from":
			x = obj{{"id", fmt.Sprintf("9%016d", between(c.s.ds.hash(v.Username, "from"), 1, 1e15))}, {"username", v.Username}}
		case "replies":
			if v.ParentID != "" {
				return nil, errNonexistingField(f.Name)
			}
			sub := f.subOr("id", "text", "timestamp")
			l, err := c.nestedList(v.ID, f, len(v.Replies), func(i int) string { return v.Replies[i].ID },
				func(i int) (any, *apiError) { return c.commentFields(v.Replies[i], sub) })
			if err != nil {
				return nil, err
			}
			x = l
		default:
			return nil, errNonexistingField(f.Name)
		}
		out = append(out, kv{f.Name, x})
	}
	return c.s.dropID("comment", withID(out, v.ID)), nil
}
