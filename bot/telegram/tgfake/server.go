// Package tgfake is a fake Telegram Bot API server for tests. It speaks the real JSON over
// HTTP (requests as JSON, multipart/form-data or URL-encoded forms, like the real server), so
// the adapter is tested through its real client: tests push updates as people would send them,
// then look at what the bot sent, which callback queries it answered and whether it kept
// Telegram's send limits.
//
// It knows getMe, getUpdates (long polling with offsets), sendMessage, sendPhoto,
// answerCallbackQuery, editMessageReplyMarkup, editMessageText, setWebhook and
// deleteWebhook; while a webhook is set it posts updates to it, as Telegram does, and refuses
// getUpdates.
package tgfake

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/guanjia/guanjia/bot/bottest"
)

// The bot the server pretends to be.
const (
	BotID    int64 = 7000000001
	Username       = "guanjia_bot"
	// Token is the only token the server accepts; its first part is BotID, as in Telegram.
	Token = "7000000001:AAtest-token"
)

// Server is a running fake Bot API. All its methods are safe for concurrent use.
type Server struct {
	t      testing.TB
	srv    *httptest.Server
	closed chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	changes bottest.Changes // wakes long polls and waiters on every change
	calls   map[string]int

	updates
	outbox
	limiter
}

// New starts a server and stops it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{t: t, closed: make(chan struct{}), calls: map[string]int{}}
	s.updates.init()
	s.outbox.init()
	s.limiter.init(TelegramLimits())
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.wg.Add(1)
	go s.deliverWebhooks()
	t.Cleanup(s.Close)
	return s
}

// URL is the server's base URL, what the client's WithServerURL takes.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server, ending long polls at once. It is safe to call more than once.
func (s *Server) Close() {
	select {
	case <-s.closed:
		return
	default:
	}
	close(s.closed)
	s.wg.Wait()
	s.srv.Close()
}

// Calls reports how often a Bot API method was called, e.g. Calls("getUpdates").
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(method)]
}

// Wait waits up to timeout for cond to hold and reports whether it did. It checks cond after
// every change to the server's state, and every few milliseconds for conditions on anything
// else (the bot's store, its readiness).
func (s *Server) Wait(timeout time.Duration, cond func() bool) bool {
	return s.changes.Wait(timeout, cond)
}

// notify wakes everything waiting for a change; callers hold s.mu.
func (s *Server) notify() { s.changes.Notify() }

// apiError is a Bot API failure as the server answers it.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !ok || !strings.HasPrefix(r.URL.Path, "/bot") {
		writeError(w, apiError{code: http.StatusNotFound, desc: "Not Found"})
		return
	}
	if token != Token {
		writeError(w, apiError{code: http.StatusUnauthorized, desc: "Unauthorized"})
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, apiError{code: http.StatusBadRequest, desc: "Bad Request: " + err.Error()})
		return
	}
	method = strings.ToLower(method)
	s.mu.Lock()
	s.calls[method]++
	s.mu.Unlock()
	var result any
	var apiErr *apiError
	switch method {
	case "getme":
		result = botUser()
	case "getupdates":
		result, apiErr = s.getUpdates(r, p)
	case "sendmessage":
		result, apiErr = s.send(p, false)
	case "sendphoto":
		result, apiErr = s.send(p, true)
	case "answercallbackquery":
		result, apiErr = s.answerCallback(p)
	case "editmessagereplymarkup":
		result, apiErr = s.editMarkup(p)
	case "editmessagetext":
		result, apiErr = s.editText(p)
	case "setwebhook":
		result, apiErr = s.setWebhook(p)
	case "deletewebhook":
		result, apiErr = s.deleteWebhook(p)
	default:
		apiErr = &apiError{code: http.StatusNotFound, desc: "Not Found: method not found"}
	}
	if apiErr != nil {
		writeError(w, *apiErr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func botUser() models.User {
	return models.User{ID: BotID, IsBot: true, FirstName: "管家", Username: Username, CanJoinGroups: true}
}

func writeError(w http.ResponseWriter, e apiError) {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]int{"retry_after": e.retryAfter}
	}
	writeJSON(w, e.code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// params are a request's parameters as text; JSON values other than strings keep their JSON
// form, which is how the real server treats a form field holding e.g. a reply_markup.
type params map[string]string

// readParams accepts every encoding the Bot API accepts.
func readParams(r *http.Request) (params, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 50<<20))
	if err != nil {
		return nil, err
	}
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	ct, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				p[k] = s
			} else {
				p[k] = string(v)
			}
		}
	case "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.Header.Set("Content-Type", mime.FormatMediaType(ct, mp))
		if err := r.ParseMultipartForm(50 << 20); err != nil {
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			p[k] = v[0]
		}
		for k, v := range r.MultipartForm.File {
			p[k] = "upload:" + v[0].Filename
		}
	default:
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range q {
			p[k] = v[0]
		}
	}
	return p, nil
}
