package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/guanjia/guanjia"
)

// myTicketsWords are how residents ask after their own tickets.
var myTicketsWords = []string{"我的投诉", "我的报修", "我的工单", "我的咨询", "咨询怎么样", "进度", "查进度", "投诉怎么样", "报修怎么样", "处理得怎么样", "进度如何", "my tickets", "my complaint", "my repair"}

// progressQuery recognises "进度 C20261126-0001" and "我的投诉怎么样了".
func progressQuery(text string) (no string, mine bool) {
	fields := strings.Fields(text)
	if len(fields) == 2 {
		switch strings.ToLower(fields[0]) {
		case "进度", "查询", "status", "/status":
			if n, ok := guanjia.ParseTicketNo(fields[1]); ok {
				return n, false
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
	community := t.person.Community
	if community == "" {
		community = t.chat.Community
	}
	tk, err := e.Tickets.Ticket(ctx, community, no)
	if errors.Is(err, guanjia.ErrNotFound) || err == nil && tk.Reporter != t.person.ID && !t.person.IsStaff() {
		t.say("progress.not_yours", map[string]any{"No": no})
		return nil
	} else if err != nil {
		return fmt.Errorf("flows: progress: %w", err)
	}
	d := detailsData(e, t.lang, tk, &t.err)
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
	var lines []string
	for _, tk := range list {
		if !tk.Open() && tk.Status != guanjia.StatusResolved {
			continue
		}
		last := tk.Timeline[len(tk.Timeline)-1]
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
