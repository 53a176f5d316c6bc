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
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// What happens to a broadcast once it is out: residents acknowledge it, the steward follows
// an emergency (详情, 进展, 解除) and the roll call of care-tagged residents, and an
// announcement not yet out can be withdrawn (撤回) or approved (批准).

var (
	bcastCommand = regexp.MustCompile(`^(详情|进展|解除|撤回|批准)\s*([EeNn]\d{8}-\d{4,})\s*(.*)$`)
	checkCommand = regexp.MustCompile(`^已确认\s*(\S+?)\s*(安全|平安|无恙|没事)?$`)
	// ackWords are the replies that acknowledge the latest emergency of a chat.
	ackWords  = []string{"收到", "知道了", "已知晓", "我已知晓", "1", "好的收到", "ok"}
	safeWords = []string{"安全", "我安全", "平安", "我很安全", "没事"}
)

// broadcastCommand handles the broadcast commands and acknowledgements; handled is false
// when the message is none of them.
func (e *Engine) broadcastCommand(ctx context.Context, t *turn, text string, active bool) (bool, error) {
	if _, rest, ok := broadcastStart(text); ok && (!active || rest != "") {
		// "紧急" alone in the middle of a conversation answers its question (a repair's
		// urgency); with words after it, it is a broadcast.
		if !t.known || !t.person.IsOffice() {
			if t.known && t.person.IsStaff() {
				// A worker is told who sends notices, not how to report an emergency.
				t.say("broadcast.office_only", nil)
				return true, nil
			}
			t.say("broadcast.staff_only", nil)
			return true, nil
		}
		if t.residentsRead() {
			// Drafts, previews and the roll call are the office's business.
			t.say("broadcast.not_here", nil)
			return true, nil
		}
		return true, e.flows[flowBroadcast].start(ctx, t)
	}
	m := bcastCommand.FindStringSubmatch(text)
	if m == nil && !active {
		// A button on a broadcast card (批准 N…) carries the whole command.
		m = bcastCommand.FindStringSubmatch(t.msg.Choice)
	}
	if m != nil {
		if m[1] == "批准" && !(t.known && t.person.IsSupervisor()) {
			// Whoever may not approve is told so, as a steward is: a worker pressing the
			// button of a card forwarded to them, or typing it, in a group or privately.
			t.say("broadcast.supervisor_only", map[string]any{"No": strings.ToUpper(m[2])})
			return true, nil
		}
		if !t.known || !t.person.IsOffice() {
			return false, nil
		}
		return true, e.broadcastStaff(ctx, t, m[1], strings.ToUpper(m[2]), strings.TrimSpace(m[3]))
	}
	if m := checkCommand.FindStringSubmatch(text); m != nil && t.known && t.person.IsOffice() {
		return true, e.markChecked(ctx, t, m[1])
	}
	if v, ok := strings.CutPrefix(t.msg.Choice, "bcast:"); ok {
		if how, no, ok := strings.Cut(v, ":"); ok && no != "" {
			_, err := e.acknowledge(ctx, t, no, how == "safe")
			return true, err
		}
	}
	if active {
		return false, nil
	}
	if ack, safe := ackReply(text); ack {
		return e.acknowledge(ctx, t, "", safe)
	}
	if asksWhatHappened(text) {
		return e.repeatEmergency(ctx, t)
	}
	return false, nil
}

// whatHappened are the short questions of someone who got an emergency notice and did not take
// it in: "什么事啊", "没收到?", "怎么了".
var whatHappened = []string{"什么事", "啥事", "怎么了", "咋了", "什么情况", "啥情况", "发生什么", "出什么事", "出啥事", "没收到", "没看到", "what happened"}

// asksWhatHappened reports whether a short message asks what an alert was about.
func asksWhatHappened(text string) bool {
	if utf8.RuneCountInString(text) > 12 {
		return false
	}
	lower := strings.ToLower(text)
	return slices.ContainsFunc(whatHappened, func(w string) bool { return strings.Contains(lower, w) })
}

// repeatEmergency tells again the latest open emergency the chat received, with how to
// answer it; handled is false when the chat received none (the message is taken otherwise).
func (e *Engine) repeatEmergency(ctx context.Context, t *turn) (bool, error) {
	community := turnCommunity(t)
	if community == "" {
		return false, nil
	}
	open, err := e.chatEmergencies(ctx, t, community)
	if err != nil || len(open) == 0 {
		return false, err
	}
	t.say("broadcast.repeat", map[string]any{"No": open[0].No, "Text": open[0].Text})
	return true, nil
}

