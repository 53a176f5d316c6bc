package flows

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
	nlu "github.com/guanjia/guanjia/flows/intent"
)

// flowIntent is the short conversation that asks which of a few things a message meant.
const flowIntent = "intent"

// stepChoose waits for the person to pick one of the offered intents.
const stepChoose = "choose"

// builtinIntents is the model of the examples that ship with guanjia, trained once per
// process: every engine without a model of its own shares it.
var builtinIntents = sync.OnceValues(func() (*nlu.Model, error) {
	ex, err := IntentExamples()
	if err != nil {
		return nil, err
	}
	return nlu.Train(ex), nil
})

// BuiltinIntents returns the model of the built-in examples, trained once per process.
func BuiltinIntents() (*nlu.Model, error) { return builtinIntents() }

// IntentExamples are the built-in examples, with the words of the trigger table and of the
// fee and progress questions as examples of their flows: a word added there still counts.
func IntentExamples() ([]nlu.Example, error) {
	ex, err := nlu.Builtin()
	if err != nil {
		return nil, err
	}
	add := func(name string, words []string) {
		for _, w := range words {
			if nlu.Learnable(w) {
				ex = append(ex, nlu.Example{Intent: name, Text: w, Source: "flows word list"})
			}
		}
	}
	for _, tr := range triggers {
		add(tr.flow, tr.words)
	}
	add("fee", feeWords)
	add("fee", feeExplainWords)
	add("progress", myTicketsWords)
	return ex, nil
}

func (e *Engine) intents() *nlu.Model {
	if e.Intents != nil {
		return e.Intents
	}
	m, err := builtinIntents()
	if err != nil {
		// The examples are embedded and checked by the tests: this is a broken build.
		panic(fmt.Sprintf("flows: built-in intent examples: %v", err))
	}
	return m
}

// staffVerbOf maps a staff intent to the command it means.
var staffVerbOf = map[string]string{
	"staff.accept": verbAccept, "staff.assign": verbAssign, "staff.progress": verbProgress,
	"staff.resolve": verbResolve, "staff.close": verbClose, "staff.reopen": verbReopen,
	"staff.details": verbDetails, "staff.reply": verbReply,
}

// askable are the intents worth offering as a choice; small talk is just answered.
func askable(name string) bool {
	switch name {
	case "greeting", "thanks", "cancel", "chatter":
		return false
	}
	return true
}

// commandFlow is the flow a message names by its command ("报修 厨房漏水", "咨询 …"): a rule,
// never second-guessed by the classifier.
func commandFlow(text string) (string, bool) {
	for _, tr := range triggers {
		if _, ok := afterCommand(tr, text); ok {
			return tr.flow, true
		}
	}
	return "", false
}

// namedFlows are the flows whose command words a message contains ("报修", "投诉"), in the
// order it names them.
func namedFlows(text string) []string {
	lower := strings.ToLower(text)
	at := map[string]int{}
	var named []string
	for _, tr := range triggers {
		for _, c := range tr.commands {
			if utf8.RuneCountInString(c) < 2 || strings.HasPrefix(c, "/") {
				continue
			}
			if i := strings.Index(lower, c); i >= 0 {
				if _, seen := at[tr.flow]; !seen {
					named = append(named, tr.flow)
					at[tr.flow] = i
				}
				at[tr.flow] = min(at[tr.flow], i)
			}
		}
	}
	slices.SortStableFunc(named, func(a, b string) int { return at[a] - at[b] })
	return named
}

