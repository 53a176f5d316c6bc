package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/bot/telegram"
	"github.com/guanjia/guanjia/bot/wechat"
	"github.com/guanjia/guanjia/storage/redisstate"
)

// weChatAccount names the one WeChat account guanjia runs, in Redis keys.
const weChatAccount = "default"

// WeChatConfig is the WeChat channel's part of Config.
type WeChatConfig struct {
	Enabled bool `yaml:"enabled"`
	// Gap plus a random part of GapJitter keeps any two sends apart; BroadcastGap keeps two
	// broadcasts to different groups apart. Defaults: outbox.WeChatLimits.
	Gap          time.Duration `yaml:"gap"`
	GapJitter    time.Duration `yaml:"gap_jitter"`
	BroadcastGap time.Duration `yaml:"broadcast_gap"`
	// ServerURL, when set, receives every request meant for web WeChat: a relay, or a test
	// server standing in for WeChat.
	ServerURL string `yaml:"server_url"`
}

func weChatDefaults() WeChatConfig {
	l := outbox.WeChatLimits()
	return WeChatConfig{Gap: l.Gap, GapJitter: l.GapJitter, BroadcastGap: l.BroadcastGap}
}

func (w WeChatConfig) problems() []string {
	var problems []string
	if w.Gap < 0 || w.GapJitter < 0 || w.BroadcastGap < 0 {
		problems = append(problems, "WECHAT_GAP, WECHAT_GAP_JITTER and WECHAT_BROADCAST_GAP must not be negative")
	}
	if w.ServerURL != "" {
		if _, err := w.transport(); err != nil {
			problems = append(problems, "WECHAT_SERVER_URL must be an http or https URL")
		}
	}
	return problems
}

// transport is what carries WeChat's requests: Go's default, or one to ServerURL.
func (w WeChatConfig) transport() (http.RoundTripper, error) {
	if w.ServerURL == "" {
		return nil, nil
	}
	u, err := url.Parse(w.ServerURL)
	if err != nil {
		return nil, err
	}
	return wechat.ServerTransport(u, nil)
}

// String is the WeChat part of Config.Redacted; nothing in it is secret.
func (w WeChatConfig) String() string {
	return fmt.Sprintf("wechat:\n  enabled: %t\n  gap: %s\n  gap_jitter: %s\n  broadcast_gap: %s\n  server_url: %s\n",
		w.Enabled, w.Gap, w.GapJitter, w.BroadcastGap, serverURL(w.ServerURL))
}

// serverURL shows WECHAT_SERVER_URL with any password hidden.
func serverURL(s string) string {
	if s == "" {
		return "(WeChat itself)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable, hidden)"
	}
	return u.Redacted()
}

// limits are WeChat's pacing with the configured gaps.
func (w WeChatConfig) limits() outbox.Limits {
	l := outbox.WeChatLimits()
	l.Gap, l.GapJitter, l.BroadcastGap = w.Gap, w.GapJitter, w.BroadcastGap
	return l
}

func setBool(b *bool, v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return err
	}
	*b = x
	return nil
}

// telegramChannel is the Telegram channel's configuration; photos received on WeChat are
// uploaded when a Telegram chat is to see them (a ticket card in a Telegram staff group).
func (c Config) telegramChannel() telegram.Config {
	return telegram.Config{
		Token: c.Telegram.Token, APIURL: c.Telegram.APIURL, WebhookURL: c.Telegram.WebhookURL,
		WebhookListen: c.Telegram.WebhookListen, WebhookSecret: c.Telegram.WebhookSecret,
		PollTimeout: c.Telegram.PollTimeout,
		OpenPhoto:   func(ref string) (io.ReadCloser, string, error) { return wechat.OpenPhoto(c.DataDir, ref) },
	}
}

