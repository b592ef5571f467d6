package sinks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ErrLeaseHeld is matched (errors.Is) by the error AcquireLease returns when
// another run holds the account's lease; the error is a *LeaseHeldError.
var ErrLeaseHeld = errors.New("lease held")

// ErrLeaseCorrupt is wrapped by AcquireLease, ReadLease, Renew and Release
// when the account's lock.json does not parse. No run can tell whether
// another one holds the account then, and none will take it over or wait
// it out: it stays until `igexport state unlock` deletes it, so apply fails
// the account (it is not "picked up by the next run").
var ErrLeaseCorrupt = errors.New("lock.json does not parse")

// ErrLeaseLost is wrapped by Renew and Release when the lease is no longer
// ours: it was force-unlocked, or taken over after it expired.
var ErrLeaseLost = errors.New("lease lost")

// LeaseInfo is the content of an account's lock.json.
type LeaseInfo struct {
	RunID      string    `json:"run_id"`
	Host       string    `json:"host"`
	PID        int       `json:"pid,omitempty"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Scope identifies the holder's kernel boot and PID namespace (Linux):
	// a run on the same host in the same scope can tell that PID is gone.
	Scope string `json:"scope,omitempty"`
}

// Expired reports whether the lease has expired at now.
func (li *LeaseInfo) Expired(now time.Time) bool { return !now.Before(li.ExpiresAt) }

// holderGone reports whether the lease was taken by a process that no
// longer exists: same host, same boot and PID namespace as this process
// (so the PID means the same thing here), and no process with that PID. A
// run killed with SIGKILL (an OOM kill, a cancelled CI job) leaves such a
// lease; without this check it would block the account until it expires.
// When in doubt (another host, no scope, the PID reused) it says false.
func (li *LeaseInfo) holderGone(host, scope string) bool {
	return scope != "" && li.Scope == scope && li.Host == host &&
		li.PID > 0 && li.PID != os.Getpid() && !processAlive(li.PID)
}

func (li *LeaseInfo) same(o *LeaseInfo) bool {
	return li.RunID == o.RunID && li.Host == o.Host && li.PID == o.PID && li.AcquiredAt.Equal(o.AcquiredAt)
}

// LeaseHeldError says who holds an account's lease. It matches ErrLeaseHeld.
type LeaseHeldError struct {
	AccountID string
	Holder    *LeaseInfo // nil when lock.json could not be parsed
	Detail    string     // extra explanation, may be empty
}

func (e *LeaseHeldError) Error() string {
	msg := "account " + e.AccountID + " is locked"
	if h := e.Holder; h != nil {
		msg += fmt.Sprintf(" by run %s on host %s until %s", h.RunID, h.Host, h.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg + "; `igexport state unlock " + e.AccountID + "` forces it"
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// Lease is a held account lease (lock.json). Its methods are safe for
// concurrent use.
type Lease struct {
	s         *Store
	accountID string
	ttl       time.Duration

	mu       sync.Mutex
	info     LeaseInfo
	pin      *pinned    // lock.json as last read and found ours (file://, Linux), or nil
	previous *LeaseInfo // the expired or orphaned lease taken over, if any
	released bool
	kaStop   chan struct{} // non-nil once KeepAlive started
	kaDone   sync.WaitGroup

	errMu   sync.Mutex
	err     error // last KeepAlive renewal
	lost    chan struct{}
	lostWhy error // why the lease is lost, set once with lost closed
}

// AcquireLease creates the account's lock.json for runID, valid for ttl,
// with a create-only write (IfNotExist; an exclusive local create on
// file://). If a live lease is there the error is a *LeaseHeldError naming
// the holder and its expiry. An expired lease is taken over: it is deleted
// and the create retried once; losing that race to another run is
// ErrLeaseHeld too. So is the lease of a process that is gone from this
// machine (holderGone), expired or not; Previous names it.
//
// The lease keeps two runs from working on one account at the same time in
// normal operation. It is not the last line of defence: CommitState's
// create-only generations are, and they stay correct even if two runs ever
// both believed they held the lease.
func (s *Store) AcquireLease(ctx context.Context, accountID, runID string, ttl time.Duration) (*Lease, error) {
	if err := ValidateID(accountID); err != nil {
		return nil, fmt.Errorf("acquire lease: account: %w", err)
	}
	if err := ValidateID(runID); err != nil {
		return nil, fmt.Errorf("acquire lease: run: %w", err)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("acquire lease of account %s: ttl %v <= 0", accountID, ttl)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	now := s.now().UTC()
	scope := processScope()
	info := LeaseInfo{RunID: runID, Host: host, PID: os.Getpid(), AcquiredAt: now, ExpiresAt: now.Add(ttl), Scope: scope}
	body, err := json.MarshalIndent(&info, "", "  ")
	if err != nil {
		return nil, err
	}
	full := s.FullKey(LockKey(accountID))
	var previous *LeaseInfo
	for attempt := 0; attempt < 2; attempt++ {
		err := s.be.create(ctx, full, body, ContentTypeJSON)
		if err == nil {
			return &Lease{s: s, accountID: accountID, ttl: ttl, info: info, previous: previous, lost: make(chan struct{})}, nil
		}
		if !isExists(err) {
			return nil, fmt.Errorf("acquire lease %s in %s: %w", full, s, err)
		}
		cur, curBytes, err := s.readLease(ctx, accountID)
		switch {
		case errors.Is(err, ErrLeaseCorrupt):
			return nil, err
		case err != nil:
			return nil, err
		case cur == nil:
			continue // released meanwhile: try again
		case !cur.Expired(s.now()) && !cur.holderGone(host, scope):
			return nil, &LeaseHeldError{AccountID: accountID, Holder: cur}
		case attempt > 0:
			return nil, &LeaseHeldError{AccountID: accountID, Holder: cur, Detail: "another run is taking over the expired lease"}
		}
		// Expired, or its process is gone: take it over. deleteIf spares
		// a newer lease another taker wrote meanwhile where the backend
		// can check (file://); elsewhere the state generations decide.
		previous = cur
		removed, err := s.be.deleteIf(ctx, full, curBytes)
		if err != nil {
			return nil, fmt.Errorf("take over expired lease %s in %s: %w", full, s, err)
		}
		if !removed {
			return nil, &LeaseHeldError{AccountID: accountID, Holder: cur, Detail: "another run took over the expired lease first"}
		}
	}
	return nil, &LeaseHeldError{AccountID: accountID, Detail: "another run took over the expired lease first"}
}

// readLease returns the parsed lock.json, its bytes, or nil, nil, nil when
// there is none.
func (s *Store) readLease(ctx context.Context, accountID string) (*LeaseInfo, []byte, error) {
	li, b, pin, err := s.readLeasePinned(ctx, accountID)
	pin.close()
	return li, b, err
}

// readLeasePinned is readLease that also returns the file it read, still
// open, where the backend has stamps (nil otherwise): the caller closes it.
func (s *Store) readLeasePinned(ctx context.Context, accountID string) (*LeaseInfo, []byte, *pinned, error) {
	full := s.FullKey(LockKey(accountID))
	var (
		b   []byte
		pin *pinned
		err error
	)
	if st, ok := s.be.(stamper); ok {
		b, pin, err = st.readPinned(full)
	} else {
		b, err = s.be.read(ctx, full)
	}
	if isNotFound(err) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read lease %s in %s: %w", full, s, err)
	}
	var li LeaseInfo
	if err := json.Unmarshal(b, &li); err != nil || li.RunID == "" {
		pin.close()
		return nil, b, nil, fmt.Errorf("account %s: %w (%s in %s), so no run can tell whether another one holds the account; "+
			"make sure no igexport run is working on it, then remove the file with `igexport state unlock %s`",
			accountID, ErrLeaseCorrupt, full, s, accountID)
	}
	return &li, b, pin, nil
}

// ReadLease returns the account's current lease (expired or not), or nil,
// nil when it has none. For `igexport state show`.
func (s *Store) ReadLease(ctx context.Context, accountID string) (*LeaseInfo, error) {
	if err := ValidateID(accountID); err != nil {
		return nil, fmt.Errorf("read lease: account: %w", err)
	}
	li, _, err := s.readLease(ctx, accountID)
	return li, err
}

// Unlock deletes the account's lease whoever holds it (`igexport state
// unlock`). No lease is not an error.
func (s *Store) Unlock(ctx context.Context, accountID string) error {
	if err := ValidateID(accountID); err != nil {
		return fmt.Errorf("unlock: account: %w", err)
	}
	full := s.FullKey(LockKey(accountID))
	if err := s.be.delete(ctx, full); err != nil {
		return fmt.Errorf("unlock %s in %s: %w", full, s, err)
	}
	return nil
}

// Info returns the lease as last written.
func (l *Lease) Info() LeaseInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// Previous returns the lease AcquireLease took over (expired, or left by a
// process that is gone), or nil.
func (l *Lease) Previous() *LeaseInfo { return l.previous }

// AccountID returns the account the lease is for.
func (l *Lease) AccountID() string { return l.accountID }

// Renew moves expires_at to now + ttl, if lock.json is still ours (checked by
// reading it first; the check and the write are two requests, which is safe
// as long as Renew runs well before expiry, as KeepAlive does). A lease that
// is gone or belongs to another run gives an error wrapping ErrLeaseLost.
func (l *Lease) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return fmt.Errorf("%w: lease of account %s was released", ErrLeaseLost, l.accountID)
	}
	if err := l.checkOurs(ctx); err != nil {
		return err
	}
	next := l.info
	next.ExpiresAt = l.s.now().UTC().Add(l.ttl)
	body, err := json.MarshalIndent(&next, "", "  ")
	if err != nil {
		return err
	}
	full := l.s.FullKey(LockKey(l.accountID))
	l.unpin() // a new file: the next Check reads it
	err = l.s.be.put(ctx, full, bytesBody(body), attrs{contentType: ContentTypeJSON})
	if err != nil {
		return fmt.Errorf("renew lease %s in %s: %w", full, l.s, err)
	}
	l.info = next
	return nil
}

