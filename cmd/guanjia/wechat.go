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
	"strings"
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
	// EmergencyGap keeps two emergency messages to different groups apart instead.
	EmergencyGap time.Duration `yaml:"emergency_gap"`
	// ServerURL, when set, receives every request meant for web WeChat: a relay, or a test
	// server standing in for WeChat.
	ServerURL string `yaml:"server_url"`
	// BrakeAfterScan: a login WeChat ends (1101, 1102) this soon after its QR scan stops the
	// QR cycle until `guanjia wechat login`. Default wechat.DefaultBrakeAfterScan.
	BrakeAfterScan time.Duration `yaml:"brake_after_scan"`
}

func weChatDefaults() WeChatConfig {
	l := outbox.WeChatLimits()
	return WeChatConfig{Gap: l.Gap, GapJitter: l.GapJitter, BroadcastGap: l.BroadcastGap, EmergencyGap: l.EmergencyGap,
		BrakeAfterScan: wechat.DefaultBrakeAfterScan}
}

func (w WeChatConfig) problems() []string {
	var problems []string
	if w.Gap < 0 || w.GapJitter < 0 || w.BroadcastGap < 0 || w.EmergencyGap < 0 {
		problems = append(problems, "WECHAT_GAP、WECHAT_GAP_JITTER、WECHAT_BROADCAST_GAP 和 WECHAT_EMERGENCY_GAP 不能是负数（must not be negative）")
	}
	if w.BrakeAfterScan < 0 {
		problems = append(problems, "WECHAT_BRAKE_AFTER_SCAN 不能是负数（must not be negative）")
	}
	if w.ServerURL != "" {
		if _, err := w.transport(); err != nil {
			problems = append(problems, "WECHAT_SERVER_URL 要以 http:// 或 https:// 开头（must be an http or https URL）")
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
	return fmt.Sprintf("wechat:\n  enabled: %t\n  gap: %s\n  gap_jitter: %s\n  broadcast_gap: %s\n  emergency_gap: %s\n  server_url: %s\n  brake_after_scan: %s\n",
		w.Enabled, w.Gap, w.GapJitter, w.BroadcastGap, w.EmergencyGap, serverURL(w.ServerURL), w.BrakeAfterScan)
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
	l.Gap, l.GapJitter, l.BroadcastGap, l.EmergencyGap = w.Gap, w.GapJitter, w.BroadcastGap, w.EmergencyGap
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
		PollTimeout: c.Telegram.PollTimeout, PollGather: c.Telegram.PollGather,
		OpenPhoto: func(ref string) (io.ReadCloser, string, error) { return wechat.OpenPhoto(c.DataDir, ref) },
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
	// The buildings that lost their last working chat are told once, when WeChat brakes or
	// a login no longer lists their groups.
	watch := &a.coverage
	return wechat.New(wechat.Config{
		DataDir: a.cfg.DataDir, Login: a.State.WeChatLogin(weChatAccount), Memory: a.State,
		Conversations: conversations{a.State}, Outbound: a.Outbox, QROut: qrOut, Transport: transport,
		OnDown: a.weChatDown, OnUp: a.weChatUp,
		OnBrake: func(ctx context.Context, b wechat.Brake) {
			a.weChatBrake(ctx, b)
			a.coverageChanged(ctx, watch)
		},
		OnLogin: func(ctx context.Context, groups []string) {
			a.weChatListed(ctx, groups)
			a.coverageChanged(ctx, watch)
		},
		BrakeAfterScan: a.cfg.WeChat.BrakeAfterScan, Log: a.log,
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

// weChatBrake tells the staff on the other channels that WeChat may have restricted the
// account, and that guanjia stopped logging in so as not to make it worse.
func (a *App) weChatBrake(ctx context.Context, b wechat.Brake) {
	a.announceWeChat(ctx, fmt.Sprintf("【系统提醒】微信号扫码登录后很快被微信下线（%d），该账号可能已被微信警告或限制。"+
		"为免反复扫码加重处罚，guanjia 已停止自动登录、不再显示二维码，业主在微信里的消息暂时收不到。"+
		"请先在手机微信里查看有无安全提醒并按提示处理，过一段时间后再由管理员在服务器上运行 guanjia wechat login 重新登录。"+
		"在此之前请通过电话或其他渠道联系业主。", b.Code))
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
	brake, braked, err := wechat.Braked(cfg.DataDir)
	if err != nil {
		return err
	}
	if braked {
		fmt.Fprintf(stdout, "注意：微信上次扫码登录后很快被下线（%s），账号可能受限。请确认手机微信没有安全提醒后再扫码。\n", brake.Reason)
	}
	if err := ch.Login(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "微信已登录，登录已保存到 Redis。设置 WECHAT_ENABLED=1 运行 guanjia 即可使用，无需再扫码。")
	if braked {
		fmt.Fprintln(stdout, "自动登录已恢复（刹车已解除）；正在运行的 guanjia 会在 30 秒内用上新的登录。")
	}
	return nil
}

// boundChats lists every community's staff and building groups on a channel ("" for all).
func (a *App) boundChats(ctx context.Context, channel string) ([]guanjia.Chat, error) {
	communities, err := a.Store.Communities(ctx)
	if err != nil {
		return nil, err
	}
	var out []guanjia.Chat
	for _, c := range communities {
		for _, role := range []guanjia.ChatRole{guanjia.ChatStaff, guanjia.ChatBuilding} {
			chats, err := a.Store.ChatsByRole(ctx, c.ID, role)
			if err != nil {
				return nil, err
			}
			for _, ch := range chats {
				if channel == "" || ch.Channel == channel {
					out = append(out, ch)
				}
			}
		}
	}
	return out, nil
}

// weChatListed compares the groups bound on WeChat with those WeChat lists after a login,
// and tells each community's staff which of theirs are missing and how to bring them back:
// web WeChat lists a group after a new login only when it is saved to the contacts or had
// messages lately.
func (a *App) weChatListed(ctx context.Context, listed []string) {
	bound, err := a.boundChats(ctx, wechat.Name)
	if err != nil {
		a.log.Error("wechat listed groups: bound groups", "err", err)
		return
	}
	in := map[string]bool{}
	for _, id := range listed {
		in[id] = true
	}
	missing := map[string][]string{}
	for _, c := range bound {
		if !in[c.PlatformID] {
			name := c.Name
			if name == "" {
				name = c.PlatformID
			}
			missing[c.Community] = append(missing[c.Community], "「"+name+"」")
			a.log.Warn("wechat bound group not listed after login", "chat_id", c.PlatformID, "community", c.Community)
		}
	}
	var replies []bot.Reply
	for community, names := range missing {
		text := "【系统提醒】微信重新登录后，这些已绑定的微信群没有出现在群列表里：" + strings.Join(names, "、") +
			"。发往这些群的消息会先等一等再重试，但群里一直没人说话时可能发不出去。" +
			"解决办法：在手机微信里打开每个群，点右上角「…」，打开「保存到通讯录」，然后在群里说一句话。"
		replies = append(replies, a.staffReplies(ctx, community, text, in)...)
	}
	if len(replies) == 0 {
		return
	}
	if _, err := a.Outbox.Enqueue(ctx, replies); err != nil {
		a.log.Error("wechat listed groups: queue", "err", err)
	}
}

// staffReplies addresses text to a community's staff groups on the running channels; a
// WeChat group only when WeChat lists it (listed).
func (a *App) staffReplies(ctx context.Context, community, text string, listed map[string]bool) []bot.Reply {
	running := map[string]bool{}
	for _, ch := range a.channels {
		running[ch.Name()] = true
	}
	chats, err := a.Store.ChatsByRole(ctx, community, guanjia.ChatStaff)
	if err != nil {
		a.log.Error("staff groups", "community", community, "err", err)
		return nil
	}
	var out []bot.Reply
	for _, c := range chats {
		if !running[c.Channel] || c.Unreachable != "" || c.Channel == wechat.Name && !listed[c.PlatformID] {
			continue
		}
		out = append(out, bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Group: true, Text: text, Lane: bot.LaneEmergency})
	}
	return out
}
