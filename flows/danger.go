package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// Danger raised by anyone (SPEC 8): words that mean someone may be hurt are answered before
// anything else — what to do now and whom to call — and become an urgent hazard ticket that
// reaches the staff group, the stewards of the building and the supervisors in the emergency
// lane. No binding is needed to raise an alarm.

// Alarms remembers the alarm a chat raised lately, so that the same danger told again adds to
// the first alarm instead of raising another.
type Alarms interface {
	// ClaimAlarm stores candidate under key for ttl unless the key holds a value already. It
	// returns the value now stored and whether this call stored it.
	ClaimAlarm(ctx context.Context, key, candidate string, ttl time.Duration) (string, bool, error)
	// ClearAlarm forgets the alarm under key (it was a false alarm).
	ClearAlarm(ctx context.Context, key string) error
}

// alarmWindow is how long the same danger from the same chat counts as the same alarm.
const alarmWindow = 10 * time.Minute

// danger is one kind of emergency and the words that tell it.
type danger struct {
	kind string
	// words are Chinese phrases found anywhere in the text.
	words []string
	// english matches English phrases, whole words only.
	english *regexp.Regexp
	// not are phrases that contain a word but mean something harmless ("打不着火", "fire door").
	not []string
}

// dangers is the one table of danger words, most life-threatening first: a message that tells
// of a fire and of a power cut is a fire.
var dangers = []danger{
	{
		kind:    "fire",
		words:   []string{"着火", "失火", "起火", "火灾", "冒烟", "浓烟", "好多烟", "很多烟", "全是烟", "烟很大", "烧起来", "火警", "有烟味", "烧焦味", "焦糊味"},
		english: regexp.MustCompile(`(?i)\b(fire|smoke|smoking from|burning)\b`),
		not: []string{"打不着火", "点不着火", "不着火", "火灾隐患", "防火", "火警演习", "消防演练",
			"fire door", "fire exit", "fire lane", "fire escape", "fire extinguisher", "fire drill", "fire safety", "no smoking"},
	},
	{
		kind:    "gas",
		words:   []string{"煤气", "燃气味", "燃气泄漏", "燃气泄露", "天然气味", "漏气", "液化气味"},
		english: regexp.MustCompile(`(?i)\b(gas leak(ing)?|leaking gas|smells? (of )?gas)\b`),
		not:     []string{"煤气费", "燃气费", "煤气卡", "燃气卡", "煤气表", "燃气表", "煤气公司", "燃气公司", "煤气灶", "燃气灶", "轮胎漏气", "gas bill"},
	},
	{
		kind:    "trapped",
		words:   []string{"被困", "困人", "困在", "困住", "关在电梯", "卡在电梯", "电梯里出不来", "电梯里困", "出不来了"},
		english: regexp.MustCompile(`(?i)\b(trapped|stuck in (the |a )?(lift|elevator))\b`),
	},
	{
		kind:    "medical",
		words:   []string{"晕倒", "昏倒", "昏迷", "晕过去", "不省人事", "心脏病发", "呼吸困难", "喘不上气", "摔倒起不来", "摔倒了起不来", "大出血", "抽搐", "倒地不起"},
		english: regexp.MustCompile(`(?i)\b(fainted|collapsed|unconscious|heart attack|not breathing|can'?t breathe|seizure)\b`),
	},
	{
		kind:    "security",
		words:   []string{"抢劫", "持刀", "入室盗窃", "有小偷", "有人闯入", "闯进来", "打人了", "砍人"},
		english: regexp.MustCompile(`(?i)\b(robbery|burglar|break-in|intruder|someone broke in)\b`),
	},
	{
		kind:    "flood",
		words:   []string{"水淹", "淹水", "漏水不止", "爆管", "水管爆", "水管裂了", "水漫", "倒灌", "发大水", "大量漏水", "漏水止不住"},
		english: regexp.MustCompile(`(?i)\b(flood(ed|ing)?|burst pipe|pipe burst)\b`),
	},
	{
		kind:    "power",
		words:   []string{"停电", "断电", "全楼没电", "整栋楼没电", "整栋没电"},
		english: regexp.MustCompile(`(?i)\b(power (cut|outage|failure)|blackout|no power)\b`),
		not:     []string{"停电通知", "计划停电", "停电检修", "明天停电", "后天停电", "断电器"},
	},
	{
		kind:    "help",
		words:   []string{"救命", "快来人", "救救我", "求救"},
		english: regexp.MustCompile(`(?i)(\bhelp me\b|\bsos\b|\bhelp!)`),
	},
}

