// Package graph is igexport's client for the Instagram Graph API
// (graph.facebook.com, "Instagram API with Facebook Login").
//
// One [Client] serves one access token (one account). It
//
//   - sends the token only in the "Authorization: Bearer" header, never in a
//     URL it builds, and adds appsecret_proof to every call when an app secret
//     is configured;
//   - follows paging.next until it is absent ([Client.PageItems]), stripping any
//     access_token the API put into the next URL, and stops paging that does
//     not end (a repeated next, a run of empty pages, more pages than any
//     account has) with an error wrapping [ErrPaging];
//   - sends the token to BaseURL's origin only: a next URL or a redirect to
//     another scheme, host or port is refused, whatever HTTP client the
//     Client was given;
//   - bounds every attempt of a request in total time (body included) and
//     in idle time between reads of the body ([Timeouts]); a timeout is a
//     transient failure, and the error after the last attempt wraps
//     [ErrTimeout];
//   - groups object reads into Graph batch requests of at most 50 operations
//     ([Client.Batch]), retrying operations that come back null, throttled or
//     transient;
//   - retries transient failures with exponential backoff and full jitter,
//     waits out throttling (estimated_time_to_regain_access when the usage
//     header gives it) and, once the total throttle wait would pass
//     RetryPolicy.MaxWait, gives up with an error wrapping [ErrDeferred];
//   - reads X-Business-Use-Case-Usage and X-App-Usage on every response and
//     slows down above Options.MaxUsagePercent, pausing at 100 %;
//   - shares a [Limiter] with the other clients of a run so that at most n
//     requests are in flight overall; the limiter is held only around the
//     network round trip, never while sleeping.
//
// Every error this package returns is safe to print: URLs are passed through
// [Redact] and the client's own token and app secret are scrubbed from any
// text the API echoes back. All sleeping goes through [Clock], so tests run
// instantly with a fake clock.
package graph
