package flows

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// audience is every chat a broadcast to buildings (none: the whole community) reaches: the
// residents' groups of those buildings, and the private chats of the residents who live there.
// uncovered are the buildings in scope that no group reaches.
func (e *Engine) audience(ctx context.Context, community string, buildings []int) ([]guanjia.Recipient, []int, error) {
	c, err := e.Directory.Community(ctx, community)
	if err != nil {
		return nil, nil, fmt.Errorf("flows: audience: %w", err)
	}
	scope := buildings
	if len(scope) == 0 {
		scope = c.Buildings
	}
	groups, err := e.Directory.ChatsByRole(ctx, community, guanjia.ChatBuilding)
	if err != nil {
		return nil, nil, fmt.Errorf("flows: audience: groups: %w", err)
	}
	var out []guanjia.Recipient
	covered := map[int]bool{}
	for _, g := range groups {
		hit := len(buildings) == 0
		for _, b := range g.Buildings {
			if slices.Contains(scope, b) {
				hit = true
				covered[b] = true
			}
		}
		if hit && g.Unreachable == "" {
			out = append(out, guanjia.Recipient{Channel: g.Channel, Chat: g.PlatformID, Name: g.Name, Group: true})
		}
	}
	residents, err := e.Directory.PeopleByRole(ctx, community, guanjia.RoleResident)
	if err != nil {
		return nil, nil, fmt.Errorf("flows: audience: residents: %w", err)
	}
	for _, p := range residents {
		b, err := guanjia.ParseHouseholdCode(p.Household)
		if err != nil || !slices.Contains(scope, b) {
			continue
		}
		chats, err := e.Directory.PrivateChats(ctx, p.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("flows: audience: chats of %s: %w", p.ID, err)
		}
		for _, ch := range chats {
			if ch.Unreachable == "" {
				out = append(out, guanjia.Recipient{Channel: ch.Channel, Chat: ch.PlatformID, Name: p.Name, Person: p.ID, Lang: p.Lang})
			}
		}
	}
	var uncovered []int
	for _, b := range scope {
		if !covered[b] {
			uncovered = append(uncovered, b)
		}
	}
	return out, uncovered, nil
}

// channelReach is what a broadcast reaches on one channel, for the preview and the status.
type channelReach struct {
	Channel string
	Groups  []string
	// GroupList names the groups, "3号楼业主群、…".
	GroupList string
	Privates  int
	Time      string
	// GroupsReached and PrivatesReached are the chats the platform accepted the message for.
	GroupsReached, PrivatesReached int
}

func (e *Engine) reach(lang string, aud []guanjia.Recipient, emergency bool, errp *error) []channelReach {
	by := map[string]*channelReach{}
	var names []string
	for _, r := range aud {
		c, ok := by[r.Channel]
		if !ok {
			c = &channelReach{Channel: r.Channel}
			by[r.Channel] = c
			names = append(names, r.Channel)
		}
		if r.Group {
			c.Groups = append(c.Groups, r.Name)
		} else {
			c.Privates++
		}
	}
	sort.Strings(names)
	out := make([]channelReach, 0, len(names))
	for _, n := range names {
		c := by[n]
		var d time.Duration
		if e.Pacing != nil {
			d = e.Pacing.DeliveryTime(n, len(c.Groups), c.Privates, emergency)
		}
		c.Time = e.durationLabel(lang, d, errp)
		c.GroupList = strings.Join(c.Groups, "、")
		out = append(out, *c)
	}
	return out
}

// durationLabel says how long something takes: "即时", "约 17 秒", "约 3 分钟".
func (e *Engine) durationLabel(lang string, d time.Duration, errp *error) string {
	switch {
	case d < time.Second:
		return e.render(lang, "broadcast.instant", nil, errp)
	case d < 2*time.Minute:
		return e.render(lang, "broadcast.seconds", map[string]any{"N": int((d + time.Second - 1) / time.Second)}, errp)
	}
	return e.render(lang, "broadcast.minutes", map[string]any{"N": int((d + time.Minute - 1) / time.Minute)}, errp)
}

