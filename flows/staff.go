package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/templates"
)

// verbAction maps staff verbs to timeline actions.
var verbAction = map[string]guanjia.Action{
	verbAccept: guanjia.ActAccept, verbAssign: guanjia.ActAssign, verbProgress: guanjia.ActProgress,
	verbResolve: guanjia.ActResolve, verbClose: guanjia.ActClose, verbReopen: guanjia.ActReopen,
	verbReply: guanjia.ActReply, verbNote: guanjia.ActNote, verbCallBack: guanjia.ActCallBack,
}

// staffCommand runs a steward's instruction on a ticket of their community (SPEC 4.5).
func (e *Engine) staffCommand(ctx context.Context, t *turn, cmd staffCommand) error {
	verbLabel := t.label("verb." + cmd.verb)
	if !t.known || !t.person.IsStaff() {
		t.say("staff.forbidden", map[string]any{"Command": verbLabel})
		return nil
	}
	if t.residentsRead() {
		// Residents read along in their groups: tickets are handled where only staff do.
		t.say("staff.not_here", nil)
		return nil
	}
	if (cmd.verb == verbAssign || cmd.verb == verbClose || cmd.verb == verbReopen || cmd.verb == verbFalseAlarm) && !t.person.IsOffice() {
		t.say("staff.office_only", map[string]any{"Command": verbLabel})
		return nil
	}
	if cmd.verb == verbResolve && cmd.no == "" {
		// 「完成」 alone from whoever has one job open is that job; with several, which one?
		mine, err := e.openJobsOf(ctx, t.person)
		if err != nil {
			return err
		}
		switch {
		case len(mine) == 1:
			cmd.no = mine[0].No
		case len(mine) > 1:
			var lines []string
			for _, tk := range mine {
				lines = append(lines, e.ticketLine(t.lang, tk, e.Now(), &t.err))
			}
			t.say("staff.resolve_which", map[string]any{"Lines": lines, "No": mine[0].No})
			return nil
		}
	}
	no, ok := guanjia.ParseTicketNo(cmd.no)
	needsText := cmd.verb == verbAssign || cmd.verb == verbProgress || cmd.verb == verbReply || cmd.verb == verbNote || cmd.verb == verbCallBack
	if !ok || needsText && cmd.rest == "" {
		example := no
		if !ok {
			example = e.Now().In(e.location()).Format("R20060102") + "-0001"
		}
		t.say("staff.usage", map[string]any{"Usage": t.render("usage."+cmd.verb, map[string]any{"No": example})})
		return nil
	}
	current, err := e.Tickets.Ticket(ctx, t.person.Community, no)
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		t.say("staff.not_found", map[string]any{"No": no})
		return nil
	case err != nil:
		return fmt.Errorf("flows: %s %s: %w", cmd.verb, no, err)
	case current.Confidential && !t.person.IsSupervisor():
		t.say("staff.confidential", map[string]any{"No": no})
		return nil
	case current.Confidential && t.chat.IsGroup():
		t.say("staff.confidential_private", map[string]any{"No": no})
		return nil
	case cmd.verb == verbAssign && current.Kind != guanjia.KindRepair && current.Kind != guanjia.KindHazard:
		t.say("staff.assign_repairs_only", map[string]any{"No": no, "Kind": t.label("kind." + string(current.Kind))})
		return nil
	}
	var worker guanjia.Person
	if cmd.verb == verbAssign {
		w, err := e.Directory.PersonByName(ctx, t.person.Community, cmd.rest)
		switch {
		case errors.Is(err, guanjia.ErrNotFound) || err == nil && !w.Has(guanjia.RoleWorker) && !w.Has(guanjia.RoleSteward):
			t.say("staff.worker_not_found", map[string]any{"Name": cmd.rest})
			return nil
		case err != nil:
			return fmt.Errorf("flows: find worker: %w", err)
		}
		worker = w
	}
	if cmd.verb == verbDetails {
		d := detailsData(e, t.lang, current, t.person.IsSupervisor() && !t.chat.IsGroup(), true, &t.err)
		if current.CallBack && !t.chat.IsGroup() && t.person.IsOffice() {
			// The number to call back, in private, for whoever handles the complaint.
			if reporter, err := e.Directory.Person(ctx, current.Reporter); err == nil {
				d["Phone"] = reporter.Phone
			} else if !errors.Is(err, guanjia.ErrNotFound) {
				return fmt.Errorf("flows: details: %w", err)
			}
		}
		t.say(detailsKey(current), d)
		return nil
	}
	if cmd.verb == verbFalseAlarm {
		return e.falseAlarm(ctx, t, current, cmd.rest)
	}
	if cmd.verb == verbAssign && current.Assignee == worker.ID && current.Open() {
		// Assigned again to whoever has it: nothing changes, nobody is told twice.
		t.say("staff.assigned_already", map[string]any{"No": no, "Worker": current.AssigneeName})
		return nil
	}
	if refused := e.refuseChange(t, cmd, current); refused {
		return nil
	}
	action := verbAction[cmd.verb]
	ev := guanjia.Event{At: e.Now(), Actor: t.person.ID, ActorName: t.person.Name, Note: cmd.rest,
		Staff: action == guanjia.ActNote || action == guanjia.ActCallBack}
	var late struct {
		stage guanjia.Stage
		due   time.Time
	}
	tk, err := e.changeTicket(ctx, t.person.Community, no, func(tk *guanjia.Ticket) error {
		if action == guanjia.ActAssign {
			tk.Assignee, tk.AssigneeName = worker.ID, worker.Name
		}
		stage, due := guanjia.StageOf(*tk), tk.DueAt
		defer func() {
			e.restage(tk, stage, ev.At)
			late.stage = guanjia.StageNone
			if guanjia.StageOf(*tk) != stage && stage != guanjia.StageNone && !due.IsZero() && ev.At.After(due) && !escalated(*tk, due) {
				// Done late, before the sweep saw it: on the timeline and told all the same.
				tk.Timeline = append(tk.Timeline, guanjia.Event{At: ev.At, Action: guanjia.ActEscalate, Actor: "system",
					ActorName: t.label("sla.actor"), Due: due, Note: t.label("stage." + string(stage))})
				late.stage, late.due = stage, due
			}
		}()
		if err := tk.Apply(action, ev); err != nil {
			return err
		}
		if action == guanjia.ActReply && tk.Status == guanjia.StatusSubmitted {
			// Answering a resident is handling their ticket.
			tk.Status = guanjia.StatusInProgress
		}
		if action == guanjia.ActReply && tk.Kind == guanjia.KindInquiry && tk.Open() {
			// The answer to a question is what resolves it.
			return tk.Apply(guanjia.ActResolve, guanjia.Event{At: ev.At, Actor: ev.Actor, ActorName: ev.ActorName})
		}
		return nil
	})
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		t.say("staff.not_found", map[string]any{"No": no})
		return nil
	case errors.Is(err, guanjia.ErrConflict):
		t.say("staff.bad_state", map[string]any{"No": no, "Status": t.label("status." + string(tk.Status)), "Action": verbLabel})
		return nil
	case err != nil:
		return fmt.Errorf("flows: %s %s: %w", cmd.verb, no, err)
	}
	e.Log.Info("ticket updated", "ticket", tk.No, "action", action, "actor", t.person.ID)
	if late.stage != guanjia.StageNone {
		if err := e.lateDone(ctx, t, tk, late.stage, late.due); err != nil {
			return err
		}
	}
	t.say("staff.done."+cmd.verb, map[string]any{"No": no, "Worker": tk.AssigneeName,
		"Status": t.label("status." + string(tk.Status))})
	if action == guanjia.ActAccept && tk.CallBack {
		if err := e.giveCallBackNumber(ctx, t, tk); err != nil {
			return err
		}
	}
	if action == guanjia.ActAssign && current.Assignee != "" && current.Assignee != worker.ID {
		if err := e.tellUnassigned(ctx, t, tk, current.Assignee); err != nil {
			return err
		}
	}
	if action == guanjia.ActClose && current.Open() || action == guanjia.ActReopen {
		// The worker who has the job hears that it is called off, or back on, before he sets out.
		if err := e.tellAssignee(ctx, t, tk, "ticket.job_"+cmd.verb); err != nil {
			return err
		}
	}
	return e.tellReporter(ctx, t, tk, action, worker)
}

