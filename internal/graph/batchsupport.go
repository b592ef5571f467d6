package graph

import (
	"github.com/valyala/fastjson"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
)

// BatchSupport is what a run knows about one host's support of Graph batch
// requests, shared by every client of that host (Options.Batch). Meta
// documents batch requests for graph.facebook.com; whether
// graph.instagram.com (Instagram API with Instagram Login) takes them is not
// documented either way. So the first batch POST to a host is a probe:
// while it is in flight other batch calls to the host wait for its outcome;
// a host that answers it as an unsupported request (see batchUnsupported)
// gets single GETs for the rest of the run, one per operation, under the
// same limiter and retry rules. The zero value is unknown; it is safe for
// concurrent use.
type BatchSupport struct {
	mu      sync.Mutex
	state   batchState
	probing bool
	wake    chan struct{} // closed when a probe ends (decided or not)
}

type batchState int

const (
	batchUnknown batchState = iota
	batchSupported
	batchUnsupportedState
)

// Unsupported reports whether the host was found not to take batch
// requests.
func (b *BatchSupport) Unsupported() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state == batchUnsupportedState
}

// acquire returns whether the caller sends a batch (probe: it is the probe
// and must call end) or single requests (single). It waits while another
// caller probes.
func (b *BatchSupport) acquire(ctx context.Context) (probe, single bool, err error) {
	if b == nil {
		return false, false, nil
	}
	for {
		b.mu.Lock()
		switch {
		case b.state == batchSupported:
			b.mu.Unlock()
			return false, false, nil
		case b.state == batchUnsupportedState:
			b.mu.Unlock()
			return false, true, nil
		case !b.probing:
			b.probing = true
			b.wake = make(chan struct{})
			b.mu.Unlock()
			return true, false, nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return false, false, context.Cause(ctx)
		}
	}
}

// set records the host's support (the first decision stands) and wakes the
// callers waiting for a probe.
func (b *BatchSupport) set(supported bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == batchUnknown {
		b.state = batchUnsupportedState
		if supported {
			b.state = batchSupported
		}
	}
	b.endLocked()
}

// end ends a probe that decided nothing (the POST failed for another
// reason): the next batch call probes again.
func (b *BatchSupport) end() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.endLocked()
}

func (b *BatchSupport) endLocked() {
	if b.probing {
		b.probing = false
		close(b.wake)
	}
}

// batchUnsupported reports an answer to a batch POST that says the host
// does not take batch requests: HTTP 400, 404 or 405 with Graph error code
// 100 (unsupported request, unknown object) or 2500 (unknown path
// components), or a 404/405 without a Graph error. An error about the
// request's credentials (token, appsecret_proof, permissions) is not one:
// single requests would fail the same way.
func batchUnsupported(err error) bool {
	var ae *Error
	if !errors.As(err, &ae) || ae.Endpoint != batchEndpoint {
		return false
	}
	switch ae.HTTPStatus {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
	default:
		return false
	}
	if ae.TokenInvalid() || ae.Permission() || strings.Contains(strings.ToLower(ae.Message), "appsecret_proof") {
		return false
	}
	return ae.Code == 100 || ae.Code == 2500 || (ae.Code == 0 && ae.HTTPStatus != http.StatusBadRequest)
}

// singles runs reqs as one GET each (a host without batch support), at
// most as many at once as the limiter allows (4 without one). Each
// response is what Batch would give for the operation; the error is
// non-nil only when the requests could not go on (ctx done, a deferral
// past MaxWait, a transport failure after retries, an invalid token), as
// for a batch POST: the requests not sent yet are not sent.
func (c *Client) singles(ctx context.Context, reqs []Request) ([]Response, error) {
	out := make([]Response, len(reqs))
	err := c.fanOut(ctx, len(reqs), func(ctx context.Context, i int) error {
		rq := reqs[i]
		r, err := c.getRequest(rq.Path, rq.Params)
		if err != nil {
			out[i].Err = err
			return nil
		}
		var body []byte
		r.decode = func(b []byte) error {
			switch {
			case len(bytes.TrimSpace(b)) == 0:
				return decodeError(r.endpoint, errEmptyBody)
			case !json.Valid(b):
				// Cut short or not JSON: retried, as a batch body would be.
				return decodeError(r.endpoint, &notJSONError{msg: "body is not JSON: " + snippet(b, c.sc)})
			}
			body = bytes.Clone(b)
			return nil
		}
		_, err = c.do(ctx, r)
		var ae *Error
		switch {
		case err == nil && rq.Decode != nil && plainObject(body):
			out[i].Value, out[i].Err = rq.Decode(body)
			out[i].decoded = true
		case err == nil:
			out[i].Body = body
		case errors.As(err, &ae) && !ae.Throttle() && !ae.TokenInvalid() && ctx.Err() == nil:
			out[i].Err = ae // the operation's own error, as in a batch
		default:
			out[i].Err = err
			return err
		}
		return nil
	})
	return withOutcomes(out, err)
}

// plainObject reports a JSON object without a top-level "error" member:
// the bodies Request.Decode is given.
func plainObject(b []byte) bool {
	p := opParsers.Get()
	defer opParsers.Put(p)
	v, err := p.ParseBytes(b)
	return err == nil && v.Type() == fastjson.TypeObject && v.Get("error") == nil
}
