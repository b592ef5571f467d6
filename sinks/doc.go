// Package sinks writes igexport's output: Parquet files under the Hive
// layout of SPEC §2, merged by primary key with what a partition already
// holds, per-account state generations, the lease lock and run summaries,
// on any gocloud.dev/blob bucket (file://, mem://, s3://, gs://, azblob://).
//
// # Stores and keys
//
// A Store is a bucket plus a key prefix (Open, Sub). Keys passed to Store
// methods and to PartitionWriter.Commit / ReadRows are relative to the
// prefix; FileInfo.Key is the full key in the bucket. DataKey, StateKey,
// LockKey and RunKey build the relative keys (ParseDataKey reads a data key
// back, prefix included):
//
//	<stream>/dt=YYYY-MM-DD/account_id=<id>/part-00000.parquet   (destination Store)
//	user_insights/month=YYYY-MM/account_id=<id>/part-00000.parquet
//	accounts/<id>/state-<generation, 10 digits>.json            (state Store)
//	accounts/<id>/lock.json
//	runs/<run_id>.json
//
// # Backends and drivers
//
// A Store reaches its bucket through an unexported backend interface
// (backend.go), chosen by Open from the URL scheme: file:// gets the local
// backend (local.go: exclusive creates with os.Link, renames from
// dot-named temp files, lake files 0644, durability batched into
// Store.Sync, a few system calls per file), every other scheme the blob backend on gocloud.dev/blob,
// whose replacing writes a retrying wrapper tries up to three times.
// file:// buckets are opened with create_dir=1, metadata=skip (no .attrs
// sidecars in the lake) and no_tmp_dir=1 unless the URL sets those
// parameters.
//
// This package registers no blob driver: the program does, with blank
// imports (cmd/igexport/drivers.go), and Schemes lists what it registered.
// The package sinktest holds the conformance suite every kind of bucket
// must pass (sinktest.RunConformance).
//
// # Data files
//
// NewPartitionWriter streams rows to a local temp file (memory holds a
// 128-bit digest of each key written and the compressed pages of the open
// row group). Commit merges with the object already at the key — new rows
// first, then the old rows whose key was not written (new rows win), so
// re-running a day gives the same rows — and puts the finished file whole
// at the key (one upload, or on file:// one rename). Files are written with data page V1, PLAIN strings
// (dictionary only where the row type says dict), zstd/snappy/gzip/none,
// bounded row groups, created_by "igexport version <v>", and the key/value
// metadata igexport.stream, igexport.schema_version and igexport.run_id.
//
// # State, lease, runs
//
// Every state commit creates a new generation object with a create-only
// write; on S3, GCS, Azure and mem:// that is the bucket's IfNotExist, on
// file:// an exclusive create on the local file system (temp file + os.Link),
// because fileblob's IfNotExist is not atomic. Losing that race is
// ErrConcurrentRun. The newest 30 generations are kept.
//
// The lease (lock.json) is created the same way; a live one is ErrLeaseHeld
// (a *LeaseHeldError naming the holder), an expired one is taken over.
// Lease.KeepAlive renews it in the background; Release deletes it if it is
// still ours. The lease avoids wasted work; the create-only state generations
// are what keeps two runs from both committing.
package sinks