// dangerOfKind is the danger of the table with that kind.
func dangerOfKind(kind string) danger {
	for _, d := range dangers {
		if d.kind == kind {
			return d
		}
	}
	return danger{kind: kind}
}

// negations before a danger word take it back: "没有着火", "不是煤气".
var negations = []string{"没有", "没", "不是", "无", "并非"}

// dangerIn finds the danger a message tells of, if any.
func dangerIn(text string) (danger, bool) {
	lower := strings.ToLower(text)
	for _, d := range dangers {
		cleaned := lower
		for _, n := range d.not {
			cleaned = strings.ReplaceAll(cleaned, strings.ToLower(n), " ")
		}
		for _, w := range d.words {
			if containsUnnegated(cleaned, w) {
				return d, true
			}
		}
		if d.english != nil && d.english.MatchString(cleaned) {
			return d, true
		}
	}
	return danger{}, false
}

// dangerDenied reports whether a message names danger only to take it back or to mean
// something harmless ("没有着火", "煤气费", "fire door"): the rules found no danger in it, yet it
// holds a danger word.
func dangerDenied(text string) bool {
	if _, ok := dangerIn(text); ok {
		return false
	}
	lower := strings.ToLower(text)
	for _, d := range dangers {
		for _, w := range d.words {
			if strings.Contains(lower, w) {
				return true
			}
		}
		if d.english != nil && d.english.MatchString(lower) {
			return true
		}
	}
	return false
}

// containsUnnegated reports whether w stands in s other than right after a negation.
func containsUnnegated(s, w string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		negated := false
		for _, n := range negations {
			if strings.HasSuffix(s[:i], n) {
				negated = true
				break
			}
		}
		if !negated {
			return true
		}
		from = i + len(w)
	}
}

// mayRaiseAlarm reports whether a message is one whose danger words raise an alarm: a staff
// member's instruction on a ticket ("进展 H… 被困人员已救出") reports, it does not alarm.
func (t *turn) mayRaiseAlarm(text string) bool {
	if text == "" || t.msg.Choice != "" {
		return false
	}
	if _, isCmd := parseStaffCommand(text); isCmd && t.known && t.person.IsStaff() {
		return false
	}
	if t.known && t.person.IsOffice() && isBroadcastCommand(text) {
		// "紧急 3号楼 电梯困人" from a steward is the emergency broadcast, not an alarm.
		return false
	}
	return true
}

// raiseAlarm answers a message that tells of danger and alerts the staff. The answer goes out
// whatever happens to the records: a failure to file or alert is logged and the person is
// told to call the duty number themselves.
func (e *Engine) raiseAlarm(ctx context.Context, t *turn, d danger, text string) {
	community := e.alarmCommunity(ctx, t)
	duty := ""
	if community.ID != "" {
		duty = community.DutyPhone
	}
	if community.ID != "" {
		// A power cut the office announced is told first; the alarm is raised all the same.
		e.knownOutage(ctx, t, community.ID, text)
	}
	tk, first, err := e.fileAlarm(ctx, t, d, community, text, false)
	data := map[string]any{"Duty": duty, "No": tk.No, "Again": !first, "Failed": err != nil}
	reply := t.here(t.render("danger.reply."+d.kind, data), nil)
	reply.Lane = bot.LaneEmergency
	t.send(reply)
	if err != nil {
		e.Log.Error("raise alarm", "kind", d.kind, "community", community.ID, "channel", t.msg.Channel, "err", err)
		return
	}
	e.Log.Info("alarm raised", "ticket", tk.No, "kind", d.kind, "community", tk.Community, "first", first)
	if err := e.alertStaff(ctx, t, tk, d, first, text); err != nil {
		e.Log.Error("alert staff of alarm", "ticket", tk.No, "err", err)
	}
}

