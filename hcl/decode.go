package hcl

import (
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

var (
	igexportSchema = withTokenAttributes("igexport", &hcl2.BodySchema{Attributes: []hcl2.AttributeSchema{
		{Name: "graph_api_url"}, {Name: "graph_api_version"}, {Name: "concurrency"},
		{Name: "request_timeout"}, {Name: "read_idle_timeout"},
	}})
	accountSchema = withTokenAttributes("account", &hcl2.BodySchema{Attributes: []hcl2.AttributeSchema{
		{Name: "ig_user_id"}, // required unless login = "instagram" (decodeAccounts)
		{Name: "access_token", Required: true},
		{Name: "app_secret"},
		{Name: "start_date"},
	}})
	discoverSchema = withTokenAttributes("discover", &hcl2.BodySchema{Attributes: []hcl2.AttributeSchema{
		{Name: "access_token", Required: true},
		{Name: "app_secret"},
		{Name: "include"},
		{Name: "exclude"},
	}})
	destinationSchema = &hcl2.BodySchema{Attributes: []hcl2.AttributeSchema{
		{Name: "url"}, {Name: "prefix"}, {Name: "compression"},
	}}
	stateSchema = &hcl2.BodySchema{Attributes: []hcl2.AttributeSchema{
		{Name: "url"}, {Name: "prefix"},
	}}
	rateLimitSchema = &hcl2.BodySchema{Attributes: []hcl2.AttributeSchema{
		{Name: "max_usage_percent"}, {Name: "max_wait"},
	}}
)

var compressions = []string{"zstd", "snappy", "gzip", "none"}

// decodeConfig decodes everything but the variable blocks (pass two).
// fileStart locates problems of the file as a whole.
func (l *loader) decodeConfig(d *decoder, cfg *Config, content *hcl2.BodyContent, fileStart hcl2.Range) {
	cfg.GraphAPIURL = DefaultGraphAPIURL
	cfg.GraphAPIVersion = catalog.Newest()
	cfg.Concurrency = DefaultConcurrency
	setTokenDefaults(cfg)
	cfg.RequestTimeout = DefaultRequestTimeout
	cfg.ReadIdleTimeout = DefaultReadIdleTimeout
	cfg.Streams = schema.DefaultNames()
	cfg.StreamSettings = map[string]StreamConfig{}
	cfg.Destination = Destination{URL: DefaultDestinationURL, Compression: DefaultCompression}
	cfg.RateLimit = RateLimit{MaxUsagePercent: DefaultMaxUsagePercent, MaxWait: DefaultMaxWait}

	single := map[string]*hcl2.Block{}
	var accounts, discovers, streams []*hcl2.Block
	for _, b := range content.Blocks {
		switch b.Type {
		case "account":
			accounts = append(accounts, b)
		case "discover":
			discovers = append(discovers, b)
		case "stream":
			streams = append(streams, b)
		case "variable":
			// decoded in pass one
		default:
			if first, dup := single[b.Type]; dup {
				d.errorf(b.DefRange, "Duplicate "+b.Type+" block",
					"Only one %s block is allowed; the first one is at %s.", b.Type, at(first.DefRange))
				continue
			}
			single[b.Type] = b
		}
	}

	var versionExpr hcl2.Expression
	if b := single["igexport"]; b != nil {
		versionExpr = d.decodeIgexport(b, cfg)
	}
	d.decodeAccounts(accounts, cfg)
	d.decodeDiscovers(discovers, cfg)
	var streamsAttr *hcl2.Attribute
	if a, ok := content.Attributes["streams"]; ok {
		streamsAttr = a
		d.decodeStreamList(a, cfg)
	}
	d.decodeStreamBlocks(streams, cfg)
	if b := single["destination"]; b != nil {
		d.decodeDestination(b, cfg)
	}
	cfg.State = StateConfig{URL: cfg.Destination.URL, Prefix: joinPrefix(cfg.Destination.Prefix, StateDir)}
	if b := single["state"]; b != nil {
		d.decodeState(b, cfg)
	}
	if b := single["rate_limit"]; b != nil {
		d.decodeRateLimit(b, cfg)
	}

	if len(accounts) == 0 && len(discovers) == 0 {
		d.errorf(fileStart, "Nothing to export",
			"The file has no account block and no discover block: add an account \"NAME\" { ig_user_id = ..., access_token = ... } block, or a discover block to export every account behind a token.")
	}
	for name, sc := range cfg.StreamSettings {
		if streamsAttr != nil && !slices.Contains(cfg.Streams, name) {
			d.warnf(sc.DeclRange, "Stream not enabled",
				"There is a stream %q block, but %q is not in streams at %s, so its settings have no effect.",
				name, name, at(streamsAttr.Range))
		} else if info, _ := schema.Lookup(name); streamsAttr == nil && info.OptIn {
			d.warnf(sc.DeclRange, "Stream not enabled",
				"There is a stream %q block, but %q is opt-in and the file has no streams list naming it, so its settings have no effect; add streams = [...] with %q.",
				name, name, name)
		}
	}

	l.checkCatalog(d, cfg, versionExpr, fileStart)
}

func (d *decoder) decodeIgexport(b *hcl2.Block, cfg *Config) (versionExpr hcl2.Expression) {
	content, diags := b.Body.Content(igexportSchema)
	d.add(diags...)
	d.decodeIgexportTokens(content, cfg)
	if a, ok := content.Attributes["graph_api_url"]; ok {
		if s, ok := d.str(a); ok {
			u, err := url.Parse(s.val)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				d.errorf(s.rng, "Invalid graph_api_url",
					"graph_api_url must be an http:// or https:// URL such as %q, not %s.", DefaultGraphAPIURL, s.show())
			} else {
				cfg.GraphAPIURL = strings.TrimSuffix(s.val, "/")
			}
		}
	}
	if a, ok := content.Attributes["graph_api_version"]; ok {
		if s, ok := d.str(a); ok {
			cfg.GraphAPIVersion = s.val
			versionExpr = a.Expr
		}
	}
	if a, ok := content.Attributes["concurrency"]; ok {
		if n, ok := d.int(a); ok {
			if n < 1 {
				d.errorf(a.Expr.Range(), "Invalid concurrency", "concurrency must be >= 1 (requests in flight across all accounts), not %d.", n)
			} else {
				cfg.Concurrency = n
			}
		}
	}
	if a, ok := content.Attributes["request_timeout"]; ok {
		if dur, ok := d.positiveDuration(a, "the most one request may take, body included"); ok {
			cfg.RequestTimeout = dur
		}
	}
	if a, ok := content.Attributes["read_idle_timeout"]; ok {
		if dur, ok := d.positiveDuration(a, "the longest wait for more of a response body"); ok {
			cfg.ReadIdleTimeout = dur
		}
	}
	return versionExpr
}

