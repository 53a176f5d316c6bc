package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia/bot"
)

// session is one login: the openwechat bot, whose receive loop runs in openwechat's own
// goroutine until the bot's context ends, and what the channel knows of the contacts.
//
// openwechat's Self caches (members, friends, groups) are touched by that goroutine while it
// prepares each message, so the channel never uses them: it calls the Caller directly with
// the login's keys and keeps its own directory.
type session struct {
	bot     *openwechat.Bot
	cancel  context.CancelFunc
	started time.Time

	// beat is the time of the last heartbeat (synccheck answer), in Unix nanoseconds; beats
	// wakes the watcher on the first one.
	beat  atomic.Int64
	beats chan struct{}

	mu sync.Mutex
	// reason says why the receive loop gave up, once it did, code WeChat's return code then.
	reason string
	code   int
	// scanned is a login made by a QR scan, not with the kept session.
	scanned bool
	// reloaded is when the contacts were last loaded.
	reloaded time.Time
	// sent are the latest texts the bot sent, by chat UserName, to know a quote of one of
	// them whatever name the quoting person gave the bot.
	sent map[string][]string
	dir  *directory
	// self is the account's UserName in this login, nick its nickname; set once the login
	// is done, while the receive loop may already run.
	self, nick string
}

// me returns the account's UserName and nickname in this login.
func (s *session) me() (self, nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.self, s.nick
}

// newSession prepares an openwechat bot in Desktop mode whose HTTP goes through the
// configured transport; ctx ends it.
func (c *Channel) newSession(ctx context.Context) *session {
	bctx, cancel := context.WithCancel(ctx)
	b := openwechat.NewBot(bctx)
	openwechat.Desktop.Prepare(b)
	if c.cfg.Transport != nil {
		b.Caller.Client.HTTPClient().Transport = c.cfg.Transport
	}
	// Desktop mode tries each request five times at once; the channel retries with pauses
	// itself (logins back off, sends wait in the queue), and a failed send tried again at
	// once may arrive twice.
	b.Caller.Client.MaxRetryTimes = 1
	// A message may come before the contacts are loaded: it finds an empty directory and
	// asks WeChat about its sender.
	s := &session{bot: b, cancel: cancel, started: time.Now(), beats: make(chan struct{}, 1), dir: newDirectory()}
	s.beat.Store(s.started.UnixNano())
	// The handler runs inside openwechat's receive loop: it only queues.
	b.MessageHandler = func(m *openwechat.Message) { c.feed.push(item{s: s, m: m}) }
	b.SyncCheckCallback = func(resp openwechat.SyncCheckResponse) {
		if !resp.Success() {
			return // syncFailed hears of it
		}
		s.beat.Store(time.Now().UnixNano())
		select {
		case s.beats <- struct{}{}:
		default:
		}
	}
	b.MessageErrorHandler = func(err error) error { return c.syncFailed(s, err) }
	return s
}

// end stops the login's receive loop and every request it has under way. The kept session
// stays valid at WeChat, for the next hot login.
func (s *session) end() { s.cancel() }

// syncFailed decides, inside openwechat's receive loop, whether a failed heartbeat ends the
// login: any return code from WeChat does (1100, 1101 logged out, 1102 kicked, …); a network
// error is retried after a pause, so that a broken link does not spin.
func (c *Channel) syncFailed(s *session, err error) error {
	ctx := s.bot.Context()
	var ret openwechat.Ret
	switch {
	case ctx.Err() != nil:
		return err
	case errors.As(err, &ret):
		s.setReason(retReason(ret), int(ret))
		return err
	}
	c.log.Warn("wechat heartbeat failed", "err", bot.RedactQuery(err))
	sleep(ctx, time.Second)
	return nil
}

// retReason names a return code that ended a login.
func retReason(ret openwechat.Ret) string {
	switch int(ret) {
	case 1100, 1101:
		return fmt.Sprintf("logged out (%d)", int(ret))
	case 1102:
		return fmt.Sprintf("kicked (%d)", int(ret))
	}
	return fmt.Sprintf("receive loop ended by WeChat (%d)", int(ret))
}

func (s *session) setReason(r string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reason, s.code = r, code
}

// keepSent is how many texts per chat sentText keeps.
const keepSent = 30

// sentText remembers a text the bot sent to a chat.
func (s *session) sentText(to, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent == nil {
		s.sent = map[string][]string{}
	}
	list := append(s.sent[to], text)
	if len(list) > keepSent {
		list = list[len(list)-keepSent:]
	}
	s.sent[to] = list
}

// quotesSent reports whether a quote ("name：content") is of a text the bot sent to the chat
// in this login, under whatever name the quoting person sees the bot.
func (s *session) quotesSent(to, quote string) bool {
	_, content, ok := cutQuoteName(quote)
	content = strings.TrimSpace(content)
	if !ok || content == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.sent[to] {
		if t == content || strings.HasPrefix(t, content) {
			return true
		}
	}
	return false
}

// reloadDue reports whether the contacts may be loaded again now, and if so counts it.
func (s *session) reloadDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.reloaded) < reloadEvery {
		return false
	}
	s.reloaded = time.Now()
	return true
}

// endCode is the return code WeChat ended the login with, 0 when it did not.
func (s *session) endCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code
}

func retCode(code int) openwechat.Ret { return openwechat.Ret(code) }

func (s *session) getReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == "" {
		return "receive loop ended"
	}
	return s.reason
}

// watch waits until the login ends — WeChat ended it, or no heartbeat came for SilentAfter —
// and says why; "" when ctx ended. The channel counts as working from the first heartbeat.
func (c *Channel) watch(ctx context.Context, s *session) string {
	tick := time.NewTicker(c.cfg.SilentAfter / 5)
	defer tick.Stop()
	told := false
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-s.bot.Context().Done():
			return s.getReason()
		case <-s.beats:
			c.markUp(ctx)
			if !told && c.cfg.OnLogin != nil {
				told = true
				c.cfg.OnLogin(ctx, s.groupIDs())
			}
		case <-tick.C:
			if since := time.Since(time.Unix(0, s.beat.Load())); since > c.cfg.SilentAfter {
				return fmt.Sprintf("no heartbeat for %s", since.Round(time.Second))
			}
		}
	}
}

func (c *Channel) setHealth(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.health = err
}

// markDown records that the channel does not work and why; OnDown hears of it once per
// outage, however the reason changes while it lasts.
func (c *Channel) markDown(ctx context.Context, reason string) {
	c.mu.Lock()
	c.health = errors.New("wechat: " + reason)
	first := !c.announced
	c.announced = true
	c.mu.Unlock()
	c.log.Warn("wechat channel down", "reason", reason)
	if first && c.cfg.OnDown != nil {
		c.cfg.OnDown(ctx, reason)
	}
}

// markUp records that the channel works; OnUp hears of it after an outage OnDown heard of.
func (c *Channel) markUp(ctx context.Context) {
	c.mu.Lock()
	wasDown := c.health != nil
	recovered := c.announced
	c.health, c.announced = nil, false
	c.mu.Unlock()
	if !wasDown {
		return
	}
	c.log.Info("wechat channel working")
	if recovered && c.cfg.OnUp != nil {
		c.cfg.OnUp(ctx)
	}
}