// ackPadding is what people put around an acknowledgement: "好的，收到了！", "嗯嗯知道了",
// "我们都安全".
var ackPadding = strings.NewReplacer("好的", "", "好", "", "嗯", "", "了", "", "啦", "", "哦", "", "，", "", ",", "",
	"。", "", "！", "", "!", "", " ", "", "~", "", "谢谢", "", "我们", "", "我", "", "都", "", "全家", "", "家里", "")

// ackReply reports whether a short reply acknowledges an emergency, and whether it says the
// person is safe. "没收到" and questions are not acknowledgements.
func ackReply(text string) (ack, safe bool) {
	word := strings.ToLower(choiceText(text))
	if slices.Contains(ackWords, word) || slices.Contains(safeWords, word) {
		return true, slices.Contains(safeWords, word)
	}
	if utf8.RuneCountInString(word) > 12 || strings.ContainsAny(word, "?？") ||
		strings.Contains(word, "没收") || strings.Contains(word, "不") {
		return false, false
	}
	if householdSafe(word) {
		return true, true
	}
	core := ackPadding.Replace(word)
	if core == "" {
		return false, false
	}
	for _, w := range safeWords {
		if core == ackPadding.Replace(w) {
			return true, true
		}
	}
	for _, w := range ackWords {
		if w != "1" && w != "ok" && core == ackPadding.Replace(w) {
			return true, false
		}
	}
	return false, false
}

// householdSubject is who a safe reply speaks for ("我们家", "家里人都"), with what is put
// around it, longest first.
var householdSubject = strings.NewReplacer("我们一家", "", "我们家", "", "我们全家", "", "全家人", "", "一家人", "", "家里人", "",
	"我家", "", "家人", "", "家里", "", "全家", "", "一家", "", "我们", "", "大家", "", "人", "", "也", "", "都", "",
	"了", "", "啦", "", "哦", "", "嗯", "", "，", "", ",", "", "。", "", "！", "", "!", "", " ", "", "~", "", "谢谢", "")

// householdSafe reports whether a reply says the household is safe in a few words:
// "我们家都安全", "家里人都平安", "全家都好", "我们都没事". Negations and questions are
// turned away before.
func householdSafe(word string) bool {
	core := householdSubject.Replace(word)
	switch core {
	case "安全", "平安", "没事", "很安全", "无恙", "安好", "平平安安":
		return true
	case "好", "挺好", "很好", "没问题":
		// Alone, "好" agrees to something; with whom it speaks for, it says they are well.
		return strings.ContainsAny(word, "都家们")
	}
	return false
}

// turnCommunity is the community a message is about: the person's, else the chat's.
func turnCommunity(t *turn) string {
	if t.person.Community != "" {
		return t.person.Community
	}
	return t.chat.Community
}

