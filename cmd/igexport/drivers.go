package main

// The bucket drivers of the igexport binary: blank imports register their
// URL schemes with gocloud.dev/blob, and sinks.Schemes lists them (hcl
// checks destination and state URLs against that list). file:// and s3://
// are built into sinks (s3:// through its own opener: SDK log lines kept
// out of igexport's output, a clear error for missing AWS credentials). A
// driver added here is a scheme igexport accepts.
import (
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
)
