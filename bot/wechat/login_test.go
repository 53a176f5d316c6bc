package wechat_test

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/wechat"
)

func TestQRLoginKeptInRedisAndReusedWithoutQR(t *testing.T) {
	w := newWorld(t)
	r := w.start()
	if !w.fake.Wait(5*time.Second, func() bool { return w.fake.QRShown() == 1 }) {
		t.Fatal("no QR code asked for")
	}
	if err := r.ch.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "QR") {
		t.Errorf("Ready while waiting for a scan = %v", err)
	}
	w.fake.ConfirmScan()
	w.waitReady(r)
	if ok, why := w.fake.DesktopMode(); !ok {
		t.Errorf("not logged in in Desktop mode: %v", why)
	}
	// The QR code was drawn, saved and its address logged.
	if !strings.Contains(w.qr.String(), "▀") || !strings.Contains(w.qr.String(), "https://login.weixin.qq.com/qrcode/") {
		t.Errorf("terminal QR code missing:\n%s", w.qr.String())
	}
	f, err := os.Open(filepath.Join(w.data, wechat.QRFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(f); err != nil {
		t.Errorf("QR file is not a PNG: %v", err)
	}
	f.Close()
	if saved, err := w.store.WeChatLogin("default").Saved(context.Background()); err != nil || !saved {
		t.Fatalf("login not kept in Redis: %v, %v", saved, err)
	}

	w.fake.PushText("zhang", "你好")
	first := r.in.NextText(t, "你好")
	r.stop()

	// A restart logs in with the kept session: no QR code, the same UserNames.
	r = w.start()
	w.waitReady(r)
	if n := w.fake.QRShown(); n != 1 {
		t.Errorf("%d QR codes asked for, want the first only", n)
	}
	if w.fake.HotLogins() != 1 || w.fake.ScanLogins() != 1 {
		t.Errorf("hot logins %d, scans %d; want 1 and 1", w.fake.HotLogins(), w.fake.ScanLogins())
	}
	w.fake.PushText("zhang", "还在吗")
	again := r.in.NextText(t, "还在吗")
	if again.SenderID != first.SenderID || !strings.HasPrefix(again.SenderID, "u:") {
		t.Errorf("sender %q then %q: one login, one session id", first.SenderID, again.SenderID)
	}
	if err := send(t, r.ch, again.ChatID, "在的"); err != nil {
		t.Fatal(err)
	}
	if got := w.fake.WaitSentTo("zhang", 1); got[0].Text != "在的" {
		t.Errorf("sent %+v", got)
	}
	if downs, _ := w.announced(); len(downs) != 1 || !strings.Contains(downs[0], "QR") {
		t.Errorf("announced %q; want once, for the first QR code", downs)
	}
}

func TestStaleSessionFallsBackToQR(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	r.stop()
	// The phone logged the web session out while guanjia was stopped.
	w.fake.Kick(1101)
	r = w.start()
	if !w.fake.Wait(5*time.Second, func() bool { return w.fake.QRShown() == 2 }) {
		t.Fatalf("no new QR code after the kept session was refused: %v", r.ch.Ready(context.Background()))
	}
	// Until the scan, the kept (refused) session is still there: nothing is lost to a QR
	// code nobody scans.
	if saved, _ := w.store.WeChatLogin("default").Saved(context.Background()); !saved {
		t.Error("kept login dropped before a new one was made")
	}
	w.fake.ConfirmScan()
	w.waitReady(r)
	if w.fake.ScanLogins() != 2 {
		t.Errorf("%d scans, want 2", w.fake.ScanLogins())
	}
}

func TestKickDetectedReportedAndRecovered(t *testing.T) {
	w := newWorld(t)
	// A kick long after the scan: no brake (1 ms stands in for ten minutes).
	r := w.start(func(c *wechat.Config) { c.BrakeAfterScan = time.Millisecond })
	w.fake.ConfirmScan()
	w.waitReady(r)
	w.fake.Kick(1102)
	if !w.fake.Wait(5*time.Second, func() bool { return r.ch.Ready(context.Background()) != nil }) {
		t.Fatal("kick not detected")
	}
	downs, _ := w.announced()
	if len(downs) != 2 || !strings.Contains(downs[1], "kicked (1102)") {
		t.Fatalf("announced %q, want the first QR then the kick", downs)
	}
	// The kept session is tried, WeChat refuses it, and a QR code is shown.
	if !w.fake.Wait(5*time.Second, func() bool { return w.fake.QRShown() == 2 }) {
		t.Fatal("no QR code after the kick")
	}
	err := send(t, r.ch, "g:nothing", "x")
	if err == nil {
		t.Fatal("send while logged out succeeded")
	}
	w.fake.ConfirmScan()
	w.waitReady(r)
	if _, ups := w.announced(); ups != 2 {
		t.Errorf("%d recoveries announced, want 2", ups)
	}
}

func TestSilentReceiveLoopDetected(t *testing.T) {
	w := newWorld(t)
	r := w.login()
	w.fake.Stall(true)
	start := time.Now()
	if !w.fake.Wait(5*time.Second, func() bool { return r.ch.Ready(context.Background()) != nil }) {
		t.Fatal("a silent receive loop was not detected")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("detected after %v, configured 2s", d)
	}
	if err := r.ch.Ready(context.Background()); !strings.Contains(err.Error(), "no heartbeat") {
		t.Errorf("Ready = %v", err)
	}
	w.fake.Stall(false)
	w.waitReady(r)
	if w.fake.QRShown() != 1 {
		t.Error("a silent loop asked for a QR code; the kept session is good")
	}
}
