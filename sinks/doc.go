// Package sinks writes igexport's output: Parquet files under the Hive
// layout of SPEC §2, merged by primary key with what a partition already
// holds, per-account state generations, the lease lock and run summaries,
// on any gocloud.dev/blob bucket (file://, mem://, s3://, gs://, azblob://).
package sinks