// understand answers a message that is no command, no answer and no menu choice: it works
// out what the person means from the examples, acts when sure, asks when torn between a few
// things, and otherwise offers the menu and the steward — never just "not understood".
func (e *Engine) understand(ctx context.Context, t *turn, text string, expired bool) error {
	if name, ok := commandFlow(text); ok {
		return e.startFlow(ctx, t, name)
	}
	spoken := !t.chat.IsGroup() || t.msg.Mentioned
	if !expired {
		// A number in a residents' group while a survey waits for answers is a vote (a number
		// after a lapsed question answered that question, and is not taken as one).
		if voted, err := e.groupVote(ctx, t, text); voted || err != nil {
			return err
		}
	}
	if no, ok := guanjia.ParseTicketNo(text); ok {
		// A ticket number alone asks after that ticket.
		return e.tellTicket(ctx, t, no)
	}
	if _, err := strconv.Atoi(choiceText(text)); err == nil {
		// A number alone answers a question no longer asked: say so, and offer the menu.
		if !spoken || expired {
			return nil
		}
		return e.offerMenu(ctx, t, text)
	}
	if key, ok := smallTalk(text); ok {
		if spoken && !expired {
			t.say(key, nil)
		}
		return nil
	}
	if named := namedFlows(text); len(named) > 1 {
		if _, mine := progressQuery(text); !mine {
			// "报修和投诉": two things named at once; which first is the person's call. The
			// words only name the flows, so the one picked starts afresh.
			if !spoken || expired {
				return nil
			}
			return e.askWhich(ctx, t, text, named, "intent.which", nil, false)
		}
	}
	staff := t.known && t.person.IsStaff()
	keep := func(name string) bool { return staff || !strings.HasPrefix(name, "staff.") }
	d, _ := e.intents().Decide(text, keep)
	if d.Confidence == nlu.Sure && d.Intents[0] == "emergency" && dangerDenied(text) {
		// "没有着火，只是问问": the danger words are there, and taken back.
		d = nlu.Decision{Confidence: nlu.Unknown}
	}
	if d.Confidence == nlu.Sure && d.Intents[0] == "chatter" {
		// Talk that asks nothing of the office: left alone in a group, the menu in private.
		d = nlu.Decision{Confidence: nlu.Unknown}
	}
	if d.Confidence == nlu.Sure {
		if name := d.Intents[0]; spoken || e.speaksUnasked(t, name, text) {
			return e.act(ctx, t, name, text)
		}
		return nil
	}
	// Not sure: in a group the bot only speaks when spoken to; after a lapse note, that note
	// is enough.
	if !spoken || expired {
		return nil
	}
	if text == "" && t.msg.Photo != "" {
		t.say("common.photo_alone", nil)
		return nil
	}
	if d.Confidence == nlu.Unknown || text == "" {
		if answered, err := e.answerFromFAQ(ctx, t, text, true); answered || err != nil {
			return err
		}
		if staff && text != "" {
			// Staff are offered their own commands, not the residents' menu and the steward.
			t.say("staff.unknown", map[string]any{"Office": t.person.IsOffice()})
			return nil
		}
		return e.offerMenu(ctx, t, text)
	}
	var names []string
	for _, n := range d.Intents {
		if askable(n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return e.act(ctx, t, d.Intents[0], text)
	}
	if len(names) == 1 && names[0] == "inquiry" {
		// A question the FAQ knows is answered; one it does not is offered to the steward.
		return e.act(ctx, t, "inquiry", text)
	}
	return e.askWhich(ctx, t, text, names, "intent.which", nil, true)
}

// speaksUnasked reports whether a group message nobody addressed to the bot still gets an
// answer: a clear repair, complaint or danger, a fee question in the office's own words, a
// staff action on a ticket named or quoted.
func (e *Engine) speaksUnasked(t *turn, name, text string) bool {
	switch name {
	case "repair", "complaint", "emergency":
		return true
	case "fee":
		return strongFeeQuestion(text)
	}
	if _, ok := staffVerbOf[name]; ok {
		_, named := guanjia.FindTicketNo(text + "\n" + t.msg.Quote)
		return named
	}
	return false
}

// act does what a recognised intent asks for, with the message as its first words.
func (e *Engine) act(ctx context.Context, t *turn, name, text string) error {
	switch name {
	case "repair":
		return e.startFlow(ctx, t, flowRepair)
	case "complaint":
		return e.startFlow(ctx, t, flowComplaint)
	case "emergency":
		// Sounds like danger in words the rules do not know: an alarm, as for "救命".
		e.raiseAlarm(ctx, t, dangerOfKind("help"), text)
		return nil
	case "fee":
		_, explain := feeQuestion(text)
		return e.answerFees(ctx, t, explain || asksWhy(text))
	case "progress":
		no, _ := guanjia.FindTicketNo(text)
		if t.chat.IsGroup() {
			// Told in the person's private chat, as a 「进度」 typed in the group is.
			return e.progressInPrivate(ctx, t, no)
		}
		if no != "" {
			return e.tellProgress(ctx, t, no)
		}
		return e.tellMyTickets(ctx, t)
	case "inquiry":
		if answered, err := e.answerFromFAQ(ctx, t, text, false); answered || err != nil {
			return err
		}
		// The FAQ's keywords, and the offer to pass a question on.
		if answered, err := e.answerFAQ(ctx, t, text); answered || err != nil {
			return err
		}
		return e.offerInquiry(ctx, t, text, "inquiry.offer")
	case "event":
		if e.Activities == nil {
			return e.offerInquiry(ctx, t, text, "intent.event")
		}
		return e.eventIntent(ctx, t, text)
	case "chatter":
		return e.offerMenu(ctx, t, text)
	case "greeting":
		t.say("common.hello", nil)
	case "thanks":
		t.say("common.thanks", nil)
	case "cancel":
		t.say("common.nothing_to_cancel", nil)
	case "help":
		e.sayHelp(t)
	case "bind":
		t.say("bind.how", nil)
	case "staff.fees":
		t.say("fee.staff_usage", nil)
	case "staff.payment":
		t.say("fee.payment_usage", nil)
	case "staff.code":
		t.say("intent.code_usage", nil)
	default:
		verb, ok := staffVerbOf[name]
		if !ok {
			return fmt.Errorf("flows: no action for intent %q", name)
		}
		cmd := staffCommand{verb: verb}
		if verb != verbAssign && verb != verbProgress && verb != verbReply {
			// "这单我接了" quoting a card, "R20261126-0001 修好了": the ticket is known and
			// nothing else is needed. Commands that need more words get their usage.
			if no, ok := guanjia.FindTicketNo(text); ok {
				cmd.no = no
			}
			cmd = cmd.onQuotedTicket(t.msg.Quote)
		}
		return e.staffCommand(ctx, t, cmd)
	}
	return nil
}

// whyWords ask for the reasons behind an amount, in words the fee word list may not have.
var whyWords = []string{"为什么", "为啥", "咋这么", "怎么算", "怎么这么", "why", "how is", "how was", "calculated"}

// asksWhy reports whether a fee question asks why an amount is what it is.
func asksWhy(text string) bool {
	lower := strings.ToLower(text)
	for _, w := range whyWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// tellTicket answers after one ticket: in the person's private chat, also when asked in a
// group (see progressInPrivate).
func (e *Engine) tellTicket(ctx context.Context, t *turn, no string) error {
	if t.chat.IsGroup() {
		return e.progressInPrivate(ctx, t, no)
	}
	return e.tellProgress(ctx, t, no)
}

// faqMatch is how like an FAQ question or keyword a question must be to get its answer;
// faqStrict is for a message not recognised as a question at all.
const (
	faqMatch  = 0.45
	faqStrict = 0.65
)

// answerFromFAQ answers from the office's FAQ, whose questions and keywords are examples of
// their answers, compared as the classifier compares messages. strict asks for a closer
// match: the message was not recognised as a question at all. It answers nothing in a group
// not addressed, or without a community.
func (e *Engine) answerFromFAQ(ctx context.Context, t *turn, text string, strict bool) (bool, error) {
	if e.FAQs == nil || text == "" || t.chat.IsGroup() && !t.msg.Mentioned {
		return false, nil
	}
	community := t.person.Community
	if community == "" {
		community = t.chat.Community
	}
	if community == "" {
		return false, nil
	}
	faqs, err := e.FAQs.FAQs(ctx, community)
	if err != nil {
		return true, fmt.Errorf("flows: faq: %w", err)
	}
	var examples []nlu.Example
	for i, f := range faqs {
		id := strconv.Itoa(i)
		if f.Question != "" {
			examples = append(examples, nlu.Example{Intent: id, Text: f.Question})
		}
		for _, k := range f.Keywords {
			examples = append(examples, nlu.Example{Intent: id, Text: k})
		}
	}
	least := faqMatch
	if strict {
		least = faqStrict
	}
	if id, sim, ok := e.intents().Match(text, examples); ok && sim >= least {
		i, _ := strconv.Atoi(id)
		t.say("faq.answer", map[string]any{"Answer": faqs[i].Answer})
		return true, nil
	}
	return false, nil
}

// offerInquiry offers to pass the message to the steward as an inquiry.
func (e *Engine) offerInquiry(ctx context.Context, t *turn, text, key string) error {
	community := t.person.Community
	if community == "" {
		community = t.chat.Community
	}
	if community == "" || utf8.RuneCountInString(text) < 4 {
		t.say("common.how_to_ask", nil)
		return nil
	}
	s := guanjia.Session{Key: t.key, Flow: flowInquiry, Step: stepConfirm,
		Data: map[string]string{"community": community, "question": text}}
	t.ask(key, nil, inquiryOptions)
	return e.save(ctx, &s)
}

// menuIntents are what the no-idea answer offers, before passing the message on.
var menuIntents = []string{"repair", "complaint", "fee", "progress", "inquiry", "help"}

// offerMenu answers a message nothing fits: the menu, and the steward for the message itself.
func (e *Engine) offerMenu(ctx context.Context, t *turn, text string) error {
	return e.offerMenuAs(ctx, t, text, "intent.unknown")
}

// offerMenuAs offers the menu as offerMenu does, with key as the words before it.
func (e *Engine) offerMenuAs(ctx context.Context, t *turn, text, key string) error {
	names := menuIntents
	forward := utf8.RuneCountInString(text) >= 4 && (t.person.Community != "" || t.chat.Community != "")
	if _, err := strconv.Atoi(choiceText(text)); err == nil {
		return e.askWhich(ctx, t, text, names, "intent.number", map[string]any{"Text": text}, false)
	}
	if forward {
		names = append(names[:len(names):len(names)], "forward")
	}
	if text == "" {
		return e.askWhich(ctx, t, text, names, "intent.empty", nil, false)
	}
	return e.askWhich(ctx, t, text, names, key, map[string]any{"Forward": forward}, false)
}

// askWhich asks which of names the message meant and keeps the message for the answer:
// passed on to the steward if that is picked, and, with carry, the first words of the flow
// picked (a message that said what it is about).
func (e *Engine) askWhich(ctx context.Context, t *turn, text string, names []string, key string, data any, carry bool) error {
	s := guanjia.Session{Key: t.key, Flow: flowIntent, Step: stepChoose,
		Data: map[string]string{"text": text, "options": strings.Join(names, ",")}}
	if carry {
		s.Data["carry"] = "1"
	}
	t.ask(key, data, intentOptions(names))
	return e.save(ctx, &s)
}

func intentOptions(names []string) []option {
	opts := make([]option, len(names))
	for i, n := range names {
		opts[i] = option{"intent:" + n, "intent.label." + n}
	}
	return opts
}

// intentFlow takes the answer to "which did you mean?" and does that with the first message.
type intentFlow struct{ e *Engine }

func (f *intentFlow) start(ctx context.Context, t *turn) error {
	return f.e.offerMenu(ctx, t, "")
}

func (f *intentFlow) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	names := strings.Split(s.Data["options"], ",")
	v, ok := t.pick(intentOptions(names))
	answer := answerForms(t.text())
	plain := strings.ToLower(answer[len(answer)-1])
	switch {
	case ok:
	case t.msg.Choice == "" && slices.Contains(noneWords, plain):
		// 「都不是」: what the no-idea answer offers, unless that was offered already.
		return f.noneOf(ctx, t, s, names)
	case t.msg.Choice == "" && slices.Contains(yesWords, plain):
		if len(names) == 1 {
			v, ok = "intent:"+names[0], true
			break
		}
		// 「对」 to several things says yes to none of them: which one, once more.
		t.ask("intent.which_again", nil, intentOptions(names))
		return f.e.save(ctx, s)
	case s.Data["carry"] != "":
		// 「查一下进度」: other words for one of the things offered, about the first message.
		// An answer that names a ticket is about that ticket: taken afresh.
		if _, named := guanjia.FindTicketNo(t.text()); !named {
			if name, sure := f.e.meansOneOf(t, t.text(), names); sure {
				v, ok = "intent:"+name, true
			}
		}
	}
	if err := f.e.finish(ctx, t); err != nil {
		return err
	}
	if !ok {
		// Not a pick: a new message, taken afresh.
		return f.e.route(ctx, t)
	}
	name := strings.TrimPrefix(v, "intent:")
	text := s.Data["text"]
	if s.Data["carry"] == "" && name != "forward" {
		text = "" // a message nothing fitted describes nothing
	}
	t.msg.Text, t.msg.Choice = text, ""
	if name == "forward" {
		community := t.person.Community
		if community == "" {
			community = t.chat.Community
		}
		q := &guanjia.Session{Key: t.key, Flow: flowInquiry, Data: map[string]string{"community": community, "question": text}}
		return (&inquiryFlow{f.e}).submit(ctx, t, q)
	}
	return f.e.act(ctx, t, name, text)
}

// noneWords answer "which did you mean?" with none of the things offered.
var noneWords = []string{"都不是", "都不对", "都没有", "都不要", "都不", "也不是", "以上都不是", "都不是这些",
	"不是这些", "不是", "不对", "没有", "不", "否", "别的", "其他", "其它", "none", "neither", "no"}

// noneOf answers 「都不是」 to "which did you mean?": the menu, and the steward for the message,
// as for a message nothing fits. Asked that already, it says how to go on instead.
func (f *intentFlow) noneOf(ctx context.Context, t *turn, s *guanjia.Session, names []string) error {
	if err := f.e.finish(ctx, t); err != nil {
		return err
	}
	text := s.Data["text"]
	menu := !slices.ContainsFunc(menuIntents, func(n string) bool { return !slices.Contains(names, n) })
	if menu || text == "" {
		t.say("intent.none_left", nil)
		return nil
	}
	return f.e.offerMenuAs(ctx, t, text, "intent.none")
}

// meansOneOf reports which of names a message clearly asks for, by the examples.
func (e *Engine) meansOneOf(t *turn, text string, names []string) (string, bool) {
	staff := t.known && t.person.IsStaff()
	d, _ := e.intents().Decide(text, func(name string) bool { return staff || !strings.HasPrefix(name, "staff.") })
	if d.Confidence != nlu.Sure || !slices.Contains(names, d.Intents[0]) {
		return "", false
	}
	return d.Intents[0], true
}