// alarmCommunity is the community an alarm belongs to: the person's, the chat's, or the only
// one there is.
func (e *Engine) alarmCommunity(ctx context.Context, t *turn) guanjia.Community {
	id := t.person.Community
	if id == "" {
		id = t.chat.Community
	}
	if id == "" {
		lister, ok := e.Directory.(interface {
			Communities(ctx context.Context) ([]guanjia.Community, error)
		})
		if !ok {
			return guanjia.Community{}
		}
		all, err := lister.Communities(ctx)
		if err != nil || len(all) != 1 {
			return guanjia.Community{}
		}
		return all[0]
	}
	c, err := e.Directory.Community(ctx, id)
	if err != nil {
		e.Log.Warn("alarm: community", "community", id, "err", err)
		return guanjia.Community{ID: id}
	}
	return c
}

// alarmKey names the alarm a chat raised for one kind of danger: whoever in the chat tells of
// the same danger within the alarm window joins it, while another danger told there (a fire,
// then someone trapped in a lift) is an alarm of its own.
func alarmKey(channel, chat, kind string) string { return "alarm:" + channel + ":" + chat + ":" + kind }

// alarmOfKey names the latest alarm a person raised or joined in a chat: their bare cry for
// help (「救命」 after 「电梯困人」) joins it.
func alarmOfKey(channel, chat, sender string) string {
	return "alarm-of:" + channel + ":" + chat + ":" + sender
}

// claimAlarm names the alarm a message of danger d belongs to, claiming a new one (candidate)
// when there is none to join, and returns the key it is kept under.
func (e *Engine) claimAlarm(ctx context.Context, t *turn, d danger, candidate string) (submission, key string, first bool, err error) {
	own := alarmOfKey(t.msg.Channel, t.msg.ChatID, t.msg.SenderID)
	if d.kind == "help" {
		if sub, won, err := e.Alarms.ClaimAlarm(ctx, own, candidate, alarmWindow); err != nil || !won {
			return sub, own, false, err
		}
	}
	key = alarmKey(t.msg.Channel, t.msg.ChatID, d.kind)
	submission, first, err = e.Alarms.ClaimAlarm(ctx, key, candidate, alarmWindow)
	if err != nil {
		return "", key, false, err
	}
	if submission != candidate || d.kind != "help" {
		// The person's latest alarm is this one now.
		if err := e.Alarms.ClearAlarm(ctx, own); err != nil {
			return "", key, false, err
		}
		if _, _, err := e.Alarms.ClaimAlarm(ctx, own, submission, alarmWindow); err != nil {
			return "", key, false, err
		}
	}
	return submission, key, first, nil
}

