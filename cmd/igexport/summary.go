package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
)

// writeSummary prints the run summary table of SPEC §6.
func writeSummary(w io.Writer, s *export.Summary) {
	skipped := 0
	rows := [][]string{{"ACCOUNT", "STREAM", "STATUS", "ROWS", "FILES", "BYTES", "CALLS", "TRIPS", "WAITS", "RETRIES", "SKIPPED", "DURATION"}}
	for _, a := range s.Accounts {
		for _, st := range a.Streams {
			c := st.Counters
			rows = append(rows, []string{a.Name, st.Stream, string(st.Status), fmt.Sprint(c.Rows), fmt.Sprint(c.Files),
				bytesText(c.Bytes), fmt.Sprint(c.Calls), fmt.Sprint(c.RoundTrips), fmt.Sprint(c.ThrottleWaits),
				fmt.Sprint(c.Retries), skipText(st.Skipped), durText(st.Duration)})
			for _, sk := range st.Skipped {
				skipped += sk.Count
			}
		}
		if len(a.Streams) == 0 {
			rows = append(rows, []string{a.Name, "-", string(a.Status), "", "", "", "", "", "", "", "", durText(a.Duration)})
		}
	}
	t := s.Totals
	rows = append(rows, []string{"TOTAL", "", string(s.Status), fmt.Sprint(t.Rows), fmt.Sprint(t.Files), bytesText(t.Bytes),
		fmt.Sprint(t.Calls), fmt.Sprint(t.RoundTrips), fmt.Sprint(t.ThrottleWaits), fmt.Sprint(t.Retries), fmt.Sprint(skipped), durText(s.Duration)})
	table, extra := layoutTable(rows)
	writeTable(w, table)
	if extra != nil {
		fmt.Fprintln(w)
		writeTable(w, extra)
	}
	for _, a := range s.Accounts {
		if c := a.Counters; c.PaceWaits > 0 {
			fmt.Fprintf(w, "\npaced: %s: usage went above rate_limit.max_usage_percent (last reading %d%%): %d requests slowed down, %s in all\n",
				a.Name, c.UsagePercent, c.PaceWaits, durText(c.PaceWaited))
		}
		if a.Error != "" {
			fmt.Fprintf(w, "\n%s (%s): %s: %s\n", a.Name, a.AccountID, a.Status, a.Error)
			if a.Advice != "" {
				fmt.Fprintf(w, "  %s\n", a.Advice)
			}
		}
		for _, st := range a.Streams {
			if st.Error != "" && st.Error != a.Error {
				fmt.Fprintf(w, "\n%s/%s: %s: %s\n", a.Name, st.Stream, st.Status, st.Error)
			}
			for _, n := range st.Notes {
				fmt.Fprintf(w, "note: %s/%s: %s\n", a.Name, st.Stream, n)
			}
			for _, sk := range st.Skipped {
				fmt.Fprintf(w, "skipped: %s/%s: %s ×%d: %s\n", a.Name, st.Stream, sk.What, sk.Count, sk.Reason)
			}
		}
	}
	for _, d := range s.Discovery {
		if d.Login == hcl.LoginInstagram {
			fmt.Fprintf(w, "discover %q: Instagram Login token (GET /me): %d excluded by include/exclude, %d account(s)\n",
				d.Name, d.ExcludedByPattern, len(d.Accounts))
		} else {
			fmt.Fprintf(w, "discover %q: %d page(s), %d without an Instagram business account, %d excluded by include/exclude, %d account(s)\n",
				d.Name, d.Pages, d.PagesWithoutIG, d.ExcludedByPattern, len(d.Accounts))
		}
		if d.Error != "" {
			fmt.Fprintf(w, "discover %q failed: %s\n", d.Name, d.Error)
		}
	}
	for _, m := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
	if neverConnected(s) {
		fmt.Fprintf(w, "hint: no request reached the Graph API (every one failed to connect; the %d calls counted are attempts): check graph_api_url in the config and the network\n",
			s.Totals.Calls)
	}
	fmt.Fprintf(w, "run %s: %s (exit %d)\n", s.RunID, s.Status, s.ExitCode)
}

// quietColumns are the summary's columns (throttle waits, retries,
// skipped) left out when nothing happened in them. TRIPS are round trips,
// WAITS throttle waits.
var quietColumns = []int{8, 9, 10}

