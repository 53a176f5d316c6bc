package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is everything guanjia can be told, from environment variables and an optional YAML
// file (environment wins). Zero values mean the embedded, zero-setup defaults.
type Config struct {
	// DataDir holds the embedded stores' files.
	DataDir string `yaml:"data_dir"`
	// RedisURL points at Redis; empty starts the embedded in-process store.
	RedisURL string `yaml:"redis_url"`
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
}

// envVars maps each setting to its environment variable, in the order the README lists them.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"GUANJIA_DATA", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"REDIS_URL", func(c *Config, v string) error { c.RedisURL = v; return nil }},
	{"GUANJIA_REDIS_PREFIX", func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
	{"MONGODB_URI", func(c *Config, v string) error { c.MongoURI = v; return nil }},
	{"MONGODB_DATABASE", func(c *Config, v string) error { c.MongoDatabase = v; return nil }},
	{"GUANJIA_TIMEZONE", func(c *Config, v string) error { c.Timezone = v; return nil }},
	{"GUANJIA_SESSION_IDLE", func(c *Config, v string) error { return setDuration(&c.SessionIdle, v) }},
	{"GUANJIA_FOLLOWUP_WAIT", func(c *Config, v string) error { return setDuration(&c.FollowUpWait, v) }},
	{"GUANJIA_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"GUANJIA_LOG_FORMAT", func(c *Config, v string) error { c.LogFormat = v; return nil }},
}

func setDuration(d *time.Duration, v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	*d = x
	return nil
}

// defaults returns the configuration with nothing set.
func defaults() Config {
	return Config{
		DataDir: "data", RedisPrefix: "guanjia:", MongoDatabase: "guanjia", Timezone: "Asia/Shanghai",
		SessionIdle: 30 * time.Minute, FollowUpWait: 24 * time.Hour, LogLevel: "info", LogFormat: "text",
	}
}

// loadConfig reads GUANJIA_CONFIG (a YAML file) if set, then the environment, then validates.
func loadConfig(getenv func(string) string) (Config, error) {
	c := defaults()
	if path := getenv("GUANJIA_CONFIG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := yaml.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	for _, ev := range envVars {
		if v := strings.TrimSpace(getenv(ev.name)); v != "" {
			if err := ev.set(&c, v); err != nil {
				return c, fmt.Errorf("config: %s: %w", ev.name, err)
			}
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var problems []string
	if c.DataDir == "" {
		problems = append(problems, "GUANJIA_DATA must not be empty")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		problems = append(problems, fmt.Sprintf("GUANJIA_TIMEZONE %q is not a time zone", c.Timezone))
	}
	if c.SessionIdle < time.Minute {
		problems = append(problems, "GUANJIA_SESSION_IDLE must be at least 1m")
	}
	if c.FollowUpWait < time.Minute {
		problems = append(problems, "GUANJIA_FOLLOWUP_WAIT must be at least 1m")
	}
	if _, err := c.level(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, "GUANJIA_LOG_FORMAT must be text or json")
	}
	for _, u := range []struct{ name, v, scheme string }{
		{"REDIS_URL", c.RedisURL, "redis"}, {"MONGODB_URI", c.MongoURI, "mongodb"}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || !strings.HasPrefix(p.Scheme, u.scheme) {
			problems = append(problems, fmt.Sprintf("%s must be a %s:// URL", u.name, u.scheme))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (c Config) level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("GUANJIA_LOG_LEVEL %q is not debug, info, warn or error", c.LogLevel)
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

// Redacted returns the configuration as printable text, with passwords in URLs hidden.
func (c Config) Redacted() string {
	redact := func(s string) string {
		if s == "" {
			return "(embedded)"
		}
		u, err := url.Parse(s)
		if err != nil {
			return "(unparsable, hidden)"
		}
		return u.Redacted()
	}
	return fmt.Sprintf(`data_dir: %s
redis_url: %s
redis_prefix: %s
mongodb_uri: %s
mongodb_database: %s
timezone: %s
session_idle: %s
followup_wait: %s
log_level: %s
log_format: %s
`, c.DataDir, redact(c.RedisURL), c.RedisPrefix, redact(c.MongoURI), c.MongoDatabase, c.Timezone,
		c.SessionIdle, c.FollowUpWait, c.LogLevel, c.LogFormat)
}
