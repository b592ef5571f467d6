package sinks

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go/format"
)

// The data-file codec must round-trip through parquet-go's ZSTD decoder
// (which every reader of the lake uses in some form), from many goroutines
// at once, whatever the input size, with one encoder (1.3 MB) for all of
// them: writers compressing at once (an account's media and media_insights
// files, a run's commits) used to hold one each.
func TestZstdCodecRoundTrip(t *testing.T) {
	if zstdFiles.CompressionCodec() != format.Zstd || zstdFiles.String() != "ZSTD" {
		t.Fatalf("codec %s / %v", zstdFiles, zstdFiles.CompressionCodec())
	}
	inputs := [][]byte{nil, []byte("x"), bytes.Repeat([]byte("caption #tag 🎉 "), 5000)}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7 % 251)
	}
	inputs = append(inputs, big)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, in := range inputs {
				enc, err := zstdFiles.Encode(nil, in)
				if err != nil {
					errs <- err
					return
				}
				out, err := zstdFiles.Decode(nil, enc)
				if err != nil || !bytes.Equal(out, in) {
					errs <- fmt.Errorf("input %d (%d bytes): round trip gave %d bytes, err %v", i, len(in), len(out), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	zstdFiles.mu.Lock()
	defer zstdFiles.mu.Unlock()
	if zstdFiles.made != 1 {
		t.Errorf("%d encoders made, want 1", zstdFiles.made)
	}
}
