// Package wechat is the WeChat channel, on github.com/eatmoreapple/openwechat in Desktop (UOS)
// mode: a personal account logged in by QR code, its login kept in Redis so that a restart
// logs in again without a scan, friends and groups, and choices as numbered lines.
//
// WeChat's UserName changes on every login, so it never leaves this package as an id that
// outlives the login. Ids the channel reports:
//
//	f:<person id>   a friend who bound: known by the remark name "gj-<person id>" where WeChat
//	                kept it, else by a record of what WeChat keeps of them (friends.go)
//	m:<person id>   a group member, not a friend, who bound in a group: recognised there by
//	                their display name and nickname (refused when two members share the
//	                name); enough for repairs and alarms, never for personal answers
//	u:<hash>        anyone not bound yet: a hash of this login's UserName, session-only
//	g:<hash>        a group: a hash of its name; groups of the same name are told apart, and
//	                found again after a re-login, by their members (g:<hash>.2, …)
//
// The channel watches its login: a logout, a kick (synccheck 1101, 1102, …) or a receive
// loop that went silent is reported by Ready and to OnDown; it logs in again with the kept
// session, and asks for a new QR scan when WeChat refuses that — unless WeChat ended a login
// soon after its scan, which puts the brake on (brake.go). It never stops the process.
package wechat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/guanjia/guanjia/bot"
)

// Name is the channel name of WeChat.
const Name = "wechat"

// Defaults for the zero Config.
const (
	// DefaultSilentAfter is how long the receive loop may go without a heartbeat: WeChat
	// answers its long poll about every 25 s, and a dead link is reported within a minute.
	DefaultSilentAfter = 45 * time.Second
	DefaultHotRetries  = 2
	DefaultRetryWait   = 2 * time.Second
	maxRetryWait       = time.Minute
	// DefaultBrakeAfterScan: WeChat's kicks of restricted accounts come seconds to minutes
	// after the scan.
	DefaultBrakeAfterScan = 10 * time.Minute
	DefaultBrakePoll      = 30 * time.Second
)

// LoginStore keeps openwechat's hot login (its HotReloadStorage). *redisstate.WeChatLogin
// implements it.
type LoginStore interface {
	io.ReadWriter
	// Saved reports whether a login is kept.
	Saved(ctx context.Context) (bool, error)
}

// Memory keeps what the channel must know across logins: its groups, and the group members
// who bound by display name. *redisstate.Store implements it.
type Memory interface {
	// WeChatGroups returns the channel's record of each group, by stable id.
	WeChatGroups(ctx context.Context) (map[string][]byte, error)
	SaveWeChatGroup(ctx context.Context, id string, body []byte) error
	// WeChatMember returns the person bound to a display name (by its key) in a group.
	WeChatMember(ctx context.Context, group, nameKey string) (person string, ok bool, err error)
	BindWeChatMember(ctx context.Context, group, nameKey, person string) error
	// WeChatFriends returns the channel's record of each bound friend, by person id.
	WeChatFriends(ctx context.Context) (map[string][]byte, error)
	SaveWeChatFriend(ctx context.Context, person string, body []byte) error
}

// Conversations tells whether a person has a conversation in progress in a group, which the
// bot then follows without being @-mentioned.
type Conversations interface {
	Active(ctx context.Context, chatID, senderID string) (bool, error)
}

// Config is what the channel needs.
type Config struct {
	// DataDir receives the login QR code (wechat-qr.png) and photos (wechat-media/).
	DataDir string
	Login   LoginStore
	Memory  Memory
	// Conversations may be nil: then only mentions and command words count in groups.
	Conversations Conversations
	// Outbound queues the channel's own short answers (a refused binding); nil sends them
	// directly.
	Outbound bot.Outbound
	// QROut is where the login QR code is drawn, a terminal; nil draws none.
	QROut io.Writer
	// Transport carries every request openwechat makes; nil is Go's default. Tests route it
	// to wxfake.
	Transport http.RoundTripper
	// OnDown is told once when the channel stops working, with the reason; OnUp when it works
	// again after that. Either may be nil.
	OnDown func(ctx context.Context, reason string)
	OnUp   func(ctx context.Context)
	// OnLogin is told, once a login works (its first heartbeat), the stable ids of the groups
	// WeChat lists in it, to compare with the groups bound. May be nil.
	OnLogin func(ctx context.Context, groups []string)
	// OnBrake is told when the brake goes on (see Brake): WeChat ended a login soon after its
	// scan. May be nil.
	OnBrake func(ctx context.Context, b Brake)
	// BrakeAfterScan is how soon after its scan a login WeChat ends (1101, 1102) puts the
	// brake on. Default DefaultBrakeAfterScan.
	BrakeAfterScan time.Duration
	// BrakePoll is how often a braked channel looks whether the brake was released.
	// Default DefaultBrakePoll.
	BrakePoll time.Duration
	// SilentAfter is how long without a heartbeat counts as down. Default DefaultSilentAfter.
	SilentAfter time.Duration
	// HotRetries is how many failed tries of the kept session come before a new QR code,
	// unless WeChat refused the session outright. Default DefaultHotRetries.
	HotRetries int
	// RetryWait is the first wait after a failed login, doubling up to a minute.
	// Default DefaultRetryWait.
	RetryWait time.Duration
	Log       *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Login == nil || c.Memory == nil || c.Log == nil {
		return c, errors.New("wechat: login store, memory and logger are required")
	}
	if c.DataDir == "" {
		return c, errors.New("wechat: no data folder")
	}
	if c.SilentAfter <= 0 {
		c.SilentAfter = DefaultSilentAfter
	}
	if c.HotRetries <= 0 {
		c.HotRetries = DefaultHotRetries
	}
	if c.RetryWait <= 0 {
		c.RetryWait = DefaultRetryWait
	}
	if c.BrakeAfterScan <= 0 {
		c.BrakeAfterScan = DefaultBrakeAfterScan
	}
	if c.BrakePoll <= 0 {
		c.BrakePoll = DefaultBrakePoll
	}
	return c, nil
}

