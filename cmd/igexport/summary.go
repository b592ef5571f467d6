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
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSTREAM\tSTATUS\tROWS\tFILES\tBYTES\tCALLS\tROUND TRIPS\tTHROTTLE WAITS\tRETRIES\tSKIPPED\tDURATION")
	for _, a := range s.Accounts {
		for _, st := range a.Streams {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", a.Name, st.Stream, st.Status,
				st.Counters.Rows, st.Counters.Files, bytesText(st.Counters.Bytes), st.Counters.Calls,
				st.Counters.RoundTrips, st.Counters.ThrottleWaits, st.Counters.Retries, skipText(st.Skipped),
				durText(st.Duration))
		}
		if len(a.Streams) == 0 {
			fmt.Fprintf(tw, "%s\t-\t%s\t\t\t\t\t\t\t\t\t%s\n", a.Name, a.Status, durText(a.Duration))
		}
	}
	t := s.Totals
	fmt.Fprintf(tw, "TOTAL\t\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t\t%s\n", s.Status, t.Rows, t.Files, bytesText(t.Bytes),
		t.Calls, t.RoundTrips, t.ThrottleWaits, t.Retries, durText(s.Duration))
	tw.Flush()
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
