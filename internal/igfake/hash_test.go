package igfake

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
)

// The dataset must not change with the hash's implementation: hash is
// FNV-1a of the seed's bytes and each part plus a zero byte, then splitmix.
func TestHashIsFNV1a(t *testing.T) {
	ref := func(seed int64, parts ...string) uint64 {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(seed))
		h.Write(b[:])
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		return splitmix(h.Sum64())
	}
	for _, tc := range []struct {
		seed  int64
		parts []string
	}{
		{1, []string{"17000100000000951", "views"}},
		{-7, nil},
		{1 << 40, []string{"", "é🎉", "pa0", "call"}},
	} {
		d := &Dataset{seed: tc.seed}
		if got, want := d.hash(tc.parts...), ref(tc.seed, tc.parts...); got != want {
			t.Errorf("hash(%d, %q) = %x, want %x", tc.seed, tc.parts, got, want)
		}
	}
}
