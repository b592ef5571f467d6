package main

// The bucket drivers of the igexport binary: blank imports register their
// URL schemes with gocloud.dev/blob, and sinks.Schemes lists them (hcl
// checks destination and state URLs against that list). file:// is built
// into sinks. A driver added here is a scheme igexport accepts.
import (
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://
)
