package sinks

import (
	"cmp"
	"hash/maphash"
	"slices"
)

// rowKey stands for a row's Key() in what a PartitionWriter keeps of the
// rows written: 128 bits of two seeded hashes of the key. Two different
// keys of one partition have the same rowKey with a probability of about
// n²/2¹²⁹ for n keys (below 10⁻²⁸ for a million): the seeds are drawn per
// writer, so no key set can be chosen to collide.
type rowKey [2]uint64

func compareKeys(a, b rowKey) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	return cmp.Compare(a[1], b[1])
}

// keyHasher maps keys to rowKeys with the seeds of one writer.
type keyHasher struct{ a, b maphash.Seed }

func newKeyHasher() keyHasher { return keyHasher{maphash.MakeSeed(), maphash.MakeSeed()} }

func (h keyHasher) of(key string) rowKey {
	return rowKey{maphash.String(h.a, key), maphash.String(h.b, key)}
}

// keyLog is what a PartitionWriter remembers of the rows it wrote, to keep
// each key's last row and to merge with the file already at the key: the
// rowKey of each row, in the order written, 16 bytes a row. A big
// partition (the media of an account with 100,000 posts, one row each)
// keeps it until its commit; a map from the key strings to the index of
// their last row cost about 65 bytes a row and kept every id alive. What
// Commit asks (is row i its key's last, is key k written, how many keys)
// is answered by sorting the log once (seal).
type keyLog struct {
	h       keyHasher
	rows    []rowKey       // the rowKey of row i
	ignored map[int32]bool // rows that do not count (KeepUnchanged: a repeat of the row before)

	sealed   int      // len(rows) when order, last and keys were computed (-1: never)
	order    []int32  // the rows that count, sorted by key, then index
	last     []uint64 // bitmap: row i is the last row that counts of its key
	distinct int      // distinct keys
}

func newKeyLog() *keyLog { return &keyLog{h: newKeyHasher(), sealed: -1} }

// add logs the next row, of key k, and returns its rowKey.
func (l *keyLog) add(key string) rowKey {
	k := l.h.of(key)
	l.rows = append(l.rows, k)
	return k
}

// ignore marks the last row added as one that does not count.
func (l *keyLog) ignore() {
	if l.ignored == nil {
		l.ignored = map[int32]bool{}
	}
	l.ignored[int32(len(l.rows)-1)] = true
}

// seal sorts the log (again if rows were added since).
func (l *keyLog) seal() {
	if l.sealed == len(l.rows) {
		return
	}
	l.sealed = len(l.rows)
	l.order = l.order[:0]
	for i := range l.rows {
		if !l.ignored[int32(i)] {
			l.order = append(l.order, int32(i))
		}
	}
	slices.SortFunc(l.order, func(a, b int32) int {
		if c := compareKeys(l.rows[a], l.rows[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	l.last = make([]uint64, (len(l.rows)+63)/64)
	l.distinct = 0
	for j, i := range l.order {
		if j+1 == len(l.order) || l.rows[l.order[j+1]] != l.rows[i] {
			l.last[i/64] |= 1 << (i % 64)
			l.distinct++
		}
	}
}

// keys returns the number of distinct keys written.
func (l *keyLog) keys() int {
	l.seal()
	return l.distinct
}

// isLast reports whether row i is the last row that counts of its key.
func (l *keyLog) isLast(i int64) bool {
	l.seal()
	return l.last[i/64]&(1<<(i%64)) != 0
}

// has reports whether a row of key k was written (and counts).
func (l *keyLog) has(k rowKey) bool {
	l.seal()
	_, ok := slices.BinarySearchFunc(l.order, k, func(i int32, k rowKey) int { return compareKeys(l.rows[i], k) })
	return ok
}
