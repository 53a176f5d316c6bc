package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// PutChat saves a chat under ChatID(Channel, PlatformID), replacing any there: binding a chat
// again changes its role.
func (s *Store) PutChat(ctx context.Context, c guanjia.Chat) error {
	id, err := derivedID("chat", c.ID, guanjia.ChatID(c.Channel, c.PlatformID))
	if err != nil {
		return err
	}
	c.ID = id
	if err := put(ctx, s.chats, c.ID, c, "chat"); err != nil {
		return err
	}
	s.dir.changed(ctx)
	return nil
}

// Chat finds a chat by channel and the platform's chat id.
func (s *Store) Chat(ctx context.Context, channel, platformID string) (guanjia.Chat, error) {
	id := guanjia.ChatID(channel, platformID)
	return cached(ctx, s.dir, "chat\x00"+id, func() (guanjia.Chat, error) {
		return findOne[guanjia.Chat](ctx, s.chats, byID(id), "chat "+id)
	}, copyChat)
}

// ChatsByRole lists a community's chats of one role, ordered by id; none is an empty list.
func (s *Store) ChatsByRole(ctx context.Context, community string, role guanjia.ChatRole) ([]guanjia.Chat, error) {
	return cached(ctx, s.dir, "role\x00"+community+"\x00"+string(role), func() ([]guanjia.Chat, error) {
		filter := bson.D{{Key: "community", Value: community}, {Key: "role", Value: role}}
		return findAll[guanjia.Chat](ctx, s.chats, filter, "chats of "+community,
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	}, copyEach(copyChat))
}

// PrivateChats lists the private chats of a person on every channel, ordered by id; none is
// an empty list.
func (s *Store) PrivateChats(ctx context.Context, person string) ([]guanjia.Chat, error) {
	filter := bson.D{{Key: "role", Value: guanjia.ChatPrivate}, {Key: "person", Value: person}}
	return findAll[guanjia.Chat](ctx, s.chats, filter, "private chats of "+person,
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// MarkChatUnreachable records why messages to a chat fail for good. A chat that was never
// bound is recorded too, so that operators see it.
func (s *Store) MarkChatUnreachable(ctx context.Context, channel, platformID, reason string) error {
	id := guanjia.ChatID(channel, platformID)
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "unreachable", Value: reason}, {Key: "unreachable_at", Value: time.Now().UTC()}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "channel", Value: channel}, {Key: "platform_id", Value: platformID}}},
	}
	if _, err := s.chats.UpdateOne(ctx, byID(id), update, options.UpdateOne().SetUpsert(true)); err != nil {
		return fmt.Errorf("mongostore: mark chat %s unreachable: %w", id, err)
	}
	s.dir.changed(ctx)
	return nil
}
