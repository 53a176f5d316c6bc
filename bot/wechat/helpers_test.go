package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/bottest"
	"github.com/guanjia/guanjia/bot/wechat"
	"github.com/guanjia/guanjia/bot/wechat/wxfake"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// The Redis store is what production wires in.
var (
	_ wechat.Memory     = (*redisstate.Store)(nil)
	_ wechat.LoginStore = (*redisstate.WeChatLogin)(nil)
)

// newStore returns a store on the real Redis under a prefix of its own, removed afterwards.
func newStore(t *testing.T) *redisstate.Store { return redistest.Store(t) }

// inbox records what the channel delivers.
type inbox = bottest.Inbox

func newInbox() *inbox { return bottest.NewInbox(false) }

// conversations is a Conversations the test sets by hand.
type conversations struct {
	mu     sync.Mutex
	active map[string]bool
}

func (c *conversations) set(chat, sender string, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil {
		c.active = map[string]bool{}
	}
	c.active[chat+"|"+sender] = on
}

func (c *conversations) Active(_ context.Context, chat, sender string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active[chat+"|"+sender], nil
}

// world is a fake WeChat with a store, and the channel's settings.
type world struct {
	t     *testing.T
	fake  *wxfake.Server
	store *redisstate.Store
	data  string
	convs *conversations
	qr    *lockedBuffer

	mu    sync.Mutex
	downs []string
	ups   int
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, fake: wxfake.New(t), store: newStore(t), data: t.TempDir(), convs: &conversations{},
		qr: &lockedBuffer{}}
	w.fake.AddFriend("zhang", "张三")
	w.fake.AddFriend("wang", "王管家")
	w.fake.AddMember("li", "李四")
	w.fake.AddGroup("b3", "3号楼邻里", "zhang", "wang", "li")
	w.fake.SetBotDisplayName("b3", "小管家")
	return w
}

func (w *world) config() wechat.Config {
	return wechat.Config{
		DataDir: w.data, Login: w.store.WeChatLogin("default"), Memory: w.store, Conversations: w.convs,
		QROut: w.qr, Transport: w.fake.Transport(), SilentAfter: 2 * time.Second, RetryWait: 50 * time.Millisecond,
		// Tests log in and kick at once; only the brake's own tests brake.
		BrakeAfterScan: time.Nanosecond,
		Log:            slog.New(slog.NewTextHandler(testWriter{w.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnDown: func(_ context.Context, reason string) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.downs = append(w.downs, reason)
		},
		OnUp: func(context.Context) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.ups++
		},
	}
}

func (w *world) announced() ([]string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.downs...), w.ups
}

// running is a channel started by start.
type running struct {
	ch   *wechat.Channel
	in   *inbox
	stop func()
}

// start runs a channel until stop (or the test's end). It does not wait for the login.
func (w *world) start(edit ...func(*wechat.Config)) running {
	t := w.t
	t.Helper()
	cfg := w.config()
	for _, e := range edit {
		e(&cfg)
	}
	ch, err := wechat.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := newInbox()
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

// waitReady waits until the channel reports it works.
func (w *world) waitReady(r running) {
	w.t.Helper()
	if !w.fake.Wait(5*time.Second, func() bool { return r.ch.Ready(context.Background()) == nil }) {
		w.t.Fatalf("channel not ready: %v", r.ch.Ready(context.Background()))
	}
}

// login starts a channel and logs it in by a scan.
func (w *world) login() running {
	w.t.Helper()
	r := w.start()
	w.fake.ConfirmScan()
	w.waitReady(r)
	return r
}

// reply sends r through the channel directly.
func send(t *testing.T, ch *wechat.Channel, chat, text string, choices ...bot.Choice) error {
	t.Helper()
	return ch.Send(context.Background(), bot.Reply{Channel: wechat.Name, ChatID: chat, Text: text, Choices: choices})
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testWriter sends the channel's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
