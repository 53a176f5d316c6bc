// Package flows holds the conversations guanjia has with residents and staff: one file per
// flow, steps as methods named for what the person is doing, and one table of triggers.
package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	nlu "github.com/guanjia/guanjia/flows/intent"
	"github.com/guanjia/guanjia/templates"
)

// Config tunes the flows.
type Config struct {
	// SessionIdle is how long a conversation waits for an answer before it lapses.
	SessionIdle time.Duration
	// FollowUpWait is how long the question after a resolved repair waits for the resident.
	FollowUpWait time.Duration
	// Location is the property office's time zone, for times people read.
	Location *time.Location
	// ComplaintReply is the reply time promised for complaints and questions.
	ComplaintReply time.Duration
	// CodeTTL is how long a binding code a steward issues in chat stays valid.
	CodeTTL time.Duration
	// QuietHours hold announcements (not emergencies), "22:00-08:00" by default; "off": none.
	QuietHours string
	// NoticeNoApproval lets an announcement to a whole community go out on its steward's
	// confirm alone, without a supervisor's.
	NoticeNoApproval bool
	// StatusEvery is how often the office hears an open emergency's status (10 minutes).
	StatusEvery time.Duration
	// RollCallEscalate is how long a roll-call resident may go unchecked before the
	// supervisors are told (15 minutes).
	RollCallEscalate time.Duration
	// DueTimes are the due times of tickets' stages (zero fields: SPEC 5's defaults; the
	// reply time is ComplaintReply).
	DueTimes guanjia.DueTimes
	// HazardDepartments routes hazards found on patrol by kind (found_fire_lane → 安全部);
	// kinds missing use the built-in table.
	HazardDepartments map[string]string
	// Events tunes the jobs of community events.
	Events EventsConfig
	// DunningSteps are the communities' own ladders (days after the due date), and under "*"
	// the ladder of every other community; without one, guanjia.DefaultDunningSteps.
	DunningSteps map[string][]int
}

// Deps are what the engine works with.
type Deps struct {
	Directory Directory
	Tickets   Tickets
	Sessions  Sessions
	Binder    Binder
	Attempts  Attempts
	Fees      Fees
	FAQs      FAQs
	// Workday keeps handovers, patrols and priorities; nil turns the steward's day off.
	Workday Workday
	// PlanSections add parts of their own to stewards' plans (today's events, announcements,
	// dunning tasks), each shown when it has lines.
	PlanSections []PlanSection
	// Activities keeps events and surveys; nil leaves their commands to the rest.
	Activities Activities
	// Dunning keeps the fee notices' and reminders' records; nil leaves the dunning commands out.
	Dunning Dunning
	// Notices sends a month's fee notices on a steward's word (set when the jobs are wired).
	Notices FeeNotices
	// Alarms remembers recent alarms per chat; nil files every alarm anew.
	Alarms Alarms
	// Broadcasts keeps announcements and emergencies; Timers sends them at their time (set
	// after New, once the scheduler exists); Pacing estimates delivery for the preview.
	Broadcasts Broadcasts
	Timers     Timers
	Pacing     Pacing
	// Intents tells what free text asks for; nil uses the built-in examples.
	Intents *nlu.Model
	// Linkers are the channels that can send a person from a group to a private chat.
	Linkers map[string]bot.Linker
	// AccountBinders are the channels whose accounts need a stable handle when bound.
	AccountBinders map[string]bot.AccountBinder
	Templates      *templates.Set
	// Metrics counts completed conversations; nil counts nothing.
	Metrics *bot.Metrics
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Log    *slog.Logger
	Config Config
}

// Engine answers inbound messages: it finds who is talking where, continues their
// conversation or starts one, and runs staff commands.
type Engine struct {
	Deps
	flows map[string]flow
	// quiet are the quiet hours, minutes of the day from and to; equal: none.
	quiet [2]int
}

// flow is one conversation kind.
type flow interface {
	// start begins the flow for the turn's person.
	start(ctx context.Context, t *turn) error
	// answer continues the flow at s.Step with the turn's message.
	answer(ctx context.Context, t *turn, s *guanjia.Session) error
}