// giveCallBackNumber tells whoever took a complaint that asks for a call the number to call,
// in their private chat only: the card in the staff group never shows it.
func (e *Engine) giveCallBackNumber(ctx context.Context, t *turn, tk guanjia.Ticket) error {
	reporter, err := e.Directory.Person(ctx, tk.Reporter)
	if errors.Is(err, guanjia.ErrNotFound) || err == nil && reporter.Phone == "" {
		t.say("complaint.call_back_no_phone", map[string]any{"No": tk.No, "Name": tk.ReporterName})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: call-back number: %w", err)
	}
	data := map[string]any{"No": tk.No, "Name": reporter.Name, "Phone": reporter.Phone}
	if !t.chat.IsGroup() {
		t.say("complaint.call_back", data)
		return nil
	}
	if c, ok, err := e.privateChatOn(ctx, t.person.ID, t.msg.Channel); err != nil {
		return err
	} else if ok {
		t.send(bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: t.render("complaint.call_back", data)})
		return nil
	}
	t.say("complaint.call_back_private", map[string]any{"No": tk.No})
	return nil
}

// firstPhoto is the photo to show with a ticket's card or job: its first one, if any. A
// channel shows the photos it can (Telegram those sent on Telegram) and the text always.
func firstPhoto(tk guanjia.Ticket) string {
	if len(tk.Photos) == 0 {
		return ""
	}
	return tk.Photos[0]
}

