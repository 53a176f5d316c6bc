package wxfake

import (
	"net/http"
	"slices"
	"strings"
)

// person is someone the bot's account knows: a friend, or a member of one of its groups.
type person struct {
	id, nick string
	friend   bool
	// remark is the remark name the bot set on a friend; WeChat keeps it across logins.
	remark    string
	signature string
	userName  string
}

// group is a group chat the bot's account is in.
type group struct {
	id, name string
	members  []string // person ids
	display  map[string]string
	// botDisplay is the bot's own display name in the group; "" shows its nickname.
	botDisplay string
	userName   string
	// hideNames lists the members without names; unsaved is a group not saved to the
	// contacts, quiet one without recent messages.
	hideNames, unsaved, quiet bool
}

// contacts is what the account knows; every login names everyone anew.
type contacts struct {
	people   map[string]*person
	groups   map[string]*group
	order    []string // people, in the order they were added
	gorder   []string
	selfUser string
	mpUser   string
	// byUser maps the current login's UserNames to "p:"+person id, "g:"+group id or "self".
	byUser map[string]string
	// issued are every UserName ever handed out, for tests that check none was stored.
	issued []string
}

func (c *contacts) init() {
	c.people, c.groups, c.byUser = map[string]*person{}, map[string]*group{}, map[string]string{}
}

// AddFriend adds a friend of the bot's account; id is the test's own name for them.
func (s *Server) AddFriend(id, nick string) { s.addPerson(id, nick, true) }

// AddMember adds someone who is not a friend, to be put in groups.
func (s *Server) AddMember(id, nick string) { s.addPerson(id, nick, false) }

func (s *Server) addPerson(id, nick string, friend bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.people[id] = &person{id: id, nick: nick, friend: friend}
	s.order = append(s.order, id)
	s.rename()
}

// AddGroup adds a group the bot is in, with these people (added before) as members.
func (s *Server) AddGroup(id, name string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range members {
		if s.people[m] == nil {
			s.t.Fatalf("wxfake: group %s: no person %s", id, m)
		}
	}
	s.groups[id] = &group{id: id, name: name, members: members, display: map[string]string{}}
	s.gorder = append(s.gorder, id)
	s.rename()
}

// AddToGroup adds people (added before) to a group, as when they join it; the group gets
// WeChat's system message about it.
func (s *Server) AddToGroup(groupID string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupID]
	g.members = append(g.members, members...)
	s.rename()
	for _, m := range members {
		s.push(g.userName, "", 10000, `"`+s.people[m].nick+`"加入了群聊`)
	}
}

// SetDisplayName sets a member's display name in a group ("" goes back to their nickname).
func (s *Server) SetDisplayName(groupID, personID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].display[personID] = name
}

// SetBotDisplayName sets the bot's own display name in a group, the name people @-mention.
func (s *Server) SetBotDisplayName(groupID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID].botDisplay = name
}

// Remark is the remark name the bot set on a friend, "" if none.
func (s *Server) Remark(personID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.people[personID].remark
}

// UserName is a person's or group's UserName in the current login, as the bot sees it.
func (s *Server) UserName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.people[id]; ok {
		return p.userName
	}
	return s.groups[id].userName
}

// IssuedUserNames returns every UserName the server ever handed out, the bot's own too.
func (s *Server) IssuedUserNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// rename gives everyone a UserName where they have none; renameAll (a new login) gives
// everyone a new one. Callers hold s.mu.
func (s *Server) rename() { s.name(false) }

func (s *Server) renameAll() { s.name(true) }

func (s *Server) name(all bool) {
	issue := func(prefix string) string {
		u := prefix + randomHex(16)
		s.issued = append(s.issued, u)
		return u
	}
	if all || s.selfUser == "" {
		delete(s.byUser, s.selfUser)
		s.selfUser = issue("@")
		s.byUser[s.selfUser] = "self"
		delete(s.byUser, s.mpUser)
		s.mpUser = issue("@")
		s.byUser[s.mpUser] = "mp"
	}
	for _, id := range s.order {
		if p := s.people[id]; all || p.userName == "" {
			delete(s.byUser, p.userName)
			p.userName = issue("@")
			s.byUser[p.userName] = "p:" + id
		}
	}
	for _, id := range s.gorder {
		if g := s.groups[id]; all || g.userName == "" {
			delete(s.byUser, g.userName)
			g.userName = issue("@@")
			s.byUser[g.userName] = "g:" + id
		}
	}
}

