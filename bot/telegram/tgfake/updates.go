package tgfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"
)

// updates is the inbound side: updates waiting for the bot, chats and message ids.
type updates struct {
	lastUpdate  int64
	queue       []pending // not yet confirmed by the bot, in delivery order
	pushed      map[int64][]byte
	pollGen     int
	pollTimeout int
	chats       map[int64]models.Chat
	lastMsg     map[int64]int // message ids grow per chat, shared by people and the bot
	queries     map[string]bool
	seq         int
	hookURL     string
	hookSecret  string
}

// pending is an update waiting for the bot. A forced one is delivered once even if its id is
// below the offset the bot confirmed (a redelivery, or Telegram restarting its numbering).
type pending struct {
	id    int64
	raw   []byte
	force bool
}

func (u *updates) init() {
	u.lastUpdate = 100000
	u.pushed = map[int64][]byte{}
	u.chats = map[int64]models.Chat{}
	u.lastMsg = map[int64]int{}
	u.queries = map[string]bool{}
}

// Person returns a Telegram user who is not a bot.
func Person(id int64, firstName string) models.User {
	return models.User{ID: id, FirstName: firstName, LanguageCode: "zh-hans"}
}

// Private returns the private chat between u and the bot; its id is the user's id.
func Private(u models.User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// Group returns a supergroup with that title; Telegram's group ids are negative (-100…).
func Group(id int64, title string) models.Chat {
	return models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: title}
}

// PushText queues a text message from a person, with the entities (commands, mentions)
// Telegram would attach, and returns its update id.
func (s *Server) PushText(chat models.Chat, from models.User, text string) int64 {
	return s.PushMessage(models.Message{Chat: chat, From: &from, Text: text})
}

// PushReply queues a text message that replies to message replyTo of the chat (e.g. one the
// bot sent) and returns its update id.
func (s *Server) PushReply(chat models.Chat, from models.User, text string, replyTo int) int64 {
	s.mu.Lock()
	orig, ok := s.sentMessage(chat.ID, replyTo)
	s.mu.Unlock()
	if !ok {
		orig = models.Message{ID: replyTo, Chat: chat, Date: int(time.Now().Unix())}
	}
	return s.PushMessage(models.Message{Chat: chat, From: &from, Text: text, ReplyToMessage: &orig})
}

// PushPhoto queues a photo in three sizes with a caption and returns the update id and the
// file id of the largest size.
func (s *Server) PushPhoto(chat models.Chat, from models.User, caption string) (int64, string) {
	s.mu.Lock()
	s.seq++
	file := fmt.Sprintf("AgACAgFake%04d", s.seq)
	s.mu.Unlock()
	sizes := []models.PhotoSize{
		{FileID: file + "_s", FileUniqueID: file + "s", Width: 90, Height: 68, FileSize: 1200},
		{FileID: file + "_m", FileUniqueID: file + "m", Width: 320, Height: 240, FileSize: 15000},
		{FileID: file, FileUniqueID: file + "x", Width: 1280, Height: 960, FileSize: 180000},
	}
	return s.PushMessage(models.Message{Chat: chat, From: &from, Photo: sizes, Caption: caption}), file
}

// PushMessage queues any message. The message id, the date and the entities of text and
// caption are filled in when zero.
func (s *Server) PushMessage(m models.Message) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[m.Chat.ID] = m.Chat
	if m.ID == 0 {
		m.ID = s.nextMessageID(m.Chat.ID)
	}
	if m.Date == 0 {
		m.Date = int(time.Now().Unix())
	}
	if m.Text != "" && m.Entities == nil {
		m.Entities = entities(m.Text)
	}
	if m.Caption != "" && m.CaptionEntities == nil {
		m.CaptionEntities = entities(m.Caption)
	}
	s.lastUpdate++
	return s.enqueue(models.Update{ID: s.lastUpdate, Message: &m}, false)
}

// PushCallback queues the press of a button with callback data on message messageID of the
// chat, and returns the update id and the callback query id.
func (s *Server) PushCallback(chat models.Chat, from models.User, messageID int, data string) (int64, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[chat.ID] = chat
	s.seq++
	id := fmt.Sprintf("cbq-%d", s.seq)
	s.queries[id] = false
	q := &models.CallbackQuery{ID: id, From: from, ChatInstance: fmt.Sprintf("ci%d", chat.ID), Data: data}
	if m, ok := s.sentMessage(chat.ID, messageID); ok {
		q.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &m}
	} else {
		q.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeInaccessibleMessage,
			InaccessibleMessage: &models.InaccessibleMessage{Chat: chat, MessageID: messageID}}
	}
	s.lastUpdate++
	return s.enqueue(models.Update{ID: s.lastUpdate, CallbackQuery: q}, false), id
}