// New returns an engine.
func New(d Deps) *Engine {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Config.SessionIdle <= 0 {
		d.Config.SessionIdle = 30 * time.Minute
	}
	if d.Config.FollowUpWait <= 0 {
		d.Config.FollowUpWait = 24 * time.Hour
	}
	if d.Config.ComplaintReply <= 0 {
		d.Config.ComplaintReply = 24 * time.Hour
	}
	if d.Config.CodeTTL <= 0 {
		d.Config.CodeTTL = 72 * time.Hour
	}
	if d.Config.StatusEvery <= 0 {
		d.Config.StatusEvery = 10 * time.Minute
	}
	if d.Config.RollCallEscalate <= 0 {
		d.Config.RollCallEscalate = 15 * time.Minute
	}
	d.Config.DueTimes = dueDefaults(d.Config.DueTimes, d.Config.ComplaintReply)
	d.Sessions = turnSessions{d.Sessions}
	d.Config.Events = d.Config.Events.withDefaults()
	e := &Engine{Deps: d}
	e.PlanSections = append(e.builtInPlanSections(), e.PlanSections...)
	e.flows = map[string]flow{
		flowRepair:    &repairFlow{e},
		flowFollowUp:  &followUpFlow{e},
		flowComplaint: &complaintFlow{e},
		flowInquiry:   &inquiryFlow{e},
		flowIntent:    &intentFlow{e},
		flowBroadcast: e.broadcastForm(),
		flowEvent:     e.eventForm(),
		flowSurvey:    e.surveyForm(),
		flowFeedback:  &feedbackFlow{e},
		flowFeeNotice: e.feeNoticeForm(),
	}
	e.quiet, _ = ParseQuietHours(d.Config.QuietHours)
	e.addStewardFlows()
	return e
}

// Handle implements bot.Handler. It is the one place errors meet the user: the cause is
// logged once, the person gets a polite apology, and the conversation stays where it was.
func (e *Engine) Handle(ctx context.Context, m bot.Message) []bot.Reply {
	if v, ok := e.Directory.(viewer); ok {
		ctx = v.View(ctx)
	}
	t, err := e.newTurn(ctx, m)
	if err == nil {
		err = e.route(ctx, t)
	}
	if tx, ok := bot.TurnFrom(ctx); ok && err != nil {
		// A store failed: nothing of this turn is kept, and the message is tried again from
		// where it was. A text that does not render (below) would fail again: not retried.
		tx.Fail(err)
	}
	if err == nil {
		err = t.err
	}
	if err != nil {
		e.Log.Error("handle message", "channel", m.Channel, "message_id", m.ID, "err", err)
		t.out = nil
		t.err = nil
		t.say("common.error", nil)
	}
	return t.out
}

// viewer is a directory that can give one message a consistent view of chats, accounts and
// people, checked for changes once rather than on every read (mongostore.Store.View).
type viewer interface {
	View(ctx context.Context) context.Context
}

// Apology implements bot.Apologizer: the polite words for a message whose outcome could not be
// stored, in the person's chat, addressed to them only in a group.
func (e *Engine) Apology(m bot.Message) []bot.Reply {
	t := &turn{e: e, msg: m, lang: e.Templates.Lang(""), chat: fallbackChat(m)}
	t.say("common.error", nil)
	return t.out
}

