package interop

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/igexport/igexport/internal/schema"
)

// TestParquetFileStructure reads the raw bytes of every file of the lake the
// binary wrote — footer and every page header, decoded from their Thrift
// encoding — and checks the settings of SPEC §3 that query engines depend
// on: data pages V1 only, zstd on every column chunk, no DELTA encodings,
// signed integers, TIMESTAMP(MICROS, UTC-adjusted), 3-level lists, no
// partition column inside the files, the igexport key/value metadata and
// created_by.
func TestParquetFileStructure(t *testing.T) {
	root, _ := fileLake(t)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(fileLakeKeys()); len(files) != want {
		t.Fatalf("%d Parquet files under %s, want %d", len(files), root, want)
	}
	pages := map[format.PageType]int{}
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		stream := strings.Split(filepath.ToSlash(rel), "/")[0]
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkFile(b, stream, pages); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
	t.Logf("%d files: %d data pages V1, %d dictionary pages, %d data pages V2",
		len(files), pages[format.DataPage], pages[format.DictionaryPage], pages[format.DataPageV2])
	if pages[format.DataPage] == 0 {
		t.Error("no data page found")
	}
}

// checkFile checks one Parquet file's bytes; pages counts the page types seen.
func checkFile(b []byte, stream string, pages map[format.PageType]int) error {
	magic := []byte("PAR1")
	if len(b) < 12 || !bytes.Equal(b[:4], magic) || !bytes.Equal(b[len(b)-4:], magic) {
		return fmt.Errorf("not a Parquet file")
	}
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	if n <= 0 || n > len(b)-12 {
		return fmt.Errorf("footer length %d", n)
	}
	var md format.FileMetaData
	if err := thrift.Unmarshal(&thrift.CompactProtocol{}, b[len(b)-8-n:len(b)-8], &md); err != nil {
		return fmt.Errorf("footer: %v", err)
	}

	if !strings.HasPrefix(md.CreatedBy, "igexport version ") {
		return fmt.Errorf("created_by %q does not name igexport", md.CreatedBy)
	}
	kv := map[string]string{}
	for _, x := range md.KeyValueMetadata {
		kv[x.Key] = x.Value
	}
	if kv["igexport.stream"] != stream || kv["igexport.schema_version"] != schema.Version || kv["igexport.run_id"] == "" {
		return fmt.Errorf("key/value metadata %v", kv)
	}

	// Schema: depth-first list of elements.
	var errs []string
	var open []int32 // children left to visit at each open group level
	for i, el := range md.Schema {
		depth := len(open)
		for len(open) > 0 && open[len(open)-1] == 0 {
			open = open[:len(open)-1]
		}
		depth = len(open)
		if depth > 0 {
			open[depth-1]--
		}
		if nc, ok := el.NumChildren.Get(); ok && nc > 0 {
			open = append(open, nc)
		}
		if depth == 1 && (el.Name == "dt" || el.Name == "account_id") {
			errs = append(errs, fmt.Sprintf("partition column %s inside the file", el.Name))
		}
		if ct, ok := el.ConvertedType.Get(); ok && ct >= deprecated.Uint8 && ct <= deprecated.Uint64 {
			errs = append(errs, fmt.Sprintf("%s: unsigned converted type %v", el.Name, ct))
		}
		switch lt := el.LogicalType.Value.(type) {
		case *format.IntType:
			if !lt.IsSigned {
				errs = append(errs, fmt.Sprintf("%s: unsigned %v", el.Name, lt))
			}
		case *format.TimestampType:
			if _, micros := lt.Unit.Value.(*format.MicroSeconds); !lt.IsAdjustedToUTC || !micros {
				errs = append(errs, fmt.Sprintf("%s: %v, want TIMESTAMP(MICROS) adjusted to UTC", el.Name, lt))
			}
		case *format.ListType:
			// 3-level list: LIST group > repeated group "list" > "element".
			if i+2 >= len(md.Schema) {
				errs = append(errs, el.Name+": truncated LIST")
				break
			}
			mid, elem := md.Schema[i+1], md.Schema[i+2]
			rep, _ := mid.RepetitionType.Get()
			if nc, _ := el.NumChildren.Get(); nc != 1 || mid.Name != "list" || rep != format.Repeated || elem.Name != "element" {
				errs = append(errs, fmt.Sprintf("%s: not a 3-level LIST (%s %v > %s)", el.Name, mid.Name, rep, elem.Name))
			}
		}
	}

	// Column chunks and their pages.
	if len(md.RowGroups) == 0 {
		errs = append(errs, "no row group")
	}
	for _, rg := range md.RowGroups {
		for _, cc := range rg.Columns {
			cm := cc.MetaData
			col := strings.Join(cm.PathInSchema, ".")
			if cm.Codec != format.Zstd {
				errs = append(errs, fmt.Sprintf("%s: codec %v", col, cm.Codec))
			}
			for _, e := range cm.Encoding {
				if isDelta(e) {
					errs = append(errs, fmt.Sprintf("%s: encoding %v", col, e))
				}
			}
			off := cm.DataPageOffset
			if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < off {
				off = cm.DictionaryPageOffset
			}
			end := off + cm.TotalCompressedSize
			for off < end {
				if off < 4 || off >= int64(len(b)) {
					errs = append(errs, fmt.Sprintf("%s: page offset %d out of the file", col, off))
					break
				}
				r := (&thrift.CompactProtocol{}).NewReaderFromBytes(b[off:])
				var h format.PageHeader
				if err := thrift.NewDecoder(r).Decode(&h); err != nil {
					errs = append(errs, fmt.Sprintf("%s: page header at %d: %v", col, off, err))
					break
				}
				pages[h.Type]++
				switch h.Type {
				case format.DataPage:
					if dp, ok := h.DataPageHeader.Get(); ok && isDelta(dp.Encoding) {
						errs = append(errs, fmt.Sprintf("%s: data page encoding %v", col, dp.Encoding))
					}
				case format.DictionaryPage:
				default:
					errs = append(errs, fmt.Sprintf("%s: page type %v (want DATA_PAGE V1 or DICTIONARY_PAGE)", col, h.Type))
				}
				off += int64(r.BytesRead()) + int64(h.CompressedPageSize)
			}
			if off != end {
				errs = append(errs, fmt.Sprintf("%s: pages end at %d, the chunk at %d", col, off, end))
			}
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("%s", strings.Join(slices.Compact(errs), "; "))
	}
	return nil
}

func isDelta(e format.Encoding) bool {
	return e == format.DeltaBinaryPacked || e == format.DeltaLengthByteArray || e == format.DeltaByteArray
}
