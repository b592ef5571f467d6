package main

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/igexport/igexport/export"
)

// Terminal control sequences of the live display (VT100 / ECMA-48).
const (
	csiHideCursor = "\x1b[?25l"
	csiShowCursor = "\x1b[?25h"
	csiClearDown  = "\x1b[J" // erase from the cursor to the end of the screen
	csiBold       = "\x1b[1m"
	csiRed        = "\x1b[31m"
	csiGreen      = "\x1b[32m"
	csiYellow     = "\x1b[33m"
	csiDim        = "\x1b[2m"
	csiReset      = "\x1b[0m"
)

// liveRefresh is the redraw interval of the live display.
const liveRefresh = 120 * time.Millisecond

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// liveDisplay draws, on a terminal, one line per account (its streams done,
// rows so far, the streams running, elapsed time) under a header line, and
// redraws it in place. Log lines written through it appear above it.
type liveDisplay struct {
	w       io.Writer
	streams int // per account
	size    func() (cols, rows int)
	noColor bool // NO_COLOR or TERM=dumb: no colours, bold or dim

	mu       sync.Mutex
	start    time.Time
	drawn    int // lines of the last frame
	frame    int
	accounts []*liveAccount
	byName   map[string]*liveAccount
	closed   bool
	stop     chan struct{}
	exited   chan struct{}
}

type liveAccount struct {
	name     string
	started  time.Time
	status   export.Status // "" while running
	dur      time.Duration
	done     int
	rows     int64
	running  []string         // streams started, not finished
	progress map[string]int64 // rows so far of running streams
}

// sgr matches the colour and style sequences of a frame.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

func newLiveDisplay(w io.Writer, streams int, size func() (int, int)) *liveDisplay {
	return &liveDisplay{w: w, streams: streams, size: size, byName: map[string]*liveAccount{}}
}

// LogWriter returns a writer that prints above the display.
func (d *liveDisplay) LogWriter() io.Writer { return logThrough{d} }

type logThrough struct{ d *liveDisplay }

func (l logThrough) Write(p []byte) (int, error) {
	d := l.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.stop == nil {
		return d.w.Write(p)
	}
	d.clearLocked()
	n, err := d.w.Write(p)
	d.drawLocked()
	return n, err
}

func (d *liveDisplay) Start(*slog.Logger) {
	d.mu.Lock()
	d.start = time.Now()
	d.stop, d.exited = make(chan struct{}), make(chan struct{})
	_, _ = io.WriteString(d.w, csiHideCursor)
	d.drawLocked()
	d.mu.Unlock()
	go d.loop()
}

func (d *liveDisplay) loop() {
	defer close(d.exited)
	t := time.NewTicker(liveRefresh)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.mu.Lock()
			d.frame++
			d.clearLocked()
			d.drawLocked()
			d.mu.Unlock()
		}
	}
}

// Close draws the final frame and gives the cursor back; the final frame
// stays on the screen.
func (d *liveDisplay) Close() {
	if d.stop == nil {
		return
	}
	close(d.stop)
	<-d.exited
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clearLocked()
	d.drawLocked()
	d.closed = true
	_, _ = io.WriteString(d.w, csiShowCursor)
}

// clearLocked moves the cursor to the first line of the frame and erases
// the frame.
func (d *liveDisplay) clearLocked() {
	if d.drawn > 0 {
		fmt.Fprintf(d.w, "\r\x1b[%dA%s", d.drawn, csiClearDown)
	} else {
		_, _ = io.WriteString(d.w, "\r"+csiClearDown)
	}
	d.drawn = 0
}

func (d *liveDisplay) drawLocked() {
	lines := d.frameLines()
	var b strings.Builder
	for _, l := range lines {
		if d.noColor {
			b.WriteString(sgr.ReplaceAllString(l, ""))
			b.WriteString("\n")
			continue
		}
		b.WriteString(l)
		b.WriteString(csiReset + "\n")
	}
	_, _ = io.WriteString(d.w, b.String())
	d.drawn = len(lines)
}