// route decides what a message means: a global word, the next answer in a conversation,
// a staff command, or the start of a flow.
func (e *Engine) route(ctx context.Context, t *turn) (err error) {
	text := t.text()
	// A follow-up question answered around is asked again after the answer, so that the next
	// "1" or "2" is not mistaken for something else.
	var remind *guanjia.Session
	defer func() {
		if remind != nil && err == nil {
			e.remindFollowUp(t, remind)
		}
	}()
	w := globalWord(text)
	sess, err := e.Sessions.Load(ctx, t.key)
	expired := false
	switch {
	case errors.Is(err, guanjia.ErrNotFound):
		sess = guanjia.Session{}
	case errors.Is(err, guanjia.ErrExpired) && sess.Flow == flowFollowUp:
		// Sending "报修回访" again would start a new report: say what can be done instead.
		kind := kindOr(sess.Data["kind"])
		t.say("followup.expired", map[string]any{"No": sess.Data["no"], "Hours": int(e.idleFor(sess.Flow).Hours()),
			"What": t.label("kind." + kind), "Kind": kind})
		sess, expired = guanjia.Session{}, true
		if w == wordCancel {
			return nil
		}
	case errors.Is(err, guanjia.ErrExpired) && sess.Flow == flowIntent:
		// "Which did you mean?" left unanswered: nothing was filled in, nothing to say.
		sess = guanjia.Session{}
	case errors.Is(err, guanjia.ErrExpired):
		t.say("common.expired", map[string]any{
			"Flow": t.label("flow." + sess.Flow), "Minutes": int(e.idleFor(sess.Flow).Minutes())})
		sess, expired = guanjia.Session{}, true
		if w == wordCancel {
			return nil
		}
	case err != nil:
		return fmt.Errorf("flows: load session: %w", err)
	}
	active := sess.Flow != ""
	if active && w == wordNone && stopsReport(sess.Flow, text) {
		// 「不修了」 in a report: 取消 in other words.
		w = wordCancel
	}
	if !active {
		// 「不去了」 or 取消 from a home signed up for an event: about that sign-up.
		if handled, err := e.notComing(ctx, t, text, w == wordCancel); handled || err != nil {
			return err
		}
	}
	switch w {
	case wordCancel:
		if !active {
			t.say("common.nothing_to_cancel", nil)
			return nil
		}
		if err := e.Sessions.Delete(ctx, t.key); err != nil {
			return fmt.Errorf("flows: cancel: %w", err)
		}
		t.say("common.cancelled", nil)
		return nil
	case wordHelp:
		e.sayHelp(t)
		return nil
	case wordMenu:
		if active {
			t.say("common.menu_in_flow", map[string]any{"Flow": t.label("flow." + sess.Flow)})
			return nil
		}
		t.ask("common.menu", nil, menuOptions)
		return nil
	}
	if d, ok := dangerIn(text); ok && t.mayRaiseAlarm(text) && !(active && sess.Flow == flowBroadcast) {
		// Danger comes before anything else; an unfinished conversation is kept and its
		// question asked again after the advice.
		e.raiseAlarm(ctx, t, d, text)
		if active {
			return e.reprompt(ctx, t, &sess)
		}
		return nil
	}
	if args, ok := parseBindChat(text); ok {
		return e.bindChat(ctx, t, args)
	}
	if handled, err := e.startCommand(ctx, t, text); handled || err != nil {
		return err
	}
	if handled, err := e.bindWords(ctx, t, text); handled || err != nil {
		return err
	}
	if handled, err := e.feeCommand(ctx, t, text); handled || err != nil {
		return err
	}
	if handled, err := e.broadcastCommand(ctx, t, text, active); handled || err != nil {
		return err
	}
	if handled, err := e.stewardCommand(ctx, t, text, sess); handled || err != nil {
		return err
	}
	if handled, err := e.eventCommand(ctx, t, text, sess); handled || err != nil {
		return err
	}
	if handled, err := e.dunningCommand(ctx, t, text, sess.Flow != ""); handled || err != nil {
		return err
	}
	cmd, isCmd := parseStaffCommand(text)
	if label, ok := quotedChoice(t.msg.Quote, text); ok {
		// "1" quoting a ticket card is the card's first option, on the quoted ticket.
		if c, ok := parseStaffCommand(label); ok {
			cmd, isCmd = c, true
		}
	}
	cmd = cmd.onQuotedTicket(t.msg.Quote)
	if c, ok := parseStaffCommand(t.msg.Choice); ok && !active {
		// A button on a staff card carries the whole command.
		cmd, isCmd = c, true
	}
	if _, hasNo := guanjia.ParseTicketNo(cmd.no); active && isCmd && hasNo && t.known && t.person.IsStaff() {
		// A steward in the middle of a conversation can still act on a ticket.
		return e.staffCommand(ctx, t, cmd)
	}
	if active && sess.Flow == flowFollowUp && sess.Step != stepComment {
		// The follow-up waits a day for its answer; a question meanwhile is answered, and the
		// follow-up still waits. A new report waits until the old one is confirmed.
		no, mine := progressQuery(text)
		asked, _ := feeQuestion(text)
		if _, isFlow := flowCommand(text); isFlow {
			t.say("followup.first", map[string]any{"No": sess.Data["no"]})
			remind = &sess
			return nil
		}
		if no != "" || mine || asked {
			active, remind = false, &sess
		}
	}
	if active {
		if name, ok := flowCommand(text); ok && sess.Flow != flowIntent {
			// "投诉" in the middle of a repair report: the person moved on. (Asked which
			// they meant, "投诉" is the answer.)
			if err := e.Sessions.Delete(ctx, t.key); err != nil {
				return fmt.Errorf("flows: switch flow: %w", err)
			}
			if name != sess.Flow {
				t.say("common.switched", map[string]any{"Flow": t.label("flow." + sess.Flow)})
			}
			return e.startFlow(ctx, t, name)
		}
		f, ok := e.flows[sess.Flow]
		if !ok {
			return fmt.Errorf("flows: session of unknown flow %q", sess.Flow)
		}
		return f.answer(ctx, t, &sess)
	}
	if isCmd {
		return e.staffCommand(ctx, t, cmd)
	}
	if no, mine := progressQuery(text); (no != "" || mine) && t.chat.IsGroup() {
		// A ticket's story is the resident's own: told in private only, as fees are.
		if t.msg.Mentioned || no != "" || strongProgressQuery(text) {
			return e.progressInPrivate(ctx, t, no)
		}
		return nil
	} else if no != "" {
		return e.tellProgress(ctx, t, no)
	} else if mine {
		return e.tellMyTickets(ctx, t)
	}
	switch t.msg.Choice {
	case "menu:repair":
		return e.startFlow(ctx, t, flowRepair)
	case "menu:complaint":
		return e.startFlow(ctx, t, flowComplaint)
	case "menu:fee":
		return e.answerFees(ctx, t, false)
	case "menu:progress":
		return e.tellMyTickets(ctx, t)
	case "menu:ask":
		t.say("common.how_to_ask", nil)
		return nil
	case "menu:help":
		e.sayHelp(t)
		return nil
	}
	// What free text means is learned from examples (flows/understand.go).
	return e.understand(ctx, t, text, expired)
}

