package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
)

// codePattern is a one-time binding code as `guanjia code` prints it.
var codePattern = regexp.MustCompile(`^\d{6}$`)

// deepLinkRepair starts a deep-link payload that opens the repair flow in private; the
// community of the group it came from follows, for people not bound yet.
const deepLinkRepair = "repair-"

// deepLinkFee opens the private chat to answer a fee question asked in a group.
const deepLinkFee = "fee"

// deepLinkComplaint starts a payload that opens the complaint flow in private.
const deepLinkComplaint = "complaint-"

// privateFlows are the flows that ask for personal details: started in a group on a channel
// with deep links, they continue in the private chat.
var privateFlows = map[string]bool{flowRepair: true, flowComplaint: true}

// privateOnly are the flows never held in a group, where neighbours read along: a complaint
// is often about them. Without a deep link the person is asked to write privately.
var privateOnly = map[string]bool{flowComplaint: true}

// deepLinks are the payloads that open a flow in private, by flow.
var deepLinks = map[string]string{flowRepair: deepLinkRepair, flowComplaint: deepLinkComplaint}

// startFlow starts a flow, sending the person to their private chat first when the flow is
// private and the channel can.
func (e *Engine) startFlow(ctx context.Context, t *turn, name string) error {
	if t.chat.IsGroup() && privateFlows[name] {
		community := t.person.Community
		if community == "" {
			community = t.chat.Community
		}
		if l, ok := e.Linkers[t.msg.Channel]; ok && community != "" {
			if link, ok := l.PrivateLink(deepLinks[name] + community); ok {
				t.say("privacy.go_private", map[string]any{"Link": link, "Flow": t.label("flow." + name)})
				return nil
			}
		}
		if privateOnly[name] {
			t.say("privacy.write_privately", map[string]any{"Flow": t.label("flow." + name)})
			return nil
		}
	}
	return e.flows[name].start(ctx, t)
}

// startFromLink opens a flow in the private chat a deep link led to.
func (e *Engine) startFromLink(ctx context.Context, t *turn, name, community string) error {
	if t.chat.IsGroup() {
		return e.startFlow(ctx, t, name)
	}
	if !t.known && t.person.Community == "" && community != "" {
		if _, err := e.Directory.Community(ctx, community); err == nil {
			t.person.Community = community
		} else if !errors.Is(err, guanjia.ErrNotFound) {
			return fmt.Errorf("flows: deep link: %w", err)
		}
	}
	return e.flows[name].start(ctx, t)
}

// startCommand recognises "/start <code>", "绑定 <code>" and "/bind <code>", which bind the
// sender's account to a person, and "/start repair-<community>", a deep link into a flow.
func (e *Engine) startCommand(ctx context.Context, t *turn, text string) (bool, error) {
	fields := strings.Fields(text)
	if len(fields) != 2 {
		return false, nil
	}
	verb := stripBotName(strings.ToLower(fields[0]))
	switch {
	case verb == "/start" && fields[1] == deepLinkFee:
		return true, e.answerFees(ctx, t, false)
	case verb == "/start" && fields[1] == deepLinkProgress && !t.chat.IsGroup():
		return true, e.tellMyTickets(ctx, t)
	case verb == "/start" && strings.HasPrefix(fields[1], deepLinkRepair):
		return true, e.startFromLink(ctx, t, flowRepair, strings.TrimPrefix(fields[1], deepLinkRepair))
	case verb == "/start" && strings.HasPrefix(fields[1], deepLinkComplaint):
		return true, e.startFromLink(ctx, t, flowComplaint, strings.TrimPrefix(fields[1], deepLinkComplaint))
	case (verb == "/start" || verb == "绑定" || verb == "/bind") && codePattern.MatchString(fields[1]):
		return true, e.bindPerson(ctx, t, fields[1])
	}
	return false, nil
}

