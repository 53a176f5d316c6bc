package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// allowedUpdates are the update kinds the channel handles; Telegram keeps the others back.
var allowedUpdates = []string{"message", "callback_query"}

// Backoff after a failed poll.
const (
	minBackoff = 200 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// poll long-polls getUpdates until ctx is done. Each batch is journaled and its offset saved
// before the next call confirms it to Telegram, so an update is never confirmed unrecorded.
// The library's own loop confirms a batch before its handlers ran, which is why it is not used.
func (c *Channel) poll(ctx context.Context) error {
	// A webhook left from webhook mode makes getUpdates fail; pending updates are kept.
	if _, err := c.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
		c.log.Warn("telegram delete webhook failed", "err", err)
	}
	offset, err := c.journal.Offset(ctx, Name)
	if err != nil {
		return fmt.Errorf("telegram: read offset: %w", err)
	}
	var backoff time.Duration
	for {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
		}
		batch, retryAfter, err := c.getUpdates(ctx, offset)
		if err == nil {
			err = c.record(ctx, batch)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			c.setReady(err)
			backoff = min(max(2*backoff, minBackoff, retryAfter), max(maxBackoff, retryAfter))
			c.log.Warn("telegram poll failed", "offset", offset, "retry_in", backoff, "err", err)
			continue
		}
		c.setReady(nil)
		backoff = 0
		next := offset
		for _, u := range batch {
			// Never backwards: ids are not always increasing, and a lower offset would
			// fetch again what is already journaled.
			next = max(next, u.id+1)
		}
		if next != offset {
			if err := c.journal.SaveOffset(ctx, Name, next); err != nil {
				// The updates are journaled; a stale offset only fetches them again.
				c.log.Warn("telegram save offset failed", "offset", next, "err", err)
			}
			offset = next
		}
		returned := time.Now()
		c.feed.push(batch...)
		// Telegram keeps what arrives meanwhile; the next call takes it all at once.
		c.feed.waitIdle(ctx)
		if len(batch) > 0 && len(batch) < pollLimit {
			c.gather(ctx, c.cfg.PollGather-time.Since(returned))
		}
	}
}

// pollLimit is the most updates one getUpdates call returns (the Bot API's default limit): a
// full batch means more are waiting, and the next call follows at once.
const pollLimit = 100

// gather lets updates gather for d before the next call, or until ctx is done.
func (c *Channel) gather(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// record journals a batch; an update is confirmed to Telegram only after this succeeded.
func (c *Channel) record(ctx context.Context, batch []inbound) error {
	for _, u := range batch {
		if err := c.journal.JournalAppend(ctx, Name, u.id, u.raw); err != nil {
			return fmt.Errorf("telegram: journal update %d: %w", u.id, err)
		}
	}
	return nil
}

// pollReply is the Bot API's answer to getUpdates.
type pollReply struct {
	OK          bool              `json:"ok"`
	Result      []json.RawMessage `json:"result"`
	ErrorCode   int               `json:"error_code"`
	Description string            `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates makes one long poll and returns the updates with their raw JSON, and how long
// Telegram asked to wait when it answered 429.
func (c *Channel) getUpdates(ctx context.Context, offset int64) ([]inbound, time.Duration, error) {
	// The parameters go as multipart form fields, as the client library sends every call:
	// every Bot API server reads them so, where a JSON body's timeout may go unread and turn
	// the long poll into a busy loop of immediate answers.
	allowed, err := json.Marshal(allowedUpdates)
	if err != nil {
		return nil, 0, fmt.Errorf("telegram: get updates: %w", err)
	}
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	for _, f := range [][2]string{
		{"offset", strconv.FormatInt(offset, 10)},
		{"timeout", strconv.Itoa(int(c.cfg.PollTimeout / time.Second))},
		{"allowed_updates", string(allowed)},
	} {
		if err := form.WriteField(f[0], f[1]); err != nil {
			return nil, 0, fmt.Errorf("telegram: get updates: %w", err)
		}
	}
	if err := form.Close(); err != nil {
		return nil, 0, fmt.Errorf("telegram: get updates: %w", err)
	}
	u := c.cfg.APIURL + "/bot" + c.cfg.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil {
		return nil, 0, fmt.Errorf("telegram: get updates: %w", c.redact(err))
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("telegram: get updates: %w", c.redact(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("telegram: get updates: read: %w", err)
	}
	var r pollReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("telegram: get updates: http %d: decode: %w", resp.StatusCode, err)
	}
	if !r.OK {
		retry := time.Duration(r.Parameters.RetryAfter) * time.Second
		return nil, retry, fmt.Errorf("telegram: get updates: %d %s", r.ErrorCode, r.Description)
	}
	batch := make([]inbound, 0, len(r.Result))
	for _, item := range r.Result {
		var head struct {
			ID *int64 `json:"update_id"`
		}
		if err := json.Unmarshal(item, &head); err != nil || head.ID == nil {
			return nil, 0, errors.New("telegram: get updates: an update without update_id")
		}
		batch = append(batch, inbound{id: *head.ID, raw: item})
	}
	return batch, 0, nil
}

// redact keeps the bot token out of errors that quote the request URL.
func (c *Channel) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, c.cfg.Token, "***")
	}
	return err
}
