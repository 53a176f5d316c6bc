// Package bot is the channel-neutral chat core: the message and reply model, the Channel
// seam every adapter implements, and the Mux that runs channels and handles each
// conversation's messages one at a time and in order.
package bot

import (
	"context"
	"time"
)

// Message is one inbound message, as every adapter reports it.
type Message struct {
	// Channel is the adapter's name, e.g. "console" or "telegram".
	Channel string
	// ID is the platform's message id, used to handle a redelivered message once.
	ID string
	// ChatID is the platform's chat id.
	ChatID string
	// ChatName is the chat's display name where the platform gives one.
	ChatName string
	// Group is true for a chat that more than one person reads.
	Group bool
	// SenderID is the platform's stable user id.
	SenderID string
	// SenderName is the sender's display name.
	SenderName string
	Text       string
	// Choice is the value of a choice the person picked (a button, or a number the adapter mapped).
	Choice string
	// Photo is a reference to a photo the person sent, resolvable by the adapter.
	Photo string
	// Mentioned is true when the message addressed the bot in a group.
	Mentioned bool
	// PromptID is the platform's id of the bot's message whose button was pressed, for a
	// press; replies may edit that message (Reply.Edit).
	PromptID string
	// Quote is the text of the message this one answers (a reply on Telegram, a quote on
	// WeChat), when it answers one: a steward answering a ticket card with "接单" means that
	// ticket.
	Quote string
	At    time.Time
}

// Choice is one option offered with a reply.
type Choice struct {
	Label string
	// Value is what comes back as Message.Choice when the option is picked.
	Value string
}

// Lane orders outbound messages: emergencies go before conversation replies, which go
// before notices. The zero value is the conversation lane.
type Lane int

// Lanes.
const (
	LaneReply Lane = iota
	LaneEmergency
	LaneNotice
)

// Rank is the lane's place in the sending order, 0 first.
func (l Lane) Rank() int {
	switch l {
	case LaneEmergency:
		return 0
	case LaneReply:
		return 1
	}
	return 2
}

// Reply is one outbound message.
type Reply struct {
	Channel string
	// ChatID is the platform's chat id.
	ChatID string
	// Group is true when the chat is a group, which platforms pace differently.
	Group   bool
	Text    string
	Choices []Choice
	// For is the platform user id the choices are meant for; empty means anyone in the chat.
	// Adapters with buttons refuse a press by someone else.
	For string
	// Photo is a file reference to send along, if any.
	Photo string
	Lane  Lane
	// Tag names what the message belongs to (a broadcast), for Outbox's Delivered hook;
	// channels ignore it.
	Tag string `json:",omitempty"`
	// Edit is the platform's id of a message of the bot in the chat to replace (its text and
	// buttons) instead of sending a new one: a survey's counts kept up to date in place.
	// Channels that cannot edit messages send it as a new one.
	Edit string `json:",omitempty"`
	// Unless names a condition that makes the message pointless (a reminder of a bill paid
	// meanwhile); the outbox asks Options.Stale just before sending it and drops it then.
	Unless string `json:",omitempty"`
}

// Handler turns an inbound message into the replies it causes. It reports its own errors
// to the user; the mux only delivers what it returns.
type Handler interface {
	Handle(ctx context.Context, m Message) []Reply
}

// Inbox takes inbound messages from a channel. The returned channel is closed when the
// message has been handled and its replies sent.
type Inbox interface {
	Deliver(ctx context.Context, m Message) <-chan struct{}
}

// Channel is a chat platform adapter.
type Channel interface {
	// Name is the channel's name, as in Message.Channel.
	Name() string
	// Run receives messages and passes them to in until ctx is done or input ends.
	Run(ctx context.Context, in Inbox) error
	// Send delivers one reply.
	Send(ctx context.Context, r Reply) error
}
