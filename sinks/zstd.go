package sinks

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is the ZSTD codec data files are written with. It is
// parquet-go's (klauspost/compress at the default level, about zstd level
// 3) with two changes for memory: the lower-memory encoder (1.3 MB instead
// of 1.7 MB), and one encoder for the whole process, where a sync.Pool
// keeps one per processor and the previous GC cycle's too. Every writer
// shares it and takes its turn: an encoder is only held while one page
// (at most a few tens of KB) is compressed, CPU work that is a small part
// of a run whose time goes to waiting on the API. An account with many
// media has its media and media_insights files open at once, and a run
// commits many small files at once (up to the run's commit slots); with an
// encoder per concurrent page they each held 1.3 MB more. Decoding (merging
// with an existing file) is parquet-go's.
type zstdCodec struct {
	mu   sync.Mutex
	enc  *zstd.Encoder // created on first use, under mu
	made int           // encoders created: one, however many writers compress at once
}

// zstdFiles is shared by every writer, so that its encoder is reused.
var zstdFiles = &zstdCodec{}

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enc == nil {
		e, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithLowerEncoderMem(true),
			zstd.WithEncoderConcurrency(1),
			zstd.WithZeroFrames(true),
			zstd.WithEncoderCRC(false),
		)
		if err != nil {
			return nil, err
		}
		c.enc = e
		c.made++
	}
	return c.enc.EncodeAll(src, dst[:0]), nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Zstd.Decode(dst, src)
}
