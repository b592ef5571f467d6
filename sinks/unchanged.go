package sinks

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"github.com/parquet-go/parquet-go"

	"github.com/igexport/igexport/internal/schema"
)

// FetchedAtColumn is the column every row has and rowDigest leaves out:
// when igexport received the row, not what the row says.
const FetchedAtColumn = "fetched_at"

// digester computes what a row says: the SHA-256 of its Parquet values
// (the physical encoding a reader sees, so timestamps compare by instant
// and NULL differs from 0), fetched_at left out. Two rows with the same
// digest give the same file content but for fetched_at.
type digester[T schema.Row] struct {
	sch     *parquet.Schema
	skip    int // column index of fetched_at, -1 when none
	h       hash.Hash
	scratch parquet.Row
	buf     [8]byte
}

func newDigester[T schema.Row]() *digester[T] {
	d := &digester[T]{sch: parquet.SchemaOf(*new(T)), skip: -1, h: sha256.New()}
	if c, ok := d.sch.Lookup(FetchedAtColumn); ok {
		d.skip = c.ColumnIndex
	}
	return d
}

func (d *digester[T]) sum(r *T) [sha256.Size]byte {
	d.scratch = d.sch.Deconstruct(d.scratch[:0], r)
	d.h.Reset()
	for _, v := range d.scratch {
		if v.Column() == d.skip {
			continue
		}
		b := d.buf[:0]
		b = binary.LittleEndian.AppendUint16(b, uint16(v.Column()))
		b = append(b, byte(v.Kind()), byte(v.RepetitionLevel()), byte(v.DefinitionLevel()))
		if v.IsNull() {
			b = append(b, 0)
		} else {
			b = append(b, 1)
		}
		d.h.Write(b)
		if !v.IsNull() {
			p := v.Bytes()
			d.h.Write(binary.LittleEndian.AppendUint32(d.buf[:0], uint32(len(p))))
			d.h.Write(p)
		}
	}
	var out [sha256.Size]byte
	d.h.Sum(out[:0])
	return out
}
