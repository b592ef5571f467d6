package graph

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// origin is the scheme, host and port of u, lower-cased, with the port
// made explicit ("https://graph.facebook.com:443"): two URLs may share
// credentials only when their origins are equal (a browser's same-origin
// rule). Go's own redirect policy compares host names only, so a redirect
// to another port of the same host would get the Authorization header.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// sameOrigin reports whether a and b have the same scheme, host and port.
// It is the one rule for every URL the client did not build itself: a
// paging.next URL and the Location of a redirect.
func sameOrigin(a, b *url.URL) bool {
	return a != nil && b != nil && origin(a) == origin(b)
}

// maxRedirects bounds the redirects followed for one request (Go's default).
const maxRedirects = 10

// errRedirectRefused marks a redirect the client would not follow: it is
// not retried (another attempt gets the same redirect).
var errRedirectRefused = errors.New("redirect refused")

// redirectPolicy is the CheckRedirect of every client igexport builds: a
// redirect is followed only within the origin of the URL the credentials
// were meant for (allowed), never to another scheme, host or port, so that
// neither the Authorization header nor the appsecret_proof in the query
// reach it; at most maxRedirects of them. allowed nil: the origin of the
// first request.
func redirectPolicy(allowed *url.URL) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		to := allowed
		if to == nil && len(via) > 0 {
			to = via[0].URL
		}
		if to == nil || !sameOrigin(req.URL, to) {
			want := "the request's"
			if to != nil {
				want = Redact(origin(to))
			}
			return &redirectError{msg: fmt.Sprintf("redirected to %s, another origin than %s: not followed, so that the credentials are not sent there",
				Redact(origin(req.URL)), want)}
		}
		if len(via) >= maxRedirects {
			return &redirectError{msg: fmt.Sprintf("stopped after %d redirects", len(via))}
		}
		return nil
	}
}

// redirectError is what CheckRedirect returns; it matches errRedirectRefused.
type redirectError struct{ msg string }

func (e *redirectError) Error() string        { return e.msg }
func (e *redirectError) Is(target error) bool { return target == errRedirectRefused }

// NewHTTPClient returns the HTTP client igexport uses for the Graph API:
// dial timeout 10s, TLS handshake 10s, response header timeout 60s,
// keep-alives with up to maxIdlePerHost idle connections per host (at
// least 64), HTTP/2 when offered, and redirects followed within the origin
// of the request only (see redirectPolicy; a [Client] narrows that to its
// BaseURL's origin whatever HTTP client it is given). net/http asks for and
// decodes gzip itself. It has no overall timeout: a [Client] bounds each
// request itself (see [Timeouts]).
func NewHTTPClient(maxIdlePerHost int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	t.MaxIdleConnsPerHost = max(64, maxIdlePerHost)
	t.MaxIdleConns = max(256, t.MaxIdleConnsPerHost)
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	return &http.Client{Transport: t, CheckRedirect: redirectPolicy(nil)}
}

// DefaultHTTPClient returns the client used when Options.HTTPClient is nil:
// NewHTTPClient(64).
func DefaultHTTPClient() *http.Client { return NewHTTPClient(64) }

// withRedirectPolicy returns a shallow copy of hc (sharing its Transport,
// so its connections) whose redirects are confined to base's origin, after
// hc's own CheckRedirect, if any, agrees.
func withRedirectPolicy(hc *http.Client, base *url.URL) *http.Client {
	cp := *hc
	own := redirectPolicy(base)
	prev := hc.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := own(req, via); err != nil {
			return err
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &cp
}