// previewData is what the questions and the preview of a broadcast show.
func (e *Engine) previewData(t *turn, s *guanjia.Session) map[string]any {
	b := e.draft(t, s)
	data := map[string]any{"Emergency": b.Emergency, "Unknown": s.Data["unknown"],
		"Kind": t.label("broadcast.kind." + b.Kind), "Scope": e.scopeLabel(t.lang, b.Buildings, &t.err),
		"Default": b.Text, "Buildings": "", "Quiet": ""}
	// The form's data has no context of its own: these are quick lookups of the records the
	// turn already reads.
	if c, err := e.Directory.Community(context.Background(), s.Data["community"]); err == nil {
		data["Buildings"] = joinInts(c.Buildings)
	}
	if s.Step != formConfirm {
		return data
	}
	data["Text"] = e.residentText(t.lang, b, "broadcast.resident", "", &t.err)
	data["Now"] = s.Data["when"] == "" || s.Data["when"] == "now"
	data["When"] = b.At.In(e.location()).Format("2006-01-02 15:04")
	if !b.Emergency {
		if due := e.afterQuiet(b.At); due.After(b.At) {
			data["Quiet"] = due.In(e.location()).Format("01-02 15:04")
		}
	}
	aud, uncovered, err := e.audience(context.Background(), b.Community, b.Buildings)
	if err != nil && t.err == nil {
		t.err = err
	}
	data["Channels"] = e.reach(t.lang, aud, b.Emergency, &t.err)
	data["Nobody"] = len(aud) == 0
	data["Uncovered"] = joinInts(uncovered)
	data["Approval"] = e.needsApproval(t, b)
	return data
}

// needsApproval reports whether an announcement waits for a supervisor's confirm: one to a
// whole community drafted by someone who is not a supervisor, when the office asks for it.
func (e *Engine) needsApproval(t *turn, b guanjia.Broadcast) bool {
	return !b.Emergency && len(b.Buildings) == 0 && !e.Config.NoticeNoApproval && !t.person.IsSupervisor()
}

// afterQuiet is when an announcement due at at may go out: at, or the end of the quiet hours it falls in.
func (e *Engine) afterQuiet(at time.Time) time.Time {
	start, end := e.quiet[0], e.quiet[1]
	if start == end {
		return at
	}
	local := at.In(e.location())
	mins := local.Hour()*60 + local.Minute()
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, e.location())
	endAt := day.Add(time.Duration(end) * time.Minute)
	switch {
	case start < end && mins >= start && mins < end:
		return endAt
	case start > end && mins >= start:
		return endAt.AddDate(0, 0, 1)
	case start > end && mins < end:
		return endAt
	}
	return at
}

// submitBroadcast files the confirmed broadcast and sends it, holds it for a supervisor, or
// sets its timer.
func (e *Engine) submitBroadcast(ctx context.Context, t *turn, s *guanjia.Session) error {
	now := e.Now()
	b := e.draft(t, s)
	if s.Data["when"] != "" && s.Data["when"] != "now" && !b.At.After(now) {
		// The time asked for passed while the preview waited.
		s.Step = "when"
		delete(s.Data, "when")
		t.reask("broadcast.past_time", "broadcast.ask_when", e.previewData(t, s), []option{{"now", "broadcast.now"}})
		return e.save(ctx, s)
	}
	aud, _, err := e.audience(ctx, b.Community, b.Buildings)
	if err != nil {
		return err
	}
	b.Audience, b.Submission, b.Created = aud, s.Data[dataSubmission], now
	b.NeedsApproval = e.needsApproval(t, b)
	if b.NeedsApproval {
		// Until a supervisor approves it, it goes nowhere: its time is the time asked for.
		b.At = e.sendAt(s)
	}
	if err := e.Broadcasts.CreateBroadcast(ctx, &b); err != nil {
		return fmt.Errorf("flows: broadcast: %w", err)
	}
	if _, err := e.event(ctx, b, guanjia.BcastConfirmed, t.person, "", nil); err != nil {
		return err
	}
	if err := e.finish(ctx, t); err != nil {
		return err
	}
	e.Log.Info("broadcast confirmed", "broadcast", b.No, "community", b.Community, "emergency", b.Emergency, "chats", len(b.Audience))
	if b.NeedsApproval {
		sups, err := e.Directory.PeopleByRole(ctx, b.Community, guanjia.RoleSupervisor)
		if err != nil {
			return fmt.Errorf("flows: supervisors: %w", err)
		}
		for _, p := range sups {
			if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
				return bot.Reply{Text: e.render(lang, "broadcast.approve_card", map[string]any{"No": b.No, "By": b.ByName,
					"Text": e.residentText(lang, b, "broadcast.resident", "", &t.err)}, &t.err),
					Choices: []bot.Choice{{Label: e.render(lang, "broadcast.approve", nil, &t.err), Value: "批准 " + b.No}}}
			}); err != nil {
				return err
			}
		}
		t.say("broadcast.awaiting_approval", map[string]any{"No": b.No})
		return nil
	}
	return e.release(ctx, t, b)
}

