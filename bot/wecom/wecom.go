// Package wecom is a send-only channel to WeCom (企业微信) group robots: a staff group on
// WeCom adds a robot, which takes messages by webhook. Each robot is one chat, named as
// configured (WECOM_ROBOT_<NAME>), and is bound to a community's staff group role like any
// staff group. Robots cannot receive, so ticket cards come without buttons: their commands
// are written out, to be sent in a chat the bot reads (WeChat, Telegram).
//
// WeCom allows about 20 messages a minute per robot and texts of up to 2048 bytes; the
// outbound queue paces each robot as a group (Limits) and splits long texts (MaxText), and
// Send splits what is still too long by bytes.
package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/guanjia/guanjia/bot"
)

// Name is the channel name of WeCom robots.
const Name = "wecom"

// WebhookURL is WeCom's robot webhook; a robot is configured by its key or its whole URL.
const WebhookURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"

// MaxBytes is the longest text WeCom takes, in bytes of UTF-8.
const MaxBytes = 2048

// maxRunes is what the queue splits at: at most 4 bytes a character, leaving room for the
// commands written under a card.
const maxRunes = 440

// WeCom's error codes a send may meet.
const (
	errTooOften   = 45009 // api freq out of limit: about 20 a minute per robot
	errBadWebhook = 93000 // invalid webhook url: the robot was removed or the key is wrong
)

// Config is what the channel needs.
type Config struct {
	// Robots maps a robot's name (its chat id) to its webhook key or URL.
	Robots map[string]string
	// Client carries the webhook requests; nil is a client with a 15 s timeout.
	Client *http.Client
	Log    *slog.Logger
}

// Channel sends to WeCom group robots.
type Channel struct {
	robots map[string]string // name → webhook URL
	client *http.Client
	log    *slog.Logger

	mu sync.Mutex
	// broken are robots whose webhook WeCom refused for good, with why.
	broken map[string]string
}

// PerMinute is how many messages WeCom takes from one robot in a minute.
const PerMinute = 20

// New checks the robots' webhooks and returns the channel.
func New(cfg Config) (*Channel, error) {
	if cfg.Log == nil {
		return nil, errors.New("wecom: logger required")
	}
	c := &Channel{robots: map[string]string{}, client: cfg.Client, log: cfg.Log, broken: map[string]string{}}
	if c.client == nil {
		c.client = &http.Client{Timeout: 15 * time.Second}
	}
	for name, v := range cfg.Robots {
		u, err := WebhookOf(v)
		if err != nil {
			return nil, fmt.Errorf("wecom: robot %s: %w", name, err)
		}
		c.robots[strings.ToLower(name)] = u
	}
	return c, nil
}

// WebhookOf turns a robot's configured value — its key, or its whole webhook URL — into the
// URL to post to.
func WebhookOf(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("empty webhook key")
	}
	if !strings.Contains(v, "://") {
		if strings.ContainsAny(v, "/?&= ") {
			return "", errors.New("want a webhook key or an http(s) URL")
		}
		return WebhookURL + "?key=" + url.QueryEscape(v), nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want a webhook key or an http(s) URL")
	}
	return u.String(), nil
}

