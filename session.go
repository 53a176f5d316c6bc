package guanjia

import "time"

// SessionKey names one conversation: a person in a chat on a channel.
type SessionKey struct {
	Channel string `json:"channel"`
	// Chat is the platform's chat id.
	Chat string `json:"chat"`
	// Person is the platform's user id.
	Person string `json:"person"`
}

// String renders the key for storage and logs; it contains ids only.
func (k SessionKey) String() string { return k.Channel + ":" + k.Chat + ":" + k.Person }

// Session is the state of a conversation in progress: which flow, which step, the answers so far.
type Session struct {
	Key  SessionKey        `json:"key"`
	Flow string            `json:"flow"`
	Step string            `json:"step"`
	Data map[string]string `json:"data,omitempty"`
	// Updated is when the person last answered.
	Updated time.Time `json:"updated"`
	// Expires is when the session lapses if nobody answers; stores check it on load.
	Expires time.Time `json:"expires"`
}
