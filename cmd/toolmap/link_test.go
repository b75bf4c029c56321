package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"toolmap/bot/telegramtest"
	"toolmap/survey/export"
)

var personalLink = regexp.MustCompile(`https://t\.me/[A-Za-z0-9_]+\?start=(r-[A-Za-z0-9_-]{12})`)

// TestEndToEndReferralChain: each finisher is offered a personal link that
// does not show their id; who came from whose link shows in the export as
// the referrer's pseudonym; a referrer who deletes their data is no longer
// traced.
func TestEndToEndReferralChain(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	link := func(r *respondent) string {
		t.Helper()
		m := r.waitText("Pass them your personal link")
		got := personalLink.FindStringSubmatch(m.Rendered)
		if got == nil {
			t.Fatalf("no personal link in:\n%s", m.Rendered)
		}
		return got[1]
	}
	a, b, c := h.respondent(81), h.respondent(82), h.respondent(83)
	a.answerWith("", "a")
	codeA := link(a)
	b.answerWith(codeA, "b")
	codeB := link(b)
	c.answerWith(codeB, "c")
	if codeA == codeB || link(c) == codeB {
		t.Fatalf("personal codes are not personal: %s %s", codeA, codeB)
	}
	h.stop()

	key := bytes.Repeat([]byte{9}, 32)
	keyFile := filepath.Join(t.TempDir(), "study.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	referredBy := func() map[string]string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "r.jsonl")
		if _, stderr, err := runCmd(t, "", "export", "--db", h.cfg.Database, "--key-file", keyFile, "--format", "jsonl", "--out", out); err != nil {
			t.Fatalf("export: %v %s", err, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r struct {
				Respondent string `json:"respondent"`
				ReferredBy string `json:"referred_by"`
			}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			got[r.Respondent] = r.ReferredBy
		}
		return got
	}
	pa, pb, pc := export.Pseudonym(key, 81), export.Pseudonym(key, 82), export.Pseudonym(key, 83)
	want := map[string]string{pa: "", pb: pa, pc: pb}
	if got := referredBy(); !mapsEqual(got, want) {
		t.Errorf("referred_by: %v, want %v", got, want)
	}
	// a asks to be forgotten: b is no longer traced to anyone.
	if _, stderr, err := runCmd(t, "", "forget", "--db", h.cfg.Database, "--key-file", keyFile, pa); err != nil {
		t.Fatalf("forget: %v %s", err, stderr)
	}
	if got := referredBy(); !mapsEqual(got, map[string]string{pb: "", pc: pb}) {
		t.Errorf("referred_by after forgetting a: %v", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLinkCommand(t *testing.T) {
	out, stderr, err := runCmd(t, "", "link", "--bot", "@toolmap_test_bot", "flyer_leeds-2")
	if err != nil || out != "https://t.me/toolmap_test_bot?start=s-flyer_leeds-2\n" {
		t.Errorf("link: %q %v %s", out, err, stderr)
	}
	for _, bad := range []string{"", "has space", "ünï", strings.Repeat("x", 63), "a/b"} {
		_, stderr, err := runCmd(t, "", "link", "--bot", "toolmap_test_bot", bad)
		if exitCode(err) != 2 || stderr == "" {
			t.Errorf("link %q: %v %q, want a polite refusal", bad, err, stderr)
		}
	}
	// Without a username, it asks Telegram.
	srv := telegramtest.NewServer(telegramtest.Options{})
	t.Cleanup(srv.Close)
	cfgFile := filepath.Join(t.TempDir(), "toolmap.yaml")
	if err := os.WriteFile(cfgFile, []byte("telegram:\n  api_url: "+srv.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(TokenEnv, srv.Token())
	out, stderr, err = runCmd(t, "", "link", "--config", cfgFile, "partner")
	if err != nil || !strings.HasPrefix(out, "https://t.me/") || !strings.HasSuffix(out, "?start=s-partner\n") {
		t.Errorf("link via getMe: %q %v %s", out, err, stderr)
	}
}
