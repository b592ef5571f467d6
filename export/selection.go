package export

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
