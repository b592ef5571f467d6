package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/valyala/fastjson"
)

// MaxBatchOps is the Graph limit of operations in one batch POST.
const MaxBatchOps = 50

// batchEndpoint names the batch POST itself in errors.
const batchEndpoint = "/ (batch)"

// defaultBatchParallel bounds concurrent batch POSTs of one Batch call when
// the client has no Limiter.
const defaultBatchParallel = 4

// Request is one GET operation of a batch.
type Request struct {
	Path   string     // version-less, e.g. "/17890000000000001/insights"
	Params url.Values // query parameters; access_token is ignored
	// Decode, when set, reads the operation's successful body (a JSON
	// object without an "error" member) while it is still in the batch
	// response, so that the body is never copied: what it returns is the
	// Response's Value and Err, and Body stays nil. It runs on the
	// goroutine of the POST, concurrently with the Decode of other
	// operations, and must not keep body. A body that is not a plain
	// object is copied into Body as without Decode.
	Decode func(body []byte) (any, error)
}

// Response is the outcome of one batch operation: Body is the operation's
// JSON body on success; Err is an [*Error] for an operation the API failed
// (HTTPStatus is the operation's code), an *Error of type
// TypeBatchTimeout for one that kept coming back null, or another error
// (malformed response, or the error that stopped the whole batch).
type Response struct {
	Body  json.RawMessage
	Value any // what Request.Decode made of the body, when it did
	Err   error

	decoded bool // Request.Decode ran: Body is nil, Value and Err are its
}

// batchOp is the JSON of one operation.
type batchOp struct {
	Method      string                         `json:"method"`
	RelativeURL string                         `json:"relative_url"`
	decode      func(body []byte) (any, error) // Request.Decode
}

// Batch runs reqs as Graph batch requests: POST BaseURL/Version/ with
// batch=[{"method":"GET","relative_url":…},…] and include_headers=false, at
// most 50 operations per POST; chunks run concurrently (bounded by the
// Limiter, or 4 without one). Responses come back in request order.
//
// Operations that come back null (the batch timed out before them) or fail
// with a transient error are retried in a follow-up batch with backoff, up
// to RetryPolicy.MaxAttempts times; throttled operations are retried after
// the throttle wait, within MaxWait. Other operation errors are final and
// isolated in their Response.Err.
//
// The error is non-nil only when the batch as a whole could not go on: the
// POST itself failed for good (invalid token, deferral past MaxWait, ctx
// done, …). Then every operation without an outcome carries that error too.
//
// With Options.Batch, a host that refuses batch requests (see
// [BatchSupport]) gets each operation as a GET of its own instead, with the
// same Responses; the refused POST counts a round trip and no call.
func (c *Client) Batch(ctx context.Context, reqs []Request) ([]Response, error) {
	if len(reqs) == 0 || c.baseErr != nil || c.batchSup == nil {
		return c.batch(ctx, reqs)
	}
	probe, single, err := c.batchSup.acquire(ctx)
	switch {
	case err != nil:
		return nil, c.ctxError(request{endpoint: batchEndpoint}, err)
	case single:
		return c.singles(ctx, reqs)
	case !probe:
		return c.batch(ctx, reqs)
	}
	// The probe: the first chunk alone, so that a host without batch
	// support refuses exactly one POST. Whatever happens, it ends (a no-op
	// once decided), so that the callers waiting for it go on.
	defer c.batchSup.end()
	n := min(len(reqs), MaxBatchOps)
	first, err := c.batch(ctx, reqs[:n])
	if err != nil && batchUnsupported(err) {
		c.batchSup.set(false)
		c.mu.Lock()
		c.stats.Calls -= int64(n) // the refused POST ran no operation
		c.mu.Unlock()
		c.log.Warn("graph: the host does not take batch requests: sending single requests for the rest of the run",
			"host", Redact(c.baseURL), "err", err.Error())
		return c.singles(ctx, reqs)
	}
	if err != nil {
		return first, err // undecided: the deferred end lets the next call probe
	}
	c.batchSup.set(true)
	if n == len(reqs) {
		return first, nil
	}
	rest, err := c.batch(ctx, reqs[n:])
	return append(first, rest...), err
}

