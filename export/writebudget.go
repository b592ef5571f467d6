package export

import "sync"

// writeBudget bounds what the partition files of a whole run hold in
// memory, across all its accounts and streams, and counts it.
//
// An open sinks.PartitionWriter costs a few hundred KB (parquet-go column
// and page buffers, its output buffer), whatever its rows. A run must not
// hold one per partition it writes (a first user_insights run has one
// partition per day of two years) nor per account: a partition's writer is
// released as soon as its file is committed, and commit creates writers
// under slots shared by the run (commitWriters at once). What stays is
// bounded by constants: slots, the writers of partitions that spilled
// (spillRows rows or more: the snapshot partitions of big accounts, at
// most one per stream task of the accounts in flight) and the rows
// buffered per stream (maxBufferedRows).
type writeBudget struct {
	slots chan struct{} // held by a commit worker while its writer lives

	mu                     sync.Mutex
	writers, peakWriters   int // partition writers alive
	buffered, peakBuffered int // rows buffered in memory, not yet in a writer
}

func newWriteBudget() *writeBudget {
	return &writeBudget{slots: make(chan struct{}, commitWriters)}
}

// writerOpened and writerReleased count the writers alive.
func (b *writeBudget) writerOpened() {
	b.mu.Lock()
	b.writers++
	b.peakWriters = max(b.peakWriters, b.writers)
	b.mu.Unlock()
}

func (b *writeBudget) writerReleased() {
	b.mu.Lock()
	b.writers--
	b.mu.Unlock()
}

// rowsBuffered adds n (negative: rows written or dropped) to the rows held
// in memory.
func (b *writeBudget) rowsBuffered(n int) {
	b.mu.Lock()
	b.buffered += n
	b.peakBuffered = max(b.peakBuffered, b.buffered)
	b.mu.Unlock()
}

// peaks returns the most writers alive and rows buffered at once so far.
func (b *writeBudget) peaks() (writers, rows int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peakWriters, b.peakBuffered
}
