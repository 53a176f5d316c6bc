package wechat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia/bot"
)

// membersFresh is how old a group's member list may be when it decides who a bound display
// name belongs to.
const membersFresh = 5 * time.Minute

// remarkPrefix starts the remark name the bot sets on a friend who bound: "gj-<person id>".
const remarkPrefix = "gj-"

// errAmbiguous refuses a binding by a display name two members of the group share.
var errAmbiguous = errors.New("wechat: two group members share the display name")

// errNoName refuses a binding by a member WeChat shows without any name.
var errNoName = errors.New("wechat: the group member has no name to bind by")

// memberKey is how a group member's binding is kept: their display name there together with
// their nickname, so that someone who takes over a bound member's old display name is not
// taken for them.
func memberKey(m *openwechat.User) string { return nameKey(displayName(m) + "\x00" + m.NickName) }

// who is the sender of a group message.
type who struct {
	id, name string
	// bound is true for a member recognised by display name; ambiguous when another member
	// shows the same name, so that recognising them would be a guess.
	bound, ambiguous bool
}

// memberIdentity finds who a group member is: a friend by the bot's remark, a member who
// bound in this group by display name, else someone not bound, for this login only.
func (c *Channel) memberIdentity(ctx context.Context, s *session, g *groupInfo, m *openwechat.User) (who, error) {
	count := func() (who, *openwechat.User, time.Time) {
		dir, unlock := s.lockDir()
		defer unlock()
		name := displayName(m)
		same := 0
		for _, other := range g.members {
			if displayName(other) == name {
				same++
			}
		}
		return who{name: name, ambiguous: same > 1}, dir.friends[m.UserName], g.loaded
	}
	w, f, loaded := count()
	if w.name == "" {
		// WeChat showed no name: nothing to recognise them by in the group.
		w.id, w.ambiguous = sessionID(m.UserName), true
		if f != nil {
			dir, unlock := s.lockDir()
			w.id, w.ambiguous = dir.friendID(f), false
			unlock()
		}
		return w, nil
	}
	if f != nil {
		// A friend is known as a friend, whatever name others show.
		dir, unlock := s.lockDir()
		w.id, w.ambiguous = dir.friendID(f), false
		unlock()
		return w, nil
	}
	pid, ok, err := c.cfg.Memory.WeChatMember(ctx, g.id, memberKey(m))
	if err != nil {
		return w, fmt.Errorf("wechat: member binding: %w", err)
	}
	if ok && time.Since(loaded) > membersFresh {
		// Renaming oneself in a group is not announced: an old list could hide a double.
		if err := c.refreshMembers(ctx, s, g); err != nil {
			return w, err
		}
		w, _, _ = count()
	}
	if ok && !w.ambiguous {
		w.id, w.bound = "m:"+pid, true
		return w, nil
	}
	w.bound = ok
	w.id = sessionID(m.UserName)
	return w, nil
}

// bindPattern is a binding code as the flows take it, in a message of its own.
var bindPattern = regexp.MustCompile(`^(?:绑定|/bind|/start)\s+\d{6}$`)

func bindCommand(text string) bool { return bindPattern.MatchString(strings.ToLower(text)) }

// BindAccount implements bot.AccountBinder. A friend gets the remark name "gj-<person id>",
// by which they are known after every login ("f:<person id>"); a group member who is not a
// friend is bound by their display name in that group ("m:<person id>"), refused when another
// member shows the same name.
func (c *Channel) BindAccount(ctx context.Context, m bot.Message, personID string) (string, error) {
	if personID == "" || strings.ContainsAny(personID, " \t\n") {
		return "", fmt.Errorf("wechat: bind account: bad person id %q", personID)
	}
	s := c.current()
	if s == nil {
		return "", errors.New("wechat: bind account: not logged in")
	}
	dir, unlock := s.lockDir()
	var (
		user   string
		member *openwechat.User
		g      *groupInfo
	)
	if m.Group {
		g = dir.byID[m.ChatID]
		if g != nil {
			member = senderIn(dir, g, m)
		}
		if member != nil && dir.friends[member.UserName] != nil {
			user = member.UserName
		}
	} else {
		user = dir.userOf(m.SenderID)
	}
	unlock()
	switch {
	case user != "":
		return c.remark(ctx, s, user, personID)
	case member != nil:
		who, err := c.memberIdentity(ctx, s, g, member)
		if err != nil {
			return "", err
		}
		if who.name == "" {
			return "", errNoName
		}
		if who.ambiguous {
			return "", errAmbiguous
		}
		if err := c.cfg.Memory.BindWeChatMember(ctx, g.id, memberKey(member), personID); err != nil {
			return "", fmt.Errorf("wechat: bind member: %w", err)
		}
		c.log.Info("wechat group member bound", "chat_id", g.id, "person", personID)
		return "m:" + personID, nil
	}
	return "", fmt.Errorf("wechat: bind account: sender %s not found in this login", m.SenderID)
}

// senderIn finds the group member a message of the channel's came from.
func senderIn(dir *directory, g *groupInfo, m bot.Message) *openwechat.User {
	for _, mem := range g.members {
		if f := dir.friends[mem.UserName]; f != nil && dir.friendID(f) == m.SenderID ||
			sessionID(mem.UserName) == m.SenderID {
			return mem
		}
	}
	if strings.HasPrefix(m.SenderID, "m:") {
		var found *openwechat.User
		for _, mem := range g.members {
			if displayName(mem) == m.SenderName {
				if found != nil {
					return nil
				}
				found = mem
			}
		}
		return found
	}
	return nil
}

// userOf finds the UserName a friend's id stands for in this login, "" when none.
func (d *directory) userOf(id string) string {
	if pid, ok := strings.CutPrefix(id, "f:"); ok {
		if u := d.users[pid]; d.friends[u] != nil {
			return u
		}
		return ""
	}
	if u := d.sessionIDs[id]; d.friends[u] != nil {
		return u
	}
	return ""
}

// refuse answers in a group without involving the flows, addressing the sender by name.
func (c *Channel) refuse(ctx context.Context, chat, name, text string) {
	if name != "" {
		text = "@" + name + " " + text
	}
	c.say(ctx, bot.Reply{Channel: Name, ChatID: chat, Group: true, Text: text})
}

// say sends the channel's own short answer without involving the flows.
func (c *Channel) say(ctx context.Context, r bot.Reply) {
	chat := r.ChatID
	if c.cfg.Outbound == nil {
		if err := c.Send(ctx, r); err != nil {
			c.log.Warn("wechat answer not sent", "chat_id", chat, "err", err)
		}
		return
	}
	if _, err := c.cfg.Outbound.Enqueue(ctx, []bot.Reply{r}); err != nil {
		c.log.Warn("wechat answer not queued", "chat_id", chat, "err", err)
	}
}
