package wecom_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/wecom"
	"github.com/guanjia/guanjia/bot/wecom/wecomfake"
)

func newChannel(t *testing.T, robots map[string]string) *wecom.Channel {
	t.Helper()
	ch, err := wecom.New(wecom.Config{Robots: robots, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestTicketCardWithTheCommandsToAnswer(t *testing.T) {
	fake := wecomfake.New(t, "k1")
	ch := newChannel(t, map[string]string{"STAFF": fake.URL("k1")})
	card := bot.Reply{Channel: wecom.Name, ChatID: "staff", Group: true, Photo: "wx:1.jpg",
		Text:    "【新报修】R20261126-0001\n3号楼 厨房漏水",
		Choices: []bot.Choice{{Label: "接单", Value: "接单 R20261126-0001"}, {Label: "详情", Value: "详情 R20261126-0001"}}}
	if err := ch.Send(context.Background(), card); err != nil {
		t.Fatal(err)
	}
	got := fake.Messages("k1")
	if len(got) != 1 {
		t.Fatalf("robot took %d messages", len(got))
	}
	for _, want := range []string{"R20261126-0001", "· 接单 R20261126-0001", "· 详情 R20261126-0001", "附照片"} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("card lacks %q:\n%s", want, got[0].Text)
		}
	}
	if ch.Ready(context.Background()) != nil {
		t.Errorf("Ready = %v", ch.Ready(context.Background()))
	}
}

func TestLongTextSplitWithin2048Bytes(t *testing.T) {
	fake := wecomfake.New(t, "k1")
	ch := newChannel(t, map[string]string{"staff": "http://" + strings.TrimPrefix(fake.URL("k1"), "http://")})
	text := strings.Repeat("停水通知：明天上午九点到十二点停水，请提前储水。\n", 60)
	if err := ch.Send(context.Background(), bot.Reply{ChatID: "staff", Group: true, Text: text}); err != nil {
		t.Fatal(err)
	}
	got := fake.Messages("k1")
	var parts []string
	for i, m := range got {
		if len(m.Text) > wecom.MaxBytes {
			t.Errorf("part %d has %d bytes", i, len(m.Text))
		}
		parts = append(parts, m.Text)
	}
	if len(got) < 2 || strings.Join(parts, "\n") != text {
		t.Errorf("%d parts; text lost or changed in splitting", len(got))
	}
	if ch.MaxText()*4 > wecom.MaxBytes {
		t.Errorf("MaxText %d characters may exceed %d bytes", ch.MaxText(), wecom.MaxBytes)
	}
}

func TestTooOftenAndRefusedRobots(t *testing.T) {
	fake := wecomfake.New(t, "k1")
	ch := newChannel(t, map[string]string{"staff": fake.URL("k1"), "gone": fake.URL("nokey")})
	ctx := context.Background()
	fake.TooOften(1)
	err := ch.Send(ctx, bot.Reply{ChatID: "staff", Text: "提醒"})
	var se *bot.SendError
	if !errors.As(err, &se) || se.Kind != bot.SendRateLimited || se.RetryAfter != time.Minute {
		t.Errorf("45009: %v, want rate limited for a minute", err)
	}
	if err := ch.Send(ctx, bot.Reply{ChatID: "staff", Text: "提醒"}); err != nil {
		t.Errorf("after the wait: %v", err)
	}
	err = ch.Send(ctx, bot.Reply{ChatID: "gone", Text: "提醒"})
	if !errors.As(err, &se) || se.Kind != bot.SendPermanent || se.Reason != "robot_removed" {
		t.Errorf("93000: %v, want permanent", err)
	}
	if err := ch.Ready(ctx); err == nil || !strings.Contains(err.Error(), "gone") || strings.Contains(err.Error(), "nokey") {
		t.Errorf("Ready = %v, want the robot named and its key hidden", err)
	}
	err = ch.Send(ctx, bot.Reply{ChatID: "nobody", Text: "x"})
	if !errors.As(err, &se) || se.Kind != bot.SendPermanent {
		t.Errorf("unknown robot: %v", err)
	}
	// More than 20 a minute: WeCom refuses the 21st.
	for range 19 {
		if err := ch.Send(ctx, bot.Reply{ChatID: "staff", Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Send(ctx, bot.Reply{ChatID: "staff", Text: "x"}); !errors.As(err, &se) || se.Kind != bot.SendRateLimited {
		t.Errorf("21st in a minute: %v", err)
	}
}

func TestWebhookOf(t *testing.T) {
	for in, want := range map[string]string{
		"abc-123": wecom.WebhookURL + "?key=abc-123",
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
	} {
		if got, err := wecom.WebhookOf(in); err != nil || got != want {
			t.Errorf("WebhookOf(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a b", "ftp://x/y", "key=x&y"} {
		if _, err := wecom.WebhookOf(bad); err == nil {
			t.Errorf("WebhookOf(%q) accepted", bad)
		}
	}
}
