package telegram

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

// nopStore satisfies Journal and Prompts for tests that only look at the configuration.
type nopStore struct{}

func (nopStore) JournalAppend(context.Context, string, int64, []byte) error            { return nil }
func (nopStore) JournalPending(context.Context, string) (map[int64][]byte, error)      { return nil, nil }
func (nopStore) JournalRemove(context.Context, string, int64) error                    { return nil }
func (nopStore) SaveOffset(context.Context, string, int64) error                       { return nil }
func (nopStore) Offset(context.Context, string) (int64, error)                         { return 0, nil }
func (nopStore) Handled(context.Context, string, string) (bool, error)                 { return false, nil }
func (nopStore) SavePrompt(context.Context, string, string, int, string, []byte) error { return nil }
func (nopStore) LoadPrompt(context.Context, string, string, int) ([]byte, bool, error) {
	return nil, false, nil
}
func (nopStore) ClaimPrompt(context.Context, string, string, int, string) (bool, error) {
	return false, nil
}

// The HTTP client must outwait a long poll, or every quiet poll ends in a client timeout.
func TestPollTimeoutBelowClientTimeout(t *testing.T) {
	fake := tgfake.New(t)
	tests := []struct {
		set, want time.Duration
	}{
		{0, DefaultPollTimeout},
		{5 * time.Second, 5 * time.Second},
		{50 * time.Second, 50 * time.Second},
	}
	for _, tt := range tests {
		c, err := New(t.Context(), Config{Token: tgfake.Token, APIURL: fake.URL(), PollTimeout: tt.set}, nopStore{}, nopStore{}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if c.cfg.PollTimeout != tt.want {
			t.Errorf("PollTimeout %v: got %v, want %v", tt.set, c.cfg.PollTimeout, tt.want)
		}
		if c.http.Timeout < c.cfg.PollTimeout+5*time.Second {
			t.Errorf("PollTimeout %v: HTTP client timeout %v, want at least 5s longer", c.cfg.PollTimeout, c.http.Timeout)
		}
		// The poll asks Telegram for exactly the configured wait.
		fake.PushText(tgfake.Private(tgfake.Person(1, "a")), tgfake.Person(1, "a"), "x")
		if _, _, err := c.getUpdates(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(fake.PollTimeout()) * time.Second; got != c.cfg.PollTimeout {
			t.Errorf("getUpdates timeout = %v, want %v", got, c.cfg.PollTimeout)
		}
	}
}

func TestPollTimeoutTooShort(t *testing.T) {
	if _, err := (Config{Token: "1:x", PollTimeout: 500 * time.Millisecond}).withDefaults(); err == nil {
		t.Error("a poll timeout under a second was accepted")
	}
}
