package igfake

import (
	"net/http"
	"slices"
	"time"
)

// Faults are the fault-injection switches. Every "every Nth" switch counts
// HTTP round trips (or batch operations) from the start of the server, so a
// sequential client meets the same faults on every run.
type Faults struct {
	// ThrottleAfter is the number of calls per account (per app with
	// UsageHeader "app") allowed in the rolling 24 h budget before the
	// throttle error; 0 never throttles. Usage headers climb in proportion.
	ThrottleAfter int
	// ThrottleFor is how long a block lasts (default 1m); every call while
	// blocked restarts it. estimated_time_to_regain_access is the remaining
	// time in minutes, rounded up, at least 1 while blocked.
	ThrottleFor time.Duration
	// ThrottleCode is the throttle error code: 80002 (default), 4, 17, 32 or
	// 613, with HTTP 400, or 429 when ThrottleHTTP429 is set.
	ThrottleCode    int
	ThrottleHTTP429 bool
	// UsageHeader is "buc" (default: X-Business-Use-Case-Usage keyed by the
	// IG user id, type instagram), "app" (X-App-Usage, one app-wide budget)
	// or "none".
	UsageHeader string
	// UsageAfter: usage headers appear only once a budget has been charged
	// more than this many calls (default 0).
	UsageAfter int
	// ServerErrorEvery: every Nth round trip answers HTTP 500, code 2,
	// is_transient; ServerErrorBurst makes it that many round trips in a row.
	ServerErrorEvery int
	ServerErrorBurst int
	// ResetEvery: every Nth round trip, the connection is closed without a response.
	ResetEvery int
	// SlowEvery: every Nth round trip is delayed by SlowDelay (default 2s)
	// before it is served.
	SlowEvery int
	SlowDelay time.Duration
	// MalformedEvery: every Nth round trip answers 200 with the first half of
	// its JSON body.
	MalformedEvery int
	// TokenExpiresAfter: after N calls the token is expired: 190/463 with a
	// WWW-Authenticate header.
	TokenExpiresAfter int
	// BatchNullEvery: every Nth batch operation is answered null (timed out)
	// the first time it is asked for; a retry of the same operation succeeds.
	BatchNullEvery int
	// ReduceDataAbove: a list page (an edge such as /media or /stories, or a
	// nested .limit(n)) asking for more than N items answers code 1 "Please
	// reduce the amount of data you're asking for, then retry your request"
	// (HTTP 500); 0 never does.
	ReduceDataAbove int
	// RetiredFields are User and Media fields answered as Meta answers a
	// field it retired (such as ig_id): "(#100) Tried accessing nonexisting
	// field (<f>)", failing the whole request.
	RetiredFields []string
	// NotSharedError is the error of facebook_views/crossposted_views on
	// media not shared to Facebook: "fatal" (default: code -1, subcode
	// 2207086, "Fatal", as seen) or "param" (code 100, subcode 2207086,
	// "Invalid parameter").
	NotSharedError string
	// LowViewerMetric: on a LowViewerStories story, only this metric is
	// refused with "(#10) Not enough viewers…": a request naming it fails,
	// the others are served (asked without it, one by one or together).
	// "" (default): every insights request of such a story fails.
	LowViewerMetric string
	// FailingChildren: the first N carousel children of each account (newest
	// carousel first) answer 100/33 when fetched one by one (GET /{child-id});
	// field expansion still returns them.
	FailingChildren int

	// RedirectEvery: every Nth round trip answers 307 Temporary Redirect to
	// RedirectTo (another origin, e.g. a listener a test watches) followed
	// by the request's path and query, appsecret_proof included, as a
	// hijacked proxy or a misconfigured load balancer would. RedirectTo
	// must be set for it to apply.
	RedirectEvery int
	RedirectTo    string
	// StallEvery: every Nth round trip sends its headers (Content-Length
	// included) and the first half of its body, then nothing more until the
	// client goes away.
	StallEvery int
	// TrickleEvery: every Nth round trip answers 200 with a body of JSON
	// whitespace sent one byte every TrickleInterval (default 1s), never
	// ending: never idle, never done.
	TrickleEvery    int
	TrickleInterval time.Duration
	// EndlessPages: every list edge (/me/accounts, /{ig-user-id}/media,
	// /stories, /{media-id}/children) answers an empty page whose
	// paging.next is a URL never given before, forever.
	EndlessPages bool
	// DropIDs lists objects served without their "id": "media" (media of
	// lists and nodes), "child" (carousel children), "story", "page"
	// (Facebook Pages, as /me/accounts lists them), "ig-user" (the IG
	// user: its node, owner, instagram_business_account) and "comment"
	// (comments and replies).
	DropIDs []string
}

// DropIDKinds are the values DropIDs accepts.
var DropIDKinds = []string{"media", "child", "story", "page", "ig-user", "comment"}

// dropID removes the "id" member of o when DropIDs names kind.
func (s *Server) dropID(kind string, o obj) obj {
	if !slices.Contains(s.o.Faults.DropIDs, kind) {
		return o
	}
	return slices.DeleteFunc(o, func(m kv) bool { return m.k == "id" })
}

func (f Faults) withDefaults() Faults {
	if f.ThrottleFor <= 0 {
		f.ThrottleFor = time.Minute
	}
	if _, ok := throttleMessages[f.ThrottleCode]; !ok {
		f.ThrottleCode = 80002
	}
	switch f.UsageHeader {
	case "app", "none":
	default:
		f.UsageHeader = "buc"
	}
	if f.SlowDelay <= 0 {
		f.SlowDelay = 2 * time.Second
	}
	if f.TrickleInterval <= 0 {
		f.TrickleInterval = time.Second
	}
	if f.RedirectTo == "" {
		f.RedirectEvery = 0
	}
	return f
}

// faultPlan is what the faults do to one round trip.
type faultPlan struct {
	reset, serverError, slow, malformed bool
	redirect, stall, trickle            bool
}

// roundTrip counts one HTTP request and returns its number (from 1).
func (s *Server) roundTrip() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.RoundTrips++
	s.rtSeq++
	return s.rtSeq
}

// faultFor decides the faults of round trip n. Reset wins over a server
// error, which wins over a redirect, a stall, a trickle and a malformed
// body, in that order; slowness adds to any of them.
func (s *Server) faultFor(n int64) faultPlan {
	f := s.o.Faults
	every := func(k int) bool { return k > 0 && n%int64(k) == 0 }
	p := faultPlan{slow: every(f.SlowEvery), reset: every(f.ResetEvery)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if every(f.ServerErrorEvery) {
		s.burstLeft = max(f.ServerErrorBurst, 1)
	}
	if !p.reset && s.burstLeft > 0 {
		s.burstLeft--
		p.serverError = true
	}
	other := p.reset || p.serverError
	p.redirect = !other && every(f.RedirectEvery)
	other = other || p.redirect
	p.stall = !other && every(f.StallEvery)
	other = other || p.stall
	p.trickle = !other && every(f.TrickleEvery)
	other = other || p.trickle
	p.malformed = !other && every(f.MalformedEvery)
	if other || p.malformed {
		s.st.Faults++
	}
	return p
}

// trickle answers 200 and then one byte of JSON whitespace every interval
// until the client goes away.
func trickle(w http.ResponseWriter, r *http.Request, interval time.Duration) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.Write([]byte{' '}); err != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}

// resetConn closes the client connection without writing a response.
func resetConn(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // HTTP/2: abort the stream
}