// fileAlarm files the alarm's urgent hazard ticket, or finds the one the same chat raised for
// the same danger within the alarm window and adds the message to it. first is false then.
func (e *Engine) fileAlarm(ctx context.Context, t *turn, d danger, c guanjia.Community, text string, again bool) (guanjia.Ticket, bool, error) {
	if c.ID == "" {
		return guanjia.Ticket{}, true, errors.New("flows: alarm: no community known for this chat")
	}
	if e.Alarms == nil {
		return guanjia.Ticket{}, true, errors.New("flows: alarm: no alarm store")
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	submission, key, first, err := e.claimAlarm(ctx, t, d, "alarm-"+hex.EncodeToString(b))
	if err != nil {
		return guanjia.Ticket{}, true, fmt.Errorf("flows: alarm: %w", err)
	}
	now := e.Now()
	tk := guanjia.Ticket{
		Kind: guanjia.KindHazard, Community: c.ID, Status: guanjia.StatusSubmitted,
		Reporter: t.person.ID, ReporterName: t.person.Name,
		Origin:     guanjia.Origin{Channel: t.msg.Channel, Chat: t.msg.ChatID, User: t.msg.SenderID},
		Submission: submission, Category: dangerCategory + d.kind, Description: text,
		Urgency: guanjia.UrgencyUrgent, CreatedAt: now, UpdatedAt: now, DueAt: now.Add(5 * time.Minute),
		Address:  e.alarmPlace(ctx, t, text),
		Timeline: []guanjia.Event{{At: now, Action: guanjia.ActSubmit, Actor: t.person.ID, ActorName: t.person.Name}},
	}
	if home := e.alarmHome(ctx, t, text); home != "" {
		tk.Household = home
	}
	if b := alarmBuilding(t, tk, text); b > 0 {
		tk.Building = b
	}
	if err := e.Tickets.CreateTicket(ctx, &tk); err != nil {
		return tk, first, fmt.Errorf("flows: alarm ticket: %w", err)
	}
	if !first && tk.Reporter == t.person.ID && tk.Description == text {
		// This very message filed it (handled again after a crash), or its raiser never did.
		first = true
	}
	if first {
		return tk, true, nil
	}
	if !tk.Open() && !again {
		// Over or found false already: this is a new alarm.
		if err := e.Alarms.ClearAlarm(ctx, key); err != nil {
			return tk, false, fmt.Errorf("flows: alarm: %w", err)
		}
		return e.fileAlarm(ctx, t, d, c, text, true)
	}
	// The same danger told again: the newcomer's words join the first alarm's timeline.
	ev := guanjia.Event{At: now, Actor: t.person.ID, ActorName: t.person.Name, Note: text}
	updated, err := e.changeTicket(ctx, tk.Community, tk.No, func(tk *guanjia.Ticket) error {
		return tk.Apply(guanjia.ActComment, ev)
	})
	if err != nil {
		return tk, first, fmt.Errorf("flows: alarm %s: add: %w", tk.No, err)
	}
	return updated, false, nil
}

// dangerCategory starts the category of a hazard ticket raised by danger words.
const dangerCategory = "danger:"

// dangerKind is the kind of danger a ticket was raised for, if it was raised by an alarm.
func dangerKind(tk guanjia.Ticket) (string, bool) {
	kind, ok := strings.CutPrefix(tk.Category, dangerCategory)
	return kind, ok && tk.Kind == guanjia.KindHazard
}

// kindKey is the template naming what a ticket is to the resident: an alarm is an emergency
// they reported, not a hazard found on patrol.
func kindKey(tk guanjia.Ticket) string {
	if _, ok := dangerKind(tk); ok {
		return "danger.what"
	}
	return "kind." + string(tk.Kind)
}

// alarmPlace is where the danger is, as far as the message and the records tell: a place the
// message names; the home on file for a resident telling it privately, or speaking of their
// own home in a group; a neighbour's home the message names by entrance and room; else the
// building, said to be someone else's home when the message speaks of one, or the chat it came
// from.
func (e *Engine) alarmPlace(ctx context.Context, t *turn, text string) string {
	if p, ok := parsePlace(text); ok {
		if p.entrance > 0 && p.room > 0 {
			return fmt.Sprintf("%d-%d-%d", p.building, p.entrance, p.room)
		}
		return fmt.Sprintf("%d号楼", p.building)
	}
	if home := e.alarmHome(ctx, t, text); home != "" {
		return home
	}
	b := 0
	if len(t.chat.Buildings) == 1 {
		b = t.chat.Buildings[0]
	} else if t.known && t.person.Household != "" {
		b, _ = guanjia.ParseHouseholdCode(t.person.Household)
	}
	if othersHome(text) && b > 0 {
		// Someone else's home, not the reporter's: the building, and whose words they are.
		return fmt.Sprintf("%d号楼（%s报告：邻居家）", b, t.person.Name)
	}
	if t.chat.IsGroup() {
		if len(t.chat.Buildings) == 1 {
			// The building the group serves, and the group it was told in.
			return fmt.Sprintf("%d号楼（%s）", t.chat.Buildings[0], t.chat.Name)
		}
		return t.chat.Name
	}
	return ""
}

// alarmHome is the home on file an alarm is at: the reporter's, when they tell it privately
// or speak of their own home (「我家」「家里」) in a group, but never when the message speaks of
// someone else's home; then the neighbour's, when the message names it by entrance and room
// (「1单元101李奶奶家」) in the building of the group or of the reporter. A place the message
// names comes first; the home is only ever shown to the staff.
func (e *Engine) alarmHome(ctx context.Context, t *turn, text string) string {
	if _, ok := parsePlace(text); ok {
		return ""
	}
	if othersHome(text) {
		return e.namedHome(ctx, t, text)
	}
	if !t.known || t.person.Household == "" {
		return ""
	}
	if !t.chat.IsGroup() || ownHome(text) {
		return t.person.Household
	}
	return ""
}

// entranceRoom is a home named by entrance and room only: 「1单元101」「二单元502室」.
var entranceRoom = regexp.MustCompile(`(\d{1,2})\s*(?:单元|号门)\s*(\d{2,5})\s*(?:室|号|房)?`)

// namedHome is the household on file a message names by entrance and room, in the one building
// of the group it was told in, or the reporter's building; "" when there is none.
func (e *Engine) namedHome(ctx context.Context, t *turn, text string) string {
	s := chineseNumbered.ReplaceAllStringFunc(asciiText(text), func(m string) string {
		sub := chineseNumbered.FindStringSubmatch(m)
		if n, ok := chineseNumber(sub[1]); ok {
			return strconv.Itoa(n) + sub[2]
		}
		return m
	})
	m := entranceRoom.FindStringSubmatch(s)
	if m == nil || e.Directory == nil {
		return ""
	}
	b := 0
	if len(t.chat.Buildings) == 1 {
		b = t.chat.Buildings[0]
	} else if t.known && t.person.Household != "" {
		b, _ = guanjia.ParseHouseholdCode(t.person.Household)
	}
	community := t.chat.Community
	if community == "" {
		community = t.person.Community
	}
	if b == 0 || community == "" {
		return ""
	}
	homes, err := e.Directory.HouseholdsInBuilding(ctx, community, b)
	if err != nil {
		return ""
	}
	code := fmt.Sprintf("%d-%d-%d", b, atoi(m[1]), atoi(m[2]))
	for _, h := range homes {
		if h.Code == code {
			return code
		}
	}
	return ""
}

// ownHomeWords speak of the speaker's own home. 「家里」「屋里」 and the like are the speaker's
// only at the start of a message (or of a clause) or right after 我, 我们, 咱 or 俺.
var ownHomeWords = []string{"我家", "我们家", "咱家", "咱们家", "俺家", "俺们家", "自己家", "我屋", "我房间", "我的房子", "我住的"}

// homeRefs are the homes a message speaks of, each as the speaker's (own) or someone else's.
func homeRefs(text string) (own, other bool) {
	for _, w := range ownHomeWords {
		if strings.Contains(text, w) {
			own = true
		}
	}
	rs := []rune(text)
	for i, r := range rs {
		if r != '家' && r != '屋' {
			continue
		}
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if r == '家' && strings.ContainsRune("具电居务政常乡", next) && next != 0 {
			continue // 家具, 家电: not a home.
		}
		if r == '屋' && !strings.ContainsRune("里内中子", next) {
			continue // 屋顶, 屋檐: part of a building.
		}
		j := i
		if j > 0 && rs[j-1] == '的' {
			j--
		}
		if j == 0 {
			own = true
			continue
		}
		prev := rs[j-1]
		switch {
		case !unicode.Is(unicode.Han, prev):
			// The start of a clause: 「救命，家里着火了」.
			own = true
		case strings.ContainsRune("我咱俺己", prev):
			own = true
		case prev == '们':
			if j >= 2 && strings.ContainsRune("我咱俺", rs[j-2]) {
				own = true
			} else {
				other = true
			}
		case strings.ContainsRune("大回在到住离搬全老娘婆国专商厂作行管", prev):
			// 大家, 回家, 在家, 老家: no one's home in particular.
		default:
			// 李奶奶家, 对门家里, 邻居家, 隔壁屋里, 他家: someone else's.
			other = true
		}
	}
	return own, other
}

// ownHome reports whether a message speaks of the speaker's own home: 「我家厨房冒烟了」,
// 「家里着火了」, 「屋里好大的烟」; not 「邻居家里着火了」 nor 「1单元101李奶奶家里有煤气味」.
func ownHome(text string) bool {
	own, other := homeRefs(text)
	return own && !other
}

// othersHome reports whether a message speaks of someone else's home: 「对门家里有煤气味」,
// 「楼下李奶奶家里冒烟了」.
func othersHome(text string) bool {
	_, other := homeRefs(text)
	return other
}

// alarmBuilding is the building an alarm concerns: named in the message, the resident's own,
// or the one building of the group it was raised in.
func alarmBuilding(t *turn, tk guanjia.Ticket, text string) int {
	if p, ok := parsePlace(text); ok {
		return p.building
	}
	if tk.Household != "" {
		if b, err := guanjia.ParseHouseholdCode(tk.Household); err == nil {
			return b
		}
	}
	if len(t.chat.Buildings) == 1 {
		return t.chat.Buildings[0]
	}
	return 0
}

// alertStaff tells the staff groups, the stewards of the building and the supervisors of an
// alarm, in the emergency lane. The private alert carries the reporter's phone number, so that
// whoever goes can call; the group card does not.
func (e *Engine) alertStaff(ctx context.Context, t *turn, tk guanjia.Ticket, d danger, first bool, text string) error {
	key := "danger.alert"
	if !first {
		key = "danger.alert_more"
	}
	kind := d.kind
	where := t.chat.Name
	if !t.chat.IsGroup() {
		where = ""
	}
	data := func(lang string, phone string) map[string]any {
		return map[string]any{"No": tk.No, "Kind": e.render(lang, "hazard.cat."+dangerCategory+kind, nil, &t.err),
			"Reporter": t.person.Name, "Where": where, "Address": tk.Address, "Text": text, "Phone": phone}
	}
	choices := func(lang string) []bot.Choice {
		return []bot.Choice{
			{Label: e.render(lang, "repair.choice_accept", nil, &t.err), Value: "接单 " + tk.No},
			{Label: e.render(lang, "repair.choice_details", nil, &t.err), Value: "详情 " + tk.No},
		}
	}
	if err := e.toStaff(ctx, t, tk.Community, func(lang string, errp *error) bot.Reply {
		return bot.Reply{Text: e.render(lang, key, data(lang, ""), errp), Choices: choices(lang), Lane: bot.LaneEmergency}
	}); err != nil {
		return err
	}
	people, err := e.alarmRecipients(ctx, tk)
	if err != nil {
		return err
	}
	phone := ""
	if t.known {
		phone = t.person.Phone
	}
	for _, p := range people {
		if p.ID == t.person.ID {
			continue
		}
		if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
			return bot.Reply{Text: e.render(lang, key, data(lang, phone), &t.err), Choices: choices(lang), Lane: bot.LaneEmergency}
		}); err != nil {
			return err
		}
	}
	return nil
}