// changeTicket loads a ticket, applies change and saves it, retrying when another steward
// changed the same ticket in between. On a refused change it returns the ticket as it is.
func (e *Engine) changeTicket(ctx context.Context, community, no string, change func(*guanjia.Ticket) error) (guanjia.Ticket, error) {
	for attempt := 0; ; attempt++ {
		tk, err := e.Tickets.Ticket(ctx, community, no)
		if err != nil {
			return tk, err
		}
		cur := tk
		if err := change(&tk); err != nil {
			return cur, err
		}
		err = e.Tickets.UpdateTicket(ctx, &tk)
		if errors.Is(err, guanjia.ErrConflict) && attempt < 4 {
			continue
		}
		return tk, err
	}
}

// toStaff sends a message built per language to every staff group of the community.
func (e *Engine) toStaff(ctx context.Context, t *turn, community string, build func(lang string, errp *error) bot.Reply) error {
	chats, err := e.Directory.ChatsByRole(ctx, community, guanjia.ChatStaff)
	if err != nil {
		return fmt.Errorf("flows: staff groups: %w", err)
	}
	if len(chats) == 0 {
		e.Log.Warn("community has no staff group", "community", community)
	}
	for _, c := range chats {
		r := build(e.Templates.Lang(""), &t.err)
		r.Channel, r.ChatID, r.Group = c.Channel, c.PlatformID, true
		t.send(r)
	}
	return nil
}

// toPerson sends build's message, in the person's language, to each of their private chats,
// and reports whether there was one.
func (e *Engine) toPerson(ctx context.Context, t *turn, p guanjia.Person, build func(lang string) bot.Reply) (bool, error) {
	chats, err := e.Directory.PrivateChats(ctx, p.ID)
	if err != nil {
		return false, fmt.Errorf("flows: private chats of %s: %w", p.ID, err)
	}
	lang := e.Templates.Lang(p.Lang)
	for _, c := range chats {
		r := build(lang)
		r.Channel, r.ChatID = c.Channel, c.PlatformID
		t.send(r)
	}
	return len(chats) > 0, nil
}

// privateChatOn is the person's private chat on a channel, if they have one there: where to
// answer privately what was asked in a group.
func (e *Engine) privateChatOn(ctx context.Context, person, channel string) (guanjia.Chat, bool, error) {
	chats, err := e.Directory.PrivateChats(ctx, person)
	if err != nil {
		return guanjia.Chat{}, false, fmt.Errorf("flows: private chats of %s: %w", person, err)
	}
	for _, c := range chats {
		if c.Channel == channel {
			return c, true, nil
		}
	}
	return guanjia.Chat{}, false, nil
}

// reporter is where a ticket's reporter hears about it: their private chat on the channel
// they reported from, or else the chat they reported in.
type reporter struct {
	key  guanjia.SessionKey
	lang string
	// mention names the reporter when they are reached in a group.
	mention string
}