// bindPerson binds the sender's platform account to the person a code was issued for, and
// records this private chat as theirs, so that 张三 on Telegram is 张三 in the records.
func (e *Engine) bindPerson(ctx context.Context, t *turn, code string) error {
	if t.chat.IsGroup() && e.AccountBinders[t.msg.Channel] == nil {
		// A code typed in a group is spent by whoever reads it first: refuse it there where
		// a private chat is possible. On WeChat a group member may not be a friend, so the
		// group is where they can bind.
		t.say("bind.in_group", nil)
		return nil
	}
	// Codes are six digits: tries are limited so that nobody can guess their way into a home,
	// per account and, against many accounts, per community.
	if locked, err := e.locked(ctx, "bindlock:code:"+codeScope(t)); err != nil {
		return err
	} else if locked {
		t.say("bind.code_locked", map[string]any{"Hours": int(codeLock.Hours())})
		return nil
	}
	n, err := e.Attempts.CountAttempt(ctx, "bindcode:"+t.msg.Channel+":"+t.msg.SenderID, 24*time.Hour)
	if err != nil {
		return fmt.Errorf("flows: bind: %w", err)
	}
	if n > maxCodeTries {
		t.say("bind.code_too_many", nil)
		return nil
	}
	personID, err := e.Binder.UseCode(ctx, code, e.Now())
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("bind.bad_code", nil)
		return e.codeFailed(ctx, t)
	} else if err != nil {
		return fmt.Errorf("flows: bind: %w", err)
	}
	p, err := e.Directory.Person(ctx, personID)
	if err != nil {
		return fmt.Errorf("flows: bind: %w", err)
	}
	return e.bindAccount(ctx, t, p, false)
}

// bindAccount makes the sender's account the person's. When the person had other accounts,
// they are told there, and their office too.
func (e *Engine) bindAccount(ctx context.Context, t *turn, p guanjia.Person, byPhone bool) error {
	ab, stable := e.AccountBinders[t.msg.Channel]
	accountID := t.msg.SenderID
	if stable {
		var err error
		if accountID, err = ab.BindAccount(ctx, t.msg, p.ID); err != nil {
			return fmt.Errorf("flows: bind account: %w", err)
		}
	}
	before, err := e.Binder.IdentitiesOf(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("flows: bind: %w", err)
	}
	if slices.ContainsFunc(before, func(id guanjia.Identity) bool { return id.Channel == t.msg.Channel && id.PlatformID == accountID }) {
		// Bound already: nothing changes, so nobody is alerted again.
		t.person, t.known, t.lang = p, true, e.Templates.Lang(p.Lang)
		t.say("bind.already", map[string]any{"Name": p.Name})
		return nil
	}
	var others []guanjia.Chat
	if slices.ContainsFunc(before, func(id guanjia.Identity) bool { return id.Channel != t.msg.Channel || id.PlatformID != accountID }) {
		chats, err := e.Directory.PrivateChats(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("flows: bind: %w", err)
		}
		for _, c := range chats {
			if c.Channel != t.msg.Channel || c.PlatformID != accountID && c.PlatformID != t.msg.ChatID {
				others = append(others, c)
			}
		}
	}
	if err := e.Binder.PutIdentity(ctx, guanjia.Identity{Channel: t.msg.Channel, PlatformID: accountID, Person: p.ID}); err != nil {
		return fmt.Errorf("flows: bind: %w", err)
	}
	if !t.chat.IsGroup() {
		// The private chat's id is the account's, stable from now on.
		chat := guanjia.Chat{Channel: t.msg.Channel, PlatformID: accountID, Name: p.Name,
			Role: guanjia.ChatPrivate, Community: p.Community, Person: p.ID}
		if !stable {
			chat.PlatformID = t.msg.ChatID
		}
		if err := e.Binder.PutChat(ctx, chat); err != nil {
			return fmt.Errorf("flows: bind: %w", err)
		}
	}
	e.Log.Info("account bound", "channel", t.msg.Channel, "person", p.ID)
	t.person, t.known, t.lang = p, true, e.Templates.Lang(p.Lang)
	t.say("bind.ok", map[string]any{"Name": p.Name, "Household": p.Household})
	if len(others) == 0 {
		return nil
	}
	return e.tellNewAccount(ctx, t, p, others, byPhone)
}

// maxBindTries is how many bindings by name and phone digits one account may try a day.
const maxBindTries = 5

// maxCodeTries is how many binding codes one account may try a day: a few typing mistakes,
// far too few to guess one of a million codes.
const maxCodeTries = 10

var phoneDigits = regexp.MustCompile(`^\d{4}$`)

