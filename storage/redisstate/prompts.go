package redisstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia"
)

// PromptTTL is how long a sent message with buttons can still be answered. Buttons pressed
// later are refused as expired.
const PromptTTL = 7 * 24 * time.Hour

// Prompts, messages sent with buttons:
//
//	prompt:<ch>:<chat>:<msg>         hash: for (the user the buttons are meant for), body
//	                                 (the channel's own record, opaque here), claim (the
//	                                 press that answered it)
//	prompt-latest:<ch>:<chat>:<for>  the id of the newest prompt in the chat for that user
//
// Both lapse after PromptTTL.

func (s *Store) promptKey(channel, chat string, messageID int) string {
	return s.prefix + "prompt:" + channel + ":" + chat + ":" + strconv.Itoa(messageID)
}

func (s *Store) promptLatestKey(channel, chat, forUser string) string {
	return s.prefix + "prompt-latest:" + channel + ":" + chat + ":" + forUser
}

// savePromptScript stores the prompt and moves the latest marker only forwards: message ids
// grow within a chat, and two replies sent at once may be recorded in either order.
var savePromptScript = redis.NewScript(`
redis.call("HSET", KEYS[1], "for", ARGV[1], "body", ARGV[2])
redis.call("PEXPIRE", KEYS[1], ARGV[4])
local cur = tonumber(redis.call("GET", KEYS[2]) or "-1")
if tonumber(ARGV[3]) >= cur then
	redis.call("SET", KEYS[2], ARGV[3], "PX", ARGV[4])
end
return 1`)

// SavePrompt records the message messageID sent to chat with buttons meant for forUser (empty
// means anyone in the chat), so that a press can be checked and mapped back to its choice.
func (s *Store) SavePrompt(ctx context.Context, channel, chat string, messageID int, forUser string, body []byte) error {
	keys := []string{s.promptKey(channel, chat, messageID), s.promptLatestKey(channel, chat, forUser)}
	err := savePromptScript.Run(ctx, s.rdb, keys, forUser, body, messageID, PromptTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redisstate: save prompt %s:%s:%d: %w", channel, chat, messageID, err)
	}
	return nil
}

// LoadPrompt returns the body saved for the message, and whether it is the newest prompt in
// its chat for its user. It returns an error wrapping guanjia.ErrNotFound when there is no such
// prompt or it lapsed.
func (s *Store) LoadPrompt(ctx context.Context, channel, chat string, messageID int) (body []byte, latest bool, err error) {
	vals, err := s.rdb.HMGet(ctx, s.promptKey(channel, chat, messageID), "for", "body").Result()
	if err != nil {
		return nil, false, fmt.Errorf("redisstate: load prompt %s:%s:%d: %w", channel, chat, messageID, err)
	}
	forUser, ok1 := vals[0].(string)
	raw, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, false, fmt.Errorf("redisstate: load prompt %s:%s:%d: %w", channel, chat, messageID, guanjia.ErrNotFound)
	}
	newest, err := s.rdb.Get(ctx, s.promptLatestKey(channel, chat, forUser)).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, false, fmt.Errorf("redisstate: load prompt %s:%s:%d: latest: %w", channel, chat, messageID, err)
	}
	return []byte(raw), err == nil && newest == messageID, nil
}

// claimPromptScript gives a prompt to the first press; the same press again (a redelivered
// update) keeps it, any other press is refused.
var claimPromptScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then
	return 0
end
if redis.call("HSETNX", KEYS[1], "claim", ARGV[1]) == 1 then
	return 1
end
if redis.call("HGET", KEYS[1], "claim") == ARGV[1] then
	return 1
end
return 0`)

// ClaimPrompt marks the prompt as answered by claim (e.g. the id of the update that pressed a
// button). It reports true when claim holds the prompt: the first claim, or the same claim
// again after a restart. Other claims, and claims on a lapsed prompt, get false, so a button
// pressed twice or by two people at once counts once.
func (s *Store) ClaimPrompt(ctx context.Context, channel, chat string, messageID int, claim string) (bool, error) {
	n, err := claimPromptScript.Run(ctx, s.rdb, []string{s.promptKey(channel, chat, messageID)}, claim).Int()
	if err != nil {
		return false, fmt.Errorf("redisstate: claim prompt %s:%s:%d: %w", channel, chat, messageID, err)
	}
	return n == 1, nil
}
