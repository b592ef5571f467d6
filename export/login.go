package export

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/igexport/igexport/internal/catalog"
	"github.com/igexport/igexport/internal/schema"
)

// What differs between the two ways to reach the Instagram API (SPEC §5
// login, graph-api.md §12), declared here once:
//
//   - the host: graph_api_url for Facebook Login, instagram_api_url for
//     Instagram Login (runner.client);
//   - discovery: GET /me/accounts (the token's Pages and their Instagram
//     accounts) versus GET /me?fields=user_id,username (the token's one
//     account; discoverOps);
//   - the fields and metrics asked for: the Instagram API with Instagram
//     Login does not serve media_product_type nor the metrics the catalog
//     marks Facebook-Login-only (Metric.Logins): they are not requested and
//     their columns are NULL for those accounts (mediaFieldsFor,
//     Job.SpecFor);
//   - whether reels are told apart by media_product_type or, without it,
//     by their permalink (mediaKind);
//   - the permissions and advice (graph.Permissions, graph.Error.AdviceFor).
//
// Whether graph.instagram.com takes Graph batch requests is not
// documented: graph.BatchSupport probes it once per run and falls back to
// single requests (runner.igBatch: the Instagram host only).

// facebookOnlyFields are the media fields only the Instagram API with
// Facebook Login serves.
var facebookOnlyFields = []string{"media_product_type"}

// mediaFieldsFor returns the media fields to ask for with a login kind.
func mediaFieldsFor(login string) string { return fieldsFor(mediaFields, login) }

// storyFieldsFor returns the story fields to ask for with a login kind.
func storyFieldsFor(login string) string { return fieldsFor(storyFields, login) }

func fieldsFor(fields, login string) string {
	if login != loginInstagram {
		return fields
	}
	for _, f := range facebookOnlyFields {
		fields = dropField(fields, f)
	}
	return fields
}

// SpecFor returns the settings of stream s for an account of a login kind:
// Spec(s) without the metrics its API does not serve.
func (j *Job) SpecFor(s, login string) StreamSpec {
	spec := j.Spec(s)
	if loginOrDefault(login) == loginFacebook {
		return spec
	}
	ms := make(map[catalog.Kind][]catalog.Metric, len(spec.Metrics))
	for k, list := range spec.Metrics {
		ms[k] = catalog.ForLogin(list, login)
	}
	spec.Metrics = ms
	return spec
}

// spec is the settings of stream s for this account's login.
func (a *accountRun) spec(s string) StreamSpec { return a.r.job.SpecFor(s, a.t.Login) }

// mediaKind is the catalog kind of a media row: from media_type and
// media_product_type; without media_product_type (Instagram Login) a VIDEO
// whose permalink is a /reel/ link is a reel, any other video a feed
// video.
func mediaKind(row schema.MediaRow) catalog.Kind {
	if row.MediaProductType == nil && strings.EqualFold(deref(row.MediaType), "VIDEO") && isReelLink(deref(row.Permalink)) {
		return catalog.Reels
	}
	return catalog.KindOf(deref(row.MediaType), deref(row.MediaProductType))
}

// isReelLink reports a permalink of the form https://www.instagram.com/reel/CODE/.
func isReelLink(permalink string) bool {
	u, err := url.Parse(permalink)
	if err != nil {
		return false
	}
	return strings.HasPrefix(u.Path, "/reel/") || strings.HasPrefix(u.Path, "/reels/")
}

// discoverOps lists the discovery request of a discover block of a login
// kind: the token's Pages (Facebook Login), or its one account.
func discoverOps(login string) []Op {
	if login == loginInstagram {
		return []Op{{Path: "/me", Params: url.Values{"fields": {"user_id,username"}}, Send: sendGet}}
	}
	return []Op{{Path: "/me/accounts", Params: url.Values{"fields": {"id,name,instagram_business_account{id,username}"}},
		Send: sendPages, Pages: 1}}
}

// instagramLoginNote is plan's note on an Instagram Login account: where
// its requests go and what its round trips assume about batch requests.
func instagramLoginNote(e Estimate, cat *catalog.Catalog) string {
	var fbOnly []string
	for _, m := range cat.Metrics() {
		if !m.ServedWith(loginInstagram) && m.Column != "" && !slices.Contains(fbOnly, m.Name) {
			fbOnly = append(fbOnly, m.Name)
		}
	}
	n := "login = \"instagram\": requests go to instagram_api_url (graph.instagram.com) with an Instagram Login token; " +
		strings.Join(append(slices.Clone(facebookOnlyFields), fbOnly...), ", ") + " are Facebook Login only: not requested, their columns stay NULL"
	if e.Calls == e.RoundTrips {
		return n
	}
	return n + fmt.Sprintf("; the round trips assume the host takes Graph batch requests: if it refuses them, apply sends each operation "+
		"as a GET of its own, %d round trips plus one refused batch POST per run (%d calls either way)", e.Calls, e.Calls)
}