// sayHelp shows what the bot can do, with the staff commands this person may use.
func (e *Engine) sayHelp(t *turn) {
	shift := t.person.ShiftStart
	if shift == "" {
		shift = guanjia.DefaultShiftStart
	}
	buildings := ""
	if t.known && t.person.Has(guanjia.RoleSteward) {
		buildings = buildingsText(t.person)
	}
	t.say("common.help", map[string]any{"Staff": t.known && t.person.IsStaff(), "Office": t.known && t.person.IsOffice(),
		"Buildings": buildings, "Shift": shift})
}

// remindFollowUp asks the pending follow-up question again.
func (e *Engine) remindFollowUp(t *turn, s *guanjia.Session) {
	if s.Step == stepFixed {
		t.ask("followup.ask_fixed", map[string]any{"No": s.Data["no"]}, fixedOptions)
		return
	}
	t.say("followup.ask_rating_again", map[string]any{"No": s.Data["no"]})
}

// menuOptions are what the menu offers.
var menuOptions = []option{
	{"menu:repair", "menu.repair"}, {"menu:complaint", "menu.complaint"}, {"menu:fee", "menu.fee"},
	{"menu:progress", "menu.progress"}, {"menu:ask", "menu.ask"}, {"menu:help", "menu.help"},
}

func (e *Engine) location() *time.Location {
	if e.Config.Location == nil {
		return time.Local
	}
	return e.Config.Location
}

func (e *Engine) idleFor(flow string) time.Duration {
	if flow == flowFollowUp || flow == flowFeedback {
		return e.Config.FollowUpWait
	}
	return e.Config.SessionIdle
}

// save stores the session with a fresh expiry.
func (e *Engine) save(ctx context.Context, s *guanjia.Session) error {
	if s.Step == stepConfirm && s.Data[dataSubmission] == "" {
		// Asked to confirm: from now on a submission is this one, however often it arrives.
		if s.Data == nil {
			s.Data = map[string]string{}
		}
		s.Data[dataSubmission] = e.newSubmission(ctx, s)
	}
	now := e.Now()
	s.Updated = now
	s.Expires = now.Add(e.idleFor(s.Flow))
	if err := e.Sessions.Save(ctx, *s); err != nil {
		return fmt.Errorf("flows: save session: %w", err)
	}
	return nil
}

// dataSubmission is the session's key of the submission it is about to make.
const dataSubmission = "submission"

// submissionReserver is a ticket store that takes a submission's number when the summary is
// shown, so that filing it later is one insert. *mongostore.Store implements it.
type submissionReserver interface {
	ReserveSubmission(ctx context.Context, community string, kind guanjia.TicketKind, at time.Time) (string, error)
}

// flowKinds are the tickets the flows file.
var flowKinds = map[string]guanjia.TicketKind{
	flowRepair: guanjia.KindRepair, flowComplaint: guanjia.KindComplaint, flowInquiry: guanjia.KindInquiry,
}

// newSubmission names the submission a conversation is about to make, with its ticket number
// taken where the store can; otherwise the number is taken when it is filed.
func (e *Engine) newSubmission(ctx context.Context, s *guanjia.Session) string {
	r, ok := e.Tickets.(submissionReserver)
	kind, known := flowKinds[s.Flow]
	if ok && known && s.Data["community"] != "" {
		sub, err := r.ReserveSubmission(ctx, s.Data["community"], kind, e.Now())
		if err == nil {
			return sub
		}
		if !errors.Is(err, guanjia.ErrInvalid) {
			e.Log.Warn("reserve ticket number", "flow", s.Flow, "err", err)
		}
	}
	return newSubmissionID()
}

// newSubmissionID names a submission; unique without coordination.
func newSubmissionID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// finish ends the turn's conversation.
func (e *Engine) finish(ctx context.Context, t *turn) error {
	if err := e.Sessions.Delete(ctx, t.key); err != nil {
		return fmt.Errorf("flows: end session: %w", err)
	}
	return nil
}

type word int

const (
	wordNone word = iota
	wordCancel
	wordHelp
	wordMenu
)

// globalWord recognises the words that work in any flow.
func globalWord(text string) word {
	switch strings.TrimPrefix(stripBotName(strings.ToLower(text)), "/") {
	case "取消", "cancel", "算了", "不报了":
		return wordCancel
	case "帮助", "help", "?", "？", "start":
		return wordHelp
	case "菜单", "menu":
		return wordMenu
	}
	return wordNone
}
