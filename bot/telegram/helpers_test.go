package telegram_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/bottest"
	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// The Redis store is what production wires in as journal and prompts.
var (
	_ telegram.Journal = (*redisstate.Store)(nil)
	_ telegram.Prompts = (*redisstate.Store)(nil)
)

// newStore returns a store on the real Redis under a prefix of its own, removed afterwards.
func newStore(t *testing.T) *redisstate.Store { return redistest.Store(t) }

// inbox records what the channel delivers.
type inbox = bottest.Inbox

func newInbox(block bool) *inbox { return bottest.NewInbox(block) }

// running is a channel started by start.
type running struct {
	ch   *telegram.Channel
	in   *inbox
	stop func()
}

// start creates a channel against the fake and runs it until stop (or the test's end).
func start(t *testing.T, fake *tgfake.Server, store *redisstate.Store, in *inbox, edit ...func(*telegram.Config)) running {
	t.Helper()
	cfg := telegram.Config{Token: tgfake.Token, APIURL: fake.URL(), PollTimeout: 5 * time.Second}
	for _, e := range edit {
		e(&cfg)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ch, err := telegram.New(context.Background(), cfg, store, store, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx, in) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return running{ch: ch, in: in, stop: stop}
}

// testWriter sends the channel's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