// acknowledge counts a resident's acknowledgement of an emergency (no), or of the latest open
// emergency their chat received (""), once per household. found is false when there is none.
func (e *Engine) acknowledge(ctx context.Context, t *turn, no string, safe bool) (bool, error) {
	community := turnCommunity(t)
	if community == "" {
		return false, nil
	}
	var b guanjia.Broadcast
	if no == "" {
		open, err := e.chatEmergencies(ctx, t, community)
		if err != nil {
			return false, err
		}
		if len(open) == 0 {
			return false, nil
		}
		b = open[0]
	} else {
		var err error
		if b, err = e.Broadcasts.Broadcast(ctx, community, no); errors.Is(err, guanjia.ErrNotFound) {
			t.say("broadcast.not_found", map[string]any{"No": no})
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	who, building := "id-"+guanjia.IdentityID(t.msg.Channel, t.msg.SenderID), 0
	if t.known && t.person.Household != "" {
		who = t.person.Household
		building, _ = guanjia.ParseHouseholdCode(t.person.Household)
	}
	how := "known"
	if safe {
		how = "safe"
	}
	ev := guanjia.BroadcastEvent{ID: guanjia.BroadcastEventID(b.Community, b.No, guanjia.BcastAck, who), Community: b.Community,
		No: b.No, Action: guanjia.BcastAck, At: e.Now(), Actor: t.person.ID, ActorName: t.person.Name,
		Household: who, Building: building, Channel: t.msg.Channel, Note: how}
	isNew, err := e.Broadcasts.AddBroadcastEvent(ctx, ev)
	if err != nil {
		return false, fmt.Errorf("flows: acknowledge %s: %w", b.No, err)
	}
	t.say("broadcast.acked", map[string]any{"No": b.No, "Safe": safe, "Again": !isNew})
	return true, nil
}

// chatEmergencies are the open emergencies the turn's chat received, newest first.
func (e *Engine) chatEmergencies(ctx context.Context, t *turn, community string) ([]guanjia.Broadcast, error) {
	return e.openEmergencies(ctx, community, func(o guanjia.Broadcast) bool {
		return slices.ContainsFunc(o.Audience, func(r guanjia.Recipient) bool { return r.Channel == t.msg.Channel && r.Chat == t.msg.ChatID })
	})
}

// openFor is how far back open emergencies are looked for: an acknowledgement ("收到", "1")
// must not read every broadcast ever made.
const openFor = 7 * 24 * time.Hour

// openEmergencies are a community's emergencies of the last week sent and not yet over,
// newest first, among those keep (when given) accepts. keep is asked before the events of an
// emergency are read, so that a "收到" reads only the emergencies its chat received.
func (e *Engine) openEmergencies(ctx context.Context, community string, keep func(guanjia.Broadcast) bool) ([]guanjia.Broadcast, error) {
	all, err := e.Broadcasts.Broadcasts(ctx, community, e.Now().Add(-openFor))
	if err != nil {
		return nil, err
	}
	var out []guanjia.Broadcast
	for _, b := range all {
		if !b.Emergency || (keep != nil && !keep(b)) {
			continue
		}
		st, err := e.state(ctx, b)
		if err != nil {
			return nil, err
		}
		if st.sent && !st.closed {
			out = append(out, b)
		}
	}
	return out, nil
}

// broadcastStaff runs 详情 / 进展 / 解除 / 撤回 / 批准 on a broadcast.
func (e *Engine) broadcastStaff(ctx context.Context, t *turn, verb, no, note string) error {
	b, err := e.Broadcasts.Broadcast(ctx, t.person.Community, no)
	if errors.Is(err, guanjia.ErrNotFound) {
		t.say("broadcast.not_found", map[string]any{"No": no})
		return nil
	}
	if err != nil {
		return err
	}
	st, err := e.state(ctx, b)
	if err != nil {
		return err
	}
	switch verb {
	case "详情":
		if t.residentsRead() {
			t.say("broadcast.status_private", map[string]any{"No": no})
			return nil
		}
		data, err := e.statusData(ctx, t.lang, b, st, &t.err)
		if err != nil {
			return err
		}
		t.say("broadcast.status", data)
		return nil
	case "进展", "解除":
		if !b.Emergency || !st.sent {
			t.say("broadcast.not_open", map[string]any{"No": no})
			return nil
		}
		if st.closed {
			t.say("broadcast.already_closed", map[string]any{"No": no})
			return nil
		}
		if verb == "进展" {
			if note == "" {
				t.say("broadcast.update_needs_text", map[string]any{"No": no})
				return nil
			}
			if _, err := e.event(ctx, b, guanjia.BcastUpdate, t.person, note, []string{strconv.FormatInt(e.Now().UnixNano(), 10)}); err != nil {
				return err
			}
			for _, r := range e.deliveries(b, "broadcast.update", note, &t.err) {
				t.send(r)
			}
			t.say("broadcast.update_sent", map[string]any{"No": no, "Chats": len(b.Audience)})
			return nil
		}
		isNew, err := e.event(ctx, b, guanjia.BcastClosed, t.person, note, nil)
		if err != nil || !isNew {
			if err == nil {
				t.say("broadcast.already_closed", map[string]any{"No": no})
			}
			return err
		}
		for _, r := range e.deliveries(b, "broadcast.all_clear", note, &t.err) {
			t.send(r)
		}
		st.closed = true
		data, err := e.statusData(ctx, e.Templates.Lang(""), b, st, &t.err)
		if err != nil {
			return err
		}
		data["By"] = t.person.Name
		if err := e.toStaff(ctx, t, b.Community, func(lang string, errp *error) bot.Reply {
			return bot.Reply{Text: e.render(lang, "broadcast.summary", data, errp)}
		}); err != nil {
			return err
		}
		if !t.chat.IsGroup() || t.chat.Role != guanjia.ChatStaff {
			t.say("broadcast.closed", map[string]any{"No": no})
		}
		return nil
	case "撤回":
		switch {
		case st.sent:
			t.say("broadcast.too_late", map[string]any{"No": no})
		case st.withdrawn:
			t.say("broadcast.withdrawn", map[string]any{"No": no})
		default:
			if _, err := e.event(ctx, b, guanjia.BcastWithdrawn, t.person, "", nil); err != nil {
				return err
			}
			if e.Timers != nil {
				id := guanjia.TimerID(e.afterQuiet(b.At), TimerBroadcast, b.No)
				if err := e.Timers.CancelTimer(ctx, id); err != nil && !errors.Is(err, guanjia.ErrNotFound) {
					return fmt.Errorf("flows: withdraw %s: %w", no, err)
				}
			}
			t.say("broadcast.withdrawn", map[string]any{"No": no})
		}
		return nil
	case "批准":
		if !t.person.IsSupervisor() {
			t.say("broadcast.supervisor_only", map[string]any{"No": no})
			return nil
		}
		if !b.NeedsApproval || st.withdrawn {
			t.say("broadcast.no_approval_needed", map[string]any{"No": no})
			return nil
		}
		isNew, err := e.event(ctx, b, guanjia.BcastApproved, t.person, "", nil)
		if err != nil {
			return err
		}
		if !isNew {
			t.say("broadcast.already_approved", map[string]any{"No": no})
			return nil
		}
		if by, err := e.Directory.Person(ctx, b.By); err == nil && by.ID != t.person.ID {
			if _, err := e.toPerson(ctx, t, by, func(lang string) bot.Reply {
				return bot.Reply{Text: e.render(lang, "broadcast.approved", map[string]any{"No": no, "By": t.person.Name}, &t.err)}
			}); err != nil {
				return err
			}
		}
		return e.release(ctx, t, b)
	}
	return nil
}

// buildingCount is how many households of a building acknowledged, of how many.
type buildingCount struct{ Building, Acked, Total int }

// statusData is an emergency's status: chats reached per channel, households acknowledged per
// building, the roll call. It holds care notes: staff only.
func (e *Engine) statusData(ctx context.Context, lang string, b guanjia.Broadcast, st bcastState, errp *error) (map[string]any, error) {
	c, err := e.Directory.Community(ctx, b.Community)
	if err != nil {
		return nil, fmt.Errorf("flows: status: %w", err)
	}
	scope := b.Buildings
	if len(scope) == 0 {
		scope = c.Buildings
	}
	var counts []buildingCount
	for _, bl := range scope {
		hs, err := e.Directory.HouseholdsInBuilding(ctx, b.Community, bl)
		if err != nil {
			return nil, fmt.Errorf("flows: status: households: %w", err)
		}
		n := 0
		for _, a := range st.acks {
			if a.Building == bl {
				n++
			}
		}
		counts = append(counts, buildingCount{bl, n, len(hs)})
	}
	roll, err := e.rollCall(ctx, lang, b, st, errp)
	if err != nil {
		return nil, err
	}
	others := 0
	for _, a := range st.acks {
		if a.Building == 0 {
			others++
		}
	}
	reach := e.reach(lang, b.Audience, b.Emergency, errp)
	for i := range reach {
		n := st.delivered[reach[i].Channel]
		reach[i].GroupsReached, reach[i].PrivatesReached = n[0], n[1]
	}
	data := map[string]any{"No": b.No, "Emergency": b.Emergency, "Kind": e.render(lang, "broadcast.kind."+b.Kind, nil, errp),
		"Scope": e.scopeLabel(lang, b.Buildings, errp), "Sent": st.sent, "Closed": st.closed, "Withdrawn": st.withdrawn,
		"SentAt": st.sentAt.In(e.location()).Format("15:04"), "Channels": reach,
		"Counts": counts, "Others": others, "RollCall": roll, "Pending": b.NeedsApproval && !st.approved,
		"At":      e.afterQuiet(b.At).In(e.location()).Format("01-02 15:04"),
		"Minutes": int(e.Now().Sub(st.sentAt).Minutes())}
	return data, nil
}

// isBroadcastCommand reports whether text is one of the broadcast commands of staff.
func isBroadcastCommand(text string) bool {
	if _, _, ok := broadcastStart(text); ok {
		return true
	}
	return bcastCommand.MatchString(text) || checkCommand.MatchString(text)
}

var quietHours = regexp.MustCompile(`^(\d{1,2}):(\d{2})\s*[-~–]\s*(\d{1,2}):(\d{2})$`)

// ParseQuietHours reads quiet hours, "22:00-08:00"; "" is the default 22:00–08:00, "off" none.
// It returns the minutes of the day they start and end.
func ParseQuietHours(s string) ([2]int, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return [2]int{22 * 60, 8 * 60}, nil
	case "off", "none", "0":
		return [2]int{}, nil
	}
	m := quietHours.FindStringSubmatch(s)
	if m == nil {
		return [2]int{22 * 60, 8 * 60}, fmt.Errorf("quiet hours %q: use HH:MM-HH:MM or off: %w", s, guanjia.ErrInvalid)
	}
	v := make([]int, 4)
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	if v[0] > 23 || v[2] > 23 || v[1] > 59 || v[3] > 59 {
		return [2]int{22 * 60, 8 * 60}, fmt.Errorf("quiet hours %q: no such time: %w", s, guanjia.ErrInvalid)
	}
	return [2]int{v[0]*60 + v[1], v[2]*60 + v[3]}, nil
}