// alarmRecipients are the stewards who look after the alarm's building (every steward of the
// community when the building is not known) and the supervisors.
func (e *Engine) alarmRecipients(ctx context.Context, tk guanjia.Ticket) ([]guanjia.Person, error) {
	var list []guanjia.Person
	seen := map[string]bool{}
	for _, role := range []guanjia.Role{guanjia.RoleSteward, guanjia.RoleSupervisor} {
		people, err := e.Directory.PeopleByRole(ctx, tk.Community, role)
		if err != nil {
			return nil, fmt.Errorf("flows: alarm recipients: %w", err)
		}
		for _, p := range people {
			if seen[p.ID] {
				continue
			}
			if role == guanjia.RoleSteward && tk.Building > 0 && len(p.Buildings) > 0 && !slices.Contains(p.Buildings, tk.Building) {
				continue
			}
			if role == guanjia.RoleSteward && !e.onShift(p, e.Now()) && e.someoneOnShift(people, tk.Building) {
				// Off shift while a steward of the building is on it: the one on shift goes.
				continue
			}
			seen[p.ID] = true
			list = append(list, p)
		}
	}
	return list, nil
}

// falseAlarm closes an alarm a steward found to be false: the ticket is cancelled with the
// reason, the same danger from that chat raises a new alarm again, and the reporter is told.
func (e *Engine) falseAlarm(ctx context.Context, t *turn, current guanjia.Ticket, reason string) error {
	if _, ok := dangerKind(current); !ok {
		t.say("danger.not_alarm", map[string]any{"No": current.No})
		return nil
	}
	note := t.render("danger.false_note", nil)
	if reason != "" && t.lang == "zh" {
		note += "：" + reason
	} else if reason != "" {
		note += ": " + reason
	}
	ev := guanjia.Event{At: e.Now(), Actor: t.person.ID, ActorName: t.person.Name, Note: note}
	tk, err := e.changeTicket(ctx, current.Community, current.No, func(tk *guanjia.Ticket) error {
		if !tk.Open() {
			return fmt.Errorf("alarm %s is %s: %w", tk.No, tk.Status, guanjia.ErrConflict)
		}
		tk.Status = guanjia.StatusCancelled
		tk.Timeline = append(tk.Timeline, guanjia.Event{At: ev.At, Action: guanjia.ActCancel, Actor: ev.Actor, ActorName: ev.ActorName, Note: ev.Note})
		tk.UpdatedAt = ev.At
		return nil
	})
	switch {
	case errors.Is(err, guanjia.ErrConflict):
		t.say("staff.bad_state", map[string]any{"No": current.No, "Status": t.label("status." + string(tk.Status)), "Action": t.label("verb." + verbFalseAlarm)})
		return nil
	case err != nil:
		return fmt.Errorf("flows: false alarm %s: %w", current.No, err)
	}
	if e.Alarms != nil {
		kind, _ := dangerKind(tk)
		for _, key := range []string{alarmKey(tk.Origin.Channel, tk.Origin.Chat, kind),
			alarmOfKey(tk.Origin.Channel, tk.Origin.Chat, tk.Origin.User)} {
			if err := e.Alarms.ClearAlarm(ctx, key); err != nil {
				e.Log.Warn("clear alarm", "ticket", tk.No, "err", err)
			}
		}
	}
	e.Log.Info("false alarm", "ticket", tk.No, "actor", t.person.ID)
	t.say("danger.false_done", map[string]any{"No": tk.No})
	if err := e.tellAssignee(ctx, t, tk, "ticket.job_false_alarm"); err != nil {
		return err
	}
	r, err := e.reporterOf(ctx, tk)
	if err != nil {
		return err
	}
	if r.key.Person != t.msg.SenderID {
		t.send(r.reply(e.render(r.lang, "danger.false_told", map[string]any{"No": tk.No}, &t.err), nil))
	}
	return nil
}

