package wechat_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/wechat"
)

// Problem 2: a kick seconds after a scan stops the QR cycle until an admin logs in again.
func TestKickRightAfterScanBrakes(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	var brakes []wechat.Brake
	edit := func(c *wechat.Config) {
		c.BrakePoll, c.BrakeAfterScan = 50*time.Millisecond, time.Minute
		c.OnBrake = func(_ context.Context, b wechat.Brake) {
			mu.Lock()
			defer mu.Unlock()
			brakes = append(brakes, b)
		}
	}
	braked := func() []wechat.Brake {
		mu.Lock()
		defer mu.Unlock()
		return append([]wechat.Brake(nil), brakes...)
	}
	w.fake.KickAfterScan(1102)
	r := w.start(edit)
	w.fake.ConfirmScan()
	if !w.fake.Wait(5*time.Second, func() bool { return len(braked()) == 1 }) {
		t.Fatalf("no brake after a kick right after the scan: %v", r.ch.Ready(context.Background()))
	}
	if b := braked()[0]; b.Code != 1102 {
		t.Errorf("brake %+v", b)
	}
	time.Sleep(time.Second)
	if n := w.fake.QRShown(); n != 1 {
		t.Errorf("%d QR codes asked for after the brake, want none more", n)
	}
	if w.fake.HotLogins() != 0 {
		t.Errorf("%d hot logins tried after the brake", w.fake.HotLogins())
	}
	if err := r.ch.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "guanjia wechat login") {
		t.Errorf("Ready = %v, want the brake and what to do", err)
	}
	r.stop()

	// A restart stays braked.
	r = w.start(edit)
	time.Sleep(300 * time.Millisecond)
	if n := w.fake.QRShown(); n != 1 {
		t.Errorf("%d QR codes after a restart, want the brake kept", n)
	}

	// The admin logs in again; the running channel takes the new login.
	w.fake.KickAfterScan(0)
	admin, err := wechat.New(w.config())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- admin.Login(context.Background()) }()
	w.fake.ConfirmScan()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	w.waitReady(r)
	if len(braked()) != 1 {
		t.Errorf("brakes %+v", braked())
	}
}
