// Package telegram is the Telegram channel, on github.com/go-telegram/bot. It receives updates
// by long polling (or a webhook), records each in a journal before confirming it to Telegram,
// and delivers them in update-id order; commands, mentions and button presses are parsed here
// rather than by the library, which misreads "/cmd@bot" and text before a command.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot"
)

// Name is the channel name of Telegram.
const Name = "telegram"

// Defaults for the zero Config.
const (
	DefaultAPIURL      = "https://api.telegram.org"
	DefaultPollTimeout = 25 * time.Second
	// DefaultPollGather is the PollGather guanjia runs with unless configured.
	DefaultPollGather = 200 * time.Millisecond
	// MaxPollGather bounds PollGather: longer would keep residents waiting.
	MaxPollGather = 5 * time.Second
)

// pollSlack is how much longer the HTTP client waits than a long poll lasts: a client that
// gives up first turns every quiet poll into a logged timeout.
const pollSlack = 10 * time.Second

// Config is what the channel needs to reach the Bot API.
type Config struct {
	Token string
	// APIURL is the Bot API base URL: Telegram's, a self-hosted telegram-bot-api or a fake.
	// Default DefaultAPIURL.
	APIURL string
	// WebhookURL, when set, switches from long polling to a webhook at this public URL.
	WebhookURL string
	// WebhookListen is the address the webhook server listens on, e.g. ":8443".
	WebhookListen string
	// WebhookSecret is the secret token Telegram sends with each webhook call.
	WebhookSecret string
	// PollTimeout is how long one getUpdates call waits for updates. Default DefaultPollTimeout.
	PollTimeout time.Duration
	// PollGather is how long, after a call that brought updates, more may gather before the
	// next call: under load one call then brings many updates, at the cost of up to this
	// much delay for an update arriving meanwhile. A quiet bot's long poll still answers the
	// first update at once. 0: the next call follows at once.
	PollGather time.Duration
	// OpenPhoto opens a photo received on another channel (e.g. "wx:…" from WeChat) for
	// upload, with its file name; nil sends only Telegram's own photos ("tg:…").
	OpenPhoto func(ref string) (io.ReadCloser, string, error)
}

// LogValue keeps the token and the webhook secret out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("api_url", c.APIURL),
		slog.String("webhook_url", c.WebhookURL),
		slog.String("webhook_listen", c.WebhookListen),
		slog.Duration("poll_timeout", c.PollTimeout),
		slog.Duration("poll_gather", c.PollGather),
		slog.Bool("token_set", c.Token != ""),
	)
}