// Channel is the WeChat channel. Run it once; Send may be called at any time after New and
// fails as transient while the account is not logged in.
type Channel struct {
	cfg  Config
	log  *slog.Logger
	feed *feed

	mu   sync.Mutex
	sess *session
	// health is nil while the channel works, else what is wrong; announced says OnDown was
	// told and OnUp has not been yet.
	health    error
	announced bool
	// hotFailures counts kept-session logins that failed in a row (Run's goroutine only).
	hotFailures int
	// unsaved is a brake this process put on and could not save (Run's goroutine only).
	unsaved *Brake
}

// errStarting is what Ready reports before the first login.
var errStarting = errors.New("wechat: logging in")

// New returns the channel; it does not log in until Run (or Login).
func New(cfg Config) (*Channel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Channel{cfg: cfg, log: cfg.Log, feed: newFeed(), health: errStarting}, nil
}

// Name implements bot.Channel.
func (c *Channel) Name() string { return Name }

// MaxText implements bot.TextLimiter: longer texts are split before they are queued. WeChat
// takes more, but long messages in a chat are hard to read on a phone.
func (c *Channel) MaxText() int { return 2000 }

// Ready reports whether the account is logged in and its receive loop is alive, for /readyz.
func (c *Channel) Ready(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.health
}

// current is the working login, nil while there is none.
func (c *Channel) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Run logs in and receives messages until ctx is done, logging in again whenever the login
// ends. It returns ctx's error, after every goroutine it started has stopped.
func (c *Channel) Run(ctx context.Context, in bot.Inbox) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.consume(ctx, in)
	}()
	defer func() {
		cancel()
		wg.Wait()
		c.setHealth(errors.New("wechat: stopped"))
	}()
	failures := 0
	for {
		if !c.waitBrake(ctx) {
			return ctx.Err()
		}
		s, err := c.login(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			failures++
			c.markDown(ctx, "login failed: "+err.Error())
			var ended *errEndedAfterScan
			if errors.As(err, &ended) {
				c.brake(ctx, Brake{At: time.Now().UTC(), Code: ended.code, Reason: retReason(retCode(ended.code))})
				continue
			}
			if !sleep(ctx, backoff(c.cfg.RetryWait, failures)) {
				return ctx.Err()
			}
			continue
		}
		failures = 0
		c.setSession(s)
		reason := c.watch(ctx, s)
		c.setSession(nil)
		s.end()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.markDown(ctx, reason)
		if b, ok := c.shouldBrake(s); ok {
			c.brake(ctx, b)
		}
	}
}

// Login logs in once — with the kept session, or by QR code — keeps the login and returns,
// leaving it valid for Run: `guanjia wechat login` does only this. Once logged in it releases
// the brake: an admin running it decided the account is safe to use.
func (c *Channel) Login(ctx context.Context) error {
	s, err := c.login(ctx)
	if err != nil {
		return err
	}
	s.end()
	return ReleaseBrake(c.cfg.DataDir)
}

func (c *Channel) setSession(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
}

func backoff(first time.Duration, failures int) time.Duration {
	d := first
	for i := 1; i < failures && d < maxRetryWait; i++ {
		d *= 2
	}
	return min(d, maxRetryWait)
}

// sleep waits d or until ctx is done, and reports whether it waited the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Lists reports whether the current login lists a group (by its stable id): a bound group
// WeChat does not list cannot be sent to.
func (c *Channel) Lists(id string) bool {
	s := c.current()
	if s == nil {
		return false
	}
	dir, unlock := s.lockDir()
	defer unlock()
	return dir.byID[id] != nil
}