// release sends a confirmed (and approved) broadcast now, or sets its timer.
func (e *Engine) release(ctx context.Context, t *turn, b guanjia.Broadcast) error {
	now := e.Now()
	due := b.At
	if !b.Emergency {
		due = e.afterQuiet(b.At)
	}
	if !b.Emergency && due.After(now) {
		if e.Timers == nil {
			return fmt.Errorf("flows: broadcast %s: no timers", b.No)
		}
		if _, err := e.Timers.AddTimer(ctx, TimerBroadcast, b.No, due, map[string]string{"community": b.Community}); err != nil {
			return fmt.Errorf("flows: broadcast %s: timer: %w", b.No, err)
		}
		t.say("broadcast.scheduled", map[string]any{"No": b.No, "At": due.In(e.location()).Format("01-02 15:04"),
			"Quiet": due.After(b.At)})
		return nil
	}
	if _, err := e.event(ctx, b, guanjia.BcastSent, t.person, "", nil); err != nil {
		return err
	}
	for _, r := range e.deliveries(b, "broadcast.resident", "", &t.err) {
		t.send(r)
	}
	t.say("broadcast.sent", map[string]any{"No": b.No, "Emergency": b.Emergency, "Chats": len(b.Audience)})
	if !b.Emergency {
		return nil
	}
	if err := e.rollCallTasks(ctx, t, b, false); err != nil {
		return err
	}
	if e.Timers == nil {
		return fmt.Errorf("flows: emergency %s: no timers", b.No)
	}
	if _, err := e.Timers.AddTimer(ctx, TimerEmergencyRound, b.No+"/1", now.Add(e.Config.StatusEvery), map[string]string{"community": b.Community}); err != nil {
		return fmt.Errorf("flows: emergency %s: timer: %w", b.No, err)
	}
	if _, err := e.Timers.AddTimer(ctx, TimerRollCallEscalate, b.No, now.Add(e.Config.RollCallEscalate), map[string]string{"community": b.Community}); err != nil {
		return fmt.Errorf("flows: emergency %s: timer: %w", b.No, err)
	}
	return nil
}

// deliveries are a broadcast's messages to its audience, each in its reader's language.
func (e *Engine) deliveries(b guanjia.Broadcast, key, note string, errp *error) []bot.Reply {
	lane := bot.LaneNotice
	if b.Emergency {
		lane = bot.LaneEmergency
	}
	out := make([]bot.Reply, 0, len(b.Audience))
	for _, r := range b.Audience {
		lang := e.Templates.Lang(r.Lang)
		rep := bot.Reply{Channel: r.Channel, ChatID: r.Chat, Group: r.Group, Lane: lane,
			Text: e.residentText(lang, b, key, note, errp)}
		if b.Emergency && key != "broadcast.all_clear" {
			rep.Choices = ackChoices(e, lang, b.No, errp)
		}
		if key == "broadcast.resident" {
			rep.Tag = deliveryTag + b.ID
		}
		out = append(out, rep)
	}
	return out
}

// event records what happened to a broadcast; parts make it unique (none: once per action).
func (e *Engine) event(ctx context.Context, b guanjia.Broadcast, action string, by guanjia.Person, note string, parts []string) (bool, error) {
	idParts := append([]string{action}, parts...)
	ev := guanjia.BroadcastEvent{ID: guanjia.BroadcastEventID(b.Community, b.No, idParts...), Community: b.Community,
		No: b.No, Action: action, At: e.Now(), Actor: by.ID, ActorName: by.Name, Note: note}
	isNew, err := e.Broadcasts.AddBroadcastEvent(ctx, ev)
	if err != nil {
		return false, fmt.Errorf("flows: broadcast %s: %s: %w", b.No, action, err)
	}
	return isNew, nil
}