// The summary table fits tableWidth columns: account names (first column)
// are shortened to fit, never below minNameWidth.
const (
	tableWidth   = 100
	minNameWidth = 16
)

// layoutTable lays the summary rows (a header, then account and stream rows
// keyed by the first two columns) out in tableWidth columns: it leaves out
// the quiet columns whose cells are all "0", "-" or empty and shortens long
// account names with an ellipsis in the middle (fitNames; the lines under
// the table and -json keep them whole). When that is not enough, the quiet columns go to
// a second table, extra, of the rows that have something in them.
func layoutTable(rows [][]string) (table, extra [][]string) {
	var main, quiet []int
	for col := range rows[0] {
		if !slices.Contains(quietColumns, col) {
			main = append(main, col)
			continue
		}
		for _, r := range rows[1:] {
			if !quietCell(r[col]) {
				quiet = append(quiet, col)
				break
			}
		}
	}
	table = fitNames(project(rows, slices.Sorted(slices.Values(append(slices.Clone(main), quiet...)))))
	if tableLineWidth(table) <= tableWidth || len(quiet) == 0 {
		return table, nil
	}
	var busy [][]string
	for i, r := range rows {
		for _, col := range quiet {
			if i == 0 || !quietCell(r[col]) {
				busy = append(busy, r)
				break
			}
		}
	}
	return fitNames(project(rows, main)), fitNames(project(busy, append([]int{0, 1}, quiet...)))
}

func quietCell(v string) bool { return v == "0" || v == "-" || v == "" }

// project returns the columns cols of rows.
func project(rows [][]string, cols []int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for _, col := range cols {
			out[i] = append(out[i], r[col])
		}
	}
	return out
}

// tableLineWidth is the width of the longest line writeTable prints for rows.
func tableLineWidth(rows [][]string) int {
	n := 0
	for col := range rows[0] {
		w := 0
		for _, r := range rows {
			w = max(w, utf8.RuneCountInString(r[col]))
		}
		n += w
	}
	return n + 2*(len(rows[0])-1)
}

// fitNames shortens the first column's cells (account names) until rows
// fit tableWidth, or down to minNameWidth; never so far that two names
// look the same.
func fitNames(rows [][]string) [][]string {
	excess := tableLineWidth(rows) - tableWidth
	if excess <= 0 {
		return rows
	}
	longest := 0
	for _, r := range rows[1:] {
		longest = max(longest, utf8.RuneCountInString(r[0]))
	}
	for width := max(longest-excess, minNameWidth); width < longest; width++ {
		short := map[string]string{} // shortened → name
		distinct := true
		for _, r := range rows[1:] {
			s := shortName(r[0], width)
			if n, ok := short[s]; ok && n != r[0] {
				distinct = false
				break
			}
			short[s] = r[0]
		}
		if distinct {
			for _, r := range rows[1:] {
				r[0] = shortName(r[0], width)
			}
			break
		}
	}
	return rows
}

// shortName returns name cut to width runes with an ellipsis in the middle.
func shortName(name string, width int) string {
	rs := []rune(name)
	if len(rs) <= width {
		return name
	}
	head := width / 2
	return string(rs[:head]) + "…" + string(rs[len(rs)-(width-1-head):])
}

// writeTable writes rows as columns two spaces apart.
func writeTable(w io.Writer, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// neverConnected reports whether a run got no row and every error it
// reports is a failure to connect (graph_api_url wrong, no network).
func neverConnected(s *export.Summary) bool {
	if s.Totals.Rows > 0 {
		return false
	}
	n := 0
	for _, a := range s.Accounts {
		for _, st := range a.Streams {
			if st.Error == "" {
				continue
			}
			if !connectFailure(st.Error) {
				return false
			}
			n++
		}
	}
	return n > 0
}

// connectFailure matches the errors of a request that never reached a
// server: refused, unresolvable, unreachable.
func connectFailure(msg string) bool {
	for _, m := range []string{"connect: connection refused", "no such host", "network is unreachable", "dial tcp"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

func skipText(sk []export.Skip) string {
	n := 0
	for _, s := range sk {
		n += s.Count
	}
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func durText(d export.Duration) string {
	b, _ := d.MarshalText()
	return string(b)
}

func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%s", float64(n)/float64(div), strings.Split("KiB MiB GiB TiB", " ")[exp])
}
