// Command igfake serves the deterministic fake Instagram Graph API of
// package internal/igfake on a local port, for demos, manual testing and
// benchmarks of igexport:
//
//	igfake -addr 127.0.0.1:8089 -accounts 3 -media 500 -stories 3 -latency 50ms -seed 1
//
// It prints the listening URL and the environment to point igexport at it,
// serves until SIGINT or SIGTERM, then shuts down gracefully and prints the
// request counters. GET /__igfake/stats answers the counters as JSON at any
// time (it is not counted); POST /__igfake/comments?media=ID&n=N posts N
// comments on a media and POST /__igfake/comments/edit edits the likes and
// hidden flags of comments, as happens between two exports.
// Fault-injection switches are listed by -h.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/igexport/igexport/internal/igfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "igfake:", err)
		os.Exit(2)
	}
}

// config is the parsed command line.
type config struct {
	addr, location, now, convertedAt string
	tokens                           string
	retiredFields                    string
	logRequests                      bool
	o                                igfake.Options
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	o := &c.o
	f := &o.Faults
	fs := flag.NewFlagSet("igfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8089", "listen address")
	fs.IntVar(&o.Accounts, "accounts", 1, "IG business accounts")
	fs.IntVar(&o.PagesWithoutIG, "pages-without-ig", 0, "extra Facebook Pages without an IG account")
	fs.IntVar(&o.Media, "media", 500, "media per account (every 10th a carousel)")
	fs.IntVar(&o.Children, "children", 5, "children per carousel (max 10)")
	fs.IntVar(&o.Stories, "stories", 3, "live stories per account")
	fs.IntVar(&o.Followers, "followers", 5000, "followers per account (under 100 hides follower metrics)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of every generated value")
	fs.StringVar(&o.Token, "token", igfake.DefaultToken, "the only valid access token")
	fs.StringVar(&o.AppSecret, "app-secret", "", "require appsecret_proof computed with this app secret")
	fs.DurationVar(&o.Latency, "latency", 0, "time every request takes to answer, at least (the emulator's own work included)")
	fs.StringVar(&c.location, "location", "America/Los_Angeles", "accounts' day boundary for user insights")
	fs.StringVar(&c.now, "now", "", "start the clock at this RFC 3339 time (default: the real time); it then runs at real speed")
	fs.IntVar(&o.DefaultPageSize, "page-size", 25, "default page size of lists")
	fs.IntVar(&o.MaxPageSize, "max-page-size", 100, "largest page size a limit can ask for")
	fs.StringVar(&c.convertedAt, "converted-at", "", "business-conversion time: YYYY-MM-DD, RFC 3339, or a duration ago (8760h); older media answer 100/2108006")
	fs.IntVar(&o.LowViewerStories, "low-viewer-stories", 0, "first N stories per account answer (#10) Not enough viewers")
	fs.IntVar(&o.DeletedMedia, "deleted-media", 0, "the N newest media per account answer 100/33 on insights (deleted after listing)")
	fs.IntVar(&o.NoPermissionMedia, "no-permission-media", 0, "the next N media per account answer (#10) no permission on insights")
	fs.StringVar(&c.tokens, "tokens", "", "more tokens, comma-separated TOKEN=SWITCH[+SWITCH…]; switches: expires:5d (negative: expired), expired, never, invalidated, missing:SCOPE, instagram, new (<24 h old), not-developer, data-access:90d, type:PAGE, account:N (an Instagram Login token's account)")
	fs.StringVar(&o.AppID, "app-id", igfake.DefaultAppID, "app id (debug_token's app_id, the client_id of token exchanges)")
	fs.StringVar(&o.ClientSecret, "client-secret", "", "app secret of the app token APP_ID|SECRET and of token exchanges (default: -app-secret, else "+igfake.DefaultClientSecret+")")
	fs.BoolVar(&o.InstagramHost, "instagram-host", false, "play graph.instagram.com (Instagram API with Instagram Login): -token is an Instagram Login token, media_product_type and the total_* metrics are not served")
	fs.BoolVar(&o.NoBatch, "no-batch", false, "refuse Graph batch POSTs (HTTP 400, (#100) Unsupported post request), as a host without batch support would")
	fs.BoolVar(&c.logRequests, "log", false, "log every request (tokens redacted) to stderr")

	fs.IntVar(&f.ThrottleAfter, "throttle-after", 0, "calls per account before the throttle error (0: never)")
	fs.DurationVar(&f.ThrottleFor, "throttle-for", time.Minute, "how long a throttle block lasts")
	fs.IntVar(&f.ThrottleCode, "throttle-code", 80002, "throttle error code: 80002, 4, 17, 32 or 613")
	fs.BoolVar(&f.ThrottleHTTP429, "throttle-429", false, "answer throttle errors with HTTP 429 instead of 400")
	fs.StringVar(&f.UsageHeader, "usage-header", "buc", "usage header: buc (X-Business-Use-Case-Usage), app (X-App-Usage) or none")
	fs.IntVar(&f.UsageAfter, "usage-after", 0, "usage headers appear after this many calls")
	fs.IntVar(&f.ServerErrorEvery, "server-error-every", 0, "every Nth request answers HTTP 500 code 2 (transient)")
	fs.IntVar(&f.ServerErrorBurst, "server-error-burst", 1, "that many 500s in a row")
	fs.IntVar(&f.ResetEvery, "reset-every", 0, "every Nth request: close the connection without a response")
	fs.IntVar(&f.SlowEvery, "slow-every", 0, "every Nth request is delayed by -slow-delay")
	fs.DurationVar(&f.SlowDelay, "slow-delay", 2*time.Second, "delay of slow requests")
	fs.IntVar(&f.MalformedEvery, "malformed-every", 0, "every Nth request answers 200 with truncated JSON")
	fs.IntVar(&f.TokenExpiresAfter, "token-expires-after", 0, "the token expires (190/463) after N calls")
	fs.IntVar(&f.BatchNullEvery, "batch-null-every", 0, "every Nth batch operation answers null the first time")
	fs.IntVar(&f.FailingChildren, "failing-children", 0, "first N carousel children per account fail when fetched one by one")
	fs.IntVar(&f.ReduceDataAbove, "reduce-data-above", 0, "list pages asking for more than N items answer code 1 \"Please reduce the amount of data…\" (0: never)")
	fs.StringVar(&c.retiredFields, "retire-fields", "", "comma list of User/Media fields answered \"(#100) Tried accessing nonexisting field\" (e.g. ig_id)")
	fs.StringVar(&f.NotSharedError, "not-shared-error", "fatal", "error of facebook_views/crossposted_views on media not shared to Facebook: fatal (-1/2207086) or param (100/2207086)")
	fs.StringVar(&f.LowViewerMetric, "low-viewer-metric", "", "low-viewer stories refuse only this metric (default: every request)")
	fs.StringVar(&o.SharedToFacebook, "shared-to-facebook", "", "media shared to Facebook: all, none (default: a third of the reels)")
	fs.BoolVar(&o.UntilInclusive, "until-inclusive", false, "daily account insights treat until as inclusive, as Meta does (a one-day request ending at the boundary answers two days)")
	fs.BoolVar(&o.CommentsPermissionDenied, "no-comments-permission", false, "GET /{media-id}/comments answers (#10) as for a token without instagram_manage_comments")
	fs.IntVar(&f.RedirectEvery, "redirect-every", 0, "every Nth request answers 307 to -redirect-to plus its path and query")
	fs.StringVar(&f.RedirectTo, "redirect-to", "", "origin redirects point to, e.g. http://127.0.0.1:9999 (another origin)")
	fs.IntVar(&f.StallEvery, "stall-every", 0, "every Nth request sends half its body, then nothing until the client gives up")
	fs.IntVar(&f.TrickleEvery, "trickle-every", 0, "every Nth request answers a body trickled one byte every -trickle-interval, never ending")
	fs.DurationVar(&f.TrickleInterval, "trickle-interval", time.Second, "interval of trickled bytes")
	fs.BoolVar(&f.EndlessPages, "endless-pages", false, "every list answers an empty page with a new paging.next, forever")
	var dropIDs string
	fs.StringVar(&dropIDs, "drop-ids", "", "serve these objects without their id: comma-separated "+strings.Join(igfake.DropIDKinds, ", "))
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if dropIDs != "" {
		for _, k := range strings.Split(dropIDs, ",") {
			if k = strings.TrimSpace(k); !slices.Contains(igfake.DropIDKinds, k) {
				return nil, fmt.Errorf("-drop-ids %q: want a comma-separated list of %s", dropIDs, strings.Join(igfake.DropIDKinds, ", "))
			}
			f.DropIDs = append(f.DropIDs, k)
		}
	}
	if f.RedirectEvery > 0 {
		u, err := url.Parse(f.RedirectTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("-redirect-every needs -redirect-to http(s)://host:port, got %q", f.RedirectTo)
		}
		f.RedirectTo = strings.TrimSuffix(f.RedirectTo, "/")
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if !slices.Contains([]string{"buc", "app", "none"}, f.UsageHeader) {
		return nil, fmt.Errorf("-usage-header %q: want buc, app or none", f.UsageHeader)
	}
	if !slices.Contains([]string{"fatal", "param"}, f.NotSharedError) {
		return nil, fmt.Errorf("-not-shared-error %q: want fatal or param", f.NotSharedError)
	}
	if !slices.Contains([]string{"", "all", "none"}, o.SharedToFacebook) {
		return nil, fmt.Errorf("-shared-to-facebook %q: want all or none", o.SharedToFacebook)
	}
	for n := range strings.SplitSeq(c.retiredFields, ",") {
		if n = strings.TrimSpace(n); n != "" {
			f.RetiredFields = append(f.RetiredFields, n)
		}
	}
	if !slices.Contains([]int{80002, 4, 17, 32, 613}, f.ThrottleCode) {
		return nil, fmt.Errorf("-throttle-code %d: want 80002, 4, 17, 32 or 613", f.ThrottleCode)
	}
	if c.tokens != "" {
		specs, err := igfake.ParseTokenSpecs(c.tokens)
		if err != nil {
			return nil, fmt.Errorf("-tokens: %w", err)
		}
		o.Tokens = specs
	}
	if o.Media == 0 {
		o.Media = -1 // the library reads 0 as "default"; on the command line 0 means none
	}
	if o.Stories == 0 {
		o.Stories = -1
	}
	loc, err := time.LoadLocation(c.location)
	if err != nil {
		return nil, fmt.Errorf("-location: %w", err)
	}
	o.Location = loc
	o.Now = time.Now
	if c.now != "" {
		start, err := time.Parse(time.RFC3339, c.now)
		if err != nil {
			return nil, fmt.Errorf("-now: %w", err)
		}
		origin := time.Now()
		o.Now = func() time.Time { return start.Add(time.Since(origin)) }
	}
	if c.convertedAt != "" {
		t, err := parseWhen(c.convertedAt, o.Now(), loc)
		if err != nil {
			return nil, fmt.Errorf("-converted-at: %w", err)
		}
		o.ConvertedAt = t
	}
	return c, nil
}

// parseWhen parses YYYY-MM-DD, RFC 3339, or a duration before now.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD, RFC 3339 or a duration", s)
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	srv := igfake.New(c.o)
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__igfake/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(srv.Stats())
	})
	// Comments change between two exports: POST /__igfake/comments?media=ID&n=N
	// posts N comments on a media, POST /__igfake/comments/edit edits likes
	// and hidden flags (neither is counted as a call).
	mux.HandleFunc("POST /__igfake/comments", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(cmp.Or(r.URL.Query().Get("n"), "1"))
		if err != nil || n < 1 {
			http.Error(w, "n must be a positive number", http.StatusBadRequest)
			return
		}
		if err := srv.AddComments(r.URL.Query().Get("media"), n); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /__igfake/comments/edit", func(w http.ResponseWriter, r *http.Request) {
		srv.EditComments()
		w.WriteHeader(http.StatusNoContent)
	})
	var h http.Handler = srv
	if c.logRequests {
		h = logRequests(srv, stderr)
	}
	mux.Handle("/", h)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	o := srv.Options()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "igfake: Graph API %s emulator listening on %s (%d accounts × %d media, %d stories, seed %d)\n",
		igfake.DefaultVersion, url, o.Accounts, o.Media, o.Stories, o.Seed)
	fmt.Fprintf(stdout, "igfake: export IG_ACCESS_TOKEN=%s\n", o.Token)
	if o.AppSecret != "" {
		fmt.Fprintf(stdout, "igfake: export IG_APP_SECRET=%s\n", o.AppSecret)
	}
	fmt.Fprintf(stdout, "igfake: set graph_api_url = %q in igexport.hcl\n", url)
	for i, a := range srv.Dataset().Accounts {
		if i == 10 {
			fmt.Fprintf(stdout, "igfake:   … %d more\n", len(srv.Dataset().Accounts)-10)
			break
		}
		fmt.Fprintf(stdout, "igfake:   account %s (%s)\n", a.ID, a.Username)
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	st := srv.Stats()
	fmt.Fprintf(stdout, "igfake: shut down after %d round trips, %d calls (%d throttled, %d faults injected, %d null batch operations)\n",
		st.RoundTrips, st.Calls, st.Throttled, st.Faults, st.NullOps)
	return err
}

var secretParam = regexp.MustCompile(`((?:access_token|appsecret_proof|input_token)=)[^&]+`)

// logRequests logs one line per request with tokens and proofs redacted.
func logRequests(next http.Handler, w io.Writer) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: rw, status: 200}
		next.ServeHTTP(rec, r)
		fmt.Fprintf(w, "%s %s %s %d %s\n", start.Format(time.TimeOnly), r.Method,
			secretParam.ReplaceAllString(r.URL.RequestURI(), "${1}REDACTED"), rec.status, time.Since(start).Round(time.Millisecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (and the connection-reset fault) reach
// the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
