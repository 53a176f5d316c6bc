package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/bot/telegram"
)

// Config is everything guanjia can be told, from environment variables and an optional YAML
// file (environment wins). Zero values mean the embedded, zero-setup defaults.
type Config struct {
	// now is the clock of the admin commands (this month's bills, code lifetimes, the sample
	// readings); nil is the real one. Tests pin it.
	now func() time.Time
	// DataDir holds the embedded stores' files.
	DataDir string `yaml:"data_dir"`
	// RedisURL points at Redis; empty starts the embedded in-process store.
	RedisURL string `yaml:"redis_url"`
	// EmbeddedRedis chooses the embedded Redis when RedisURL is empty: "" uses redis-server
	// from the PATH when installed and the in-process fallback otherwise, "in-process" the
	// fallback, anything else is the path of a redis-server binary.
	EmbeddedRedis string `yaml:"embedded_redis"`
	// RedisFsync is the embedded redis-server's appendfsync: everysec or always.
	RedisFsync string `yaml:"redis_fsync"`
	// RedisPrefix prefixes every key, so that several deployments can share one Redis.
	RedisPrefix string `yaml:"redis_prefix"`
	// MongoURI points at MongoDB; empty starts embedded FerretDB in DataDir.
	MongoURI string `yaml:"mongodb_uri"`
	// MongoDatabase is the database name.
	MongoDatabase string `yaml:"mongodb_database"`
	// Timezone is the property office's time zone (ticket days, times shown).
	Timezone string `yaml:"timezone"`
	// SessionIdle is how long a conversation waits for an answer.
	SessionIdle time.Duration `yaml:"session_idle"`
	// FollowUpWait is how long the repair follow-up question waits.
	FollowUpWait time.Duration `yaml:"followup_wait"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// HTTPAddr serves /healthz, /readyz and /metrics; empty turns the server off.
	HTTPAddr string `yaml:"http_addr"`
	// CodeTTL is how long a binding code from "guanjia code" stays valid.
	CodeTTL time.Duration `yaml:"code_ttl"`
	// ComplaintReply is the reply time promised for complaints and questions.
	ComplaintReply time.Duration `yaml:"complaint_reply"`
	// IntentsDir holds the office's own intent examples (*.tsv), learned with the built-in ones.
	IntentsDir string `yaml:"intents_dir"`
	// Telegram configures the Telegram channel; it runs when the token is set.
	Telegram TelegramConfig `yaml:"telegram"`
	// WeChat configures the WeChat channel; it runs when enabled.
	WeChat WeChatConfig `yaml:"wechat"`
	// Jobs configures the scheduled jobs (schedules.go).
	Jobs JobsConfig `yaml:",inline"`
	// Events tunes the reminders, feedback and recap of community events (events_admin.go).
	Events EventsConfig `yaml:"events"`
	// Fees configures the fee notices and the dunning ladder (fee_jobs.go).
	Fees FeesConfig `yaml:"fees"`
	// WeCom configures the WeCom group robots (WECOM_ROBOT_<NAME>); they run when any is set.
	WeCom WeComConfig `yaml:"wecom"`
	// Broadcast configures announcements and emergencies (broadcast_config.go).
	Broadcast BroadcastConfig `yaml:"broadcast"`
	// SLA are the due times of tickets' stages (the reply time is ComplaintReply).
	SLA guanjia.DueTimes `yaml:"sla"`
	// HazardDepartments routes hazards found on patrol by kind (found_fire_lane: 安全部).
	HazardDepartments map[string]string `yaml:"hazard_departments"`
}

// TelegramConfig is the Telegram channel's part of Config.
type TelegramConfig struct {
	Token         string        `yaml:"token"`
	APIURL        string        `yaml:"api_url"`
	WebhookURL    string        `yaml:"webhook_url"`
	WebhookListen string        `yaml:"webhook_listen"`
	WebhookSecret string        `yaml:"webhook_secret"`
	PollTimeout   time.Duration `yaml:"poll_timeout"`
	PollGather    time.Duration `yaml:"poll_gather"`
	// RatePrivate, RateGroup and RateGlobal pace sending, as "messages/window", e.g. "20/1m".
	RatePrivate string `yaml:"rate_private"`
	RateGroup   string `yaml:"rate_group"`
	RateGlobal  string `yaml:"rate_global"`
}

// envVars maps each setting to its environment variable, in the order the README lists them.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"GUANJIA_DATA", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"REDIS_URL", func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{"GUANJIA_EMBEDDED_REDIS", func(c *Config, v string) error { c.EmbeddedRedis = v; return nil }},
	{"GUANJIA_REDIS_FSYNC", func(c *Config, v string) error { c.RedisFsync = v; return nil }},
	{"GUANJIA_REDIS_PREFIX", func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
	{"MONGODB_URI", func(c *Config, v string) error { c.MongoURI = v; return nil }},
	{"MONGODB_DATABASE", func(c *Config, v string) error { c.MongoDatabase = v; return nil }},
	{"GUANJIA_TIMEZONE", func(c *Config, v string) error { c.Timezone = v; return nil }},
	{"GUANJIA_SESSION_IDLE", func(c *Config, v string) error { return setDuration(&c.SessionIdle, v) }},
	{"GUANJIA_FOLLOWUP_WAIT", func(c *Config, v string) error { return setDuration(&c.FollowUpWait, v) }},
	{"GUANJIA_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"GUANJIA_LOG_FORMAT", func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{"GUANJIA_HTTP_ADDR", func(c *Config, v string) error { c.HTTPAddr = v; return nil }},
	{"GUANJIA_CODE_TTL", func(c *Config, v string) error { return setDuration(&c.CodeTTL, v) }},
	{"GUANJIA_COMPLAINT_REPLY", func(c *Config, v string) error { return setDuration(&c.ComplaintReply, v) }},
	{"GUANJIA_SLA_ACCEPT", func(c *Config, v string) error { return setDuration(&c.SLA.Accept, v) }},
	{"GUANJIA_SLA_ACCEPT_URGENT", func(c *Config, v string) error { return setDuration(&c.SLA.AcceptUrgent, v) }},
	{"GUANJIA_SLA_RESOLVE", func(c *Config, v string) error { return setDuration(&c.SLA.Resolve, v) }},
	{"GUANJIA_SLA_RESOLVE_URGENT", func(c *Config, v string) error { return setDuration(&c.SLA.ResolveUrgent, v) }},
	{"GUANJIA_SLA_REMIND_BEFORE", func(c *Config, v string) error { return setDuration(&c.SLA.RemindBefore, v) }},
	{"GUANJIA_HANDOVER_CONFIRM", func(c *Config, v string) error { return setDuration(&c.SLA.Handover, v) }},
	{"GUANJIA_INTENTS", func(c *Config, v string) error { c.IntentsDir = v; return nil }},
	{"TELEGRAM_BOT_TOKEN", func(c *Config, v string) error { c.Telegram.Token = v; return nil }},
	{"TELEGRAM_API_URL", func(c *Config, v string) error { c.Telegram.APIURL = v; return nil }},
	{"TELEGRAM_WEBHOOK_URL", func(c *Config, v string) error { c.Telegram.WebhookURL = v; return nil }},
	{"TELEGRAM_WEBHOOK_LISTEN", func(c *Config, v string) error { c.Telegram.WebhookListen = v; return nil }},
	{"TELEGRAM_WEBHOOK_SECRET", func(c *Config, v string) error { c.Telegram.WebhookSecret = v; return nil }},
	{"TELEGRAM_POLL_TIMEOUT", func(c *Config, v string) error { return setDuration(&c.Telegram.PollTimeout, v) }},
	{"TELEGRAM_POLL_GATHER", func(c *Config, v string) error { return setDuration(&c.Telegram.PollGather, v) }},
	{"TELEGRAM_RATE_PRIVATE", func(c *Config, v string) error { c.Telegram.RatePrivate = v; return nil }},
	{"TELEGRAM_RATE_GROUP", func(c *Config, v string) error { c.Telegram.RateGroup = v; return nil }},
	{"TELEGRAM_RATE_GLOBAL", func(c *Config, v string) error { c.Telegram.RateGlobal = v; return nil }},
	{"WECHAT_ENABLED", func(c *Config, v string) error { return setBool(&c.WeChat.Enabled, v) }},
	{"WECHAT_GAP", func(c *Config, v string) error { return setDuration(&c.WeChat.Gap, v) }},
	{"WECHAT_GAP_JITTER", func(c *Config, v string) error { return setDuration(&c.WeChat.GapJitter, v) }},
	{"WECHAT_BROADCAST_GAP", func(c *Config, v string) error { return setDuration(&c.WeChat.BroadcastGap, v) }},
	{"WECHAT_EMERGENCY_GAP", func(c *Config, v string) error { return setDuration(&c.WeChat.EmergencyGap, v) }},
	{"BROADCAST_QUIET_HOURS", func(c *Config, v string) error { c.Broadcast.QuietHours = v; return nil }},
	{"BROADCAST_SUPERVISOR_CONFIRM", func(c *Config, v string) error { return setBool(&c.Broadcast.SupervisorConfirm, v) }},
	{"BROADCAST_STATUS_EVERY", func(c *Config, v string) error { return setDuration(&c.Broadcast.StatusEvery, v) }},
	{"BROADCAST_ROLLCALL_ESCALATE", func(c *Config, v string) error { return setDuration(&c.Broadcast.RollCallEscalate, v) }},
	{"WECHAT_SERVER_URL", func(c *Config, v string) error { c.WeChat.ServerURL = v; return nil }},
	{"WECHAT_BRAKE_AFTER_SCAN", func(c *Config, v string) error { return setDuration(&c.WeChat.BrakeAfterScan, v) }},
}

// parseRate reads "20/1m" (messages per window); empty means def.
func parseRate(s string, def guanjia.Rate) (guanjia.Rate, error) {
	if s == "" {
		return def, nil
	}
	n, w, ok := strings.Cut(s, "/")
	max, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || max < 1 {
		return def, fmt.Errorf("发送速率「%s」要写成「条数/时长」，如 20/1m（want messages/window）", s)
	}
	win, err := time.ParseDuration(strings.TrimSpace(w))
	if err != nil || win <= 0 {
		return def, fmt.Errorf("发送速率「%s」要写成「条数/时长」，如 20/1m（want messages/window）", s)
	}
	return guanjia.Rate{Max: max, Window: win}, nil
}

// telegramLimits are Telegram's default limits with the configured overrides.
func (c Config) telegramLimits() (outbox.Limits, error) {
	l := outbox.TelegramLimits()
	var err1, err2, err3 error
	l.Private, err1 = parseRate(c.Telegram.RatePrivate, l.Private)
	l.Group, err2 = parseRate(c.Telegram.RateGroup, l.Group)
	l.Global, err3 = parseRate(c.Telegram.RateGlobal, l.Global)
	return l, errors.Join(err1, err2, err3)
}

func setDuration(d *time.Duration, v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("「%s」不是一段时长，请写成 90s、30m、1h30m 这样（not a duration）", v)
	}
	*d = x
	return nil
}

// defaults returns the configuration with nothing set.
func defaults() Config {
	return Config{
		DataDir: "data", RedisFsync: "everysec", RedisPrefix: "guanjia:", MongoDatabase: "guanjia", Timezone: "Asia/Shanghai",
		SessionIdle: 30 * time.Minute, FollowUpWait: 24 * time.Hour, LogLevel: "info", LogFormat: "text",
		CodeTTL: 72 * time.Hour, ComplaintReply: 24 * time.Hour, WeChat: weChatDefaults(), Jobs: jobsDefaults(), Events: eventsDefaults(), Fees: feesDefaults(),
		Broadcast: broadcastDefaults(),
		SLA:       guanjia.DefaultDueTimes(),
		Telegram:  TelegramConfig{PollGather: telegram.DefaultPollGather},
	}
}

// loadConfig reads GUANJIA_CONFIG (a YAML file) if set, then the environment, then validates.
func loadConfig(getenv func(string) string) (Config, error) {
	c := defaults()
	if path := getenv("GUANJIA_CONFIG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("配置有误（config）：GUANJIA_CONFIG 指的文件读不出来：%w", err)
		}
		if err := yaml.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("配置有误（config）：配置文件 %s 不是有效的 YAML：%w", path, err)
		}
	}
	for _, ev := range envVars {
		if v := strings.TrimSpace(getenv(ev.name)); v != "" {
			if err := ev.set(&c, v); err != nil {
				return c, fmt.Errorf("配置有误（config）：%s 的值%w。", ev.name, err)
			}
		}
	}
	if err := c.Events.fromEnv(getenv); err != nil {
		return c, err
	}
	c.Fees.fromEnv(getenv)
	if err := c.Jobs.fromEnv(getenv); err != nil {
		return c, err
	}
	c.WeCom.fromEnviron(os.Environ(), getenv)
	return c, c.validate()
}

func (c Config) validate() error {
	var problems []string
	if c.DataDir == "" {
		problems = append(problems, "GUANJIA_DATA 不能为空（must not be empty）")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		problems = append(problems, fmt.Sprintf("GUANJIA_TIMEZONE「%s」不是时区，请写成 Asia/Shanghai 这样（not a time zone）", c.Timezone))
	}
	if c.SessionIdle < time.Minute {
		problems = append(problems, "GUANJIA_SESSION_IDLE 至少要 1m（must be at least 1m）")
	}
	if c.FollowUpWait < time.Minute {
		problems = append(problems, "GUANJIA_FOLLOWUP_WAIT 至少要 1m（must be at least 1m）")
	}
	if _, err := c.level(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.ComplaintReply < time.Minute {
		problems = append(problems, "GUANJIA_COMPLAINT_REPLY 至少要 1m（must be at least 1m）")
	}
	if c.CodeTTL < time.Minute {
		problems = append(problems, "GUANJIA_CODE_TTL 至少要 1m（must be at least 1m）")
	}
	if c.Telegram.PollGather < 0 || c.Telegram.PollGather > telegram.MaxPollGather {
		problems = append(problems, "TELEGRAM_POLL_GATHER 要在 0 到 5s 之间（must be between 0 and 5s）")
	}
	if _, err := c.telegramLimits(); err != nil {
		problems = append(problems, "TELEGRAM_RATE_* 要写成「条数/时长」，如 20/1m（"+err.Error()+"）")
	}
	if c.Telegram.WebhookURL != "" && (c.Telegram.WebhookListen == "" || c.Telegram.WebhookSecret == "") {
		problems = append(problems, "设了 TELEGRAM_WEBHOOK_URL 还要设 TELEGRAM_WEBHOOK_LISTEN 和 TELEGRAM_WEBHOOK_SECRET（needs both）")
	}
	if c.RedisFsync != "everysec" && c.RedisFsync != "always" {
		problems = append(problems, "GUANJIA_REDIS_FSYNC 只能是 everysec 或 always（must be everysec or always）")
	}
	problems = append(problems, c.WeChat.problems()...)
	problems = append(problems, c.Jobs.problems()...)
	problems = append(problems, c.Events.problems()...)
	problems = append(problems, c.Fees.problems()...)
	problems = append(problems, c.WeCom.problems()...)
	problems = append(problems, c.Broadcast.problems()...)
	problems = append(problems, c.slaProblems()...)
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, "GUANJIA_LOG_FORMAT 只能是 text 或 json（must be text or json）")
	}
	for _, u := range []struct{ name, v, scheme string }{
		{"REDIS_URL", c.RedisURL, "redis"}, {"MONGODB_URI", c.MongoURI, "mongodb"}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || !strings.HasPrefix(p.Scheme, u.scheme) {
			problems = append(problems, fmt.Sprintf("%s 要以 %s:// 开头（must be a %s:// URL）", u.name, u.scheme, u.scheme))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("配置有误（config）：%s。", strings.Join(problems, "；"))
	}
	return nil
}

func (c Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("GUANJIA_LOG_LEVEL「%s」只能是 debug、info、warn 或 error（not a log level）", c.LogLevel)
	}
	return l, nil
}

func (c Config) location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// clock is the time now for the admin commands.
func (c Config) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// Redacted returns the configuration as printable text, with passwords in URLs hidden.
func (c Config) Redacted() string {
	redact := redactURL
	secret := func(s string) string {
		if s == "" {
			return "(not set)"
		}
		return "(set, hidden)"
	}
	embeddedRedis := c.EmbeddedRedis
	if embeddedRedis == "" {
		embeddedRedis = "(redis-server when installed, else in-process)"
	}
	return fmt.Sprintf(`data_dir: %s
redis_url: %s
embedded_redis: %s
redis_fsync: %s
redis_prefix: %s
mongodb_uri: %s
mongodb_database: %s
timezone: %s
session_idle: %s
followup_wait: %s
log_level: %s
log_format: %s
http_addr: %s
code_ttl: %s
complaint_reply: %s
intents_dir: %s
telegram:
  token: %s
  api_url: %s
  webhook_url: %s
  webhook_listen: %s
  webhook_secret: %s
  poll_timeout: %s
  poll_gather: %s
  rate_private: %s
  rate_group: %s
  rate_global: %s
`, c.DataDir, redact(c.RedisURL), embeddedRedis, c.RedisFsync, c.RedisPrefix, redact(c.MongoURI), c.MongoDatabase, c.Timezone,
		c.SessionIdle, c.FollowUpWait, c.LogLevel, c.LogFormat, c.HTTPAddr, c.CodeTTL, c.ComplaintReply, c.IntentsDir,
		secret(c.Telegram.Token), c.Telegram.APIURL, c.Telegram.WebhookURL, c.Telegram.WebhookListen,
		secret(c.Telegram.WebhookSecret), c.Telegram.PollTimeout, c.Telegram.PollGather,
		c.Telegram.RatePrivate, c.Telegram.RateGroup, c.Telegram.RateGlobal) + c.WeChat.String() + c.WeCom.String() + c.Jobs.String() + c.Broadcast.String() + c.slaString() + c.Events.String() + c.Fees.String()
}

// secretParams are the words that make a URL query parameter secret: MongoDB's password,
// tlsCertificateKeyFilePassword, authMechanismProperties (which can carry tokens), a Redis
// URL's password, and anything like them.
var secretParams = []string{"password", "secret", "token", "authmechanismproperties", "pass"}

// redactedURL is the connection string s with the password of its user and every secret
// query parameter replaced by xxxxx. It does not rely on net/url, which cannot read
// MongoDB's lists of hosts (mongodb://a:27017,b:27017/).
func redactedURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "(unparsable, hidden)"
	}
	pre, query, hasQuery := strings.Cut(rest, "?")
	if at := strings.LastIndex(pre, "@"); at >= 0 {
		user := pre[:at]
		if name, _, hasPassword := strings.Cut(user, ":"); hasPassword {
			user = name + ":xxxxx"
		}
		pre = user + "@" + pre[at+1:]
	}
	if hasQuery {
		params := strings.Split(query, "&")
		for i, p := range params {
			key, _, _ := strings.Cut(p, "=")
			name := strings.ToLower(key)
			if k, err := url.QueryUnescape(key); err == nil {
				name = strings.ToLower(k)
			}
			for _, w := range secretParams {
				if strings.Contains(name, w) {
					params[i] = key + "=xxxxx"
					break
				}
			}
		}
		pre += "?" + strings.Join(params, "&")
	}
	return scheme + "://" + pre
}
