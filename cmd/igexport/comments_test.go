package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/igexport/igexport/export"
)

// commentsConfig exports media and comments with usernames hashed, files
// uncompressed (so that a username written in clear would show in the
// bytes), logs at debug level.
const commentsConfig = `igexport {
  graph_api_url     = "{{.API}}"
  graph_api_version = "v23.0"
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}

streams = ["media", "comments"]

stream "comments" {
  usernames = "{{.Mode}}"
}

destination {
  url         = "file://{{.Dir}}/lake"
  compression = "none"
}
`

// TestCommentsHashedThroughTheCLI: validate, plan, apply (text and -json,
// debug logs) and state show with usernames = "hash": not one commenter's
// username in stdout, stderr, the lake or the state. The control,
// usernames = "keep", finds every one of them in the lake.
func TestCommentsHashedThroughTheCLI(t *testing.T) {
	for _, mode := range []string{"keep", "hash"} {
		t.Run(mode, func(t *testing.T) { commentsThroughTheCLI(t, mode) })
	}
}

func commentsThroughTheCLI(t *testing.T, mode string) {
	h := newHarness(t, fakeOptions())
	cfg := h.writeConfig("igexport.hcl", strings.ReplaceAll(commentsConfig, "{{.Mode}}", mode))
	var outputs []string
	for _, args := range [][]string{
		{"validate", "-config", cfg},
		{"plan", "-config", cfg},
		{"apply", "-config", cfg, "-log-level", "debug"},
		{"apply", "-config", cfg, "-json"},
		{"plan", "-config", cfg, "-json"},
		{"state", "show", "-config", cfg, "-json", "brand_a"},
	} {
		r := h.run(args...)
		h.wantCode(r, exitOK)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	users := map[string]bool{}
	for _, m := range h.fake.Dataset().Accounts[0].Media {
		for _, c := range h.fake.Comments(m.ID) {
			users[c.Username] = true
			for _, r := range c.Replies {
				users[r.Username] = true
			}
		}
	}
	files := h.lakeFiles()
	comments := 0
	for k := range files {
		if strings.HasPrefix(k, "comments/") {
			comments++
		}
	}
	if len(users) == 0 || comments == 0 {
		t.Fatalf("%d commenters, %d comments files", len(users), comments)
	}
	inLake := 0
	for u := range users {
		for i, o := range outputs {
			if strings.Contains(o, u) {
				t.Errorf("username %q in the output of command %d", u, i/2)
			}
		}
		for k, b := range files {
			if strings.Contains(string(b), u) {
				inLake++
				if mode != "keep" || !strings.HasPrefix(k, "comments/") {
					t.Errorf("username %q in %s", u, k)
				}
				break
			}
		}
	}
	if mode == "keep" && inLake != len(users) {
		t.Errorf("control: %d of %d usernames found in the uncompressed lake", inLake, len(users))
	}
}

// TestCommentsInstagramLogin: with login = "instagram" the comments come
// from the Instagram host, every one of them, batch POSTs refused or not.
func TestCommentsInstagramLogin(t *testing.T) {
	for _, noBatch := range []bool{false, true} {
		h, ig, igURL := loginHarness(t, noBatch)
		cfg := h.loginConfig("instagram", igURL)
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, append(b, "\nstreams = [\"media\", \"comments\"]\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		r := h.run("apply", "-config", cfg, "-json")
		h.wantCode(r, exitOK)
		var sum export.Summary
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
			t.Fatal(err)
		}
		var want int64
		for _, m := range ig.Dataset().Accounts[0].Media {
			want += m.CommentsCount
		}
		var got int64 = -1
		for _, s := range sum.Accounts[0].Streams {
			if s.Stream == "comments" {
				got = s.Counters.Rows
			}
		}
		if got != want || want == 0 || ig.Stats().ByEndpoint["GET /{media-id}/comments"] == 0 || h.fake.Stats().ByEndpoint["GET /{media-id}/comments"] != 0 {
			t.Errorf("no batch %v: %d comments rows, the emulator has %d (Instagram host %v)", noBatch, got, want, ig.Stats().ByEndpoint)
		}
	}
}