var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (c Config) withDefaults() (Config, error) {
	if strings.TrimSpace(c.Token) == "" {
		return c, errors.New("telegram: no bot token")
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.PollTimeout <= 0 {
		c.PollTimeout = DefaultPollTimeout
	}
	if c.PollTimeout < time.Second {
		return c, fmt.Errorf("telegram: poll timeout %s is below the Bot API's one-second unit", c.PollTimeout)
	}
	if c.PollGather < 0 || c.PollGather > MaxPollGather {
		return c, fmt.Errorf("telegram: poll gather %s is not between 0 and %s", c.PollGather, MaxPollGather)
	}
	if c.WebhookURL != "" {
		if c.WebhookListen == "" {
			return c, errors.New("telegram: webhook URL without a listen address")
		}
		// Without a secret anyone who finds the URL could inject updates.
		if !webhookSecret.MatchString(c.WebhookSecret) {
			return c, errors.New("telegram: webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
		}
	}
	return c, nil
}

// Journal keeps each received update until it is handled, so that an update Telegram
// considers delivered is not lost by a crash. *redisstate.Store implements it.
type Journal interface {
	JournalAppend(ctx context.Context, channel string, id int64, raw []byte) error
	// JournalPending returns the updates not yet removed, by id.
	JournalPending(ctx context.Context, channel string) (map[int64][]byte, error)
	JournalRemove(ctx context.Context, channel string, id int64) error
	SaveOffset(ctx context.Context, channel string, offset int64) error
	// Offset returns the saved offset, 0 when none.
	Offset(ctx context.Context, channel string) (int64, error)
	// Handled reports whether the message (here: the update id) was handled to the end: an
	// update left in the journal by a crash just after that is not handled again — a button
	// press is not answered a second time.
	Handled(ctx context.Context, channel, messageID string) (bool, error)
}

// Prompts remembers the messages sent with buttons, so that a press can be mapped back to its
// choice and checked. *redisstate.Store implements it.
type Prompts interface {
	// SavePrompt records a message with buttons meant for forUser ("" for anyone); body is
	// the channel's own record of the choices.
	SavePrompt(ctx context.Context, channel, chat string, messageID int, forUser string, body []byte) error
	// LoadPrompt returns the body and whether the message is the newest prompt in the chat
	// for its user; an error wrapping guanjia.ErrNotFound when it is unknown or lapsed.
	LoadPrompt(ctx context.Context, channel, chat string, messageID int) (body []byte, latest bool, err error)
	// ClaimPrompt reports whether claim is the first (or a repeated) claim on the prompt.
	ClaimPrompt(ctx context.Context, channel, chat string, messageID int, claim string) (bool, error)
}

// Channel is the Telegram channel. Run it once; Send may be called at any time after New.
type Channel struct {
	cfg      Config
	api      *tgbot.Bot
	http     *http.Client
	journal  Journal
	prompts  Prompts
	log      *slog.Logger
	botID    int64
	username string
	feed     *feed

	mu       sync.Mutex
	notReady error
}

// errNotStarted is what Ready reports before the first poll or webhook setup.
var errNotStarted = errors.New("telegram: not started")

// New connects to the Bot API and learns the bot's username (getMe); ctx bounds that call.
func New(ctx context.Context, cfg Config, j Journal, p Prompts, log *slog.Logger) (*Channel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if j == nil || p == nil || log == nil {
		return nil, errors.New("telegram: journal, prompts and logger are required")
	}
	client := &http.Client{Timeout: cfg.PollTimeout + pollSlack}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithHTTPClient(cfg.PollTimeout, client),
		// getMe is called below with the caller's context instead of the library's own timeout.
		tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(err error) { log.Warn("telegram client error", "err", err) }),
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: client: %w", err)
	}
	me, err := api.GetMe(ctx)
	if err != nil {
		return nil, fmt.Errorf("telegram: get me: %w", err)
	}
	if me.Username == "" {
		return nil, errors.New("telegram: get me: the bot has no username")
	}
	c := &Channel{cfg: cfg, api: api, http: client, journal: j, prompts: p, log: log,
		botID: me.ID, username: me.Username, feed: newFeed(), notReady: errNotStarted}
	return c, nil
}

// Name implements bot.Channel.
func (c *Channel) Name() string { return Name }

// Username is the bot's Telegram username, without "@".
func (c *Channel) Username() string { return c.username }

// MaxText implements bot.TextLimiter: Telegram's limit on a message's text.
func (c *Channel) MaxText() int { return 4096 }

// Ready reports whether the latest poll (or the webhook setup) succeeded, for /readyz.
func (c *Channel) Ready(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.notReady
}

func (c *Channel) setReady(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notReady = err
}

// Run receives updates until ctx is done and passes them to in. Updates left in the journal
// by an earlier run go first. It returns after every goroutine it started has stopped.
func (c *Channel) Run(ctx context.Context, in bot.Inbox) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pending, err := c.journal.JournalPending(ctx, Name)
	if err != nil {
		return fmt.Errorf("telegram: read journal: %w", err)
	}
	if len(pending) > 0 {
		c.log.Info("telegram updates left from an earlier run", "count", len(pending))
	}
	for id, raw := range pending {
		c.feed.push(inbound{id: id, raw: raw})
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.consume(ctx, in)
	}()
	if c.cfg.WebhookURL != "" {
		err = c.serveWebhook(ctx)
	} else {
		err = c.poll(ctx)
	}
	cancel()
	wg.Wait()
	c.setReady(errors.New("telegram: stopped"))
	return err
}
