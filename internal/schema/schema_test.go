package schema

import (
	"bytes"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

func TestSchemasDerive(t *testing.T) {
	for _, s := range Streams {
		sch := parquet.SchemaOf(s.Row)
		if sch == nil {
			t.Fatalf("%s: no schema", s.Name)
		}
		t.Log(sch.String())
	}
}

func TestDateRoundTrip(t *testing.T) {
	d, err := ParseDate("2026-11-22")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "2026-11-22" {
		t.Fatalf("got %s", got)
	}
	var buf bytes.Buffer
	rows := []UserInsight{{Date: d, FetchedAt: time.Now()}}
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	back, err := parquet.Read[UserInsight](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if back[0].Date != d {
		t.Fatalf("date %v != %v", back[0].Date, d)
	}
}
