package export

// The concurrency sizes of a run, in one place. What bounds the load on
// the Graph API is the requests-in-flight limiter (Job.Concurrency, the
// config's concurrency or -concurrency) shared by every client of the run:
// the sizes below only decide how much work waits on it at once, and so
// the memory a run holds.
const (
	// streamTasks is the stream tasks of one account run at once: all of
	// them (users, media+media_insights, stories+story_insights,
	// user_insights, user_lifetime_insights), so a slow stream (a big
	// media list) does not hold the others back; they share the limiter.
	streamTasks = 5
	// insightsBatchesInFlight is the media_insights batches (of batchSize
	// media) one account has in flight behind its media pages: enough to
	// keep the limiter busy while the list is paged, few enough that the
	// rows waiting to be written in listing order stay a few hundred.
	insightsBatchesInFlight = 4
	// commitParallel bounds concurrent partition uploads of one stream (a
	// first user_insights run writes one small file per day: 728 of
	// them); each holds a partition writer (about 1 MB) and an upload.
	commitParallel = 8
	// commitWriters bounds the partition writers that commits create across
	// the whole run (all accounts and streams; see writeBudget), so that
	// the memory of a run does not grow with its accounts.
	commitWriters = 16
)

// insightsPOSTsPerCall is how many batch POSTs one user_insights Batch call
// of an account carries (at most graph.MaxBatchOps operations each): the
// account's share of the limiter, at least insightsBatchesInFlight. A first
// run's two years are ~1,500 operations; sent in one call, their requests
// and response bodies would all be held until the last one came back, for
// every account in flight (issue #13). One account alone still fills the
// limiter.
func insightsPOSTsPerCall(accounts, concurrency int) int {
	return max(insightsBatchesInFlight, concurrency/accountsInFlight(accounts, concurrency))
}

// accountsInFlight is how many accounts run at once: as many as requests
// may be in flight (an account has at least one request to wait on), never
// more than there are accounts.
func accountsInFlight(accounts, concurrency int) int {
	return max(1, min(accounts, concurrency))
}

// Memory limit sizes: the Go runtime's soft memory limit igexport runs
// under (unless GOMEMLIMIT is set) is memoryLimitBase plus
// memoryLimitPerRequest per request in flight. What a run holds grows with
// its concurrency (accountsInFlight accounts, each with its responses and
// rows waiting), never with its accounts or history, so the limit follows
// the concurrency: 28 MiB at the default 8, 32 MiB at 16. Under it the
// garbage collector keeps the heap near the working set instead of letting
// it grow to twice what was live at the last collection (a burst of
// responses from many accounts starting together would leave the process
// at several times its working set).
//
// Measured (GODEBUG=gctrace=1, 100 accounts × 100 media, two years, at 16
// requests in flight): ~5 MB is live whatever the run (the zstd encoder,
// package tables), and each request in flight adds ~0.3 MB (an account's
// call of insights operations and its days, a page being parsed): a mean
// of ~10 MB live, 14 at most. At 512 KiB per request the collector runs
// more often than at 1 MiB (GC ~6 % of the CPU instead of ~5 %) without
// running back to back; make bench's main scenario keeps its efficiency
// (0.88 against 0.89), and 100 accounts stay within 15 % of one account's
// peak RSS (at 1 MiB, 40 MiB at 16, a long run's heap settled at twice its
// working set: +23–25 %).
const (
	memoryLimitBase       = 24 << 20
	memoryLimitPerRequest = 512 << 10
)

// MemoryLimit is the soft memory limit (bytes) for a run of the given
// concurrency (requests in flight; below 1 counts as 1).
func MemoryLimit(concurrency int) int64 {
	return memoryLimitBase + memoryLimitPerRequest*int64(max(1, concurrency))
}
