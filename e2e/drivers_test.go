package e2e

// The tests open the lake they check through sinks, like the binary does:
// with the drivers of the buckets they use.
import (
	_ "gocloud.dev/blob/s3blob" // s3://
)
