package telegram_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
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

// inbox records what the channel delivers. A blocking inbox never finishes a message, like a
// handler still busy when the process stops.
type inbox struct {
	msgs  chan bot.Message
	block bool
}

func newInbox(block bool) *inbox { return &inbox{msgs: make(chan bot.Message, 100), block: block} }

func (in *inbox) Deliver(ctx context.Context, m bot.Message) <-chan struct{} {
	in.msgs <- m
	done := make(chan struct{})
	if in.block {
		<-ctx.Done()
		return done
	}
	close(done)
	return done
}

// next returns the next delivered message, failing the test if none comes.
func (in *inbox) next(t *testing.T) bot.Message {
	t.Helper()
	select {
	case m := <-in.msgs:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message delivered")
		return bot.Message{}
	}
}

// nextText skips nothing: it fails unless the next delivered message has this text. Tests
// push a marker after something that must not be delivered and expect the marker next.
func (in *inbox) nextText(t *testing.T, text string) bot.Message {
	t.Helper()
	m := in.next(t)
	if m.Text != text {
		t.Fatalf("delivered %q (%+v), want %q", m.Text, m, text)
	}
	return m
}

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
