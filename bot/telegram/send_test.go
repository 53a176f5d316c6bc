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
)

// newChannel creates a channel that is not run: sending needs no Run.
func newChannel(t *testing.T, fake *tgfake.Server) *telegram.Channel {
	t.Helper()
	store := newStore(t)
	ch, err := telegram.New(t.Context(), telegram.Config{Token: tgfake.Token, APIURL: fake.URL()}, store, store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestSendErrors(t *testing.T) {
	fake := tgfake.New(t)
	ch := newChannel(t, fake)
	ctx := t.Context()
	send := func(chat string) error {
		return ch.Send(ctx, bot.Reply{Channel: "telegram", ChatID: chat, Text: "您的报修已受理"})
	}
	tests := []struct {
		name       string
		setup      func()
		chat       string
		kind       bot.SendErrorKind
		reason     string
		retryAfter time.Duration
	}{
		{"429", func() { fake.FailNext(4711, 429, 7, 1) }, "4711", bot.SendRateLimited, "too_many_requests", 7 * time.Second},
		{"blocked", func() { fake.Block(4712) }, "4712", bot.SendPermanent, "blocked", 0},
		{"kicked", func() { fake.Block(-100999) }, "-100999", bot.SendPermanent, "kicked", 0},
		{"chat not found", func() { fake.FailNext(4713, 400, 0, 1) }, "4713", bot.SendPermanent, "chat_not_found", 0},
		{"server error", func() { fake.FailNext(4714, 502, 0, 1) }, "4714", bot.SendTransient, "server_error", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			err := send(tt.chat)
			var se *bot.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want a *bot.SendError", err)
			}
			if se.Kind != tt.kind || se.Reason != tt.reason || se.RetryAfter != tt.retryAfter {
				t.Errorf("Send = %v kind %v reason %q retry %v; want %v %q %v", err, se.Kind, se.Reason, se.RetryAfter, tt.kind, tt.reason, tt.retryAfter)
			}
		})
	}
	// Only the next send failed: the chat is reachable again.
	if err := send("4711"); err != nil {
		t.Errorf("send after the 429: %v", err)
	}

	// The Bot API out of reach is a network failure, worth retrying.
	fake.Close()
	var se *bot.SendError
	if err := send("4711"); !errors.As(err, &se) || se.Kind != bot.SendTransient {
		t.Errorf("Send with the API down = %v, want transient", err)
	}
	if strings.Contains(fmtErr(send("4711")), tgfake.Token) {
		t.Error("the bot token shows in a send error")
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSendPhoto(t *testing.T) {
	fake := tgfake.New(t)
	ch := newChannel(t, fake)
	ctx := t.Context()
	if err := ch.Send(ctx, bot.Reply{ChatID: "-1001234567890", Text: "工单 R20261126-0001 现场照片", Photo: "tg:AgACfile1", Choices: categories[:1]}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("很长的说明。", 200)
	if err := ch.Send(ctx, bot.Reply{ChatID: "-1001234567890", Text: long, Photo: "tg:AgACfile2"}); err != nil {
		t.Fatal(err)
	}
	// A photo the channel cannot send (another channel's file) leaves the text.
	if err := ch.Send(ctx, bot.Reply{ChatID: "-1001234567890", Text: "只有文字", Photo: "console:门锁.jpg"}); err != nil {
		t.Fatal(err)
	}
	got := fake.SentTo(group.ID)
	if len(got) != 4 {
		t.Fatalf("sent %d messages, want 4: %+v", len(got), got)
	}
	if got[0].Method != "sendPhoto" || got[0].Photo != "AgACfile1" || got[0].Text != "工单 R20261126-0001 现场照片" || len(got[0].Labels()) != 1 {
		t.Errorf("photo with caption and a button: %+v", got[0])
	}
	if got[1].Photo != "AgACfile2" || got[1].Text != "" || got[2].Method != "sendMessage" || got[2].Text != long {
		t.Errorf("a caption over 1024 characters goes in its own message: %+v %+v", got[1], got[2])
	}
	if got[3].Method != "sendMessage" || got[3].Text != "只有文字" {
		t.Errorf("non-Telegram photo: %+v", got[3])
	}
}

func TestLinkAndLimits(t *testing.T) {
	fake := tgfake.New(t)
	ch := newChannel(t, fake)
	var (
		_ bot.Channel     = ch
		_ bot.Linker      = ch
		_ bot.TextLimiter = ch
	)
	if ch.Name() != "telegram" || ch.MaxText() != 4096 || ch.Username() != tgfake.Username {
		t.Errorf("Name %q MaxText %d Username %q", ch.Name(), ch.MaxText(), ch.Username())
	}
	tests := []struct {
		payload string
		want    string
		ok      bool
	}{
		{"R20261126-0001_ab", "https://t.me/guanjia_bot?start=R20261126-0001_ab", true},
		{strings.Repeat("a", 64), "https://t.me/guanjia_bot?start=" + strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), "", false},
		{"", "", false},
		{"报修", "", false},
		{"a b", "", false},
		{"a&b=c", "", false},
	}
	for _, tt := range tests {
		got, ok := ch.PrivateLink(tt.payload)
		if got != tt.want || ok != tt.ok {
			t.Errorf("PrivateLink(%q) = %q, %v; want %q, %v", tt.payload, got, ok, tt.want, tt.ok)
		}
	}
	if err := ch.Ready(context.Background()); err == nil {
		t.Error("Ready before Run = nil, want an error")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	fake := tgfake.New(t)
	store := newStore(t)
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		cfg  telegram.Config
	}{
		{"no token", telegram.Config{APIURL: fake.URL()}},
		{"wrong token", telegram.Config{Token: "1:nope", APIURL: fake.URL()}},
		{"webhook without secret", telegram.Config{Token: tgfake.Token, APIURL: fake.URL(), WebhookURL: "https://example.org/tg", WebhookListen: ":8443"}},
		{"webhook with a bad secret", telegram.Config{Token: tgfake.Token, APIURL: fake.URL(), WebhookURL: "https://example.org/tg", WebhookListen: ":8443", WebhookSecret: "a b"}},
		{"webhook without listen address", telegram.Config{Token: tgfake.Token, APIURL: fake.URL(), WebhookURL: "https://example.org/tg", WebhookSecret: "s3cret"}},
	}
	for _, tt := range tests {
		if _, err := telegram.New(t.Context(), tt.cfg, store, store, log); err == nil {
			t.Errorf("%s: New = nil error", tt.name)
		}
	}
}
