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

// TestV24Columns: the columns of the Graph API v24.0+ metrics (SPEC §3),
// named as the metrics, with their Parquet types.
func TestV24Columns(t *testing.T) {
	i64 := []string{"reposts", "crossposted_views", "facebook_views", "profile_activity", "total_likes", "total_comments", "total_views",
		"profile_activity_bio_link_clicked", "profile_activity_call", "profile_activity_direction", "profile_activity_email", "profile_activity_text"}
	tests := []struct {
		row    any
		int64s []string
		double []string
	}{
		{MediaInsight{}, i64, []string{"reels_skip_rate"}},
		{StoryInsight{}, []string{"reposts", "facebook_views", "profile_activity", "total_views"}, nil},
		{UserInsight{}, []string{"reposts"}, nil},
	}
	for _, tt := range tests {
		sch := parquet.SchemaOf(tt.row)
		check := func(col string, kind parquet.Kind) {
			f, ok := sch.Lookup(col)
			if !ok {
				t.Errorf("%s: no column %s", sch.Name(), col)
				return
			}
			if f.Node.Type().Kind() != kind || !f.Node.Optional() {
				t.Errorf("%s.%s: %v optional=%v, want optional %v", sch.Name(), col, f.Node.Type(), f.Node.Optional(), kind)
			}
		}
		for _, c := range tt.int64s {
			check(c, parquet.Int64)
		}
		for _, c := range tt.double {
			check(c, parquet.Double)
		}
	}
	if Version != "3" {
		t.Errorf("schema_version %s: the v24.0 columns bumped it to 2, the user_insights month layout to 3", Version)
	}
}

// TestVersion1FilesRead: a file written before the v24.0 columns existed
// reads into today's row type with those columns NULL (additive evolution:
// partition merges keep working across the bump).
func TestVersion1FilesRead(t *testing.T) {
	type v1 struct {
		ID             string `parquet:"id"`
		Views          *int64 `parquet:"views,optional"`
		InsightsStatus string `parquet:"insights_status,dict"`
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, []v1{{ID: "m1", Views: Ptr[int64](7), InsightsStatus: StatusOK}}); err != nil {
		t.Fatal(err)
	}
	back, err := parquet.Read[MediaInsight](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0].ID != "m1" || *back[0].Views != 7 || back[0].Reposts != nil || back[0].ReelsSkipRate != nil {
		t.Fatalf("read back %+v", back)
	}
}