// Names are the configured robots, sorted.
func (c *Channel) Names() []string {
	var out []string
	for n := range c.robots {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Name implements bot.Channel.
func (c *Channel) Name() string { return Name }

// MaxText implements bot.TextLimiter.
func (c *Channel) MaxText() int { return maxRunes }

// Run implements bot.Channel: robots only send, so it waits for ctx.
func (c *Channel) Run(ctx context.Context, _ bot.Inbox) error {
	<-ctx.Done()
	return ctx.Err()
}

// Ready reports robots WeCom refused for good (removed from their group, wrong key).
func (c *Channel) Ready(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.broken) == 0 {
		return nil
	}
	var parts []string
	for name, why := range c.broken {
		parts = append(parts, name+": "+why)
	}
	sort.Strings(parts)
	return errors.New("wecom: " + strings.Join(parts, "; "))
}

// Send implements bot.Channel: the text, and a card's choices written out as the commands to
// send in a chat the bot reads. A photo is not sent; the card says there is one.
func (c *Channel) Send(ctx context.Context, r bot.Reply) error {
	hook, ok := c.robots[strings.ToLower(r.ChatID)]
	if !ok {
		return &bot.SendError{Kind: bot.SendPermanent, Reason: "robot_not_configured",
			Err: fmt.Errorf("wecom: no robot %q configured", r.ChatID)}
	}
	for _, part := range SplitBytes(Render(r), MaxBytes) {
		if err := c.post(ctx, r.ChatID, hook, part); err != nil {
			return err
		}
	}
	return nil
}

// Render is a reply as a robot posts it.
func Render(r bot.Reply) string {
	var b strings.Builder
	b.WriteString(r.Text)
	if r.Photo != "" {
		b.WriteString("\n（附照片，请在微信或 Telegram 员工群查看）")
	}
	if len(r.Choices) > 0 {
		b.WriteString("\n企业微信里不能直接操作，请在微信或 Telegram 员工群发送：")
		for _, ch := range r.Choices {
			cmd := ch.Value
			if cmd == "" || !strings.ContainsRune(cmd, ' ') {
				cmd = ch.Label
			}
			b.WriteString("\n· " + cmd)
		}
	}
	return b.String()
}

// SplitBytes breaks text into parts of at most max bytes, at line ends where it can and
// never inside a character.
func SplitBytes(text string, max int) []string {
	var out []string
	for len(text) > max {
		cut := strings.LastIndexByte(text[:max], '\n')
		if cut <= 0 {
			cut = max
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		out = append(out, text[:cut])
		text = strings.TrimPrefix(text[cut:], "\n")
	}
	return append(out, text)
}

// answer is WeCom's reply to a webhook post.
type answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (c *Channel) post(ctx context.Context, name, hook, text string) error {
	body, err := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}})
	if err != nil {
		return &bot.SendError{Kind: bot.SendPermanent, Reason: "encode", Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return &bot.SendError{Kind: bot.SendPermanent, Reason: "bad_webhook", Err: bot.RedactQuery(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return &bot.SendError{Kind: bot.SendTransient, Reason: "network", Err: fmt.Errorf("wecom: send: %w", bot.RedactQuery(err))}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return &bot.SendError{Kind: bot.SendTransient, Reason: fmt.Sprintf("http_%d", resp.StatusCode),
			Err: fmt.Errorf("wecom: send: http %d", resp.StatusCode)}
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return &bot.SendError{Kind: bot.SendTransient, Reason: "bad_response", Err: fmt.Errorf("wecom: send: %w", err)}
	}
	switch {
	case a.ErrCode == 0:
		c.mu.Lock()
		delete(c.broken, strings.ToLower(name))
		c.mu.Unlock()
		return nil
	case a.ErrCode == errTooOften:
		return &bot.SendError{Kind: bot.SendRateLimited, Reason: "too_often", RetryAfter: time.Minute,
			Err: fmt.Errorf("wecom: send: %d %s", a.ErrCode, a.ErrMsg)}
	case a.ErrCode < 0:
		return &bot.SendError{Kind: bot.SendTransient, Reason: "server_busy",
			Err: fmt.Errorf("wecom: send: %d %s", a.ErrCode, a.ErrMsg)}
	}
	reason := fmt.Sprintf("rejected_%d", a.ErrCode)
	if a.ErrCode == errBadWebhook {
		reason = "robot_removed"
	}
	c.mu.Lock()
	c.broken[strings.ToLower(name)] = reason
	c.mu.Unlock()
	c.log.Error("wecom robot refused", "robot", name, "errcode", a.ErrCode)
	return &bot.SendError{Kind: bot.SendPermanent, Reason: reason, Err: fmt.Errorf("wecom: send: %d %s", a.ErrCode, a.ErrMsg)}
}
