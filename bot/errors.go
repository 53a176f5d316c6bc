package bot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// SendErrorKind says what a failed send means for the message.
type SendErrorKind int

// Kinds of send failures.
const (
	// SendTransient is a network error or a server fault: try again after a backoff.
	SendTransient SendErrorKind = iota
	// SendRateLimited means the platform asked to wait RetryAfter before sending to that chat.
	SendRateLimited
	// SendPermanent means the message can never be delivered (bot removed from the group,
	// user blocked the bot, bad request): give up on it and mark the chat unreachable.
	SendPermanent
)

func (k SendErrorKind) String() string {
	switch k {
	case SendRateLimited:
		return "rate_limited"
	case SendPermanent:
		return "permanent"
	}
	return "transient"
}

// SendError is how a channel reports a failed send, so that the outbound queue can decide
// between waiting, retrying and giving up. Errors that are not a *SendError count as transient.
type SendError struct {
	Kind SendErrorKind
	// RetryAfter is how long the platform asked to wait (SendRateLimited).
	RetryAfter time.Duration
	// Reason is a short machine-readable cause, e.g. "forbidden" or "chat_not_found".
	Reason string
	Err    error
}

func (e *SendError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("send %s (%s, retry after %s): %v", e.Kind, e.Reason, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("send %s (%s): %v", e.Kind, e.Reason, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Linker is implemented by channels that can send a person from a group to a private chat
// with the bot, e.g. Telegram's deep links (t.me/<bot>?start=<payload>).
type Linker interface {
	// PrivateLink returns a link that opens the private chat and sends "/start <payload>".
	PrivateLink(payload string) (string, bool)
}

// TextLimiter is implemented by channels whose messages have a maximum length; longer texts
// are split at line boundaries before they are queued.
type TextLimiter interface {
	MaxText() int
}

// AccountBinder is implemented by channels whose platform ids are not stable across logins
// (WeChat's UserName changes every login). When a person binds with a code, the channel
// records a stable handle for the account (e.g. a remark name carrying the person's id) and
// returns the id it will report as Message.SenderID (and ChatID of the private chat) from
// then on; that id is what the records keep.
type AccountBinder interface {
	BindAccount(ctx context.Context, m Message, personID string) (stableID string, err error)
}

// RedactQuery takes the query out of the URLs an error quotes, where platforms carry their
// keys (a WeCom webhook key; WeChat's skey, sid and pass_ticket): errors reach logs, /readyz
// and the staff alert.
func RedactQuery(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			ue.URL = u.String()
		} else {
			ue.URL = "(url hidden)"
		}
	}
	return err
}