// batch is Batch without the batch-support probe.
func (c *Client) batch(ctx context.Context, reqs []Request) ([]Response, error) {
	out := make([]Response, len(reqs))
	if len(reqs) == 0 {
		return out, nil
	}
	if c.baseErr != nil {
		return nil, c.baseErr
	}
	ops := make([]batchOp, len(reqs))
	endpoints := make([]string, len(reqs))
	for i, rq := range reqs {
		// appsecret_proof is sent once, as a form field of the POST
		p, rel := relativeURL(rq)
		ops[i] = batchOp{Method: http.MethodGet, RelativeURL: rel, decode: rq.Decode}
		endpoints[i] = p
	}
	var chunks [][]int
	for start := 0; start < len(reqs); start += MaxBatchOps {
		idx := make([]int, 0, MaxBatchOps)
		for i := start; i < min(start+MaxBatchOps, len(reqs)); i++ {
			idx = append(idx, i)
		}
		chunks = append(chunks, idx)
	}
	err := c.fanOut(ctx, len(chunks), func(ctx context.Context, k int) error {
		return c.runChunk(ctx, ops, endpoints, chunks[k], out)
	})
	return withOutcomes(out, err)
}

// fanOut runs do(ctx, 0) … do(ctx, n-1), each in a goroutine of its own,
// at most as many at once as the limiter allows (defaultBatchParallel
// without one). The first error do returns cancels ctx for the others
// (those not started yet do not start) and is returned.
func (c *Client) fanOut(ctx context.Context, n int, do func(ctx context.Context, i int) error) error {
	workers := defaultBatchParallel
	if c.lim != nil {
		workers = c.lim.Cap()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, max(1, min(workers, n)))
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				once.Do(func() { firstErr = context.Cause(ctx) })
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil { // stopped while this one waited
				once.Do(func() { firstErr = context.Cause(ctx) })
				return
			}
			if err := do(ctx, i); err != nil {
				once.Do(func() { firstErr = err; cancel(err) })
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// withOutcomes returns out and err; when err stopped the requests, every
// operation without an outcome carries it too.
func withOutcomes(out []Response, err error) ([]Response, error) {
	if err != nil {
		for i := range out {
			if out[i].Body == nil && out[i].Err == nil && !out[i].decoded {
				out[i].Err = err
			}
		}
	}
	return out, err
}

// errNullOp marks an operation that came back null.
var errNullOp = errors.New("null operation")

// runChunk sends the operations idx (≤ 50) and their follow-up batches,
// writing each outcome into out[i]. Each goroutine owns its indices.
func (c *Client) runChunk(ctx context.Context, ops []batchOp, endpoints []string, idx []int, out []Response) error {
	pending := idx
	attempts := make(map[int]int) // null/transient failures per operation
	for round := 1; len(pending) > 0; round++ {
		elems, reading, err := c.postBatch(ctx, ops, pending)
		if err != nil {
			var se *safeError
			if errors.As(err, &se) && errors.Is(err, errMalformedBatch) {
				for _, i := range pending {
					out[i].Err = err
				}
				return nil
			}
			return err
		}
		var retry []int
		var throttle *Error
		for k, el := range elems {
			i := pending[k]
			body, err := c.parseOp(el, endpoints[i])
			var ae *Error
			switch {
			case err == nil && el.op.decoded:
				out[i] = Response{Value: el.op.value, Err: el.op.valueErr, decoded: true}
			case err == nil:
				out[i] = Response{Body: body}
			case errors.Is(err, errNullOp):
				attempts[i]++
				if attempts[i] >= c.retry.MaxAttempts {
					out[i].Err = &Error{Type: TypeBatchTimeout, IsTransient: true, Endpoint: endpoints[i],
						Message: fmt.Sprintf("batch operation timed out: it came back null in %d batches", attempts[i])}
				} else {
					retry = append(retry, i)
				}
			case !errors.As(err, &ae):
				out[i].Err = err
			case ae.TokenInvalid() || ae.Permission():
				out[i].Err = ae
			case ae.Throttle():
				throttle = ae
				retry = append(retry, i)
			case ae.Transient():
				attempts[i]++
				if attempts[i] >= c.retry.MaxAttempts {
					out[i].Err = ae
				} else {
					retry = append(retry, i)
				}
			default:
				out[i].Err = ae
			}
		}
		if throttle == nil {
			c.succeeded()
		}
		if len(retry) == 0 {
			return nil
		}
		if throttle != nil {
			if err := c.waitThrottle(ctx, throttle.Endpoint, throttle, reading.Regain); err != nil {
				for _, i := range retry {
					out[i].Err = err
				}
				return err
			}
		} else {
			d := c.backoff(round)
			c.log.Warn("graph: retrying batch operations", "ops", len(retry), "round", round, "in", d)
			if err := c.clock.Sleep(ctx, d); err != nil {
				return c.ctxError(request{endpoint: batchEndpoint}, err)
			}
		}
		c.mu.Lock()
		c.stats.Retries += int64(len(retry))
		c.mu.Unlock()
		pending = retry
	}
	return nil
}

// errMalformedBatch marks a batch POST whose 2xx body is not the expected
// array.
var errMalformedBatch = errors.New("malformed batch response")

// batchOpResult is one element of a batch response. Body is the
// operation's body, unescaped; plainObject reports a body that is a JSON
// object without a top-level "error" member (checked while the batch was
// decoded, so that a successful body is not scanned again).
type batchOpResult struct {
	Code        int
	Body        []byte
	plainObject bool
	// decoded: the operation's Decode read the body (Body is nil) and
	// returned value and valueErr.
	decoded  bool
	value    any
	valueErr error
}

// batchElem is one decoded element of a batch response: op is nil for a
// null element (the operation timed out); err is set for an element that
// does not decode.
type batchElem struct {
	op  *batchOpResult
	err error
}

// errNotJSON marks a body that is not JSON at all (cut short, or an HTML
// page from a proxy): worth another attempt, unlike JSON of the wrong shape.
var errNotJSON = errors.New("not JSON")

// notJSONError is a body that does not parse; it matches errNotJSON.
type notJSONError struct{ msg string }

func (e *notJSONError) Error() string        { return e.msg }
func (e *notJSONError) Is(target error) bool { return target == errNotJSON }

// decodeBatch decodes a batch response body in one pass with fastjson
// (several times cheaper than encoding/json, which scans a value twice and
// a body string once more to unescape it). An element of the wrong shape
// gets its own error, so that the error stays with that operation. outer
// and inner are two parsers: one for the array's elements, one for the
// bodies.
// decode(k), when not nil, is the Request.Decode of element k: a
// successful plain body is handed to it where it lies, not copied.
//
// When a scan finds body to be an array, its elements are parsed one at a
// time: outer then holds one element (a few KB), not a copy of the whole
// response (~170 KB for 50 insights bodies), between batches. Anything
// else is parsed whole, as before, for its error.
func decodeBatch(outer, inner *fastjson.Parser, body []byte, decode func(k int) func([]byte) (any, error)) ([]batchElem, error) {
	spans, ok := arraySpans(body)
	if !ok {
		return decodeBatchWhole(outer, inner, body, decode)
	}
	elems := decodeBatchElems(len(spans), func(k int) (*fastjson.Value, bool) {
		el, err := outer.ParseBytes(body[spans[k][0]:spans[k][1]])
		return el, err == nil
	}, inner, decode)
	if elems == nil && len(spans) > 0 {
		// An element does not parse: neither does body (a JSON
		// array's elements are where the scan found them).
		return decodeBatchWhole(outer, inner, body, decode)
	}
	return elems, nil
}

// decodeBatchWhole is decodeBatch parsing body in one piece.
func decodeBatchWhole(outer, inner *fastjson.Parser, body []byte, decode func(k int) func([]byte) (any, error)) ([]batchElem, error) {
	v, err := outer.ParseBytes(body)
	if err != nil {
		err = &notJSONError{msg: err.Error()}
		return nil, &batchDecodeError{msg: decodeError(batchEndpoint, err).Error(), err: err}
	}
	arr, err := v.Array()
	if err != nil {
		err = fmt.Errorf("batch response is a JSON %s, not an array", v.Type())
		return nil, &batchDecodeError{msg: decodeError(batchEndpoint, err).Error(), err: err}
	}
	return decodeBatchElems(len(arr), func(k int) (*fastjson.Value, bool) { return arr[k], true }, inner, decode), nil
}

// arraySpans returns the [start, end) offsets of the elements of the JSON
// array b, found by scanning (see valueEnd: literals are not checked); ok
// is false when b does not scan as one array.
func arraySpans(b []byte) (spans [][2]int, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return [][2]int{}, skipSpace(b, i+1) == len(b)
	}
	for {
		end := valueEnd(b, i)
		if end < 0 {
			return nil, false
		}
		spans = append(spans, [2]int{i, end})
		i = skipSpace(b, end)
		switch {
		case i >= len(b):
			return nil, false
		case b[i] == ',':
			i = skipSpace(b, i+1)
		case b[i] == ']':
			return spans, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// decodeBatchElems decodes the n elements of a batch response; elem(k)
// returns element k, valid until the next call, or false when it does not
// parse (decodeBatchElems then returns nil).
func decodeBatchElems(n int, elem func(k int) (*fastjson.Value, bool), inner *fastjson.Parser, decode func(k int) func([]byte) (any, error)) []batchElem {
	elems := make([]batchElem, n)
	for k := range elems {
		el, ok := elem(k)
		if !ok {
			return nil
		}
		switch el.Type() {
		case fastjson.TypeNull:
			continue
		case fastjson.TypeObject:
		default:
			elems[k].err = fmt.Errorf("batch element %d is a JSON %s, not an object", k, el.Type())
			continue
		}
		r := &batchOpResult{}
		code, err := flexIntOf(el.Get("code"))
		if err != nil {
			elems[k].err = fmt.Errorf("batch element %d: code: %w", k, err)
			continue
		}
		r.Code = code
		if b := el.Get("body"); b != nil && b.Type() != fastjson.TypeNull {
			sb, err := b.StringBytes()
			if err != nil {
				elems[k].err = fmt.Errorf("batch element %d: body is a JSON %s, not a string", k, b.Type())
				continue
			}
			if bv, err := inner.ParseBytes(sb); err == nil && bv.Type() == fastjson.TypeObject && bv.Get("error") == nil {
				r.plainObject = true
			}
			var dec func([]byte) (any, error)
			if decode != nil {
				dec = decode(k)
			}
			if ok := r.Code == 0 || r.Code >= 200 && r.Code <= 299; dec != nil && ok && r.plainObject {
				r.value, r.valueErr = dec(sb)
				r.decoded = true
			} else {
				r.Body = bytes.Clone(sb)
			}
		}
		elems[k].op = r
	}
	return elems
}

// flexIntOf reads a number given as a JSON number, a numeric string or
// null (0), as flexInt does.
func flexIntOf(v *fastjson.Value) (int, error) {
	if v == nil {
		return 0, nil
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return 0, nil
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err != nil {
			return 0, fmt.Errorf("not a number: %.20q", v.String())
		}
		return int(f), nil
	case fastjson.TypeString:
		var f flexInt
		if err := f.UnmarshalJSON(v.MarshalTo(nil)); err != nil {
			return 0, err
		}
		return int(f), nil
	}
	return 0, fmt.Errorf("not a number: %s", v.Type())
}

// postBatch POSTs the operations pending (with the client's retry handling
// of the POST itself) and returns one element per operation, plus the
// usage reading of the response.
func (c *Client) postBatch(ctx context.Context, ops []batchOp, pending []int) ([]batchElem, Usage, error) {
	sel := make([]batchOp, len(pending))
	for k, i := range pending {
		sel[k] = ops[i]
	}
	// Meta's batch doc: "You must include an access token as a top level
	// parameter, even when all individual requests contain their own
	// tokens." It goes in the POST body, never the URL; the Authorization
	// header stays. The body is never logged (roundTrip logs the URL only).
	body := batchBody(sel, c.token, c.proof)
	r := request{
		method:   http.MethodPost,
		url:      c.baseURL + "/" + c.version + "/",
		endpoint: batchEndpoint,
		form:     body,
		ops:      len(sel),
	}
	var elems []batchElem
	anyDecode := slices.ContainsFunc(sel, func(op batchOp) bool { return op.decode != nil })
	r.decode = func(body []byte) (err error) {
		var outers, inners parsers = &batchParsers, &opParsers
		if len(body) > len(sel)*bigOpBody {
			outers, inners = &bigBatchParsers, &bigOpParsers
		}
		outer, inner := outers.Get(), inners.Get()
		defer outers.Put(outer)
		defer inners.Put(inner)
		var decode func(k int) func([]byte) (any, error)
		if anyDecode {
			decode = func(k int) func([]byte) (any, error) {
				if k < len(sel) {
					return sel[k].decode
				}
				return nil
			}
		}
		elems, err = decodeBatch(outer, inner, body, decode)
		return err
	}
	h, err := c.do(ctx, r)
	if err != nil {
		if errors.Is(err, errMalformedBatch) {
			// Not JSON even after retries, or JSON that is not an array.
			return nil, Usage{}, &safeError{msg: err.Error(), err: err}
		}
		return nil, Usage{}, err
	}
	reading, _ := ParseUsage(h)
	if len(elems) != len(sel) {
		return nil, reading, &safeError{
			msg: fmt.Sprintf("graph: %s: malformed response: %d results for %d operations", batchEndpoint, len(elems), len(sel)),
			err: errMalformedBatch,
		}
	}
	return elems, reading, nil
}

// batchDecodeError is a batch response body that does not decode into an
// array: it matches errMalformedBatch and the JSON error (a syntax error
// makes the client retry the POST).
type batchDecodeError struct {
	msg string
	err error
}

func (e *batchDecodeError) Error() string   { return e.msg }
func (e *batchDecodeError) Unwrap() []error { return []error{errMalformedBatch, e.err} }

// parseOp checks one element of a batch response: errNullOp for null, an
// *Error for a failed operation, a decode error for a malformed one.
func (c *Client) parseOp(el batchElem, endpoint string) (json.RawMessage, error) {
	if el.err != nil {
		return nil, decodeError(endpoint, fmt.Errorf("batch operation: %w", el.err))
	}
	if el.op == nil {
		return nil, errNullOp
	}
	body := el.op.Body
	if body == nil {
		body = []byte{}
	}
	code := el.op.Code
	if code == 0 {
		code = http.StatusOK
	}
	if code >= 200 && code <= 299 && el.op.plainObject {
		return json.RawMessage(body), nil // the common case: decoded and checked already
	}
	if ae := parseError(code, body, endpoint, c.sc); ae != nil {
		return nil, ae
	}
	if !json.Valid(body) {
		return nil, decodeError(endpoint, errors.New("batch operation body is not JSON: "+snippet(body, c.sc)))
	}
	return json.RawMessage(body), nil
}

// Decoded reports that Request.Decode read the operation's body: Value and
// Err are what it returned, and Body is nil. Otherwise a successful
// operation's body is in Body.
func (r Response) Decoded() bool { return r.decoded }
