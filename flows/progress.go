package flows

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/guanjia/guanjia"
)

// myTicketsWords are how residents ask after their own tickets.
var myTicketsWords = []string{"我的投诉", "我的报修", "我的工单", "我的咨询", "咨询怎么样", "进度", "查进度", "投诉怎么样", "报修怎么样", "处理得怎么样", "进度如何", "my tickets", "my complaint", "my repair"}

// looksLikeTicketNo is what someone meant as a ticket number: a kind letter or digits.
var looksLikeTicketNo = regexp.MustCompile(`^(?i:[RCQH][-\d]|\d)`)

// progressQuery recognises "进度 C20261126-0001" and "我的投诉怎么样了".
func progressQuery(text string) (no string, mine bool) {
	fields := strings.Fields(text)
	if len(fields) == 2 {
		switch strings.ToLower(fields[0]) {
		case "进度", "查询", "status", "/status":
			if n, ok := guanjia.ParseTicketNo(fields[1]); ok {
				return n, false
			}
			if looksLikeTicketNo.MatchString(fields[1]) {
				// "进度 R123": a number typed wrong is answered as such, not with every ticket.
				return fields[1], false
			}
		}
	}
	lower := strings.ToLower(text)
	for _, w := range myTicketsWords {
		if strings.Contains(lower, w) {
			return "", true
		}
	}
	return "", false
}

// tellProgress answers a resident asking after a ticket: its status and timeline in words.
// Only the reporter and the community's staff may read a ticket.
func (e *Engine) tellProgress(ctx context.Context, t *turn, no string) error {
	if _, ok := guanjia.ParseTicketNo(no); !ok {
		t.say("progress.bad_no", map[string]any{"No": no, "Example": e.Now().In(e.location()).Format("R20060102") + "-0001"})
		return nil
	}
	community := t.person.Community
	if community == "" {
		community = t.chat.Community
	}
	tk, err := e.Tickets.Ticket(ctx, community, no)
	if err == nil && tk.Confidential && tk.Reporter != t.person.ID && t.known && t.person.IsStaff() && !t.person.IsSupervisor() {
		// A complaint about staff is for the supervisors, as with "详情".
		t.say("staff.confidential", map[string]any{"No": no})
		return nil
	}
	if errors.Is(err, guanjia.ErrNotFound) || err == nil && tk.Reporter != t.person.ID && !t.person.IsStaff() {
		t.say("progress.not_yours", map[string]any{"No": no})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: progress: %w", err)
	}
	d := detailsData(e, t.lang, tk, tk.Reporter == t.person.ID || t.person.IsSupervisor() && !t.chat.IsGroup(),
		t.known && t.person.IsStaff(), &t.err)
	d["What"] = t.label(kindKey(tk))
	t.say("progress.ticket", d)
	return nil
}

// tellMyTickets lists the open tickets of the person asking.
func (e *Engine) tellMyTickets(ctx context.Context, t *turn) error {
	if !t.known || t.person.Community == "" {
		t.say("progress.none", nil)
		return nil
	}
	list, err := e.Tickets.TicketsByReporter(ctx, t.person.Community, t.person.ID, 20)
	if err != nil {
		return fmt.Errorf("flows: my tickets: %w", err)
	}
	// "我的投诉怎么样了" asks after complaints only, "报修进度" after repairs.
	kind, named := askedKind(t.text())
	shown := func(tk guanjia.Ticket) bool { return tk.Open() || tk.Status == guanjia.StatusResolved }
	if named && !slices.ContainsFunc(list, func(tk guanjia.Ticket) bool { return tk.Kind == kind && shown(tk) }) {
		if slices.ContainsFunc(list, shown) {
			// None of that kind: said, and what is open shown instead.
			t.say("progress.none_of_kind", map[string]any{"What": t.label("kind." + string(kind))})
		}
		named = false
	}
	var lines []string
	for _, tk := range list {
		if !shown(tk) || named && tk.Kind != kind {
			continue
		}
		last := residentsLast(tk)
		line := fmt.Sprintf("%s %s：%s（%s %s）", t.label(kindKey(tk)), tk.No,
			t.label("status."+string(tk.Status)), last.At.In(e.location()).Format("01-02 15:04"),
			t.label("action."+string(last.Action)))
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		t.say("progress.none", nil)
		return nil
	}
	t.say("progress.list", map[string]any{"Lines": lines})
	return nil
}

