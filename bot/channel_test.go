package bot

import "testing"

func TestChannelLink(t *testing.T) {
	for in, want := range map[Channel]string{"@toolmap_digest": "https://t.me/toolmap_digest", "-1001234567890": "", "": ""} {
		if got := in.Link(); got != want {
			t.Errorf("Link(%q) = %q, want %q", in, got, want)
		}
	}
}
