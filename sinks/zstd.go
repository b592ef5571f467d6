package sinks

import (
	"runtime"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is the ZSTD codec data files are written with. It is
// parquet-go's (klauspost/compress at the default level, about zstd level
// 3) with two changes for memory: the lower-memory encoder (1.3 MB instead
// of 1.7 MB) and at most idleEncoders idle encoders kept, where a sync.Pool
// keeps one per processor and the previous GC cycle's too. Every writer of
// the process shares them: a run that commits many small files at once
// (up to the run's commit slots) reuses a few encoders instead of
// allocating one per page and leaving it to the GC. Decoding (merging with
// an existing file) is parquet-go's.
type zstdCodec struct {
	idle chan *zstd.Encoder // at most idleEncoders idle encoders
}

// idleEncoders is how many idle encoders are kept: an encoder is only held
// while a page is compressed (CPU work), so no more are busy at once than
// there are processors, and never more than 4 are kept.
func idleEncoders() int { return min(4, max(1, runtime.GOMAXPROCS(0))) }

// zstdFiles is shared by every writer, so that its encoders are reused.
var zstdFiles = &zstdCodec{idle: make(chan *zstd.Encoder, idleEncoders())}

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	var e *zstd.Encoder
	select {
	case e = <-c.idle:
	default:
		var err error
		e, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithLowerEncoderMem(true),
			zstd.WithEncoderConcurrency(1),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			return nil, err
		}
	}
	dst = e.EncodeAll(src, dst[:0])
	select {
	case c.idle <- e:
	default: // enough are idle: let the GC have this one
	}
	return dst, nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Zstd.Decode(dst, src)
}
