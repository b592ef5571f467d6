package interop

// The blob drivers of the buckets the tests read back in-process (the
// igexport binary registers its own in cmd/igexport/drivers.go).
import (
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/memblob"   // mem://
	_ "gocloud.dev/blob/s3blob"    // s3://
)