// groupsInOrder lists the groups by UserName, so that their order changes with every login
// as in WeChat, where it means nothing.
func (s *Server) groupsInOrder() []*group {
	var out []*group
	for _, id := range s.gorder {
		out = append(out, s.groups[id])
	}
	slices.SortFunc(out, func(a, b *group) int { return strings.Compare(a.userName, b.userName) })
	return out
}

func (s *Server) personUser(p *person) map[string]any {
	u := map[string]any{"UserName": p.userName, "NickName": p.nick, "VerifyFlag": 0, "ContactFlag": 0,
		"Signature": p.signature}
	if p.friend {
		u["RemarkName"], u["ContactFlag"] = p.remark, 3
	}
	return u
}

// groupUser is a group as the contact list shows it; with members, as its details show it.
func (s *Server) groupUser(g *group, members bool) map[string]any {
	u := map[string]any{"UserName": g.userName, "NickName": g.name, "VerifyFlag": 0, "ContactFlag": 3,
		"MemberCount": len(g.members) + 1, "MemberList": []any{}}
	if members {
		list := []any{map[string]any{"UserName": s.selfUser, "NickName": BotNick, "DisplayName": g.botDisplay}}
		for _, id := range g.members {
			p := s.people[id]
			if g.hideNames {
				list = append(list, map[string]any{"UserName": p.userName, "NickName": "", "DisplayName": ""})
				continue
			}
			list = append(list, map[string]any{"UserName": p.userName, "NickName": p.nick, "DisplayName": g.display[id]})
		}
		u["MemberList"] = list
	}
	return u
}

// getContact lists the friends, the groups saved to contacts and an official account, which
// the bot must ignore.
func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	if !s.liveSkey(r.URL.Query().Get("skey")) {
		writeJSON(w, map[string]any{"BaseResponse": ret(1101), "MemberList": []any{}, "Seq": 0})
		return
	}
	list := []any{map[string]any{"UserName": s.mpUser, "NickName": "物业公告", "VerifyFlag": 24, "ContactFlag": 3}}
	for _, id := range s.order {
		if p := s.people[id]; p.friend {
			list = append(list, s.personUser(p))
		}
	}
	for _, g := range s.groupsInOrder() {
		if !g.unsaved {
			list = append(list, s.groupUser(g, false))
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (s *Server) batchGetContact(w http.ResponseWriter, body []byte) {
	var req struct {
		BaseRequest baseRequest
		List        []struct{ UserName string }
	}
	if !s.decode(body, &req) {
		return
	}
	if !s.live(req.BaseRequest) {
		writeJSON(w, map[string]any{"BaseResponse": ret(1101), "ContactList": []any{}})
		return
	}
	list := []any{}
	for _, item := range req.List {
		switch key := s.byUser[item.UserName]; {
		case len(key) > 2 && key[:2] == "g:":
			list = append(list, s.groupUser(s.groups[key[2:]], true))
		case len(key) > 2 && key[:2] == "p:":
			list = append(list, s.personUser(s.people[key[2:]]))
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": ret(0), "Count": len(list), "ContactList": list})
}

// opLog sets a friend's remark name (CmdId 2), which WeChat keeps across logins — unless it
// drops remarks, as the real one does: then it answers Ret 0 all the same.
func (s *Server) opLog(w http.ResponseWriter, body []byte) {
	var req struct {
		BaseRequest          baseRequest
		CmdID                int `json:"CmdId"`
		RemarkName, UserName string
	}
	if !s.decode(body, &req) {
		return
	}
	if !s.live(req.BaseRequest) {
		writeJSON(w, map[string]any{"BaseResponse": ret(1101)})
		return
	}
	key := s.byUser[req.UserName]
	if req.CmdID != 2 || len(key) < 2 || key[:2] != "p:" || !s.people[key[2:]].friend {
		writeJSON(w, map[string]any{"BaseResponse": ret(1)})
		return
	}
	if !s.dropRemarks {
		s.people[key[2:]].remark = req.RemarkName
	}
	s.notify()
	writeJSON(w, map[string]any{"BaseResponse": ret(0)})
}