// prompter is a flow that can ask the question its conversation waits on again, after an
// alarm broke in. It reports false for a step not worth resuming then (an offer such as "pass
// it on to the steward?"), and nothing is said of the conversation.
type prompter interface {
	prompt(t *turn, s *guanjia.Session) bool
}

// reprompt tells the person their unfinished conversation is kept and asks its question again.
func (e *Engine) reprompt(ctx context.Context, t *turn, s *guanjia.Session) error {
	return e.resume(ctx, t, s, "danger.resume")
}

// resume says what the template key says of the unfinished conversation (its data: the flow's
// name) and asks its question again.
func (e *Engine) resume(ctx context.Context, t *turn, s *guanjia.Session, key string) error {
	p, ok := e.flows[s.Flow].(prompter)
	if !ok {
		return nil
	}
	n := len(t.out)
	if s.Step == stepCommunity {
		list, err := e.Directory.Communities(ctx)
		if err != nil {
			return fmt.Errorf("flows: communities: %w", err)
		}
		t.out = append(t.out, communityQuestion(t, list))
	} else if !p.prompt(t, s) {
		t.out = t.out[:n]
		return nil
	}
	asked := slices.Clone(t.out[n:])
	t.out = t.out[:n]
	t.say(key, map[string]any{"Flow": t.label("flow." + s.Flow)})
	t.out = append(t.out, asked...)
	return nil
}