// Check reads lock.json and returns nil if it still holds this lease, or an
// error wrapping ErrLeaseLost (and Lost is closed) if the lease was deleted
// (`igexport state unlock`), taken over, released or found lost before. A
// run checks before each upload and right before its state commit, so that
// a run that lost its lease writes and commits nothing more; another error
// (the read failed) says nothing about ownership. The check and the write it
// guards are two requests: an upload already past its check when the lease
// is deleted still lands.
func (l *Lease) Check(ctx context.Context) error {
	if err := l.lostErr(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return fmt.Errorf("%w: lease of account %s was released", ErrLeaseLost, l.accountID)
	}
	return l.checkOurs(ctx)
}

// checkOurs reads lock.json and returns an ErrLeaseLost error (and marks the
// lease lost) unless it is ours. Called with l.mu held.
//
// On file:// (Linux) the lock.json found ours stays open (pinned) and is
// not read again while the name still leads to that file unchanged: one
// stat instead of an open and reads per data file a run writes. The open
// file keeps its inode from being reused, so another file at the name has
// another inode; every way another run or `igexport state unlock` changes
// a lease (a takeover's rename aside and link, a renewal's rename, a
// deletion) gives the name another file or none, and a write in place
// changes the size or the modification time. Then the file is read and
// compared as before.
func (l *Lease) checkOurs(ctx context.Context) error {
	if st, ok := l.s.be.(stamper); ok && l.pin != nil {
		if cur, err := st.stamp(l.s.FullKey(LockKey(l.accountID))); err == nil && cur == l.pin.stamp {
			return nil
		}
	}
	l.unpin()
	cur, _, pin, err := l.s.readLeasePinned(ctx, l.accountID)
	switch {
	case errors.Is(err, ErrLeaseCorrupt):
		return l.markLost(fmt.Errorf("%w: %w", ErrLeaseLost, err))
	case err != nil:
		return err
	case cur == nil:
		return l.markLost(fmt.Errorf("%w: lease of account %s was deleted (igexport state unlock?)", ErrLeaseLost, l.accountID))
	case !cur.same(&l.info):
		pin.close()
		return l.markLost(fmt.Errorf("%w: account %s is now held by run %s on host %s", ErrLeaseLost, l.accountID, cur.RunID, cur.Host))
	}
	l.pin = pin
	return nil
}

