package export

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestTurns: tasks started in any order take their turns in sequence, and
// a task whose turn cannot come (the one before failed: ctx cancelled)
// stops waiting.
func TestTurns(t *testing.T) {
	const n = 8
	order := newTurns(n)
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- { // the last task first
		wg.Go(func() {
			if err := order.wait(context.Background(), i); err != nil {
				t.Error(err)
				return
			}
			defer order.done(i)
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
		})
	}
	wg.Wait()
	for i, v := range got {
		if v != i {
			t.Fatalf("turns taken in order %v", got)
		}
	}
	if len(got) != n {
		t.Fatalf("%d turns taken, want %d", len(got), n)
	}

	stuck := newTurns(2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // task 0 failed and never calls done
	if err := stuck.wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting for a turn that never comes: %v, want context.Canceled", err)
	}
}
