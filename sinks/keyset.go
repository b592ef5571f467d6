package sinks

import "hash/maphash"

// rowKey stands for a row's Key() in the sets a PartitionWriter keeps of
// the rows written: 128 bits of two seeded hashes of the key. A big
// partition (the media of an account with 100,000 posts) keeps one entry
// per row until it is committed; an entry of the string itself cost its
// string header plus the string, which the set kept alive after the row
// was written out, twice what the hash costs. Two different keys of one
// partition have the same rowKey with a probability of about n²/2¹²⁹ for n
// keys (below 10⁻²⁸ for a million): the seeds are drawn per writer, so no
// key set can be chosen to collide.
type rowKey [2]uint64

// keyHasher maps keys to rowKeys with the seeds of one writer.
type keyHasher struct{ a, b maphash.Seed }

func newKeyHasher() keyHasher { return keyHasher{maphash.MakeSeed(), maphash.MakeSeed()} }

func (h keyHasher) of(key string) rowKey {
	return rowKey{maphash.String(h.a, key), maphash.String(h.b, key)}
}
