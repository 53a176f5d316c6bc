package guanjia

import (
	"slices"
	"time"
)

// Broadcast letters: the first letter of a broadcast's number.
const (
	// LetterEmergency numbers emergencies (E20261126-0001).
	LetterEmergency = "E"
	// LetterNotice numbers announcements (N20261126-0001).
	LetterNotice = "N"
)

// Broadcast is an announcement or an emergency the office sends to the residents of a
// community or of some of its buildings. What happens to it afterwards (sent, acknowledged,
// updated, closed) is kept as BroadcastEvents, each a record of its own: FerretDB does not
// update atomically, but it refuses a second insert of one _id.
type Broadcast struct {
	// ID is TicketID(Community, No).
	ID        string `bson:"_id" json:"id"`
	No        string `bson:"no" json:"no"`
	Community string `bson:"community" json:"community"`
	Emergency bool   `bson:"emergency" json:"emergency"`
	// Kind is the template it was drafted from: water, power, elevator, gas, fire,
	// inspection, storm or other.
	Kind string `bson:"kind" json:"kind"`
	// Buildings are the buildings it is for; none means the whole community.
	Buildings []int  `bson:"buildings,omitempty" json:"buildings,omitempty"`
	Text      string `bson:"text" json:"text"`
	// At is when it goes out.
	At         time.Time `bson:"at" json:"at"`
	By         string    `bson:"by" json:"by"`
	ByName     string    `bson:"by_name" json:"by_name"`
	Submission string    `bson:"submission" json:"submission"`
	Created    time.Time `bson:"created" json:"created"`
	// NeedsApproval is set on an announcement to a whole community that waits for a
	// supervisor's confirm.
	NeedsApproval bool `bson:"needs_approval,omitempty" json:"needs_approval,omitempty"`
	// Audience are the chats it goes to, fixed when it is confirmed: updates and the
	// all-clear go to the same chats.
	Audience []Recipient `bson:"audience" json:"audience"`
}

// Covers reports whether the broadcast is for a building.
func (b Broadcast) Covers(building int) bool {
	return inAudience(b.Buildings, building)
}

// inAudience reports whether building is among buildings, where no buildings means the
// whole community: how broadcasts, events and surveys name whom they are for.
func inAudience(buildings []int, building int) bool {
	return len(buildings) == 0 || slices.Contains(buildings, building)
}

// Recipient is one chat a broadcast goes to.
type Recipient struct {
	Channel string `bson:"channel" json:"channel"`
	Chat    string `bson:"chat" json:"chat"`
	Name    string `bson:"name,omitempty" json:"name,omitempty"`
	Group   bool   `bson:"group,omitempty" json:"group,omitempty"`
	// Person is the resident of a private chat.
	Person string `bson:"person,omitempty" json:"person,omitempty"`
	Lang   string `bson:"lang,omitempty" json:"lang,omitempty"`
}

// Broadcast actions, as kept in BroadcastEvent.Action.
const (
	BcastConfirmed = "confirmed"
	BcastApproved  = "approved"
	BcastSent      = "sent"
	// BcastDelivered is a chat's message accepted by its platform; Note is "group" or
	// "private".
	BcastDelivered = "delivered"
	BcastWithdrawn = "withdrawn"
	BcastAck       = "ack"
	BcastUpdate    = "update"
	BcastChecked   = "checked"
	BcastClosed    = "closed"
)

// BroadcastEvent is one thing that happened to a broadcast. Its ID makes the events that may
// happen once unique: "<community>/<no>/ack/<household>", ".../closed".
type BroadcastEvent struct {
	ID        string    `bson:"_id" json:"id"`
	Community string    `bson:"community" json:"community"`
	No        string    `bson:"no" json:"no"`
	Action    string    `bson:"action" json:"action"`
	At        time.Time `bson:"at" json:"at"`
	Actor     string    `bson:"actor,omitempty" json:"actor,omitempty"`
	ActorName string    `bson:"actor_name,omitempty" json:"actor_name,omitempty"`
	// Household and Building are the acknowledging (or checked) resident's.
	Household string `bson:"household,omitempty" json:"household,omitempty"`
	Building  int    `bson:"building,omitempty" json:"building,omitempty"`
	Channel   string `bson:"channel,omitempty" json:"channel,omitempty"`
	Note      string `bson:"note,omitempty" json:"note,omitempty"`
}

// BroadcastEventID names an event of a broadcast; parts make it unique.
func BroadcastEventID(community, no string, parts ...string) string {
	id := community + "/" + no
	for _, p := range parts {
		id += "/" + p
	}
	return id
}
