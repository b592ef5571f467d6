//go:build !unix

package userfile

// oNonblock: no FIFO to block on.
const oNonblock = 0
