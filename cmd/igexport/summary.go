package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/igexport/igexport/export"
)

// writeSummary prints the run summary table of SPEC §6.
func writeSummary(w io.Writer, s *export.Summary) {
	rows := [][]string{{"ACCOUNT", "STREAM", "STATUS", "ROWS", "FILES", "BYTES", "CALLS", "TRIPS", "WAITS", "RETRIES", "SKIPPED", "DURATION"}}
	for _, a := range s.Accounts {
		for _, st := range a.Streams {
			c := st.Counters
			rows = append(rows, []string{a.Name, st.Stream, string(st.Status), fmt.Sprint(c.Rows), fmt.Sprint(c.Files),
				bytesText(c.Bytes), fmt.Sprint(c.Calls), fmt.Sprint(c.RoundTrips), fmt.Sprint(c.ThrottleWaits),
				fmt.Sprint(c.Retries), skipText(st.Skipped), durText(st.Duration)})
		}
		if len(a.Streams) == 0 {
			rows = append(rows, []string{a.Name, "-", string(a.Status), "", "", "", "", "", "", "", "", durText(a.Duration)})
		}
	}
	t := s.Totals
	rows = append(rows, []string{"TOTAL", "", string(s.Status), fmt.Sprint(t.Rows), fmt.Sprint(t.Files), bytesText(t.Bytes),
		fmt.Sprint(t.Calls), fmt.Sprint(t.RoundTrips), fmt.Sprint(t.ThrottleWaits), fmt.Sprint(t.Retries), "", durText(s.Duration)})
	writeTable(w, rows)
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
		fmt.Fprintf(w, "discover %q: %d page(s), %d without an Instagram business account, %d excluded by include/exclude, %d account(s)\n",
			d.Name, d.Pages, d.PagesWithoutIG, d.ExcludedByPattern, len(d.Accounts))
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
// skipped) left out when nothing happened in them: the table fits 100
// columns. TRIPS are round trips, WAITS throttle waits.
var quietColumns = []int{8, 9, 10}

// writeTable writes rows as columns two spaces apart, without the quiet
// columns whose cells are all "0", "-" or empty.
func writeTable(w io.Writer, rows [][]string) {
	keep := make([]bool, len(rows[0]))
	for i := range keep {
		keep[i] = true
	}
	for _, col := range quietColumns {
		quiet := true
		for _, r := range rows[1:] {
			if v := r[col]; v != "0" && v != "-" && v != "" {
				quiet = false
			}
		}
		keep[col] = !quiet
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		var cells []string
		for i, v := range r {
			if keep[i] {
				cells = append(cells, v)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
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
