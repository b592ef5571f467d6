package igfake

// The Instagram host mode (Options.InstagramHost): the server plays
// graph.instagram.com, the Instagram API with Instagram Login
// (graph-api.md §12). It serves the same accounts, media, stories and
// insights as the Facebook Login host, with these differences:
//
//   - only Instagram Login tokens are accepted (Options.Token is one);
//     a Facebook Login token answers 190 "Cannot parse access token";
//   - GET /me?fields=user_id,username is the token's account; /me/accounts
//     does not exist; debug_token and the fb_exchange_token exchange are
//     graph.facebook.com's and are not served;
//   - the Facebook-Login-only media field media_product_type answers
//     "(#100) Tried accessing nonexisting field", and the Facebook-Login-only
//     metrics (total_likes, total_comments, total_views, link_clicks) are not
//     in the metric[i] list of valid values.
//
// Whether graph.instagram.com takes Graph batch requests is not documented;
// Options.NoBatch (either host) makes the server refuse every batch POST with
// HTTP 400 "(#100) Unsupported post request" (code 100, subcode 33), the
// answer Graph gives a POST to a node that does not support it.

// facebookLoginOnlyFields are the media fields graph.instagram.com lacks.
var facebookLoginOnlyFields = map[string]bool{"media_product_type": true}

// facebookLoginOnlyMetrics are the media metrics graph.instagram.com lacks
// ("These total metrics are available for Instagram API with Facebook Login
// only"; link_clicks likewise).
var facebookLoginOnlyMetrics = map[string]bool{"total_likes": true, "total_comments": true, "total_views": true, "link_clicks": true}

// missingField reports a field this host does not serve.
func (s *Server) missingField(name string) bool {
	return s.o.InstagramHost && facebookLoginOnlyFields[name]
}

// servesMetric reports whether this host serves a media metric the table
// knows.
func (s *Server) servesMetric(name string) bool {
	return !s.o.InstagramHost || !facebookLoginOnlyMetrics[name]
}

// hostRefuses is the error a token of another login kind gets, or nil.
func (s *Server) hostRefuses(t *token) *apiError {
	if s.o.InstagramHost && t.spec.Login != "instagram" {
		e := errInvalidToken()
		e.Message = "Invalid OAuth access token - Cannot parse access token"
		e.WWWAuth = wwwAuth(e.Message)
		return e
	}
	return nil
}

// facebookHostOnly are the token endpoints graph.instagram.com does not serve.
var facebookHostOnly = map[string]bool{"debug_token": true, "oauth/access_token": true}

// errBatchRefused is the answer to a batch POST with Options.NoBatch.
func errBatchRefused() *apiError { return errUnsupportedGet("POST", "batch") }