// reply builds a message to the reporter.
func (r reporter) reply(text string, choices []bot.Choice) bot.Reply {
	rep := bot.Reply{Channel: r.key.Channel, ChatID: r.key.Chat, Group: r.mention != "", Text: r.mention + text, Choices: choices}
	if len(choices) > 0 {
		rep.For = r.key.Person
	}
	return rep
}

func (e *Engine) reporterOf(ctx context.Context, tk guanjia.Ticket) (reporter, error) {
	r := reporter{key: guanjia.SessionKey{Channel: tk.Origin.Channel, Chat: tk.Origin.Chat, Person: tk.Origin.User},
		lang: e.Templates.Lang("")}
	if tk.Origin.Chat != tk.Origin.User {
		// Until a private chat turns up, the reporter is reached where they reported.
		r.mention = "@" + tk.ReporterName + " "
	}
	p, err := e.Directory.Person(ctx, tk.Reporter)
	if errors.Is(err, guanjia.ErrNotFound) {
		return r, nil
	} else if err != nil {
		return r, fmt.Errorf("flows: reporter: %w", err)
	}
	r.lang = e.Templates.Lang(p.Lang)
	chats, err := e.Directory.PrivateChats(ctx, p.ID)
	if err != nil {
		return r, fmt.Errorf("flows: reporter chats: %w", err)
	}
	for _, c := range chats {
		if c.Channel == tk.Origin.Channel {
			r.key.Chat, r.mention = c.PlatformID, ""
			break
		}
	}
	return r, nil
}

// tellReporter tells the resident about a step that concerns them, and the worker about a job.
func (e *Engine) tellReporter(ctx context.Context, t *turn, tk guanjia.Ticket, action guanjia.Action, worker guanjia.Person) error {
	if action == guanjia.ActAssign {
		if err := e.tellWorker(ctx, t, tk, worker); err != nil {
			return err
		}
	}
	if tk.Reporter == t.person.ID && action != guanjia.ActResolve {
		// Staff who filed it themselves did this step themselves: nothing to tell them.
		return nil
	}
	r, err := e.reporterOf(ctx, tk)
	if err != nil {
		return err
	}
	data := map[string]any{"No": tk.No, "Actor": t.person.Name, "Worker": tk.AssigneeName,
		"What": e.render(r.lang, kindKey(tk), nil, &t.err), "For": ""}
	if tk.Household != "" && tk.Reporter != "" {
		// A steward who filed it for a resident is told whose it is, not "your repair".
		if p, err := e.Directory.Person(ctx, tk.Reporter); err == nil && p.IsStaff() {
			data["For"] = tk.Address
		} else if err != nil && !errors.Is(err, guanjia.ErrNotFound) {
			return fmt.Errorf("flows: reporter: %w", err)
		}
	}
	var key string
	switch action {
	case guanjia.ActAccept:
		key = "ticket.accepted"
	case guanjia.ActAssign:
		key = "ticket.assigned"
		if tk.Kind != guanjia.KindRepair {
			// Someone sent to an alarm or a hazard does not "come to repair".
			key = "ticket.assigned_attend"
		}
	case guanjia.ActProgress:
		key, data["Note"] = "ticket.progress", tk.Timeline[len(tk.Timeline)-1].Note
	case guanjia.ActReply:
		key, data["Note"] = "ticket.replied", cmdNote(tk, guanjia.ActReply)
	case guanjia.ActResolve:
		if tk.Kind == guanjia.KindInquiry {
			key = "ticket.resolved"
			break
		}
		return e.askFollowUp(ctx, t, tk, r)
	case guanjia.ActClose:
		key = "ticket.closed"
	case guanjia.ActReopen:
		key = "ticket.reopened"
	default:
		return nil
	}
	t.send(r.reply(e.render(r.lang, key, data, &t.err), nil))
	return nil
}