// bindByPhone binds the sender to the resident with that name whose phone number on file
// ends in those four digits. A failure says nothing about whether the name exists, and
// tries are limited so that numbers cannot be guessed.
func (e *Engine) bindByPhone(ctx context.Context, t *turn, name, digits string) error {
	if t.chat.IsGroup() {
		t.say("bind.phone_in_group", nil)
		return nil
	}
	if locked, err := e.locked(ctx, "bindlock:name:"+nameScope(name)); err != nil {
		return err
	} else if locked {
		// Someone kept guessing this name: nobody binds by it for a while, whatever the digits.
		t.say("bind.name_locked", map[string]any{"Name": name, "Hours": int(nameLock.Hours())})
		return nil
	}
	n, err := e.Attempts.CountAttempt(ctx, "bind:"+t.msg.Channel+":"+t.msg.SenderID, 24*time.Hour)
	if err != nil {
		return fmt.Errorf("flows: bind by phone: %w", err)
	}
	if n > maxBindTries {
		t.say("bind.too_many", nil)
		return nil
	}
	people, err := e.Directory.PeopleByName(ctx, name)
	if err != nil {
		return fmt.Errorf("flows: bind by phone: %w", err)
	}
	var match []guanjia.Person
	for _, p := range people {
		if p.Has(guanjia.RoleResident) && len(p.Phone) >= 4 && strings.HasSuffix(p.Phone, digits) {
			match = append(match, p)
		}
	}
	if len(match) != 1 {
		t.say("bind.no_match", map[string]any{"Left": maxBindTries - n})
		return e.nameFailed(ctx, t, name)
	}
	return e.bindAccount(ctx, t, match[0], true)
}

// issueCode lets a steward hand a resident a binding code from chat ("绑定码 张三").
func (e *Engine) issueCode(ctx context.Context, t *turn, name string) error {
	if !t.known || !t.person.IsStaff() {
		t.say("staff.forbidden", map[string]any{"Command": t.label("verb.code")})
		return nil
	}
	if !t.person.IsOffice() {
		t.say("staff.office_only", map[string]any{"Command": t.label("verb.code")})
		return nil
	}
	if t.residentsRead() {
		t.say("bind.code_not_here", nil)
		return nil
	}
	p, err := e.Directory.PersonByName(ctx, t.person.Community, name)
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("bind.code_no_person", map[string]any{"Name": name})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: issue code: %w", err)
	}
	if p.IsStaff() && !t.person.IsSupervisor() {
		// A staff account carries staff rights: only supervisors hand it to a phone.
		t.say("bind.staff_by_supervisor", map[string]any{"Name": p.Name})
		return nil
	}
	code, err := e.Binder.IssueCode(ctx, p.ID, e.Now(), e.Config.CodeTTL)
	if err != nil {
		return fmt.Errorf("flows: issue code: %w", err)
	}
	e.Log.Info("binding code issued", "person", p.ID, "by", t.person.ID)
	t.say("bind.code_issued", map[string]any{"Name": p.Name, "Code": code, "Hours": int(e.Config.CodeTTL.Hours())})
	return nil
}

// unbind removes the sender's binding ("解绑"), or, from staff, a resident's ("解绑 张三").
func (e *Engine) unbind(ctx context.Context, t *turn, name string) error {
	if name == "" {
		if !t.known {
			t.say("bind.not_bound", nil)
			return nil
		}
		if t.person.IsStaff() {
			// A steward's bare "解绑" is far more likely a command missing its name than a
			// wish to lose their own staff account.
			t.say("bind.staff_unbind_usage", nil)
			return nil
		}
		ids, err := e.Binder.IdentitiesOf(ctx, t.person.ID)
		if err != nil {
			return fmt.Errorf("flows: unbind: %w", err)
		}
		for _, id := range ids {
			if id.Channel == t.msg.Channel && (id.PlatformID == t.msg.SenderID || e.AccountBinders[t.msg.Channel] != nil) {
				if err := e.Binder.DeleteIdentity(ctx, id.Channel, id.PlatformID); err != nil {
					return fmt.Errorf("flows: unbind: %w", err)
				}
			}
		}
		e.Log.Info("account unbound", "channel", t.msg.Channel, "person", t.person.ID)
		t.say("bind.unbound", nil)
		return nil
	}
	if !t.known || !t.person.IsStaff() {
		t.say("staff.forbidden", map[string]any{"Command": t.label("verb.unbind")})
		return nil
	}
	if !t.person.IsOffice() {
		t.say("staff.office_only", map[string]any{"Command": t.label("verb.unbind")})
		return nil
	}
	if t.residentsRead() {
		t.say("bind.unbind_not_here", nil)
		return nil
	}
	p, err := e.Directory.PersonByName(ctx, t.person.Community, name)
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("bind.code_no_person", map[string]any{"Name": name})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: unbind: %w", err)
	}
	if p.IsStaff() && !t.person.IsSupervisor() {
		t.say("bind.staff_by_supervisor", map[string]any{"Name": p.Name})
		return nil
	}
	ids, err := e.Binder.IdentitiesOf(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("flows: unbind: %w", err)
	}
	for _, id := range ids {
		if err := e.Binder.DeleteIdentity(ctx, id.Channel, id.PlatformID); err != nil {
			return fmt.Errorf("flows: unbind: %w", err)
		}
	}
	e.Log.Info("person unbound by staff", "person", p.ID, "by", t.person.ID, "accounts", len(ids))
	t.say("bind.unbound_by_staff", map[string]any{"Name": p.Name, "Count": len(ids)})
	return nil
}