// positiveDuration decodes a duration attribute that must be > 0; what
// says what it bounds, for the diagnostic.
func (d *decoder) positiveDuration(a *hcl2.Attribute, what string) (time.Duration, bool) {
	s, ok := d.str(a)
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(s.val)
	if err != nil || dur <= 0 {
		d.errorf(s.rng, "Invalid "+a.Name, "%s (%s) must be a positive duration such as \"2m\" or \"30s\", not %s.", a.Name, what, s.show())
		return 0, false
	}
	return dur, true
}

func (d *decoder) decodeAccounts(blocks []*hcl2.Block, cfg *Config) {
	byName := map[string]hcl2.Range{}
	byID := map[string]hcl2.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		dup := false
		if !hclsyntax.ValidIdentifier(name) {
			d.errorf(b.LabelRanges[0], "Invalid account name",
				"%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
		} else if first, ok := byName[name]; ok {
			d.errorf(b.LabelRanges[0], "Duplicate account",
				"An account named %q was already declared at %s.", name, at(first))
			dup = true
		} else {
			byName[name] = b.DefRange
		}

		acct := Account{Name: name, DeclRange: b.DefRange}
		content, diags := b.Body.Content(accountSchema)
		d.add(diags...)
		if a, ok := content.Attributes["ig_user_id"]; ok {
			if s, ok := d.str(a); ok {
				switch {
				case !isDigits(s.val):
					d.errorf(s.rng, "Invalid ig_user_id",
						"ig_user_id must be the numeric Instagram user id (e.g. \"17841400000000001\"), not %s.", s.show())
				default:
					if first, seen := byID[s.val]; !seen {
						byID[s.val] = b.DefRange
					} else if !dup {
						d.errorf(s.rng, "Duplicate ig_user_id",
							"Account %q has the same ig_user_id as the account at %s; each account is exported once.", name, at(first))
					}
					acct.IGUserID = s.val
				}
			}
		}
		acct.AccessToken, acct.AppSecret = d.credentials(content)
		acct.TokenEnv = d.tokenEnv(content)
		acct.AppID, acct.Login = d.decodeLogin(content)
		if _, ok := content.Attributes["ig_user_id"]; !ok && acct.Login != LoginInstagram {
			d.errorf(b.DefRange, "Missing required argument",
				"The argument \"ig_user_id\" is required, but no definition was found: set it to the numeric Instagram user id "+
					"(only an account with login = \"instagram\" may leave it out: its token's GET /me names the account).")
		}
		if a, ok := content.Attributes["start_date"]; ok {
			acct.StartDate = d.date(a)
		}
		if !dup {
			cfg.Accounts = append(cfg.Accounts, acct)
		}
	}
}