func (e *Engine) tellWorker(ctx context.Context, t *turn, tk guanjia.Ticket, worker guanjia.Person) error {
	// The worker goes to the home: privately, they get the number to call before they set
	// out, and what to be careful of (a resident living alone, hard of hearing …).
	var reporter guanjia.Person
	if tk.Reporter != "" {
		var err error
		if reporter, err = e.Directory.Person(ctx, tk.Reporter); err != nil && !errors.Is(err, guanjia.ErrNotFound) {
			return fmt.Errorf("flows: worker job: reporter: %w", err)
		}
	}
	_, err := e.toPerson(ctx, t, worker, func(lang string) bot.Reply {
		data := cardData(e, lang, tk, &t.err)
		var care []string
		for _, tag := range reporter.CareTags {
			care = append(care, e.render(lang, "care."+string(tag), nil, &t.err))
		}
		if reporter.CareNote != "" {
			care = append(care, reporter.CareNote)
		}
		data["Actor"], data["Phone"], data["Care"] = t.person.Name, reporter.Phone, strings.Join(care, lang2sep(lang))
		return bot.Reply{Text: e.render(lang, "ticket.job", data, &t.err), Photo: firstPhoto(tk)}
	})
	return err
}

// tellUnassigned tells the worker a job was taken from, privately, that they need not go.
func (e *Engine) tellUnassigned(ctx context.Context, t *turn, tk guanjia.Ticket, previous string) error {
	p, err := e.Directory.Person(ctx, previous)
	if errors.Is(err, guanjia.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: previous worker: %w", err)
	}
	_, err = e.toPerson(ctx, t, p, func(lang string) bot.Reply {
		return bot.Reply{Text: e.render(lang, "ticket.unassigned",
			map[string]any{"No": tk.No, "Worker": tk.AssigneeName, "Actor": t.person.Name}, &t.err)}
	})
	return err
}

// tellAssignee tells the worker a ticket is assigned to, privately, what became of his job
// (key): closed, reopened, a false alarm. Whoever did it himself is not told.
func (e *Engine) tellAssignee(ctx context.Context, t *turn, tk guanjia.Ticket, key string) error {
	if tk.Assignee == "" || tk.Assignee == t.person.ID {
		return nil
	}
	p, err := e.Directory.Person(ctx, tk.Assignee)
	if errors.Is(err, guanjia.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: assigned worker: %w", err)
	}
	_, err = e.toPerson(ctx, t, p, func(lang string) bot.Reply {
		return bot.Reply{Text: e.render(lang, key, map[string]any{"No": tk.No, "Actor": t.person.Name}, &t.err)}
	})
	return err
}

// openJobsOf are the open tickets assigned to a person, as 我的任务 lists them.
func (e *Engine) openJobsOf(ctx context.Context, p guanjia.Person) ([]guanjia.Ticket, error) {
	if e.Workday == nil {
		return nil, nil
	}
	list, err := e.Workday.WorkTickets(ctx, p.Community)
	if err != nil {
		return nil, fmt.Errorf("flows: open jobs: %w", err)
	}
	var mine []guanjia.Ticket
	for _, tk := range list {
		if tk.Open() && tk.Assignee == p.ID && (!tk.Confidential || p.IsSupervisor()) {
			mine = append(mine, tk)
		}
	}
	return mine, nil
}

// lang2sep separates items of a list in a sentence of the language.
func lang2sep(lang string) string {
	if lang == "zh" {
		return "；"
	}
	return "; "
}

// cardData is what the staff card and the worker's job show; the card goes to a group, so it
// has no phone numbers and no care notes.
func cardData(e *Engine, lang string, tk guanjia.Ticket, errp *error) map[string]any {
	return map[string]any{
		"No": tk.No, "Urgent": tk.Urgency == guanjia.UrgencyUrgent, "Address": tk.Address,
		"Category":    e.render(lang, CategoryKey(tk), nil, errp),
		"Description": tk.Description, "Photos": len(tk.Photos), "Reporter": tk.ReporterName,
	}
}

