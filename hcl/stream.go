package hcl

import (
	"maps"
	"slices"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"

	"github.com/igexport/igexport/internal/schema"
)

// streamArgs says which streams each stream-block argument applies to.
var streamArgs = []struct {
	name    string
	streams []string
}{
	{"metrics", []string{schema.MediaInsights, schema.StoryInsights, schema.UserInsights, schema.UserLifetimeInsights}},
	{"lookback_days", []string{schema.UserInsights}},
	{"start_date", []string{schema.UserInsights}},
	{"max_media_age_days", []string{schema.MediaInsights}},
	{"profile_activity_breakdown", []string{schema.MediaInsights}},
	{"breakdowns", []string{schema.UserLifetimeInsights}},
	{"timeframe", []string{schema.UserLifetimeInsights}},
	{"refresh_days", []string{schema.Comments}},
	{"usernames", []string{schema.Comments}},
}

// streamSchema accepts every stream argument; which ones fit which stream
// is checked afterwards, for a better message than "unsupported".
var streamSchema = func() *hcl2.BodySchema {
	s := &hcl2.BodySchema{}
	for _, a := range streamArgs {
		s.Attributes = append(s.Attributes, hcl2.AttributeSchema{Name: a.name})
	}
	return s
}()

// timeframes of the demographics (the older ones stopped with v20).
var timeframes = []string{"this_week", "this_month"}

// dimensions of the demographics breakdowns.
var dimensions = []string{"age", "gender", "country", "city"}

// argsFor returns the arguments a stream block for stream accepts.
func argsFor(stream string) []string {
	var out []string
	for _, a := range streamArgs {
		if slices.Contains(a.streams, stream) {
			out = append(out, a.name)
		}
	}
	return out
}

func argApplies(arg, stream string) bool { return slices.Contains(argsFor(stream), arg) }

// metricRef is a metric named in a stream block, checked against the
// catalog once the Graph API version is known.
type metricRef struct {
	stream string
	metric str
}

func (d *decoder) decodeStreamBlocks(blocks []*hcl2.Block, cfg *Config) {
	seen := map[string]hcl2.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		_, known := schema.Lookup(name)
		dup := false
		if !known {
			d.errorf(b.LabelRanges[0], "Unknown stream",
				"There is no stream %q.%s Streams: %s.", name, suggest(name, schema.Names()), strings.Join(schema.Names(), ", "))
		} else if first, ok := seen[name]; ok {
			d.errorf(b.LabelRanges[0], "Duplicate stream block",
				"A stream %q block was already declared at %s.", name, at(first))
			dup = true
		} else {
			seen[name] = b.DefRange
		}

		sc := defaultStreamConfig(name)
		sc.DeclRange = b.DefRange
		content, diags := b.Body.Content(streamSchema)
		d.add(diags...)
		attrs := slices.SortedFunc(maps.Values(content.Attributes), func(x, y *hcl2.Attribute) int {
			return x.Range.Start.Byte - y.Range.Start.Byte
		})
		var refs []metricRef
		for _, a := range attrs {
			if known && !argApplies(a.Name, name) {
				var for_ []string
				for _, sa := range streamArgs {
					if sa.name == a.Name {
						for_ = sa.streams
					}
				}
				d.errorf(a.NameRange, "Argument not valid for this stream",
					"%s applies to %s only, not to %s. Arguments of a stream %q block: %s.",
					a.Name, strings.Join(for_, ", "), name, name, plural(argsFor(name)))
				continue
			}
			switch a.Name {
			case "metrics":
				sc.Metrics, refs = d.streamMetrics(a, name)
			case "lookback_days":
				if n, ok := d.int(a); ok {
					if n < 0 {
						d.errorf(a.Expr.Range(), "Invalid lookback_days", "lookback_days must be >= 0 (days re-read before the cursor), not %d.", n)
					} else {
						sc.LookbackDays = n
					}
				}
			case "max_media_age_days":
				if n, ok := d.int(a); ok {
					if n < 1 {
						d.errorf(a.Expr.Range(), "Invalid max_media_age_days", "max_media_age_days must be >= 1, not %d; remove it to refresh the insights of every media.", n)
					} else {
						sc.MaxMediaAgeDays = n
					}
				}
			case "refresh_days":
				if n, ok := d.int(a); ok {
					if n < 0 {
						d.errorf(a.Expr.Range(), "Invalid refresh_days",
							"refresh_days must be >= 0 (media younger than that many days get their comments fetched on every run; 0: only when comments_count changes), not %d.", n)
					} else {
						sc.RefreshDays = n
					}
				}
			case "usernames":
				if s, ok := d.str(a); ok {
					if !slices.Contains(UsernameModes, s.val) {
						d.errorf(s.rng, "Unsupported usernames",
							"usernames must be one of %s, not %s.%s", strings.Join(UsernameModes, ", "), s.show(), suggest(s.val, UsernameModes))
					} else {
						sc.Usernames = s.val
					}
				}
			case "profile_activity_breakdown":
				if v, ok := d.bool(a); ok {
					sc.ProfileActivityBreakdown = v
				}
			case "start_date":
				sc.StartDate = d.date(a)
			case "breakdowns":
				sc.Breakdowns = d.breakdowns(a, sc.Breakdowns)
			case "timeframe":
				if s, ok := d.str(a); ok {
					if !slices.Contains(timeframes, s.val) {
						d.errorf(s.rng, "Unsupported timeframe",
							"timeframe must be one of %s, not %s.%s", strings.Join(timeframes, ", "), s.show(), suggest(s.val, timeframes))
					} else {
						sc.Timeframe = s.val
					}
				}
			}
		}
		if known && !dup {
			cfg.StreamSettings[name] = sc
			d.metrics = append(d.metrics, refs...)
		}
	}
}

