package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/igexport/igexport/export"
)

// TestSummaryTableWidth: the apply summary table fits 100 columns whatever
// the account names and counters: long names are shortened with an
// ellipsis in the middle (the lines under the table keep them whole), and
// when waits, retries and skips make it too wide they go to a second table
// of the rows that had some.
func TestSummaryTableWidth(t *testing.T) {
	long1 := "acme_retail_germany_flagship_store_berlin_mitte"
	long2 := "acme_retail_germany_flagship_store_munich_center"
	for _, tc := range []struct {
		name   string
		names  []string
		waits  int64 // throttle waits, retries and skips of the first stream
		shown  []string
		second bool // the waits are in a second table
	}{
		{"short names, nothing waited", []string{"brand_a", "brand_b"}, 0, []string{"brand_a", "brand_b"}, false},
		{"short names, waits", []string{"brand_a", "brand_b"}, 12, []string{"brand_a", "brand_b"}, true},
		{"long names, nothing waited", []string{long1, long2}, 0,
			[]string{"acme_ret…n_mitte", "acme_ret…_center"}, false},
		{"long names, waits", []string{long1, long2}, 12,
			[]string{"acme_ret…n_mitte", "acme_ret…_center"}, true},
		{"medium names, waits", []string{"brand_a_emea", "brand_b_emea"}, 3, []string{"brand_a_emea", "brand_b_emea"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &export.Summary{RunID: "r1", Status: export.StatusOK, Duration: export.Duration(83*time.Minute + 4567*time.Millisecond)}
			for i, name := range tc.names {
				a := export.AccountResult{Name: name, AccountID: "1784140000000000" + string(rune('1'+i)), Status: export.StatusOK}
				for j, st := range []string{"users", "media_insights", "user_lifetime_insights"} {
					c := export.Counters{Rows: 123456, Files: 12, Bytes: 123 << 20, Calls: 12345, RoundTrips: 1234}
					r := export.StreamResult{Stream: st, Status: export.StatusOK, Counters: c,
						Duration: export.Duration(61*time.Minute + 2345*time.Millisecond)}
					if j == 0 && tc.waits > 0 {
						r.Counters.ThrottleWaits, r.Counters.Retries = tc.waits, tc.waits
						r.Skipped = []export.Skip{{What: "reach", Reason: "not available", Count: int(tc.waits)}}
					}
					a.Streams = append(a.Streams, r)
					s.Totals.Add(r.Counters)
				}
				a.Error = "token expired" // a line under the table with the whole name
				s.Accounts = append(s.Accounts, a)
			}
			var b bytes.Buffer
			writeSummary(&b, s)
			out := b.String()
			for _, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(line); n > 100 && !strings.Contains(line, "token expired") {
					t.Errorf("%d columns wide: %s", n, line)
				}
			}
			tables := strings.SplitN(out, "\n\n", 3)
			for i, name := range tc.names {
				if !strings.Contains(tables[0], "\n"+tc.shown[i]+"  ") {
					t.Errorf("the table does not show %s as %q:\n%s", name, tc.shown[i], out)
				}
				if !strings.Contains(out, "\n"+name+" (") {
					t.Errorf("the lines under the table lack the whole name %s:\n%s", name, out)
				}
			}
			waits := tables[0]
			if tc.second {
				if strings.Contains(tables[0], "WAITS") {
					t.Errorf("WAITS in the main table:\n%s", out)
				}
				waits = tables[1]
				if !strings.HasPrefix(waits, "ACCOUNT") || strings.Count(waits, "\n") != 1+len(tc.names) || !strings.HasSuffix(waits, fmt.Sprintf("  %d", 2*tc.waits)) {
					// header, one row per account, TOTAL (skips too)
					t.Errorf("second table:\n%s", waits)
				}
			}
			if hasWaits := strings.Contains(waits, "WAITS") && strings.Contains(waits, "RETRIES") && strings.Contains(waits, "SKIPPED"); hasWaits != (tc.waits > 0) {
				t.Errorf("WAITS, RETRIES, SKIPPED shown: %v, want %v:\n%s", hasWaits, tc.waits > 0, out)
			}
		})
	}
}

// TestSummaryShortNamesDistinct: two long account names that shorten to
// the same text are shortened less, so their rows stay told apart.
func TestSummaryShortNamesDistinct(t *testing.T) {
	names := []string{"acme_retail_store_north_center_01", "acme_retail_store_south_center_01"}
	rows := [][]string{{"ACCOUNT", "STREAM", "STATUS", "ROWS", "FILES", "BYTES", "CALLS", "TRIPS", "WAITS", "RETRIES", "SKIPPED", "DURATION"}}
	for _, n := range names {
		rows = append(rows, []string{n, "user_lifetime_insights", "partial", "1234567", "1234", "123.4 MiB", "1234567", "123456", "0", "0", "-", "1h01m02s"})
	}
	table, _ := layoutTable(rows)
	if a, b := table[1][0], table[2][0]; a == b || utf8.RuneCountInString(a) >= len(names[0]) {
		t.Errorf("shortened to %q and %q: want two distinct shortened names", a, b)
	}
}