// unpin closes the pinned lock.json. Called with l.mu held.
func (l *Lease) unpin() {
	l.pin.close()
	l.pin = nil
}

// Release stops KeepAlive and deletes lock.json if it is still ours. A
// second Release returns nil; a lease that is gone returns nil; one that
// another run holds now returns an error wrapping ErrLeaseLost (and is left
// alone).
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	stop := l.kaStop
	l.kaStop = nil
	l.mu.Unlock()
	if stop != nil {
		close(stop)
		l.kaDone.Wait()
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.unpin()
	if l.released {
		return nil
	}
	cur, _, err := l.s.readLease(ctx, l.accountID)
	switch {
	case errors.Is(err, ErrLeaseCorrupt):
		l.released = true
		return l.markLost(fmt.Errorf("%w: %w", ErrLeaseLost, err))
	case err != nil:
		return err // transient: Release may be retried
	case cur == nil:
		l.released = true
		return nil
	case !cur.same(&l.info):
		l.released = true
		return l.markLost(fmt.Errorf("%w: account %s is now held by run %s on host %s", ErrLeaseLost, l.accountID, cur.RunID, cur.Host))
	}
	full := l.s.FullKey(LockKey(l.accountID))
	if err := l.s.be.delete(ctx, full); err != nil {
		return fmt.Errorf("release lease %s in %s: %w", full, l.s, err)
	}
	l.released = true
	return nil
}

// KeepAlive renews the lease every `every` (ttl/3 when every <= 0) in a
// goroutine until ctx is done, Release is called, or the lease is lost. A
// failed renewal is retried at the next tick and reported by Err; a lost
// lease closes Lost. Calling KeepAlive again while it runs does nothing.
func (l *Lease) KeepAlive(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = l.ttl / 3
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kaStop != nil || l.released {
		return
	}
	stop := make(chan struct{})
	l.kaStop = stop
	l.kaDone.Add(1)
	go func() {
		defer l.kaDone.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case <-t.C:
			}
			err := l.Renew(ctx)
			l.setErr(err)
			if errors.Is(err, ErrLeaseLost) {
				return
			}
		}
	}()
}

// Lost is closed once the lease is known to be lost (found deleted or held by
// another run by Check, Renew, KeepAlive or Release).
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err returns the result of the last renewal by KeepAlive (nil after a
// successful one).
func (l *Lease) Err() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.err
}

func (l *Lease) setErr(err error) {
	l.errMu.Lock()
	l.err = err
	l.errMu.Unlock()
}

// markLost records why the lease is lost (the first reason wins), closes
// Lost, and returns err.
func (l *Lease) markLost(err error) error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	if l.lostWhy == nil {
		l.lostWhy = err
		close(l.lost)
	}
	return err
}

// lostErr is why the lease is lost, or nil.
func (l *Lease) lostErr() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.lostWhy
}