// Press presses the button labelled label on a message the bot sent, as it is shown now. It
// fails the test when there is no such button (call it from the test's goroutine).
func (s *Server) Press(chat models.Chat, from models.User, messageID int, label string) (int64, string) {
	s.t.Helper()
	if kb := s.Keyboard(chat.ID, messageID); kb != nil {
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if b.Text == label {
					return s.PushCallback(chat, from, messageID, b.CallbackData)
				}
			}
		}
	}
	s.t.Fatalf("tgfake: no button %q on message %d in chat %d", label, messageID, chat.ID)
	return 0, ""
}

// PushUpdate queues an update as given. An update without id gets the next one; one with an
// id is delivered even when the bot already confirmed a higher id, like an update after
// Telegram restarted its numbering.
func (s *Server) PushUpdate(u models.Update) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	force := u.ID != 0
	if u.ID == 0 {
		s.lastUpdate++
		u.ID = s.lastUpdate
	}
	s.lastUpdate = max(s.lastUpdate, u.ID)
	return s.enqueue(u, force)
}

// Redeliver queues an update pushed before once more, as Telegram does when it is not sure
// the bot got it.
func (s *Server) Redeliver(updateID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.pushed[updateID]
	if !ok {
		s.t.Errorf("tgfake: redeliver unknown update %d", updateID)
		return
	}
	s.queue = append(s.queue, pending{id: updateID, raw: raw, force: true})
	s.notify()
}

// Pending returns the ids of the updates not yet confirmed by the bot.
func (s *Server) Pending() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, len(s.queue))
	for i, p := range s.queue {
		ids[i] = p.id
	}
	return ids
}

// PollTimeout is the timeout, in seconds, of the latest getUpdates call.
func (s *Server) PollTimeout() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pollTimeout
}

func (s *Server) enqueue(u models.Update, force bool) int64 {
	raw, err := json.Marshal(&u)
	if err != nil {
		s.t.Errorf("tgfake: encode update: %v", err)
		return u.ID
	}
	s.pushed[u.ID] = raw
	s.queue = append(s.queue, pending{id: u.ID, raw: raw, force: force})
	s.notify()
	return u.ID
}

func (s *Server) nextMessageID(chat int64) int {
	s.lastMsg[chat]++
	return s.lastMsg[chat]
}

func (s *Server) getUpdates(r *http.Request, p params) (any, *apiError) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, err := strconv.Atoi(p["limit"])
	if err != nil || limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	wait := time.NewTimer(time.Duration(timeout) * time.Second)
	defer wait.Stop()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.pollTimeout = timeout
	if s.hookURL != "" {
		return nil, &apiError{code: http.StatusConflict,
			desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	// A new poll ends the one still waiting, as Telegram does with two bot instances.
	s.pollGen++
	gen := s.pollGen
	s.notify()
	s.confirm(offset)
	for {
		if len(s.queue) > 0 || timeout <= 0 {
			n := min(limit, len(s.queue))
			out := make([]json.RawMessage, n)
			for i := range n {
				out[i] = s.queue[i].raw
				s.queue[i].force = false
			}
			return out, nil
		}
		ch := s.changes.Next()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-wait.C:
			timeout = 0
		case <-r.Context().Done():
			timeout = 0
		case <-s.closed:
			timeout = 0
		}
		s.mu.Lock()
		if s.pollGen != gen || s.hookURL != "" {
			return nil, &apiError{code: http.StatusConflict,
				desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		}
	}
}

// confirm drops the updates below offset; a negative offset keeps only the last -offset.
func (s *Server) confirm(offset int64) {
	if offset < 0 {
		if n := int(-offset); n < len(s.queue) {
			s.queue = s.queue[len(s.queue)-n:]
		}
		return
	}
	kept := s.queue[:0]
	for _, p := range s.queue {
		if p.id >= offset || p.force {
			kept = append(kept, p)
		}
	}
	s.queue = kept
}
