package sinks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/igexport/igexport/internal/schema"
)

// Object layout (SPEC §2). Data keys are relative to the destination Store,
// state keys to the state Store.
const (
	// PartFile is the one file name of every partition.
	PartFile = "part-00000.parquet"
	// KeepGenerations is how many state generations CommitState keeps.
	KeepGenerations = 30

	accountsDir = "accounts/"
	runsDir     = "runs/"
	statePrefix = "state-"
	stateSuffix = ".json"
	lockName    = "lock.json"
	// genDigits is the minimum width of a generation in a state key: zero
	// padded to 10 digits, wider past 9999999999 (StateKey, parseStateKey).
	genDigits = 10
)

// DataKey returns the key of the partition file of stream that holds day d
// for one account, partitioned as the stream declares (schema.StreamInfo):
// "<stream>/dt=YYYY-MM-DD/account_id=<id>/part-00000.parquet", or for a
// month-partitioned stream "<stream>/month=YYYY-MM/account_id=<id>/…".
func DataKey(stream string, d schema.Date, accountID string) string {
	return PartitionKey(stream, schema.PartitionOf(stream), d, accountID)
}

// PartitionKey is DataKey with the partitioning given: the key of the p
// partition of stream holding day d. Only a lake written by an older layout
// (user_insights by day before schema_version 3) needs another p than the
// stream's own.
func PartitionKey(stream string, p schema.Partition, d schema.Date, accountID string) string {
	return stream + "/" + p.Column() + "=" + p.Format(d) + "/account_id=" + accountID + "/" + PartFile
}

// DataKeyParts is what a data key says: see ParseDataKey.
type DataKeyParts struct {
	Prefix    string // the destination prefix, "" for none
	Stream    string
	Partition schema.Partition // the partition column the key has (dt or month)
	Date      schema.Date      // the partition's first day (the dt= day, the month's 1st)
	AccountID string
}

// Rel returns the key relative to the destination Store (no prefix).
func (k DataKeyParts) Rel() string { return PartitionKey(k.Stream, k.Partition, k.Date, k.AccountID) }

// Legacy reports whether the key is partitioned otherwise than its stream
// declares: a file of an older layout (user_insights/dt=…), which the next
// apply folds into the stream's own partitions.
func (k DataKeyParts) Legacy() bool { return k.Partition != schema.PartitionOf(k.Stream) }

// ParseDataKey is the inverse of DataKey and PartitionKey, for keys with or
// without the destination prefix (FileInfo.Key has it):
// "[<prefix>/]<stream>/dt=YYYY-MM-DD/account_id=<id>/part-00000.parquet" or
// "[<prefix>/]<stream>/month=YYYY-MM/account_id=<id>/part-00000.parquet".
// It is the one parser of data keys; anything else is an error. A dt= key
// of a month-partitioned stream parses (see Legacy).
func ParseDataKey(key string) (DataKeyParts, error) {
	bad := func(why string) (DataKeyParts, error) {
		return DataKeyParts{}, fmt.Errorf("data key %q: %s", key, why)
	}
	segs := strings.Split(key, "/")
	n := len(segs)
	if n < 4 || segs[n-1] != PartFile {
		return bad("want <stream>/dt=YYYY-MM-DD/account_id=<id>/" + PartFile + " or <stream>/month=YYYY-MM/…")
	}
	col, val, ok := strings.Cut(segs[n-3], "=")
	p := schema.Partition(col)
	if !ok || p != schema.Day && p != schema.Month {
		return bad("no dt= or month= partition")
	}
	d, err := p.Parse(val)
	if err != nil {
		return bad(err.Error())
	}
	id, ok := strings.CutPrefix(segs[n-2], "account_id=")
	if !ok {
		return bad("no account_id= partition")
	}
	if err := ValidateID(id); err != nil {
		return bad("account: " + err.Error())
	}
	if segs[n-4] == "" {
		return bad("empty stream")
	}
	return DataKeyParts{Prefix: strings.Join(segs[:n-4], "/"), Stream: segs[n-4], Partition: p, Date: d, AccountID: id}, nil
}

// StateKey returns the key of one state generation of an account:
// "accounts/<id>/state-<generation>.json", the generation zero padded to 10
// digits (SPEC §2) and written in full past 9999999999 (11 digits and more,
// up to math.MaxInt64): parseStateKey reads back every key StateKey makes,
// and Generations orders them numerically, not by name.
func StateKey(accountID string, generation int64) string {
	return fmt.Sprintf("%s%s/%s%0*d%s", accountsDir, accountID, statePrefix, genDigits, generation, stateSuffix)
}

// LockKey returns the key of an account's lease: "accounts/<id>/lock.json".
func LockKey(accountID string) string { return accountsDir + accountID + "/" + lockName }

// RunKey returns the key of a run summary: "runs/<run_id>.json".
func RunKey(runID string) string { return runsDir + runID + ".json" }

// parseStateKey returns the account and generation of a state key relative
// to the state Store, and false for any other key (temp files included). It
// accepts exactly the names StateKey makes: at least genDigits digits, and
// no leading zero beyond that width (so each generation has one key).
func parseStateKey(rel string) (accountID string, gen int64, ok bool) {
	rest, ok := strings.CutPrefix(rel, accountsDir)
	if !ok {
		return "", 0, false
	}
	accountID, name, ok := strings.Cut(rest, "/")
	if !ok || accountID == "" {
		return "", 0, false
	}
	digits, ok := strings.CutPrefix(name, statePrefix)
	if !ok {
		return "", 0, false
	}
	digits, ok = strings.CutSuffix(digits, stateSuffix)
	if !ok || len(digits) < genDigits || len(digits) > genDigits && digits[0] == '0' {
		return "", 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", 0, false
		}
	}
	gen, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return accountID, gen, true
}

// ValidateID checks that s can be an account id or a run id inside an object
// key: non-empty, at most 128 characters of [A-Za-z0-9._-], not starting
// with a dot.
func ValidateID(s string) error {
	if s == "" {
		return fmt.Errorf("empty id")
	}
	if len(s) > 128 {
		return fmt.Errorf("id %.20q… is longer than 128 characters", s)
	}
	if s[0] == '.' {
		return fmt.Errorf("id %q starts with a dot", s)
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("id %q: only letters, digits, '.', '_' and '-' are allowed", s)
		}
	}
	return nil
}
