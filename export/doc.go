// Package export is igexport's engine: it turns a config into Parquet
// files, a state generation per account and a run summary (Apply), or into
// a plan of what a run would do (Plan), reading nothing from Instagram.
//
// The map, in the order a run goes through it:
//
//   - Job (job.go): the config resolved once — accounts, discover blocks,
//     selected streams with their catalog metrics and settings, windows,
//     destinations, rate limits — and Validate, every problem at once.
//     job.go is the only file that reads the hcl package.
//   - session (session.go): what plan and apply share: the job, the data
//     and state stores, the clock reading and the snapshot date. Apply adds
//     the network machinery (runner in apply.go: HTTP transport, limiter,
//     parser pool); Plan builds none.
//   - orchestration (apply.go, account.go): discovery, account selection,
//     one pool of accounts, per account the lease, the state, the stream
//     tasks and the commit; concurrency sizes in concurrency.go.
//   - streams (profile.go, media.go, stories.go, userinsights.go,
//     lifetime.go, insights.go): each has a pure function listing the
//     requests it sends as ops (ops.go). Apply sends them; Plan counts
//     them (countOps) with its estimate of what only apply sees (media
//     count, live stories), so the two cannot drift. The user_insights
//     window ends at the account's last finished day under its day boundary
//     (daybound.go), the one rule both use.
//   - wire (jsonread.go): every response shape and its decoder; rows are
//     built straight from it, a missing id is an error. Metric values reach
//     their columns through one derived mapping (columns.go: catalog
//     column → parquet tag of the row type).
//   - commit (partitions.go, account.go): rows go to one Parquet file per
//     partition, uploaded (merged) per stream; the account's state
//     generation is written last, after Store.Sync.
//   - plan (plan.go) and summary (summary.go): what is shown and stored;
//     state.go is what `igexport state` shows.
package export