// newWeChat builds the WeChat channel on the app's stores; the QR code is drawn on qrOut.
// transport nil is the configured one (WECHAT_SERVER_URL, else the real WeChat); tests pass
// wxfake's.
func (a *App) newWeChat(qrOut io.Writer, transport http.RoundTripper) (*wechat.Channel, error) {
	if transport == nil {
		var err error
		if transport, err = a.cfg.WeChat.transport(); err != nil {
			return nil, err
		}
	}
	return wechat.New(wechat.Config{
		DataDir: a.cfg.DataDir, Login: a.State.WeChatLogin(weChatAccount), Memory: a.State,
		Conversations: conversations{a.State}, Outbound: a.Outbox, QROut: qrOut, Transport: transport,
		OnDown: a.weChatDown, OnUp: a.weChatUp, Log: a.log,
	})
}

// conversations answers the WeChat channel whether someone is in a conversation in a group.
type conversations struct{ s *redisstate.Store }

// Active implements wechat.Conversations with the session store, without touching a session.
func (c conversations) Active(ctx context.Context, chat, sender string) (bool, error) {
	return c.s.HasSession(ctx, guanjia.SessionKey{Channel: wechat.Name, Chat: chat, Person: sender})
}

// weChatDown tells the staff groups on the other channels that WeChat stopped working.
func (a *App) weChatDown(ctx context.Context, reason string) {
	a.announceWeChat(ctx, "【系统提醒】微信通道已断开（"+reason+"），业主在微信里的消息暂时收不到。"+
		"正在用保存的登录重连；如需重新扫码，请管理员查看服务器终端或 "+
		filepath.Join(a.cfg.DataDir, wechat.QRFile)+"。")
}

func (a *App) weChatUp(ctx context.Context) {
	a.announceWeChat(ctx, "【系统提醒】微信通道已恢复。")
}

// announceWeChat queues text, first in line, to the staff groups on the running channels
// other than WeChat, of the communities with a WeChat group bound.
func (a *App) announceWeChat(ctx context.Context, text string) {
	groups, err := a.State.WeChatGroups(ctx)
	if err != nil {
		a.log.Error("wechat announcement: groups", "err", err)
		return
	}
	running := map[string]bool{}
	for _, ch := range a.channels {
		if ch.Name() != wechat.Name {
			running[ch.Name()] = true
		}
	}
	if len(running) == 0 {
		return // "guanjia wechat login", or WeChat alone: nobody else to tell
	}
	communities := map[string]bool{}
	for id := range groups {
		chat, err := a.Store.Chat(ctx, wechat.Name, id)
		if err == nil && chat.Community != "" {
			communities[chat.Community] = true
		} else if err != nil && !errors.Is(err, guanjia.ErrNotFound) {
			a.log.Error("wechat announcement: chat", "chat_id", id, "err", err)
		}
	}
	var replies []bot.Reply
	for community := range communities {
		chats, err := a.Store.ChatsByRole(ctx, community, guanjia.ChatStaff)
		if err != nil {
			a.log.Error("wechat announcement: staff groups", "community", community, "err", err)
			continue
		}
		for _, c := range chats {
			if running[c.Channel] && c.Unreachable == "" {
				replies = append(replies, bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Group: true,
					Text: text, Lane: bot.LaneEmergency})
			}
		}
	}
	if len(replies) == 0 {
		a.log.Warn("wechat announcement: no staff group on another channel to tell")
		return
	}
	if _, err := a.Outbox.Enqueue(ctx, replies); err != nil {
		a.log.Error("wechat announcement: queue", "err", err)
	}
}

// runWeChat runs "guanjia wechat login": it logs the account in (by QR code unless a kept
// login still works) and keeps the login in Redis for the service to use.
func runWeChat(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer, transport http.RoundTripper) error {
	if len(args) != 1 || args[0] != "login" {
		return errors.New("usage: guanjia wechat login")
	}
	// Beside a running guanjia on the same data folder, the login goes to the Redis it serves.
	app, err := openApp(ctx, cfg, log, nil, adminOnly)
	if err != nil {
		return err
	}
	defer app.Close()
	ch, err := app.newWeChat(stdout, transport)
	if err != nil {
		return err
	}
	if err := ch.Login(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "微信已登录，登录已保存到 Redis。设置 WECHAT_ENABLED=1 运行 guanjia 即可使用，无需再扫码。")
	return nil
}
