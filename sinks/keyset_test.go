package sinks

import "testing"

// The key log answers what Commit asks: the last row of each key (rows a
// KeepUnchanged writer ignores never are), whether a key was written, and
// how many keys; rows added after a question are seen by the next one.
func TestKeyLog(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		ignored  []int // rows marked as not counting
		last     []int // rows that are the last of their key
		distinct int
	}{
		{"empty", nil, nil, nil, 0},
		{"unique", []string{"a", "b", "c"}, nil, []int{0, 1, 2}, 3},
		{"repeats", []string{"a", "b", "a", "c", "b", "a"}, nil, []int{3, 4, 5}, 3},
		{"ignored repeat", []string{"a", "b", "a"}, []int{2}, []int{0, 1}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newKeyLog()
			for i, k := range tc.keys {
				l.add(k)
				for _, x := range tc.ignored {
					if x == i {
						l.ignore()
					}
				}
			}
			if got := l.keys(); got != tc.distinct {
				t.Errorf("keys() = %d, want %d", got, tc.distinct)
			}
			want := map[int]bool{}
			for _, i := range tc.last {
				want[i] = true
			}
			for i := range tc.keys {
				if got := l.isLast(int64(i)); got != want[i] {
					t.Errorf("isLast(%d) = %v, want %v", i, got, want[i])
				}
			}
			for _, k := range tc.keys {
				if !l.has(l.h.of(k)) {
					t.Errorf("has(%q) = false", k)
				}
			}
			if l.has(l.h.of("z")) {
				t.Error(`has("z") = true`)
			}
			l.add("z")
			if !l.has(l.h.of("z")) || l.keys() != tc.distinct+1 || !l.isLast(int64(len(tc.keys))) {
				t.Errorf("after adding z: has %v, keys %d", l.has(l.h.of("z")), l.keys())
			}
		})
	}
}
