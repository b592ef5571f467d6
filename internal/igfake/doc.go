// Package igfake is a deterministic fake of the Instagram Graph API (v21.0 to
// v27.0, default v23.0) served as an http.Handler, for tests, benchmarks and
// the igfake command. It follows the "Emulator checklist" of
// reference/graph-api.md and is an independent implementation: it keeps its
// own metric-validity tables and never imports the exporter's packages, so
// that it can catch the exporter's mistakes.
//
// Use it in-process:
//
//	srv := igfake.New(igfake.Options{Accounts: 2, Seed: 1})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//	// point the client at ts.URL with token igfake.DefaultToken,
//	// then assert on srv.Stats() and srv.Dataset().
//
// Endpoints (all GET unless noted; every path also with a /vNN.0 prefix):
//
//	/me, /me/accounts                     the token's user and its Pages (cursor paging)
//	/{page-id}                            a Page (instagram_business_account)
//	/{ig-user-id}                         profile fields (graph-api.md §6.1)
//	/{ig-user-id}/media                   media, newest first, cursor paging, field expansion
//	/{ig-user-id}/stories                 stories younger than 24 h
//	/{ig-user-id}/insights                account insights (§7.1, §7.2)
//	/{media-id}                           media fields (§6.2), carousel children too
//	/{media-id}/children                  carousel children
//	/{media-id}/insights                  media and story insights (§7.3)
//	/{media-id}/comments                  comments, cursor paging, replies{…} expansion (comments.go)
//	/{comment-id}, /{comment-id}/replies  a comment; a comment's replies, cursor paging
//	/?ids=a,b                             several nodes, one call each
//	/debug_token                          token introspection (app token or a developer's token; Options.Tokens)
//	/oauth/access_token                   fb_exchange_token: a new long-lived user token
//	/refresh_access_token                 ig_refresh_token: a new Instagram Login token
//	/me with an Instagram Login token     its account: user_id, username (no /me/accounts)
//	POST / with batch=[…]                 batch of up to 50 GET operations (refused with Options.NoBatch)
//
// Options.InstagramHost makes the server graph.instagram.com, the Instagram
// API with Instagram Login: Instagram Login tokens only, no /me/accounts,
// debug_token nor fb_exchange_token, no media_product_type field and no
// Facebook-Login-only metrics (see instagramhost.go).
//
// Data: see Options and Dataset. Every value derives from Options.Seed and
// the clock reading at New, so two servers with the same options and clock
// answer byte-identical bodies. The exported Dataset value functions
// (MediaInsight, StoryInsight, UserInsight, OnlineFollowers, Demographics)
// return exactly what the API answers, for tests that check exported rows.
// Comments are the exception to immutability: Server.AddComments and
// Server.EditComments change them between two exports, and Server.Comments
// returns them as served now.
//
// Bodies are encoded like Graph's: "/" is escaped as "\/" and non-ASCII
// characters as \uXXXX, so clients must decode JSON rather than match bytes.
package igfake