// askedKind is the kind of ticket a progress question names, if one.
func askedKind(text string) (guanjia.TicketKind, bool) {
	lower := strings.ToLower(text)
	switch {
	case strings.Contains(text, "投诉") || strings.Contains(lower, "complaint"):
		return guanjia.KindComplaint, true
	case strings.Contains(text, "报修") || strings.Contains(text, "维修") || strings.Contains(lower, "repair"):
		return guanjia.KindRepair, true
	case strings.Contains(text, "咨询") || strings.Contains(lower, "question"):
		return guanjia.KindInquiry, true
	}
	return "", false
}

// deepLinkProgress opens the private chat to answer a progress question asked in a group.
const deepLinkProgress = "progress"

// strongProgressQuery reports whether a group message is plainly someone asking after their
// own tickets ("进度", "我的报修呢"), not talk about the progress of something else.
func strongProgressQuery(text string) bool {
	whole := strings.TrimRight(strings.ToLower(strings.TrimSpace(text)), "?？!！。. ")
	switch whole {
	case "进度", "查进度", "进度查询", "查询进度", "/status", "my tickets":
		return true
	}
	for _, w := range []string{"我的投诉", "我的报修", "我的工单", "我的咨询"} {
		if strings.Contains(whole, w) {
			return true
		}
	}
	return false
}

// progressInPrivate answers a progress question asked in a group in the person's private
// chat on that channel, and says so in the group; without one, it asks them to write privately.
func (e *Engine) progressInPrivate(ctx context.Context, t *turn, no string) error {
	sent, err := e.answerPrivately(ctx, t, func(private *turn) error {
		if no != "" {
			return e.tellProgress(ctx, private, no)
		}
		return e.tellMyTickets(ctx, private)
	})
	if err != nil {
		return err
	}
	if sent {
		t.say("progress.sent_private", nil)
		return nil
	}
	if l, has := e.Linkers[t.msg.Channel]; has {
		if link, has := l.PrivateLink(deepLinkProgress); has {
			t.say("progress.ask_private_link", map[string]any{"Link": link})
			return nil
		}
	}
	t.say("progress.ask_private", nil)
	return nil
}

// answerPrivately gives the answer to something personal asked in a group in the person's
// private chat on that channel. It reports false, having said nothing, when they have none.
func (e *Engine) answerPrivately(ctx context.Context, t *turn, answer func(private *turn) error) (bool, error) {
	if !t.known {
		return false, nil
	}
	c, ok, err := e.privateChatOn(ctx, t.person.ID, t.msg.Channel)
	if err != nil || !ok {
		return false, err
	}
	private := *t
	private.out, private.chat = nil, c
	private.msg.ChatID, private.msg.Group, private.msg.Mentioned = c.PlatformID, false, false
	err = answer(&private)
	if private.err != nil && t.err == nil {
		t.err = private.err
	}
	if err != nil {
		return false, err
	}
	t.out = append(t.out, private.out...)
	return true, nil
}

// residentsLast is the latest step of a ticket a resident may read: staff notes, escalations
// and call-back tasks are the office's own.
func residentsLast(tk guanjia.Ticket) guanjia.Event {
	for i := len(tk.Timeline) - 1; i > 0; i-- {
		if ev := tk.Timeline[i]; !staffOnly(ev) {
			return ev
		}
	}
	return tk.Timeline[0]
}

// staffOnly reports whether an event of a ticket's timeline is the office's own business,
// never shown to the resident: internal notes, escalations, call-back tasks and anything
// marked for staff.
func staffOnly(ev guanjia.Event) bool {
	switch ev.Action {
	case guanjia.ActEscalate, guanjia.ActNote, guanjia.ActCallBackDue, guanjia.ActCallBack:
		return true
	}
	return ev.Staff
}
