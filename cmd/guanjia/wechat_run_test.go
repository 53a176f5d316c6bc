package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
	"github.com/guanjia/guanjia/bot/wechat"
	"github.com/guanjia/guanjia/bot/wechat/wxfake"
)

// jitter is how much earlier a send may arrive at the fake than the queue's clock allows:
// the time between the queue granting a send and the request reaching the server varies.
const jitter = 10 * time.Millisecond

// loggedIn logs the world in and returns the stable ids of its two groups.
func (w *wxWorld) loggedIn() []string {
	w.t.Helper()
	w.wx.ConfirmScan()
	w.waitReady()
	groups, err := w.app.State.WeChatGroups(context.Background())
	if err != nil || len(groups) != 2 {
		w.t.Fatalf("group records %v, %v", groups, err)
	}
	var ids []string
	for id := range groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sendAll queues replies and waits until the fake has them all.
func (w *wxWorld) sendAll(replies []bot.Reply, timeout time.Duration) []wxfake.Sent {
	w.t.Helper()
	if _, err := w.app.Outbox.Enqueue(context.Background(), replies); err != nil {
		w.t.Fatal(err)
	}
	if !w.wx.Wait(timeout, func() bool { return len(w.wx.Sent()) >= len(replies) }) {
		w.t.Fatalf("%d of %d sent in %v", len(w.wx.Sent()), len(replies), timeout)
	}
	return w.wx.Sent()
}

func TestWeChatPacingKeepsConfiguredGaps(t *testing.T) {
	w := newWXWorld(t, func(c *Config) {
		c.WeChat.Gap, c.WeChat.GapJitter, c.WeChat.BroadcastGap = 150*time.Millisecond, 100*time.Millisecond, 600*time.Millisecond
	})
	g := w.loggedIn()
	var replies []bot.Reply
	for i := range 4 {
		replies = append(replies, bot.Reply{Channel: wechat.Name, ChatID: g[i%2], Group: true, Text: fmt.Sprint("回复 ", i)})
	}
	for i, chat := range []string{g[0], g[1], g[1], g[0]} {
		replies = append(replies, bot.Reply{Channel: wechat.Name, ChatID: chat, Group: true,
			Text: fmt.Sprint("通知 ", i), Lane: bot.LaneNotice})
	}
	sent := w.sendAll(replies, 10*time.Second)
	var lastBroadcast wxfake.Sent
	checked := 0
	for i, s := range sent {
		if i > 0 {
			if gap := s.At.Sub(sent[i-1].At); gap < 150*time.Millisecond-jitter {
				t.Errorf("%q only %v after %q; the gap is 150ms and more", s.Text, gap, sent[i-1].Text)
			}
		}
		if strings.HasPrefix(s.Text, "通知") {
			if lastBroadcast.Chat != "" && lastBroadcast.Chat != s.Chat {
				checked++
				if d := s.At.Sub(lastBroadcast.At); d < 600*time.Millisecond-jitter {
					t.Errorf("broadcasts to %s and %s only %v apart; the gap is 600ms", lastBroadcast.Chat, s.Chat, d)
				}
			}
			lastBroadcast = s
		}
	}
	if checked == 0 {
		t.Error("no broadcast followed one to another group: the rule was not exercised")
	}
}

func TestWeChatPacingDefaults(t *testing.T) {
	w := newWXWorld(t, func(c *Config) { c.WeChat = weChatDefaults() })
	l := w.cfg.WeChat.limits()
	if l.Gap != 2*time.Second || l.GapJitter != 3*time.Second || l.BroadcastGap != 20*time.Second || l.Concurrency != 1 {
		t.Fatalf("default WeChat limits %+v: want 2–5 s between sends, 20 s between broadcasts, one at a time", l)
	}
	g := w.loggedIn()
	var replies []bot.Reply
	for i := range 3 {
		replies = append(replies, bot.Reply{Channel: wechat.Name, ChatID: g[i%2], Group: true, Text: fmt.Sprint("回复 ", i)})
	}
	sent := w.sendAll(replies, 15*time.Second)
	for i := 1; i < len(sent); i++ {
		// The queue wakes a few milliseconds late at most; 5 s is the gap's upper end.
		if gap := sent[i].At.Sub(sent[i-1].At); gap < 2*time.Second-jitter || gap > 5*time.Second+500*time.Millisecond {
			t.Errorf("%q %v after %q; want 2–5 s", sent[i].Text, gap, sent[i-1].Text)
		}
	}
}

func TestWeChatLoginCommandKeepsTheLogin(t *testing.T) {
	cfg := testConfig(t)
	fake := wxfake.New(t)
	fake.AddFriend("zhao", "赵主管")
	var out lockedWriter
	done := make(chan error, 1)
	go func() {
		done <- runWeChat(context.Background(), cfg, slog.New(slog.DiscardHandler), []string{"login"}, &out, fake.Transport())
	}()
	fake.ConfirmScan()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("guanjia wechat login did not return after the scan")
	}
	if s := out.String(); !strings.Contains(s, "▀") || !strings.Contains(s, "微信已登录") {
		t.Errorf("output:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, wechat.QRFile)); err != nil {
		t.Errorf("QR code image: %v", err)
	}
	// The service then logs in with the kept login, without a QR code.
	cfg.WeChat = WeChatConfig{Enabled: true, Gap: time.Millisecond}
	w := &wxWorld{t: t, cfg: cfg, wx: fake, tg: tgfake.New(t)}
	w.cfg.Telegram = TelegramConfig{Token: tgfake.Token, APIURL: w.tg.URL(), PollTimeout: time.Second}
	w.start()
	w.waitReady()
	if fake.QRShown() != 1 || fake.HotLogins() != 1 {
		t.Errorf("QR codes %d, hot logins %d; want 1 and 1", fake.QRShown(), fake.HotLogins())
	}
	var o, e bytes.Buffer
	if err := run(context.Background(), []string{"wechat", "logout"}, env(nil), nil, &o, &e); err == nil {
		t.Error("guanjia wechat logout was accepted")
	}
}

func TestWeChatConfig(t *testing.T) {
	out := runCmd(t, env(map[string]string{"WECHAT_ENABLED": "1", "WECHAT_GAP": "3s", "WECHAT_BROADCAST_GAP": "1m"}), "", "config")
	for _, want := range []string{"wechat:\n  enabled: true\n  gap: 3s\n  gap_jitter: 3s\n  broadcast_gap: 1m0s\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("config lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []map[string]string{{"WECHAT_ENABLED": "maybe"}, {"WECHAT_GAP": "-1s"}, {"WECHAT_GAP_JITTER": "soon"}} {
		var o, e bytes.Buffer
		if err := run(context.Background(), []string{"config"}, env(bad), nil, &o, &e); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
}

// lockedWriter collects what a command prints while the test reads it.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestWeChatServerURL logs in through `guanjia wechat login` as a separate run would, with
// WECHAT_SERVER_URL sending WeChat's requests to the fake server.
func TestWeChatServerURL(t *testing.T) {
	cfg := testConfig(t)
	fake := wxfake.New(t)
	getenv := env(map[string]string{
		"REDIS_URL": cfg.RedisURL, "GUANJIA_REDIS_PREFIX": cfg.RedisPrefix,
		"MONGODB_URI": cfg.MongoURI, "MONGODB_DATABASE": cfg.MongoDatabase, "GUANJIA_DATA": cfg.DataDir,
		"WECHAT_SERVER_URL": fake.URL(),
	})
	var out lockedWriter
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"wechat", "login"}, getenv, nil, &out, io.Discard)
	}()
	if !fake.Wait(wxfake.WaitTimeout, func() bool { return fake.QRShown() > 0 }) {
		t.Fatal("no QR code was asked of the server at WECHAT_SERVER_URL")
	}
	fake.ConfirmScan()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("guanjia wechat login did not return after the scan")
	}
	if fake.ScanLogins() != 1 || !strings.Contains(out.String(), "微信已登录") {
		t.Errorf("scan logins %d; output:\n%s", fake.ScanLogins(), out.String())
	}
	var o, e bytes.Buffer
	if err := run(context.Background(), []string{"config"}, env(map[string]string{"WECHAT_SERVER_URL": "wx.example.com"}), nil, &o, &e); err == nil {
		t.Error("a WECHAT_SERVER_URL without scheme was accepted")
	}
}
