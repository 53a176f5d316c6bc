package wechat_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/wechat"
)

// Problem 1: with the network down, logging in must wait between tries, not hammer WeChat.
func TestLoginWithNetworkDownBacksOff(t *testing.T) {
	w := newWorld(t)
	w.fake.NetworkDown(true)
	r := w.start()
	time.Sleep(1500 * time.Millisecond)
	// 50 ms doubling: about five tries in 1.5 s, one request each.
	if n := w.fake.Attempts(); n > 12 {
		t.Errorf("%d requests in 1.5 s with the network down; want a few, with pauses", n)
	}
	if err := r.ch.Ready(context.Background()); err == nil {
		t.Error("Ready with the network down")
	}
	w.fake.NetworkDown(false)
	w.fake.ConfirmScan()
	w.waitReady(r)
}

// Problem 1: cancelled while waiting for a scan, Run returns at once (SIGTERM must not hang).
func TestRunReturnsWhenCancelledDuringQRWait(t *testing.T) {
	w := newWorld(t)
	ch, err := wechat.New(w.config())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx, newInbox()) }()
	if !w.fake.Wait(5*time.Second, func() bool { return w.fake.QRShown() == 1 }) {
		t.Fatal("no QR code asked for")
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Run took %v to return", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of the cancel")
	}
	if n := w.fake.QRShown(); n != 1 {
		t.Errorf("%d QR codes asked for after the cancel", n)
	}
}

// An expired QR code is replaced by a new one.
func TestExpiredQRReplaced(t *testing.T) {
	w := newWorld(t)
	r := w.start()
	if !w.fake.Wait(5*time.Second, func() bool { return w.fake.QRShown() == 1 }) {
		t.Fatal("no QR code asked for")
	}
	w.fake.ExpireQR()
	if !w.fake.Wait(5*time.Second, func() bool { return w.fake.QRShown() == 2 }) {
		t.Fatal("no new QR code after the first expired")
	}
	w.fake.ConfirmScan()
	w.waitReady(r)
	if w.fake.CookieMisses() != 0 {
		t.Errorf("%d heartbeats without the login's cookies", w.fake.CookieMisses())
	}
}
