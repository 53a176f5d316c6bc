package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia/bot"
)

// contactsTimeout bounds loading the contacts and group details after a login.
const contactsTimeout = time.Minute

// directory is what one login knows of the account's contacts, by this login's UserNames.
// The session's mutex guards it.
type directory struct {
	friends map[string]*openwechat.User
	// ignored are official accounts and other contacts that are not people.
	ignored map[string]bool
	groups  map[string]*groupInfo // by UserName
	byID    map[string]*groupInfo // by stable id
	// sessionIDs maps the "u:<hash>" ids handed out to the UserNames they stand for.
	sessionIDs map[string]string
	// ids are the "f:<person id>" of the friends known as a person, by UserName; users the
	// other way round, by person id.
	ids, users map[string]string
	// unsure are friends who may be a bound person but cannot be told apart; asked those of
	// them asked to bind again in this login.
	unsure, asked map[string]bool
}

func newDirectory() *directory {
	return &directory{friends: map[string]*openwechat.User{}, ignored: map[string]bool{},
		groups: map[string]*groupInfo{}, byID: map[string]*groupInfo{}, sessionIDs: map[string]string{},
		ids: map[string]string{}, users: map[string]string{}, unsure: map[string]bool{}, asked: map[string]bool{}}
}

// groupInfo is a group in one login.
type groupInfo struct {
	id, userName, name string
	members            openwechat.Members
	// loaded is when the member list was fetched.
	loaded time.Time
}

// member finds a member by UserName.
func (g *groupInfo) member(userName string) *openwechat.User {
	for _, m := range g.members {
		if m.UserName == userName {
			return m
		}
	}
	return nil
}

// displayName is how a member shows in a group: the name they set there, else their nickname.
func displayName(m *openwechat.User) string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.NickName
}

func (d *directory) addFriend(u *openwechat.User) {
	cleanNames(u)
	d.friends[u.UserName] = u
	d.sessionIDs[sessionID(u.UserName)] = u.UserName
}

func (d *directory) addGroup(g *groupInfo) {
	d.groups[g.userName] = g
	d.byID[g.id] = g
	for _, m := range g.members {
		d.sessionIDs[sessionID(m.UserName)] = m.UserName
	}
}

// shortHash is a hex prefix of the SHA-256 of s: names and UserNames are kept only this way.
func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// sessionID is the id of someone not bound yet: it lasts as long as this login's UserName.
func sessionID(userName string) string { return "u:" + shortHash(userName, 16) }

// nameKey is how a name (of a group, of a member) is kept.
func nameKey(name string) string { return shortHash(name, 12) }

// isPerson reports whether a contact is a friend rather than a group or an official account.
func isPerson(u *openwechat.User, self string) bool {
	return !u.IsGroup() && strings.HasPrefix(u.UserName, "@") && u.VerifyFlag == 0 && u.UserName != self
}

// loadContacts reads the account, its contacts and the details of its groups (members
// included) for a new login, and gives every group its stable id.
func (c *Channel) loadContacts(ctx context.Context, s *session) error {
	ctx, cancel := context.WithTimeout(ctx, contactsTimeout)
	defer cancel()
	// webwxinit's answer: set during the login, never written again by openwechat.
	init := s.bot.Storage.Response
	if init == nil || init.User == nil {
		return fmt.Errorf("wechat: login without an account")
	}
	self := init.User.UserName
	s.mu.Lock()
	s.self, s.nick = self, init.User.NickName
	s.mu.Unlock()
	list, err := s.bot.Caller.WebWxGetContact(ctx, s.bot.Storage.LoginInfo)
	if err != nil {
		return fmt.Errorf("wechat: contacts: %w", bot.RedactQuery(err))
	}
	// Recent chats hold groups that are not saved to the contacts: a few in ContactList, all
	// of them by UserName in ChatSet.
	list = append(list, init.ContactList...)
	for _, user := range strings.Split(init.ChatSet, ",") {
		if strings.HasPrefix(user, "@@") {
			list = append(list, &openwechat.User{UserName: user})
		}
	}
	dir := newDirectory()
	var groups openwechat.Members
	seen := map[string]bool{}
	// So are groups this login found since, when a message came from them: kept.
	s.mu.Lock()
	if s.dir != nil {
		for user := range s.dir.groups {
			list = append(list, &openwechat.User{UserName: user})
		}
	}
	s.mu.Unlock()
	for _, u := range list {
		if seen[u.UserName] {
			continue
		}
		seen[u.UserName] = true
		switch {
		case u.IsGroup():
			groups = append(groups, u)
		case isPerson(u, self):
			dir.addFriend(u)
		default:
			dir.ignored[u.UserName] = true
		}
	}
	if groups, err = s.details(ctx, groups); err != nil {
		return err
	}
	friends, err := c.knownFriends(ctx)
	if err != nil {
		return err
	}
	matchFriends(dir, friends)
	known, err := c.knownGroups(ctx)
	if err != nil {
		return err
	}
	if err := c.placeGroups(ctx, self, dir, known, groups); err != nil {
		return err
	}
	s.mu.Lock()
	s.dir, s.reloaded = dir, time.Now()
	s.mu.Unlock()
	c.log.Info("wechat contacts loaded", "friends", len(dir.friends), "groups", len(dir.groups))
	return nil
}