// streamMetrics decodes a metrics list; the catalog checks come later.
func (d *decoder) streamMetrics(a *hcl2.Attribute, stream string) ([]string, []metricRef) {
	list, ok := d.strList(a)
	if !ok {
		return nil, nil
	}
	if len(list) == 0 {
		d.errorf(a.Expr.Range(), "No metrics", "metrics is empty; remove the attribute to request the catalog's default metrics.")
		return nil, nil
	}
	var names []string
	var refs []metricRef
	seen := map[string]hcl2.Range{}
	for _, s := range list {
		if first, dup := seen[s.val]; dup {
			d.errorf(s.rng, "Duplicate metric", "%s is already listed at %s.", s.show(), at(first))
			continue
		}
		seen[s.val] = s.rng
		names = append(names, s.val)
		refs = append(refs, metricRef{stream: stream, metric: s})
	}
	return names, refs
}

// breakdowns decodes a list of demographic breakdowns, each one dimension
// or a comma list of distinct dimensions ("age,gender").
func (d *decoder) breakdowns(a *hcl2.Attribute, def []string) []string {
	list, ok := d.strList(a)
	if !ok {
		return def
	}
	if len(list) == 0 {
		d.errorf(a.Expr.Range(), "No breakdowns", "breakdowns is empty; remove the attribute for the default breakdowns.")
		return def
	}
	var out []string
	seen := map[string]hcl2.Range{}
	for _, s := range list {
		var dims []string
		valid := true
		for dim := range strings.SplitSeq(s.val, ",") {
			dim = strings.TrimSpace(dim)
			if !slices.Contains(dimensions, dim) || slices.Contains(dims, dim) {
				valid = false
				break
			}
			dims = append(dims, dim)
		}
		if !valid {
			d.errorf(s.rng, "Invalid breakdown",
				"%s is not a breakdown: use one of %s, or a comma list of distinct ones such as \"age,gender\".", s.show(), strings.Join(dimensions, ", "))
			continue
		}
		norm := strings.Join(dims, ",")
		if first, dup := seen[norm]; dup {
			d.errorf(s.rng, "Duplicate breakdown", "%s is already listed at %s.", s.show(), at(first))
			continue
		}
		seen[norm] = s.rng
		out = append(out, norm)
	}
	return out
}
