package export

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/schema"
)

// ErrInvalidSelection is wrapped by CheckSelection (and so by Apply and
// MakePlan) when the selectors of a run are invalid: a usage error.
var ErrInvalidSelection = errors.New("invalid selection")

// selectionError is an invalid selector; it matches ErrInvalidSelection.
type selectionError struct{ msg string }

func (e *selectionError) Error() string        { return e.msg }
func (e *selectionError) Is(target error) bool { return target == ErrInvalidSelection }

func invalid(format string, args ...any) error {
	return &selectionError{msg: fmt.Sprintf(format, args...)}
}

// shardSyntax is what a shard selector must look like.
const shardSyntax = "want I/N with 0 <= I < N, e.g. 0/4"

// Selection returns the part of o a saved plan keeps.
func (o *Options) Selection() Selection {
	return Selection{Accounts: o.Accounts, Streams: o.Streams, Shard: o.Shard, Shards: o.Shards,
		From: o.From, To: o.To, SnapshotDate: o.SnapshotDate, Concurrency: o.Concurrency}
}

// ParseShard reads a -shard value, "I/N" with 0 <= I < N.
func ParseShard(s string) (shard, shards int, err error) {
	i, n, ok := strings.Cut(s, "/")
	si, err1 := strconv.Atoi(i)
	sn, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || checkShard(si, sn) != nil {
		return 0, 0, invalid("-shard %q: %s", s, shardSyntax)
	}
	return si, sn, nil
}

func checkShard(shard, shards int) error {
	if shards == 0 && shard == 0 {
		return nil // no sharding
	}
	if shards < 1 || shard < 0 || shard >= shards {
		return invalid("-shard %d/%d: %s", shard, shards, shardSyntax)
	}
	return nil
}

// CheckSelection is the one validation of a run's selectors, whether they
// come from flags (plan, apply) or from a saved plan (apply PLAN, which a
// hand edit may have changed): accounts the config has (unless a discover
// block may find them), known streams, a shard inside its range, -to only
// with -from and not before it, no date after today (the UTC day of now),
// a concurrency of at least 0. Errors wrap ErrInvalidSelection and name
// the selector by its flag.
func CheckSelection(cfg *hcl.Config, s Selection, now time.Time) error {
	if len(cfg.Discover) == 0 {
		for _, a := range s.Accounts {
			if !slices.ContainsFunc(cfg.Accounts, func(x hcl.Account) bool { return x.Name == a || x.IGUserID == a }) {
				var names []string
				for _, x := range cfg.Accounts {
					names = append(names, x.Name)
				}
				return invalid("-account %q: no such account in %s (accounts: %s)", a, cfg.Path, strings.Join(names, ", "))
			}
		}
	}
	for _, st := range s.Streams {
		if _, ok := schema.Lookup(st); !ok {
			return invalid("-stream %q: unknown stream (streams: %s)", st, strings.Join(schema.Names(), ", "))
		}
	}
	if err := checkShard(s.Shard, s.Shards); err != nil {
		return err
	}
	if s.To != nil && s.From == nil {
		return invalid("-to needs -from")
	}
	if s.From != nil && s.To != nil && *s.To < *s.From {
		return invalid("-to %s is before -from %s", s.To, s.From)
	}
	today := schema.DateOf(now)
	for _, d := range []struct {
		flag string
		date *schema.Date
	}{{"-from", s.From}, {"-to", s.To}, {"-snapshot-date", s.SnapshotDate}} {
		if d.date != nil && *d.date > today {
			return invalid("%s %s is after today (%s, UTC): there is no data for a day that has not happened yet", d.flag, d.date, today)
		}
	}
	if s.Concurrency < 0 {
		return invalid("-concurrency %d: want a positive number", s.Concurrency)
	}
	return nil
}
