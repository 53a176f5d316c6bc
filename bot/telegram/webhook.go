package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// secretHeader carries the webhook's secret token on every call from Telegram.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// serveWebhook listens for Telegram's webhook calls, then registers the webhook, until ctx
// is done.
func (c *Channel) serveWebhook(ctx context.Context) error {
	u, err := url.Parse(c.cfg.WebhookURL)
	if err != nil {
		return fmt.Errorf("telegram: webhook url: %w", err)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle(path, c.webhookHandler())
	ln, err := net.Listen("tcp", c.cfg.WebhookListen)
	if err != nil {
		return fmt.Errorf("telegram: webhook listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// Listening first, so that Telegram's first call finds the server.
	setupCtx, stopSetup := context.WithCancel(ctx)
	defer stopSetup()
	setup := make(chan struct{})
	go func() {
		defer close(setup)
		c.setWebhook(setupCtx)
	}()
	var failed error
	select {
	case failed = <-served:
	case <-ctx.Done():
	}
	stopSetup()
	<-setup
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if failed == nil {
		failed = <-served
	}
	if !errors.Is(failed, http.ErrServerClosed) {
		return fmt.Errorf("telegram: webhook server: %w", failed)
	}
	return ctx.Err()
}

// setWebhook registers the webhook, retrying until it succeeds or ctx is done.
func (c *Channel) setWebhook(ctx context.Context) {
	backoff := minBackoff
	for {
		_, err := c.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL: c.cfg.WebhookURL, SecretToken: c.cfg.WebhookSecret, AllowedUpdates: allowedUpdates,
		})
		if ctx.Err() != nil {
			return
		}
		c.setReady(err)
		if err == nil {
			c.log.Info("telegram webhook set")
			return
		}
		c.log.Warn("telegram set webhook failed", "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// webhookHandler takes Telegram's calls: it checks the secret itself, records the update in
// the journal and answers 200 only then, so Telegram retries what was not recorded.
func (c *Channel) webhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(secretHeader)), []byte(c.cfg.WebhookSecret)) != 1 {
			c.log.Warn("telegram webhook call with a wrong secret", "remote_addr", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var head struct {
			ID *int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.ID == nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := c.journal.JournalAppend(r.Context(), Name, *head.ID, raw); err != nil {
			c.log.Error("telegram journal update failed", "update_id", *head.ID, "err", err)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		c.feed.push(inbound{id: *head.ID, raw: raw})
		w.WriteHeader(http.StatusOK)
	})
}
