package tgfake

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"time"
)

// secretToken is what Telegram allows as a webhook secret.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(p params) (any, *apiError) {
	if p["secret_token"] != "" && !secretToken.MatchString(p["secret_token"]) {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: secret token contains unallowed characters"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL, s.hookSecret = p["url"], p["secret_token"]
	if p["url"] == "" {
		s.hookSecret = ""
	}
	if p["drop_pending_updates"] == "true" {
		s.queue = nil
	}
	s.notify()
	return true, nil
}

func (s *Server) deleteWebhook(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL, s.hookSecret = "", ""
	if p["drop_pending_updates"] == "true" {
		s.queue = nil
	}
	s.notify()
	return true, nil
}

// Webhook returns the webhook URL and secret token set by the bot; the URL is empty when the
// bot polls.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookURL, s.hookSecret
}

// deliverWebhooks posts waiting updates to the webhook one at a time while one is set, and
// keeps an update until the bot answers it with 200, as Telegram does.
func (s *Server) deliverWebhooks() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		s.mu.Lock()
		ch := s.changes.Next()
		url, secret := s.hookURL, s.hookSecret
		var next *pending
		if url != "" && len(s.queue) > 0 {
			p := s.queue[0]
			next = &p
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-ch:
				continue
			case <-s.closed:
				return
			}
		}
		if s.post(ctx, client, url, secret, next.raw) {
			s.mu.Lock()
			for i, p := range s.queue {
				if p.id == next.id {
					s.queue = append(s.queue[:i], s.queue[i+1:]...)
					break
				}
			}
			s.notify()
			s.mu.Unlock()
			continue
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-s.closed:
			return
		}
	}
}

func (s *Server) post(ctx context.Context, client *http.Client, url, secret string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	s.mu.Lock()
	s.calls["webhook"]++
	s.mu.Unlock()
	return resp.StatusCode == http.StatusOK
}
