package tgfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// Sent is a message the bot sent and the server accepted.
type Sent struct {
	// Method is "sendMessage" or "sendPhoto".
	Method    string
	ChatID    int64
	MessageID int
	// Text is the message text, or the photo's caption.
	Text string
	// Photo is the file id of a sent photo.
	Photo string
	// Markup is the inline keyboard as sent; nil without one. Keyboard gives the current one.
	Markup *models.InlineKeyboardMarkup
	At     time.Time
}

// Labels returns the labels of the buttons the message was sent with, row by row.
func (m Sent) Labels() []string {
	var out []string
	if m.Markup != nil {
		for _, row := range m.Markup.InlineKeyboard {
			for _, b := range row {
				out = append(out, b.Text)
			}
		}
	}
	return out
}

// Edit is a change of a message's inline keyboard.
type Edit struct {
	ChatID    int64
	MessageID int
	// Text is the new text of an editMessageText; empty for a keyboard-only edit.
	Text string
	// Markup is the new keyboard; nil when it was removed.
	Markup *models.InlineKeyboardMarkup
	At     time.Time
}

// Answer is the bot's answer to a callback query.
type Answer struct {
	QueryID   string
	Text      string
	ShowAlert bool
	At        time.Time
}

// Rejection is a send the server refused: a failure asked for with FailNext or Block, or a
// limit enforced.
type Rejection struct {
	ChatID     int64
	Code       int
	RetryAfter int
	At         time.Time
}

type msgKey struct {
	chat int64
	id   int
}

// outbox is the outbound side: what the bot sent and how sends fail.
type outbox struct {
	sent     []Sent
	byKey    map[msgKey]int // index in sent
	markups  map[msgKey]*models.InlineKeyboardMarkup
	edits    []Edit
	answers  []Answer
	failures map[int64][]apiError
	blocked  map[int64]bool
	rejected []Rejection
}

func (o *outbox) init() {
	o.byKey = map[msgKey]int{}
	o.markups = map[msgKey]*models.InlineKeyboardMarkup{}
	o.failures = map[int64][]apiError{}
	o.blocked = map[int64]bool{}
}

// FailNext makes the next n sends to chat fail with code: 429 with retryAfter seconds, 403
// (blocked by the user), 400 (chat not found) or a server error for 5xx.
func (s *Server) FailNext(chat int64, code, retryAfter, n int) {
	e := apiError{code: code, desc: fmt.Sprintf("Error %d", code)}
	switch {
	case code == http.StatusTooManyRequests:
		e.desc, e.retryAfter = fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), retryAfter
	case code == http.StatusForbidden:
		e.desc = "Forbidden: bot was blocked by the user"
	case code == http.StatusBadRequest:
		e.desc = "Bad Request: chat not found"
	case code >= 500:
		e.desc = "Internal Server Error"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[chat] = append(s.failures[chat], e)
	}
}

// Block makes every send to chat fail with 403, as when a person blocked the bot or a group
// removed it, until Unblock.
func (s *Server) Block(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chat] = true
}

// Unblock ends Block.
func (s *Server) Unblock(chat int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chat)
}

func (s *Server) send(p params, photo bool) (any, *apiError) {
	chat, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: chat not found"}
	}
	text, method, limit := p["text"], "sendMessage", 4096
	if photo {
		text, method, limit = p["caption"], "sendPhoto", 1024
		if p["photo"] == "" {
			return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: there is no photo in the request"}
		}
	}
	markup, apiErr := readContent(p, text, !photo, limit)
	if apiErr != nil {
		return nil, apiErr
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.failure(chat, now); e != nil {
		return nil, e
	}
	c := s.chat(chat)
	m := models.Message{ID: s.nextMessageID(chat), From: ptr(botUser()), Date: int(now.Unix()), Chat: c, ReplyMarkup: markup}
	rec := Sent{Method: method, ChatID: chat, MessageID: m.ID, Text: text, Markup: markup, At: now}
	if photo {
		rec.Photo, m.Caption = p["photo"], text
		m.Photo = []models.PhotoSize{{FileID: p["photo"], FileUniqueID: "u" + p["photo"], Width: 1280, Height: 960}}
	} else {
		m.Text = text
	}
	key := msgKey{chat, m.ID}
	s.byKey[key] = len(s.sent)
	s.markups[key] = markup
	s.sent = append(s.sent, rec)
	s.notify()
	return m, nil
}

// failure applies Block, FailNext and the limits to a send to chat; callers hold s.mu.
func (s *Server) failure(chat int64, now time.Time) *apiError {
	var e *apiError
	switch {
	case s.blocked[chat] && chat < 0:
		e = &apiError{code: http.StatusForbidden, desc: "Forbidden: bot was kicked from the supergroup chat"}
	case s.blocked[chat]:
		e = &apiError{code: http.StatusForbidden, desc: "Forbidden: bot was blocked by the user"}
	case len(s.failures[chat]) > 0:
		f := s.failures[chat][0]
		s.failures[chat] = s.failures[chat][1:]
		e = &f
	default:
		e = s.admit(chat, s.isGroup(chat), now)
	}
	if e != nil {
		s.rejected = append(s.rejected, Rejection{ChatID: chat, Code: e.code, RetryAfter: e.retryAfter, At: now})
		s.notify()
	}
	return e
}

