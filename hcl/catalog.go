package hcl

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	hcl2 "github.com/hashicorp/hcl/v2"

	"github.com/igexport/igexport/internal/catalog"
)

// checkCatalog checks the Graph API version, then every metric of the
// stream blocks against that version's metric catalog. It runs last: the
// metrics cannot be judged before the version is known.
// A version past its expiry is an error, one expiring within
// catalog.ExpiryWarningWindow a warning, at the graph_api_version
// expression (at fileStart when the default version is the one concerned).
func (l *loader) checkCatalog(d *decoder, cfg *Config, versionExpr hcl2.Expression, fileStart hcl2.Range) {
	cat, err := catalog.For(cfg.GraphAPIVersion)
	if err != nil {
		diag := &hcl2.Diagnostic{
			Severity: hcl2.DiagError,
			Summary:  "Unsupported Graph API version",
			Detail:   sentence(err.Error()) + " Pin one of those versions.",
		}
		if versionExpr != nil {
			diag.Subject = versionExpr.Range().Ptr()
		}
		d.add(diag)
		return
	}
	now := l.now()
	if w, err := catalog.CheckVersion(cfg.GraphAPIVersion, now); err != nil {
		d.add(versionDiag(hcl2.DiagError, "Expired Graph API version", sentence(err.Error()), versionExpr, fileStart))
	} else if w != "" {
		d.add(versionDiag(hcl2.DiagWarning, "Graph API version expires soon", sentence(w), versionExpr, fileStart))
	}
	igLogin, fbLogin := loginBlocks(cfg)
	for _, ref := range d.metrics {
		err := cat.Check(ref.stream, ref.metric.val, now)
		switch {
		case err != nil:
			detail := sentence(err.Error())
			if ref.metric.sensitive {
				detail = fmt.Sprintf("A metric given by a sensitive value is not a valid %s metric in Graph API %s.", ref.stream, cat.Version())
			}
			d.errorf(ref.metric.rng, "Invalid metric", "%s", detail)
			continue
		case len(igLogin) > 0:
			if err := cat.CheckLogin(ref.stream, ref.metric.val, LoginInstagram); err != nil {
				detail := sentence(err.Error())
				if ref.metric.sensitive {
					detail = "A metric given by a sensitive value is served only by the Instagram API with Facebook Login."
				}
				if fbLogin == 0 {
					d.errorf(ref.metric.rng, "Metric not served with Instagram Login",
						"%s Blocks with login = %q: %s. Remove it from the %s metrics list (its column stays NULL for those accounts), or export them with a Facebook Login token.",
						detail, LoginInstagram, strings.Join(igLogin, ", "), ref.stream)
					continue
				}
				// The Facebook Login accounts of the same file get the metric;
				// the Instagram Login ones are not asked for it (NULL column).
				d.warnf(ref.metric.rng, "Metric not served with Instagram Login",
					"%s Blocks with login = %q: %s; their %s column stays NULL, the Facebook Login accounts get it.",
					detail, LoginInstagram, strings.Join(igLogin, ", "), ref.metric.val)
			}
		}
		if w := cat.Warning(ref.metric.val, now); w != "" {
			d.warnf(ref.metric.rng, "Metric deprecated soon", "%s", sentence(w))
		}
	}
}

// versionDiag is a diagnostic about the Graph API version, at the
// graph_api_version expression when the file sets it, else at fileStart.
func versionDiag(sev hcl2.DiagnosticSeverity, summary, detail string, versionExpr hcl2.Expression, fileStart hcl2.Range) *hcl2.Diagnostic {
	rng := fileStart
	if versionExpr != nil {
		rng = versionExpr.Range()
	}
	return &hcl2.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}

// sentence capitalizes s and ends it with a period.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if s != "" && s[len(s)-1] != '.' {
		s += "."
	}
	return s
}

// loginBlocks names the account and discover blocks with login =
// "instagram" and where they are, for diagnostics, and counts the other
// (Facebook Login) blocks.
func loginBlocks(cfg *Config) (instagram []string, facebook int) {
	for _, a := range cfg.Accounts {
		if a.Login == LoginInstagram {
			instagram = append(instagram, fmt.Sprintf("account %q (%s)", a.Name, at(a.DeclRange)))
		} else {
			facebook++
		}
	}
	for _, x := range cfg.Discover {
		if x.Login == LoginInstagram {
			instagram = append(instagram, fmt.Sprintf("discover %q (%s)", x.Name, at(x.DeclRange)))
		} else {
			facebook++
		}
	}
	return instagram, facebook
}