// detailsData is what a ticket's details show; notes for supervisors only when private says
// the reader may see them.
// private lets the reader see what only the reporter and supervisors may (notes for the
// supervisors); staff lets them see the office's own events (internal notes, escalations,
// call-back tasks: staffOnly), never shown to residents.
func detailsData(e *Engine, lang string, tk guanjia.Ticket, private, staff bool, errp *error) map[string]any {
	d := cardData(e, lang, tk, errp)
	d["Status"] = e.render(lang, "status."+string(tk.Status), nil, errp)
	d["Urgency"] = e.render(lang, "urgency."+string(tk.Urgency), nil, errp)
	d["Assignee"] = tk.AssigneeName
	d["Rating"] = tk.Rating
	d["Household"], d["CallBack"] = tk.Household, tk.CallBack
	d["Phone"] = "" // only whoever handles a call-back complaint sees it, in private
	d["Due"] = tk.DueAt.In(e.location()).Format("01-02 15:04")
	d["Stage"], d["Overdue"], d["Department"] = "", false, tk.Department
	if stage := guanjia.StageOf(tk); stage != guanjia.StageNone && !tk.DueAt.IsZero() {
		d["Stage"] = e.render(lang, "stage."+string(stage), nil, errp)
		d["Overdue"] = e.Now != nil && guanjia.Overdue(tk, e.Now())
	}
	var lines []string
	for _, ev := range tk.Timeline {
		if !staff && staffOnly(ev) {
			continue
		}
		line := fmt.Sprintf("%s %s %s", ev.At.In(e.location()).Format("01-02 15:04"), ev.ActorName,
			e.render(lang, "action."+string(ev.Action), nil, errp))
		note := ev.Note
		if ev.Supervisors && !private && note != "" {
			note = e.render(lang, "ticket.note_supervisors", nil, errp)
		}
		if note != "" && lang == "zh" {
			line += "：" + note
		} else if note != "" {
			line += ": " + note
		}
		lines = append(lines, line)
	}
	d["Timeline"] = lines
	return d
}

// detailsKey is the template that shows a ticket of its kind: a complaint or a question has
// no address or urgency, but a subject, a reporter and maybe a call-back wish.
func detailsKey(tk guanjia.Ticket) string {
	switch tk.Kind {
	case guanjia.KindComplaint:
		return "ticket.details_complaint"
	case guanjia.KindInquiry:
		return "ticket.details_inquiry"
	}
	return "ticket.details"
}

// DescribeTicket renders a ticket's fields and timeline for people to read, as the
// "详情" command and the admin command show it.
func DescribeTicket(set *templates.Set, lang string, loc *time.Location, tk guanjia.Ticket) (string, error) {
	e := &Engine{Deps: Deps{Templates: set, Config: Config{Location: loc}}}
	var err error
	s := e.render(lang, detailsKey(tk), detailsData(e, lang, tk, true, true, &err), &err)
	return s, err
}

// cmdNote is the note of the ticket's latest event of one action.
func cmdNote(tk guanjia.Ticket, a guanjia.Action) string {
	for i := len(tk.Timeline) - 1; i >= 0; i-- {
		if tk.Timeline[i].Action == a {
			return tk.Timeline[i].Note
		}
	}
	return ""
}

// CategoryKey is the template of a ticket's category label, which depends on its kind.
func CategoryKey(tk guanjia.Ticket) string {
	switch tk.Kind {
	case guanjia.KindComplaint:
		return "complaint.subject." + tk.Category
	case guanjia.KindInquiry:
		return "inquiry.category"
	case guanjia.KindHazard:
		return "hazard.cat." + tk.Category
	}
	return "repair.cat." + tk.Category
}

// refuseChange checks what a change comes from beyond the status table, and says why it is
// refused: a job is completed by whoever holds it, once someone took it on; a complaint is
// not completed before the resident got a reply; a call-back is recorded where one is due.
func (e *Engine) refuseChange(t *turn, cmd staffCommand, tk guanjia.Ticket) bool {
	data := map[string]any{"No": tk.No, "Status": t.label("status." + string(tk.Status)), "Action": t.label("verb." + cmd.verb)}
	switch {
	case cmd.verb == verbResolve && !t.person.IsOffice() && (tk.Status == guanjia.StatusSubmitted || tk.Status == guanjia.StatusReopened):
		t.say("staff.resolve_untaken", data)
	case cmd.verb == verbResolve && !t.person.IsOffice() && tk.Assignee != t.person.ID:
		t.say("staff.resolve_not_yours", data)
	case (cmd.verb == verbResolve || cmd.verb == verbClose) && tk.Kind == guanjia.KindComplaint && tk.Open() && cmdNote(tk, guanjia.ActReply) == "":
		t.say("staff.complaint_unanswered", data)
	case cmd.verb == verbCallBack && !callBackOpen(tk):
		t.say("staff.no_callback", data)
	default:
		return false
	}
	return true
}
