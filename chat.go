package guanjia

import "time"

// ChatRole says what a chat is for.
type ChatRole string

// Chat roles.
const (
	ChatBuilding ChatRole = "building"
	ChatStaff    ChatRole = "staff"
	ChatPrivate  ChatRole = "private"
)

// Chat is a group or private chat the bot is in, bound to a role.
type Chat struct {
	// ID is ChatID(Channel, PlatformID).
	ID         string   `bson:"_id" json:"id"`
	Channel    string   `bson:"channel" json:"channel"`
	PlatformID string   `bson:"platform_id" json:"platform_id"`
	Name       string   `bson:"name" json:"name"`
	Role       ChatRole `bson:"role" json:"role"`
	Community  string   `bson:"community,omitempty" json:"community,omitempty"`
	// Buildings are the buildings a building group serves.
	Buildings []int `bson:"buildings,omitempty" json:"buildings,omitempty"`
	// Person is the person of a private chat.
	Person string `bson:"person,omitempty" json:"person,omitempty"`
	// Unreachable says why messages to the chat fail for good (bot removed, user blocked
	// the bot); empty while it works.
	Unreachable   string    `bson:"unreachable,omitempty" json:"unreachable,omitempty"`
	UnreachableAt time.Time `bson:"unreachable_at,omitempty" json:"unreachable_at,omitempty"`
}

// ChatID is the storage key of a chat.
func ChatID(channel, platformID string) string { return channel + ":" + platformID }

// IsGroup reports whether people other than one person and the bot read the chat.
func (c Chat) IsGroup() bool { return c.Role != ChatPrivate }