// details fetches contacts' details, groups with their members, 50 at a time as WeChat allows.
func (s *session) details(ctx context.Context, users openwechat.Members) (openwechat.Members, error) {
	var out openwechat.Members
	for start := 0; start < len(users); start += 50 {
		chunk := users[start:min(start+50, len(users))]
		got, err := s.bot.Caller.WebWxBatchGetContact(ctx, chunk, s.bot.Storage.Request)
		if err != nil {
			return nil, fmt.Errorf("wechat: contact details: %w", bot.RedactQuery(err))
		}
		for _, u := range got {
			cleanNames(u)
			for _, m := range u.MemberList {
				cleanNames(m)
			}
		}
		out = append(out, got...)
	}
	return out, nil
}

// cleanNames turns the emoji web WeChat writes into names as <span class="emoji …"></span>
// back into the emoji.
func cleanNames(u *openwechat.User) {
	u.NickName = openwechat.FormatEmoji(u.NickName)
	u.DisplayName = openwechat.FormatEmoji(u.DisplayName)
	u.RemarkName = openwechat.FormatEmoji(u.RemarkName)
}

// lockDir locks the login's directory for reading or changing it; call the returned unlock.
func (s *session) lockDir() (*directory, func()) {
	s.mu.Lock()
	return s.dir, s.mu.Unlock
}

// group finds the group a message came from, fetching it when this login has not seen it
// yet (a group not saved to the contacts).
func (c *Channel) group(ctx context.Context, s *session, userName string) (*groupInfo, error) {
	dir, unlock := s.lockDir()
	g := dir.groups[userName]
	unlock()
	if g != nil {
		return g, nil
	}
	got, err := s.details(ctx, openwechat.Members{{UserName: userName}})
	if err != nil {
		return nil, err
	}
	if len(got) != 1 || !got[0].IsGroup() {
		return nil, fmt.Errorf("wechat: group details: %d contacts", len(got))
	}
	known, err := c.knownGroups(ctx)
	if err != nil {
		return nil, err
	}
	self, _ := s.me()
	dir, unlock = s.lockDir()
	defer unlock()
	if g := dir.groups[userName]; g != nil {
		return g, nil
	}
	if err := c.placeGroups(ctx, self, dir, known, got); err != nil {
		return nil, err
	}
	return dir.groups[userName], nil
}

// refreshMembers fetches a group's member list again, for a member who joined after the
// login.
func (c *Channel) refreshMembers(ctx context.Context, s *session, g *groupInfo) error {
	got, err := s.details(ctx, openwechat.Members{{UserName: g.userName}})
	if err != nil {
		return err
	}
	if len(got) != 1 {
		return fmt.Errorf("wechat: group details: %d contacts", len(got))
	}
	dir, unlock := s.lockDir()
	defer unlock()
	g.members, g.loaded = got[0].MemberList, time.Now()
	dir.addGroup(g)
	return nil
}

// friend finds a friend by UserName, asking WeChat about one this login has not seen (a
// friend added since); ok is false for anyone who is not a friend.
func (c *Channel) friend(ctx context.Context, s *session, userName string) (*openwechat.User, bool, error) {
	dir, unlock := s.lockDir()
	f, ignored := dir.friends[userName], dir.ignored[userName]
	unlock()
	if f != nil || ignored {
		return f, f != nil, nil
	}
	got, err := s.details(ctx, openwechat.Members{{UserName: userName}})
	if err != nil {
		return nil, false, err
	}
	self, _ := s.me()
	dir, unlock = s.lockDir()
	defer unlock()
	if len(got) != 1 || !isPerson(got[0], self) {
		dir.ignored[userName] = true
		return nil, false, nil
	}
	dir.addFriend(got[0])
	return got[0], true, nil
}

// groupIDs are the stable ids of the groups this login lists, sorted.
func (s *session) groupIDs() []string {
	dir, unlock := s.lockDir()
	defer unlock()
	ids := make([]string, 0, len(dir.byID))
	for id := range dir.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
