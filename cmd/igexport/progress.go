package main

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/igexport/igexport/export"
)

// progressUI shows a run's progress: a live display on a terminal, plain
// log lines otherwise.
type progressUI interface {
	export.Progress
	// LogWriter is where the logger must write (through the live display,
	// so log lines appear above it instead of tearing it).
	LogWriter() io.Writer
	// Start begins the periodic output (redraws or heartbeats).
	Start(log *slog.Logger)
	// Close stops it; a live display draws its final state.
	Close()
}

// defaultHeartbeat is the longest silence in CI logs during a run.
const defaultHeartbeat = 30 * time.Second

// isTerminal reports whether a live display can be drawn on e.Stderr.
func isTerminal(e env) bool {
	if e.Terminal != nil {
		return e.Terminal()
	}
	if t, _ := e.lookupEnv("TERM"); t == "dumb" {
		return false
	}
	f, ok := e.Stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor follows the conventions: NO_COLOR set to anything but "" (see
// no-color.org) or TERM=dumb turn colours off.
func useColor(e env) bool {
	if v, ok := e.lookupEnv("NO_COLOR"); ok && v != "" {
		return false
	}
	t, _ := e.lookupEnv("TERM")
	return t != "dumb"
}

func newProgress(e env, live bool, streams int) progressUI {
	if live {
		d := newLiveDisplay(e.Stderr, streams, termSize(e.Stderr))
		d.noColor = !useColor(e)
		return d
	}
	every := e.Heartbeat
	if every <= 0 {
		every = defaultHeartbeat
	}
	return &plainProgress{w: e.Stderr, every: every, running: map[string]int64{}}
}

// termSize returns a function giving the terminal's size (80×24 when
// unknown).
func termSize(w io.Writer) func() (int, int) {
	return func() (int, int) {
		if f, ok := w.(*os.File); ok {
			if cols, rows, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 && rows > 0 {
				return cols, rows
			}
		}
		return 80, 24
	}
}

// plainProgress is for CI logs: one log line per account start, per
// finished stream and per finished account, and a heartbeat line when
// the run has been going for another interval — never a control sequence.
type plainProgress struct {
	w     io.Writer
	every time.Duration
	log   *slog.Logger

	mu           sync.Mutex
	start        time.Time
	started      int
	finished     int
	streamsDone  int
	rows         int64
	running      map[string]int64 // "account/stream" → rows so far
	stop, exited chan struct{}
}

func (p *plainProgress) LogWriter() io.Writer { return p.w }

func (p *plainProgress) Start(log *slog.Logger) {
	p.log = log
	p.start = time.Now()
	p.stop, p.exited = make(chan struct{}), make(chan struct{})
	go p.heartbeat()
}

func (p *plainProgress) heartbeat() {
	defer close(p.exited)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			rows := p.rows
			for _, n := range p.running {
				rows += n
			}
			attrs := []any{"elapsed", time.Since(p.start).Round(time.Second).String(),
				"accounts_done", p.finished, "accounts_running", p.started - p.finished,
				"streams_done", p.streamsDone, "rows", rows}
			p.mu.Unlock()
			p.log.Info("still running", attrs...)
		}
	}
}

func (p *plainProgress) Close() {
	if p.stop != nil {
		close(p.stop)
		<-p.exited
	}
}

func (p *plainProgress) AccountStarted(a string) {
	p.mu.Lock()
	p.started++
	p.mu.Unlock()
	p.log.Info("account started", "account", a)
}

func (p *plainProgress) StreamStarted(a, s string) {
	p.log.Debug("stream started", "account", a, "stream", s)
}

func (p *plainProgress) StreamProgress(a, s string, rows int64) {
	p.mu.Lock()
	p.running[a+"/"+s] = rows
	p.mu.Unlock()
}

func (p *plainProgress) StreamFinished(a, s string, r export.StreamResult) {
	p.mu.Lock()
	delete(p.running, a+"/"+s)
	p.streamsDone++
	p.rows += r.Counters.Rows
	p.mu.Unlock()
	p.log.Info("stream finished", "account", a, "stream", s, "status", string(r.Status), "rows", r.Counters.Rows,
		"files", r.Counters.Files, "api_calls", r.Counters.Calls, "round_trips", r.Counters.RoundTrips)
}

func (p *plainProgress) AccountFinished(a string, r export.AccountResult) {
	p.mu.Lock()
	p.finished++
	for k := range p.running {
		if len(k) > len(a) && k[:len(a)+1] == a+"/" {
			delete(p.running, k)
		}
	}
	p.mu.Unlock()
	attrs := []any{"account", a, "status", string(r.Status), "rows", r.Counters.Rows,
		"api_calls", r.Counters.Calls, "duration", time.Duration(r.Duration).Round(time.Millisecond).String()}
	switch r.Status {
	case export.StatusFailed:
		p.log.Error("account finished", append(attrs, "err", r.Error)...)
	case export.StatusDeferred, export.StatusSkipped:
		p.log.Warn("account finished", append(attrs, "err", r.Error)...)
	default:
		p.log.Info("account finished", attrs...)
	}
}
