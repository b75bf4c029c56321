package bot

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"toolmap/survey/report"
)

// noKeyOffice is an Office without a study key.
type noKeyOffice struct{ Office }

func (noKeyOffice) Export(context.Context, io.Writer, time.Time) (int, error) {
	return 0, fmt.Errorf("no study key: set TOOLMAP_STUDY_KEY or give --key-file FILE%w", errSilent{ErrNoStudyKey})
}

// errSilent wraps an error without adding to the text.
type errSilent struct{ err error }

func (e errSilent) Error() string { return "" }
func (e errSilent) Unwrap() error { return e.err }

// queueFunc is a Queue.
type queueFunc func(...Outgoing) error

func (f queueFunc) Enqueue(msgs ...Outgoing) error { return f(msgs...) }

// TestChatExportWithoutStudyKey: /export from a researcher while the bot
// has no study key answers with what is missing and what to do, and no
// file is made or sent (api is nil: any upload would panic).
func TestChatExportWithoutStudyKey(t *testing.T) {
	var queued []Outgoing
	a := NewChatAdmin(nil, noKeyOffice{}, queueFunc(func(m ...Outgoing) error { queued = append(queued, m...); return nil }), nil,
		ChatAdminOptions{Researchers: []int64{42}})
	a.Do(t.Context(), AdminCommand{Name: "export", ChatID: 42, UserID: 42})
	if len(queued) != 1 {
		t.Fatalf("queued %d messages, want the one reply", len(queued))
	}
	out := queued[0]
	for _, want := range []string{"No export: the bot has no study key", "TOOLMAP_STUDY_KEY", "toolmap export"} {
		if !strings.Contains(out.Text, want) || out.ChatID != 42 {
			t.Errorf("reply to chat %d: %q lacks %q", out.ChatID, out.Text, want)
		}
	}
}

// TestChatResendWithoutChannel: /digest_resend with no channel says so.
func TestChatResendWithoutChannel(t *testing.T) {
	var queued []Outgoing
	a := NewChatAdmin(nil, noChannelOffice{}, queueFunc(func(m ...Outgoing) error { queued = append(queued, m...); return nil }), nil,
		ChatAdminOptions{Admins: []int64{7}})
	a.Do(t.Context(), AdminCommand{Name: "digest_resend", Arg: "2026-W47", ChatID: 7, UserID: 7})
	if len(queued) != 1 || !strings.Contains(queued[0].Text, "There is no channel to post to") {
		t.Errorf("replies = %+v", queued)
	}
}

type noChannelOffice struct{ Office }

func (noChannelOffice) Repost(context.Context, report.Period, string) (string, error) {
	return "", ErrNoChannel
}