func (d *decoder) decodeDiscovers(blocks []*hcl2.Block, cfg *Config) {
	byName := map[string]hcl2.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		dup := false
		if !hclsyntax.ValidIdentifier(name) {
			d.errorf(b.LabelRanges[0], "Invalid discover name",
				"%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
		} else if first, ok := byName[name]; ok {
			d.errorf(b.LabelRanges[0], "Duplicate discover block",
				"A discover block named %q was already declared at %s.", name, at(first))
			dup = true
		} else {
			byName[name] = b.DefRange
		}

		disc := Discover{Name: name, Include: []string{"*"}, DeclRange: b.DefRange}
		content, diags := b.Body.Content(discoverSchema)
		d.add(diags...)
		disc.AccessToken, disc.AppSecret = d.credentials(content)
		disc.TokenEnv = d.tokenEnv(content)
		disc.AppID, disc.Login = d.decodeLogin(content)
		if a, ok := content.Attributes["include"]; ok {
			if globs, ok := d.globs(a); ok {
				if len(globs) == 0 {
					d.errorf(a.Expr.Range(), "Empty include", "include = [] matches no account; remove the attribute to include every account (the default is [\"*\"]).")
				} else {
					disc.Include = globs
				}
			}
		}
		if a, ok := content.Attributes["exclude"]; ok {
			disc.Exclude, _ = d.globs(a)
		}
		if !dup {
			cfg.Discover = append(cfg.Discover, disc)
		}
	}
}

// credentials decodes access_token and app_secret, warning about values
// written in the file and about an empty token.
func (d *decoder) credentials(content *hcl2.BodyContent) (token, secret string) {
	for _, name := range []string{"access_token", "app_secret"} {
		a, ok := content.Attributes[name]
		if !ok {
			continue
		}
		s, ok := d.str(a)
		if !ok {
			continue
		}
		switch {
		case s.val != "" && isLiteral(a.Expr):
			d.warnf(a.Expr.Range(), "Secret in the configuration file",
				"%s is written in the file: anyone who can read the file or its history can use it. Use env() or a sensitive variable instead, e.g. %s = env(%q).",
				name, name, "IG_"+strings.ToUpper(name))
		case s.val == "" && name == "access_token":
			d.warnf(a.Expr.Range(), "Empty access_token",
				"access_token evaluates to an empty string (an unset environment variable?); plan and apply will fail for this block.")
		case s.val != "":
			d.warnLiteralDefaults(a)
		}
		if name == "access_token" {
			token = s.val
		} else {
			secret = s.val
		}
	}
	return token, secret
}

