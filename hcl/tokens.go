package hcl

import (
	"net/url"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"

	"github.com/igexport/igexport/internal/catalog"
)

// Token-related settings (SPEC §5): the igexport block's token_warn_days
// and instagram_api_url, the account and discover blocks' app_id and login.
const (
	// DefaultInstagramAPIURL is the base of accounts with login = "instagram".
	DefaultInstagramAPIURL = "https://graph.instagram.com"
	// DefaultTokenWarnDays: a token expiring sooner is warned about.
	DefaultTokenWarnDays = 14
	// LoginFacebook is the Instagram API with Facebook Login (graph.facebook.com,
	// an Instagram account linked to a Facebook Page); the default.
	LoginFacebook = catalog.LoginFacebook
	// LoginInstagram is the Instagram API with Instagram Login (graph.instagram.com).
	LoginInstagram = catalog.LoginInstagram
)

// tokenAttributes are the attributes this file decodes, by block type; the
// schemas in decode.go list them.
var tokenAttributes = map[string][]hcl2.AttributeSchema{
	"igexport": {{Name: "instagram_api_url"}, {Name: "token_warn_days"}},
	"account":  {{Name: "app_id"}, {Name: "login"}},
	"discover": {{Name: "app_id"}, {Name: "login"}},
}

// withTokenAttributes returns s plus the token attributes of block type typ.
func withTokenAttributes(typ string, s *hcl2.BodySchema) *hcl2.BodySchema {
	s.Attributes = append(s.Attributes, tokenAttributes[typ]...)
	return s
}

// setTokenDefaults sets the defaults of the igexport block's token settings.
func setTokenDefaults(cfg *Config) {
	cfg.InstagramAPIURL = DefaultInstagramAPIURL
	cfg.TokenWarnDays = DefaultTokenWarnDays
}

// decodeIgexportTokens decodes instagram_api_url and token_warn_days.
func (d *decoder) decodeIgexportTokens(content *hcl2.BodyContent, cfg *Config) {
	if a, ok := content.Attributes["instagram_api_url"]; ok {
		if s, ok := d.str(a); ok {
			u, err := url.Parse(s.val)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				d.errorf(s.rng, "Invalid instagram_api_url",
					"instagram_api_url must be an http:// or https:// URL such as %q, not %s.", DefaultInstagramAPIURL, s.show())
			} else {
				cfg.InstagramAPIURL = strings.TrimSuffix(s.val, "/")
			}
		}
	}
	if a, ok := content.Attributes["token_warn_days"]; ok {
		if n, ok := d.int(a); ok {
			if n < 0 {
				d.errorf(a.Expr.Range(), "Invalid token_warn_days",
					"token_warn_days must be >= 0 (days before a token's expiry when plan and apply start warning; 0: never warn), not %d.", n)
			} else {
				cfg.TokenWarnDays = n
			}
		}
	}
}

// decodeLogin decodes app_id and login of an account or discover block.
func (d *decoder) decodeLogin(content *hcl2.BodyContent) (appID, login string) {
	login = LoginFacebook
	if a, ok := content.Attributes["app_id"]; ok {
		if s, ok := d.str(a); ok {
			if s.val != "" && !isDigits(s.val) {
				d.errorf(s.rng, "Invalid app_id",
					"app_id must be the numeric Meta app id (App Dashboard → Settings → Basic), not %s.", s.show())
			} else {
				appID = s.val
			}
		}
	}
	if a, ok := content.Attributes["login"]; ok {
		if s, ok := d.str(a); ok {
			switch s.val {
			case LoginFacebook, LoginInstagram:
				login = s.val
			default:
				d.errorf(s.rng, "Invalid login",
					"login must be %q (Instagram API with Facebook Login, graph.facebook.com) or %q (Instagram API with Instagram Login, graph.instagram.com), not %s.",
					LoginFacebook, LoginInstagram, s.show())
			}
		}
	}
	return appID, login
}