// bindWords routes the binding commands: "绑定 <code>", "绑定 <name> <last 4 digits>",
// "绑定码 <name>", "解绑" and "解绑 <name>". "绑定" alone explains how.
func (e *Engine) bindWords(ctx context.Context, t *turn, text string) (bool, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return false, nil
	}
	switch strings.ToLower(stripBotName(fields[0])) {
	case "绑定", "/bind", "bind":
		switch {
		case len(fields) == 1:
			t.say("bind.how", nil)
			return true, nil
		case len(fields) == 3 && phoneDigits.MatchString(fields[2]):
			return true, e.bindByPhone(ctx, t, fields[1], fields[2])
		}
	case "绑定码", "/code":
		if len(fields) == 2 {
			return true, e.issueCode(ctx, t, fields[1])
		}
	case "解绑", "/unbind", "unbind":
		switch len(fields) {
		case 1:
			return true, e.unbind(ctx, t, "")
		case 2:
			return true, e.unbind(ctx, t, fields[1])
		}
	}
	return false, nil
}

// chatBinding is a parsed "/bind staff 示例花园" or "绑定群 楼栋 示例花园 3".
var chatRoles = map[string]guanjia.ChatRole{
	"staff": guanjia.ChatStaff, "员工群": guanjia.ChatStaff, "员工": guanjia.ChatStaff,
	"building": guanjia.ChatBuilding, "楼栋": guanjia.ChatBuilding, "业主群": guanjia.ChatBuilding,
}

// bindChat binds the group it is sent in to a role in a community. Only admins may.
func (e *Engine) bindChat(ctx context.Context, t *turn, args []string) error {
	if !t.known || !t.person.Has(guanjia.RoleAdmin) {
		t.say("bindchat.forbidden", nil)
		return nil
	}
	if !t.msg.Group {
		t.say("bindchat.private", nil)
		return nil
	}
	if len(args) < 2 {
		t.say("bindchat.usage", nil)
		return nil
	}
	role, ok := chatRoles[strings.ToLower(args[0])]
	if !ok || role == guanjia.ChatBuilding && len(args) < 3 {
		t.say("bindchat.usage", nil)
		return nil
	}
	c, err := e.Binder.CommunityByName(ctx, args[1])
	if errors.Is(err, guanjia.ErrNotFound) || err == nil && c.ID != t.person.Community {
		t.say("bindchat.no_community", map[string]any{"Name": args[1]})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: bind chat: %w", err)
	}
	var buildings []int
	if role == guanjia.ChatBuilding {
		for _, f := range strings.FieldsFunc(strings.Join(args[2:], ","), func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			b, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(f), "号楼"))
			if err != nil || !containsInt(c.Buildings, b) {
				t.say("bindchat.no_building", map[string]any{"Community": c.Name, "Building": strings.TrimSpace(f)})
				return nil
			}
			buildings = append(buildings, b)
		}
	}
	chat := guanjia.Chat{Channel: t.msg.Channel, PlatformID: t.msg.ChatID, Name: t.msg.ChatName,
		Role: role, Community: c.ID, Buildings: buildings}
	if err := e.Binder.PutChat(ctx, chat); err != nil {
		return fmt.Errorf("flows: bind chat: %w", err)
	}
	e.Log.Info("chat bound", "channel", t.msg.Channel, "chat_id", t.msg.ChatID, "role", role, "community", c.ID)
	t.chat = chat
	t.say("bindchat.ok", map[string]any{"Community": c.Name, "Staff": role == guanjia.ChatStaff, "Buildings": joinInts(buildings)})
	return nil
}

// parseBindChat recognises "/bind <role> <community> [buildings]" and "绑定群 <role> ...".
func parseBindChat(text string) ([]string, bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return nil, false
	}
	verb := stripBotName(strings.ToLower(fields[0]))
	if verb != "/bind" && verb != "绑定群" {
		return nil, false
	}
	if verb == "/bind" && (len(fields) < 2 || chatRoles[strings.ToLower(fields[1])] == "") {
		return nil, false // "/bind 123456" and "/bind 张三 1201" bind a person
	}
	return fields[1:], true
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, "、")
}