// frameLines renders the frame: a header, then the running accounts, then
// the finished ones (newest first), cut to the terminal's height.
func (d *liveDisplay) frameLines() []string {
	cols, rows := d.size()
	now := time.Now()
	var done, failed int
	var total int64
	for _, a := range d.accounts {
		total += a.totalRows()
		if a.status != "" {
			done++
			if a.status == export.StatusFailed {
				failed++
			}
		}
	}
	header := fmt.Sprintf("%sigexport apply%s  %d/%d accounts done", csiBold, csiReset, done, len(d.accounts))
	if len(d.accounts) == 0 {
		header = fmt.Sprintf("%sigexport apply%s  starting: accounts, discovery, leases", csiBold, csiReset)
	}
	if failed > 0 {
		header += fmt.Sprintf(", %s%d failed%s", csiRed, failed, csiReset)
	}
	header += fmt.Sprintf("  %s rows  %s", thousands(total), now.Sub(d.start).Round(time.Second))
	lines := []string{fit(header, cols)}

	order := slices.Clone(d.accounts)
	slices.SortStableFunc(order, func(a, b *liveAccount) int {
		switch {
		case a.status == "" && b.status != "":
			return -1
		case a.status != "" && b.status == "":
			return 1
		}
		return 0
	})
	room := max(rows-2, 2) // keep the frame on the screen: cursor-up cannot leave it
	nameW := 0
	for _, a := range order {
		nameW = max(nameW, utf8.RuneCountInString(a.name))
	}
	nameW = min(nameW, 32)
	for i, a := range order {
		if len(lines) >= room && i < len(order) {
			lines = append(lines, fit(fmt.Sprintf("%s  … %d more account(s)%s", csiDim, len(order)-i, csiReset), cols))
			break
		}
		lines = append(lines, fit(d.accountLine(a, nameW, now), cols))
	}
	return lines
}

func (d *liveDisplay) accountLine(a *liveAccount, nameW int, now time.Time) string {
	var mark string
	switch a.status {
	case "":
		mark = csiYellow + spinner[d.frame%len(spinner)] + csiReset
	case export.StatusOK:
		mark = csiGreen + "✓" + csiReset
	case export.StatusFailed:
		mark = csiRed + "✗" + csiReset
	default:
		mark = csiYellow + "…" + csiReset
	}
	dur := a.dur
	if a.status == "" {
		dur = now.Sub(a.started)
	}
	name := a.name
	if utf8.RuneCountInString(name) > nameW {
		name = string([]rune(name)[:nameW-1]) + "…"
	}
	line := fmt.Sprintf("%s %-*s  %d/%d streams  %9s rows  %6s", mark, nameW, name, a.done, d.streams,
		thousands(a.totalRows()), dur.Round(100*time.Millisecond))
	switch {
	case a.status == "" && len(a.running) > 0:
		line += "  " + csiDim + strings.Join(a.running, ", ") + csiReset
	case a.status != "" && a.status != export.StatusOK:
		line += "  " + string(a.status)
	}
	return line
}

func (a *liveAccount) totalRows() int64 {
	n := a.rows
	for _, r := range a.progress {
		n += r
	}
	return n
}

func (d *liveDisplay) account(name string) *liveAccount {
	a, ok := d.byName[name]
	if !ok {
		a = &liveAccount{name: name, started: time.Now(), progress: map[string]int64{}}
		d.byName[name] = a
		d.accounts = append(d.accounts, a)
	}
	return a
}

func (d *liveDisplay) AccountStarted(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.account(name)
}

func (d *liveDisplay) StreamStarted(name, s string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.account(name)
	if !slices.Contains(a.running, s) {
		a.running = append(a.running, s)
	}
}

func (d *liveDisplay) StreamProgress(name, s string, rows int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.account(name).progress[s] = rows
}

func (d *liveDisplay) StreamFinished(name, s string, r export.StreamResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.account(name)
	a.done++
	a.rows += r.Counters.Rows
	delete(a.progress, s)
	a.running = slices.DeleteFunc(a.running, func(x string) bool { return x == s })
}

func (d *liveDisplay) AccountFinished(name string, r export.AccountResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.account(name)
	a.status = r.Status
	a.dur = time.Duration(r.Duration)
	a.running = nil
	clear(a.progress)
}

// fit cuts a line with color codes to cols visible characters (a line
// that wraps would break the cursor-up redraw).
func fit(s string, cols int) string {
	limit := max(cols-1, 10)
	var b strings.Builder
	visible := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b { // copy an escape sequence whole
			j := i + 1
			for j < len(s) && !(s[j] >= '@' && s[j] <= '~' && j > i+1) {
				j++
			}
			b.WriteString(s[i:min(j+1, len(s))])
			i = j + 1
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if visible == limit {
			break
		}
		b.WriteRune(r)
		visible++
		i += n
	}
	return b.String()
}

// thousands formats n with thin separators: 1234567 → 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
