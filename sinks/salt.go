package sinks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// SaltKey is the state object holding the lake's username salt.
const SaltKey = "salt.json"

// saltFile is the body of SaltKey.
type saltFile struct {
	Format string `json:"format"`
	Salt   string `json:"salt"`
}

const saltFormat = "igexport.salt/v1"

// LakeSalt returns the lake's random salt (64 hex digits), creating it the
// first time with a create-only write, so that every account and every run
// of one state store hash a commenter's username the same way: two first
// runs racing agree on the one that was written first.
func (s *Store) LakeSalt(ctx context.Context) (string, error) {
	full := s.FullKey(SaltKey)
	for range 2 {
		b, err := s.be.read(ctx, full)
		if err == nil {
			var f saltFile
			if err := json.Unmarshal(b, &f); err != nil || f.Format != saltFormat || len(f.Salt) != 64 {
				return "", fmt.Errorf("salt %s in %s is corrupt; restore it from a copy (a new salt would hash every username differently from the files written so far)", full, s)
			}
			return f.Salt, nil
		}
		if !isNotFound(err) {
			return "", fmt.Errorf("read salt %s from %s: %w", full, s, err)
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", fmt.Errorf("salt: %w", err)
		}
		body, _ := json.Marshal(saltFile{Format: saltFormat, Salt: hex.EncodeToString(raw[:])})
		err = s.be.create(ctx, full, body, ContentTypeJSON)
		if err == nil {
			return hex.EncodeToString(raw[:]), nil
		}
		if !isExists(err) {
			return "", fmt.Errorf("write salt %s to %s: %w", full, s, err)
		}
		// Another run created it first: read theirs.
	}
	return "", fmt.Errorf("salt %s in %s: created and not readable", full, s)
}
