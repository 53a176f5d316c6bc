package telegram_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/telegram/tgfake"
)

func TestJournalSurvivesRestart(t *testing.T) {
	fake := tgfake.New(t)
	store := newStore(t)
	private := tgfake.Private(zhang)

	// The handler is still busy with the update when the process stops.
	first := start(t, fake, store, newInbox(true))
	id := fake.PushText(private, zhang, "楼道灯坏了")
	first.in.NextText(t, "楼道灯坏了")
	// Telegram considers it delivered once the next poll confirmed it.
	if !fake.Wait(tgfake.WaitTimeout, func() bool { return len(fake.Pending()) == 0 }) {
		t.Fatalf("update not confirmed: pending %v", fake.Pending())
	}
	first.stop()

	second := start(t, fake, store, newInbox(false))
	m := second.in.NextText(t, "楼道灯坏了")
	if m.ID != strconv.FormatInt(id, 10) {
		t.Errorf("redelivered with ID %s, want %d", m.ID, id)
	}
	fake.PushText(private, zhang, "谢谢")
	second.in.NextText(t, "谢谢")
	second.stop()

	// Both were handled: a third start delivers neither again.
	third := start(t, fake, store, newInbox(false))
	fake.PushText(private, zhang, "marker")
	third.in.NextText(t, "marker")
	pending, err := store.JournalPending(t.Context(), "telegram")
	if err != nil {
		t.Fatal(err)
	}
	if !fake.Wait(tgfake.WaitTimeout, func() bool {
		pending, err = store.JournalPending(t.Context(), "telegram")
		return err == nil && len(pending) == 0
	}) {
		t.Errorf("journal after handling = %v, %v; want empty", pending, err)
	}
}

func TestWebhook(t *testing.T) {
	fake := tgfake.New(t)
	store := newStore(t)
	addr := freeAddr(t)
	hook := "http://" + addr + "/telegram/hook"
	const secret = "s3cret-token_1"
	r := start(t, fake, store, newInbox(false), func(c *telegram.Config) {
		c.WebhookURL, c.WebhookListen, c.WebhookSecret = hook, addr, secret
	})
	if !fake.Wait(tgfake.WaitTimeout, func() bool { u, s := fake.Webhook(); return u == hook && s == secret }) {
		t.Fatal("webhook not set")
	}
	if !fake.Wait(tgfake.WaitTimeout, func() bool { return r.ch.Ready(t.Context()) == nil }) {
		t.Errorf("Ready after setWebhook = %v", r.ch.Ready(t.Context()))
	}

	post := func(secret string, id int64) int {
		t.Helper()
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":1,"date":%d,"chat":{"id":4711,"type":"private"},"from":{"id":4711,"is_bot":false,"first_name":"张三"},"text":"injected"}}`,
			id, time.Now().Unix())
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hook, bytes.NewReader([]byte(body)))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong", 1); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", code)
	}
	if code := post("", 2); code != http.StatusUnauthorized {
		t.Errorf("no secret: status %d, want 401", code)
	}
	if pending, err := store.JournalPending(t.Context(), "telegram"); err != nil || len(pending) != 0 {
		t.Errorf("journal after rejected calls = %v, %v; want empty", pending, err)
	}

	// Telegram's own call, with the secret it was given.
	fake.PushText(tgfake.Private(zhang), zhang, "通过 webhook")
	r.in.NextText(t, "通过 webhook")
	if code := post(secret, 900); code != http.StatusOK {
		t.Errorf("right secret: status %d, want 200", code)
	}
	r.in.NextText(t, "injected")
	// Delivered once, even if Telegram repeats the call.
	if code := post(secret, 900); code != http.StatusOK {
		t.Errorf("repeated call: status %d, want 200", code)
	}
	fake.PushText(tgfake.Private(zhang), zhang, "marker")
	r.in.NextText(t, "marker")
	r.stop()

	// Back to polling: the webhook is deleted, or getUpdates would be refused.
	polling := start(t, fake, store, newInbox(false))
	fake.PushText(tgfake.Private(zhang), zhang, "轮询")
	polling.in.NextText(t, "轮询")
	if u, _ := fake.Webhook(); u != "" {
		t.Errorf("webhook still set to %q after switching to polling", u)
	}
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
