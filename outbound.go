package guanjia

import "time"

// Envelope is one outbound message waiting in the delivery queue. The body is the channel's
// message, opaque to the queue; the other fields are what ordering and pacing need.
type Envelope struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	// Chat is the platform's chat id; messages to one chat leave in order.
	Chat  string `json:"chat"`
	Group bool   `json:"group"`
	// Rank orders lanes: 0 (emergency) first.
	Rank int `json:"rank"`
	// Seq is the queue's own sequence number, set when the envelope is queued.
	Seq      int64     `json:"seq"`
	Body     []byte    `json:"body"`
	Attempts int       `json:"attempts"`
	Queued   time.Time `json:"queued"`
	// LastError is why the latest attempt failed, for operators.
	LastError string `json:"last_error,omitempty"`
}

// Rate is a pacing rule: at most Max messages in any Window.
type Rate struct {
	Max    int           `json:"max" yaml:"max"`
	Window time.Duration `json:"window" yaml:"window"`
}

// Zero reports whether the rule is unset (no limit).
func (r Rate) Zero() bool { return r.Max <= 0 || r.Window <= 0 }

// RateKey is one pacing rule applied to one key, e.g. the chat "telegram:chat:42".
type RateKey struct {
	Key  string
	Rate Rate
	// Bucket reads Rate as a token bucket: a burst of up to Max at once, refilled at Max per
	// Window, so the average holds while a short burst goes out without waiting.
	Bucket bool
}
