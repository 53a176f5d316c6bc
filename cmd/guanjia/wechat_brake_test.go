package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/wechat"
	"github.com/guanjia/guanjia/bot/wechat/wxfake"
)

// A kick right after a scan stops the QR cycle and tells the staff on Telegram what to do.
func TestWeChatBrakeAlertsOtherChannels(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	tgStaff := w.telegramStaff()
	// From here on, a login WeChat ends within ten minutes of its scan brakes. The restart
	// logs in with the kept session, which no scan made.
	w.stop()
	w.cfg.WeChat.BrakeAfterScan = 10 * time.Minute
	w.start()
	w.waitReady()
	w.wx.KickAfterScan(1102)
	w.wx.Kick(1101)
	w.wx.ConfirmScan()
	var alert string
	if !w.wx.Wait(10*time.Second, func() bool {
		for _, m := range w.tg.SentTo(tgStaff.ID) {
			if strings.Contains(m.Text, "guanjia wechat login") {
				alert = m.Text
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no brake alert to the Telegram staff group: %v", w.ch.Ready(context.Background()))
	}
	if !strings.Contains(alert, "1102") || !strings.Contains(alert, "限制") {
		t.Errorf("alert %q", alert)
	}
	// The building group was on WeChat only: the staff hear that building 3 lost it.
	if !w.wx.Wait(5*time.Second, func() bool {
		for _, m := range w.tg.SentTo(tgStaff.ID) {
			if strings.Contains(m.Text, "没有能用的业主群") && strings.Contains(m.Text, "3号楼") {
				return true
			}
		}
		return false
	}) {
		t.Error("the staff were not told that building 3 lost its last chat")
	}
	shown := w.wx.QRShown()
	time.Sleep(time.Second)
	if n := w.wx.QRShown(); n != shown {
		t.Errorf("%d more QR codes after the brake", n-shown)
	}
}

// A bound group WeChat does not list after a login (not saved to the contacts, quiet) is
// reported to the staff group with the way to fix it.
func TestWeChatMissingBoundGroupReported(t *testing.T) {
	w := newWXWorld(t)
	w.setUp()
	w.stop()
	w.wx.SetSaved(wxBuilding, false)
	w.wx.SetRecent(wxBuilding, false)
	skip := len(w.wx.SentTo(wxStaff))
	w.start()
	w.waitReady()
	got := w.waitNew(wxStaff, skip, "保存到通讯录")
	if !strings.Contains(got.Text, "3号楼") {
		t.Errorf("notice %q does not name the group", got.Text)
	}
}

// SIGTERM (the context's end) while guanjia waits for a QR scan ends the process at once.
func TestWeChatShutdownDuringQRWait(t *testing.T) {
	cfg := testConfig(t)
	fake := wxfake.New(t)
	getenv := env(map[string]string{
		"REDIS_URL": cfg.RedisURL, "GUANJIA_REDIS_PREFIX": cfg.RedisPrefix,
		"MONGODB_URI": cfg.MongoURI, "MONGODB_DATABASE": cfg.MongoDatabase, "GUANJIA_DATA": cfg.DataDir,
		"WECHAT_ENABLED": "1", "WECHAT_SERVER_URL": fake.URL(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, strings.NewReader(""), io.Discard, io.Discard) }()
	if !fake.Wait(10*time.Second, func() bool { return fake.QRShown() > 0 }) {
		t.Fatal("no QR code asked for")
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("shutdown took %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("guanjia did not stop within 5 s of SIGTERM during a QR wait")
	}
}

// guanjia wechat login warns of the brake, and releases it once the login works.
func TestWeChatLoginReleasesTheBrake(t *testing.T) {
	cfg := testConfig(t)
	fake := wxfake.New(t)
	if err := os.WriteFile(filepath.Join(cfg.DataDir, wechat.BrakeFile), []byte(`{"code":1102,"reason":"kicked (1102)"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out lockedWriter
	done := make(chan error, 1)
	go func() {
		done <- runWeChat(context.Background(), cfg, slog.New(slog.DiscardHandler), []string{"login"}, &out, fake.Transport())
	}()
	fake.ConfirmScan()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "账号可能受限") || !strings.Contains(s, "刹车已解除") {
		t.Errorf("output:\n%s", s)
	}
	if _, on, err := wechat.Braked(cfg.DataDir); on || err != nil {
		t.Errorf("brake still on: %v", err)
	}
}