// warnLiteralDefaults warns, once per variable, when a credential comes
// from a variable whose value is a constant default written in the file:
// the same leak as a literal, one step removed.
func (d *decoder) warnLiteralDefaults(a *hcl2.Attribute) {
	for _, t := range a.Expr.Variables() {
		if len(t) < 2 || t.RootName() != "var" {
			continue
		}
		step, ok := t[1].(hcl2.TraverseAttr)
		if !ok {
			continue
		}
		rng, literal := d.literalDefaults[step.Name]
		if !literal || d.warned[step.Name] {
			continue
		}
		if d.warned == nil {
			d.warned = map[string]bool{}
		}
		d.warned[step.Name] = true
		d.warnf(rng, "Secret in the configuration file",
			"%s = var.%s, and this default of var.%s is written in the file: anyone who can read the file or its history can use it. Use default = env(\"...\"), or no default and set %s%s or -var %s=... instead.",
			a.Name, step.Name, step.Name, EnvVarPrefix, step.Name, step.Name)
	}
}

// globs decodes a list of path.Match patterns.
func (d *decoder) globs(a *hcl2.Attribute) ([]string, bool) {
	list, ok := d.strList(a)
	out := []string{}
	for _, s := range list {
		if _, err := path.Match(s.val, ""); err != nil {
			d.errorf(s.rng, "Invalid glob", "%s is not a valid username glob (path.Match syntax: *, ?, [a-z]).", s.show())
			ok = false
			continue
		}
		out = append(out, s.val)
	}
	return out, ok
}

// date decodes a YYYY-MM-DD attribute.
func (d *decoder) date(a *hcl2.Attribute) *schema.Date {
	s, ok := d.str(a)
	if !ok {
		return nil
	}
	dt, err := schema.ParseDate(s.val)
	if err != nil {
		d.errorf(s.rng, "Invalid date", "%s must be a date in YYYY-MM-DD form, such as \"2026-01-01\", not %s.", a.Name, s.show())
		return nil
	}
	return &dt
}

func (d *decoder) decodeStreamList(a *hcl2.Attribute, cfg *Config) {
	list, ok := d.strList(a)
	if !ok {
		return
	}
	if len(list) == 0 {
		d.errorf(a.Expr.Range(), "No streams", "streams is empty, so nothing would be exported; remove the attribute to export all seven streams.")
		return
	}
	var names []string
	seen := map[string]hcl2.Range{}
	for _, s := range list {
		if _, known := schema.Lookup(s.val); !known {
			d.errorf(s.rng, "Unknown stream",
				"There is no stream %s.%s Streams: %s.", s.show(), suggest(s.val, schema.Names()), strings.Join(schema.Names(), ", "))
			continue
		}
		if first, dup := seen[s.val]; dup {
			d.errorf(s.rng, "Duplicate stream", "%s is already listed at %s.", s.show(), at(first))
			continue
		}
		seen[s.val] = s.rng
		names = append(names, s.val)
	}
	cfg.Streams = names
}

func (d *decoder) decodeDestination(b *hcl2.Block, cfg *Config) {
	content, diags := b.Body.Content(destinationSchema)
	d.add(diags...)
	if a, ok := content.Attributes["url"]; ok {
		if s, ok := d.bucketURL(a); ok {
			cfg.Destination.URL = s
		}
	}
	if a, ok := content.Attributes["prefix"]; ok {
		if s, ok := d.str(a); ok {
			cfg.Destination.Prefix = strings.Trim(s.val, "/")
		}
	}
	if a, ok := content.Attributes["compression"]; ok {
		if s, ok := d.str(a); ok {
			if !slices.Contains(compressions, s.val) {
				d.errorf(s.rng, "Unsupported compression",
					"compression must be one of %s, not %s.%s", strings.Join(compressions, ", "), s.show(), suggest(s.val, compressions))
			} else {
				cfg.Destination.Compression = s.val
			}
		}
	}
}

func (d *decoder) decodeState(b *hcl2.Block, cfg *Config) {
	content, diags := b.Body.Content(stateSchema)
	d.add(diags...)
	if a, ok := content.Attributes["url"]; ok {
		if s, ok := d.bucketURL(a); ok {
			cfg.State.URL = s
		}
	}
	if a, ok := content.Attributes["prefix"]; ok {
		if s, ok := d.str(a); ok {
			cfg.State.Prefix = strings.Trim(s.val, "/")
		}
	}
}