// DueBroadcast is what a scheduled announcement's timer sends: its messages, and a word to
// whoever drafted it. Nothing when it was withdrawn or never approved. The caller queues each
// reply once under its own key, so a timer fired again sends nothing twice.
func (e *Engine) DueBroadcast(ctx context.Context, community, no string) ([]bot.Reply, error) {
	b, err := e.Broadcasts.Broadcast(ctx, community, no)
	if err != nil {
		return nil, err
	}
	st, err := e.state(ctx, b)
	if err != nil {
		return nil, err
	}
	if st.withdrawn || (b.NeedsApproval && !st.approved) {
		return nil, nil
	}
	t := &turn{e: e, lang: e.Templates.Lang("")}
	t.out = e.deliveries(b, "broadcast.resident", "", &t.err)
	if by, err := e.Directory.Person(ctx, b.By); err == nil {
		if _, err := e.toPerson(ctx, t, by, func(lang string) bot.Reply {
			return bot.Reply{Text: e.render(lang, "broadcast.sent", map[string]any{"No": b.No, "Chats": len(b.Audience), "Emergency": false}, &t.err)}
		}); err != nil {
			return nil, err
		}
	}
	if t.err != nil {
		return nil, t.err
	}
	// Recorded as sent before it is queued: a withdrawal from now on is refused. Queued
	// once per chat by the caller, so a fire again after a crash finishes what is left.
	if _, err := e.event(ctx, b, guanjia.BcastSent, guanjia.Person{}, "", nil); err != nil {
		return nil, err
	}
	return t.out, nil
}

// deliveryTag marks a broadcast's messages, "bcast:<community>/<no>", so that the outbound
// queue tells when each reached its chat.
const deliveryTag = "bcast:"

// BroadcastDelivered records that a broadcast's message reached its chat (bot/outbox's
// Delivered hook). A chat counts once, however often it is told.
func (e *Engine) BroadcastDelivered(ctx context.Context, r bot.Reply) {
	id, ok := strings.CutPrefix(r.Tag, deliveryTag)
	community, no, ok2 := strings.Cut(id, "/")
	if !ok || !ok2 || e.Broadcasts == nil {
		return
	}
	kind := "private"
	if r.Group {
		kind = "group"
	}
	ev := guanjia.BroadcastEvent{ID: guanjia.BroadcastEventID(community, no, guanjia.BcastDelivered, r.Channel+":"+r.ChatID),
		Community: community, No: no, Action: guanjia.BcastDelivered, At: e.Now(), Channel: r.Channel, Note: kind}
	if _, err := e.Broadcasts.AddBroadcastEvent(ctx, ev); err != nil {
		e.Log.Warn("record broadcast delivery", "broadcast", no, "channel", r.Channel, "err", err)
	}
}

// bcastState is what a broadcast's events say about it.
type bcastState struct {
	sent, withdrawn, approved, closed bool
	sentAt                            time.Time
	// delivered counts the chats reached per channel: groups, private chats.
	delivered map[string][2]int
	acks      map[string]guanjia.BroadcastEvent
	checked   map[string]guanjia.BroadcastEvent
	events    []guanjia.BroadcastEvent
}

func (e *Engine) state(ctx context.Context, b guanjia.Broadcast) (bcastState, error) {
	evs, err := e.Broadcasts.BroadcastEvents(ctx, b.Community, b.No)
	if err != nil {
		return bcastState{}, err
	}
	st := bcastState{acks: map[string]guanjia.BroadcastEvent{}, checked: map[string]guanjia.BroadcastEvent{}, events: evs,
		delivered: map[string][2]int{}}
	for _, ev := range evs {
		switch ev.Action {
		case guanjia.BcastSent:
			st.sent, st.sentAt = true, ev.At
		case guanjia.BcastWithdrawn:
			st.withdrawn = true
		case guanjia.BcastApproved:
			st.approved = true
		case guanjia.BcastClosed:
			st.closed = true
		case guanjia.BcastAck:
			st.acks[ev.Household] = ev
		case guanjia.BcastChecked:
			st.checked[ev.Household] = ev
		case guanjia.BcastDelivered:
			n := st.delivered[ev.Channel]
			if ev.Note == "group" {
				n[0]++
			} else {
				n[1]++
			}
			st.delivered[ev.Channel] = n
		}
	}
	return st, nil
}