func (s *Server) isGroup(chat int64) bool {
	if c, ok := s.chats[chat]; ok {
		return c.Type != models.ChatTypePrivate
	}
	return chat < 0
}

func readMarkup(p params) (*models.InlineKeyboardMarkup, *apiError) {
	raw, ok := p["reply_markup"]
	if !ok || raw == "" || raw == "null" {
		return nil, nil
	}
	var kb models.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(raw), &kb); err != nil {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: can't parse reply keyboard markup JSON object"}
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.Text == "" {
				return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: text buttons are unallowed in the inline keyboard"}
			}
			if len(b.CallbackData) > 64 {
				return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: BUTTON_DATA_INVALID"}
			}
		}
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil, nil
	}
	return &kb, nil
}

func (s *Server) answerCallback(p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p["callback_query_id"]
	if answered, ok := s.queries[id]; !ok || answered {
		return nil, &apiError{code: http.StatusBadRequest,
			desc: "Bad Request: query is too old and response timeout expired or query ID is invalid"}
	}
	s.queries[id] = true
	s.answers = append(s.answers, Answer{QueryID: id, Text: p["text"], ShowAlert: p["show_alert"] == "true", At: time.Now()})
	s.notify()
	return true, nil
}

func (s *Server) editMarkup(p params) (any, *apiError) {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id, _ := strconv.Atoi(p["message_id"])
	markup, apiErr := readMarkup(p)
	if apiErr != nil {
		return nil, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := msgKey{chat, id}
	m, ok := s.sentMessage(chat, id)
	if !ok {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: message to edit not found"}
	}
	if reflect.DeepEqual(s.markups[key], markup) {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}
	}
	s.markups[key] = markup
	s.edits = append(s.edits, Edit{ChatID: chat, MessageID: id, Markup: markup, At: time.Now()})
	s.notify()
	m.ReplyMarkup = markup
	return m, nil
}

// readContent checks a message's text (needed unless it is a photo's caption, at most limit
// UTF-16 units, as Telegram counts) and reads its keyboard.
func readContent(p params, text string, needText bool, limit int) (*models.InlineKeyboardMarkup, *apiError) {
	if needText && text == "" {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: message text is empty"}
	}
	if len(utf16.Encode([]rune(text))) > limit {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: message is too long"}
	}
	return readMarkup(p)
}

// editText answers editMessageText: the message's text and keyboard replaced, as Telegram
// does, which counts against the chat's limits like a message sent.
func (s *Server) editText(p params) (any, *apiError) {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id, _ := strconv.Atoi(p["message_id"])
	text := p["text"]
	markup, apiErr := readContent(p, text, true, 4096)
	if apiErr != nil {
		return nil, apiErr
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	key := msgKey{chat, id}
	i, ok := s.byKey[key]
	if !ok {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: message to edit not found"}
	}
	if s.sent[i].Text == text && reflect.DeepEqual(s.markups[key], markup) {
		return nil, &apiError{code: http.StatusBadRequest, desc: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}
	}
	if e := s.failure(chat, now); e != nil {
		return nil, e
	}
	s.sent[i].Text = text
	s.markups[key] = markup
	s.edits = append(s.edits, Edit{ChatID: chat, MessageID: id, Text: text, Markup: markup, At: now})
	s.notify()
	m, _ := s.sentMessage(chat, id)
	return m, nil
}

// sentMessage rebuilds a message the bot sent, with its current keyboard; callers hold s.mu.
func (s *Server) sentMessage(chat int64, id int) (models.Message, bool) {
	i, ok := s.byKey[msgKey{chat, id}]
	if !ok {
		return models.Message{}, false
	}
	rec := s.sent[i]
	c := s.chat(chat)
	m := models.Message{ID: id, From: ptr(botUser()), Date: int(rec.At.Unix()), Chat: c,
		ReplyMarkup: s.markups[msgKey{chat, id}]}
	if rec.Photo != "" {
		m.Caption = rec.Text
		m.Photo = []models.PhotoSize{{FileID: rec.Photo, FileUniqueID: "u" + rec.Photo, Width: 1280, Height: 960}}
	} else {
		m.Text = rec.Text
	}
	return m, true
}

// chat returns the chat as pushed, or one made up from the id: Telegram's group ids are
// negative; callers hold s.mu.
func (s *Server) chat(id int64) models.Chat {
	if c, ok := s.chats[id]; ok {
		return c
	}
	if id < 0 {
		return models.Chat{ID: id, Type: models.ChatTypeSupergroup}
	}
	return models.Chat{ID: id, Type: models.ChatTypePrivate}
}

func ptr[T any](v T) *T { return &v }