// bucketURL decodes a gocloud.dev/blob URL whose scheme is one of
// LoadOptions.Schemes (any, when that is nil).
func (d *decoder) bucketURL(a *hcl2.Attribute) (string, bool) {
	s, ok := d.str(a)
	if !ok {
		return "", false
	}
	schemes := d.schemes
	u, err := url.Parse(s.val)
	switch {
	case err != nil:
		d.errorf(s.rng, "Invalid bucket URL", "%s is not a valid URL. Use a bucket URL such as \"s3://my-bucket?region=eu-west-1\" or \"file://./lake\".", s.show())
		return "", false
	case u.Scheme == "" && schemes == nil:
		d.errorf(s.rng, "Invalid bucket URL", "%s has no scheme. Use a bucket URL such as \"s3://my-bucket\" or \"file://./lake\".", s.show())
		return "", false
	case u.Scheme == "":
		d.errorf(s.rng, "Invalid bucket URL", "%s has no scheme. Use a bucket URL such as \"s3://my-bucket\" or \"file://./lake\"; schemes: %s.", s.show(), strings.Join(schemes, ", "))
		return "", false
	case schemes != nil && !slices.Contains(schemes, u.Scheme):
		d.errorf(s.rng, "Unsupported bucket scheme",
			"This igexport has no driver for %q URLs.%s Schemes compiled in: %s.", u.Scheme+"://", suggest(u.Scheme, schemes), strings.Join(schemes, ", "))
		return "", false
	}
	if d.queryParams == nil {
		return s.val, true
	}
	if known, ok := d.queryParams(u.Scheme); ok {
		bad := false
		for _, k := range slices.Sorted(maps.Keys(u.Query())) {
			if !slices.Contains(known, k) {
				bad = true
				d.errorf(s.rng, "Unknown query parameter",
					"%s:// URLs take no query parameter %q.%s Parameters of %s:// URLs: %s.", u.Scheme, k, suggest(k, known), u.Scheme, strings.Join(known, ", "))
			}
		}
		if bad {
			return "", false
		}
	}
	return s.val, true
}

func (d *decoder) decodeRateLimit(b *hcl2.Block, cfg *Config) {
	content, diags := b.Body.Content(rateLimitSchema)
	d.add(diags...)
	if a, ok := content.Attributes["max_usage_percent"]; ok {
		if n, ok := d.int(a); ok {
			if n < 1 || n > 100 {
				d.errorf(a.Expr.Range(), "Invalid max_usage_percent", "max_usage_percent must be between 1 and 100, not %d.", n)
			} else {
				cfg.RateLimit.MaxUsagePercent = n
			}
		}
	}
	if a, ok := content.Attributes["max_wait"]; ok {
		if s, ok := d.str(a); ok {
			dur, err := time.ParseDuration(s.val)
			switch {
			case err != nil:
				d.errorf(s.rng, "Invalid max_wait", "max_wait must be a duration such as \"30m\" or \"1h30m\", not %s.", s.show())
			case dur < 0:
				d.errorf(s.rng, "Invalid max_wait", "max_wait must not be negative.")
			default:
				cfg.RateLimit.MaxWait = dur
			}
		}
	}
}

func joinPrefix(prefix, dir string) string {
	if prefix == "" {
		return dir
	}
	return prefix + "/" + dir
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// plural is for messages listing things that may be none.
func plural(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

// tokenEnv returns the environment variables access_token is read from.
func (d *decoder) tokenEnv(content *hcl2.BodyContent) []string {
	a, ok := content.Attributes["access_token"]
	if !ok {
		return nil
	}
	out := envCalls(a.Expr)
	for _, t := range a.Expr.Variables() {
		if len(t) < 2 || t.RootName() != "var" {
			continue
		}
		if step, ok := t[1].(hcl2.TraverseAttr); ok {
			out = append(out, d.varEnv[step.Name]...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// envCalls returns the names given as constants to env() in expr.
func envCalls(expr hcl2.Expression) []string {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return nil
	}
	var out []string
	_ = hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl2.Diagnostics {
		fc, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok || fc.Name != "env" || len(fc.Args) != 1 {
			return nil
		}
		if v, diags := fc.Args[0].Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			out = append(out, v.AsString())
		}
		return nil
	})
	return out
}
