package flows

import (
	"context"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
)

// The steward's day in chat (SPEC 4.5–4.8): the plan at shift start and on demand, the day's
// own priorities, the lists of work, patrols and handovers.

// Steward words: the first word of a message.
var stewardWords = map[string]string{
	"今日计划": "plan", "/plan": "plan", "plan": "plan", "今天计划": "plan",
	"今日重点": "priority", "/priority": "priority",
	"我的任务": "tasks", "/tasks": "tasks", "tasks": "tasks",
	"待办": "todo", "/todo": "todo", "todo": "todo",
	"逾期": "overdue", "/overdue": "overdue", "overdue": "overdue", "超时": "overdue",
	"巡查": "patrol", "巡检": "patrol", "/patrol": "patrol",
	"已查": "check", "/check": "check",
	"巡查结束": "patrol_end", "巡检结束": "patrol_end", "结束巡查": "patrol_end", "/endpatrol": "patrol_end",
	"隐患": "hazard", "/hazard": "hazard",
	"交班": "handover", "/handover": "handover",
	"接班": "takeover", "/takeover": "takeover",
	"巡检记录": "hazard", "巡查记录": "hazard",
	"交接记录": "handovers", "交班记录": "handovers", "/handovers": "handovers",
	"关照名单": "care", "/care": "care",
}

// stewardPhrases are how stewards ask for the day's lists in their own words.
var stewardPhrases = []struct {
	what  string
	words []string
}{
	{"handovers", []string{"交接班记录", "交班记录", "交接记录"}},
	{"care", []string{"特别关注的住户", "需要关注的住户", "重点关注的住户", "需要关照", "独居老人有哪些"}},
	{"priority", []string{"设置今日重点"}},
	{"plan", []string{"今天的计划", "今日的计划", "今天干什么", "今天有什么安排"}},
}

// workPhrases are how staff ask what work they have: their tasks for a worker, the to-do list
// for the office. Words about activities (「我的活动」) are not among them.
var workPhrases = []string{"有啥活", "有什么活", "有没有活", "我的活", "我的工作", "我的单", "有啥任务", "有什么任务",
	"今天干啥", "今天干嘛", "今天要干嘛", "今天要干啥", "今天要干什么", "今天做什么", "今天要做什么", "今天做啥",
	"my tasks", "my jobs", "my work", "what do i do today", "what should i do"}

// stewardPhrase finds what a steward's own words ask for.
func stewardPhrase(text string) string {
	if lower := strings.ToLower(text); !strings.Contains(lower, "活动") {
		for _, w := range workPhrases {
			if strings.Contains(lower, w) {
				return "work"
			}
		}
	}
	for _, p := range stewardPhrases {
		for _, w := range p.words {
			if strings.Contains(text, w) {
				return p.what
			}
		}
	}
	return ""
}

// forms of the day, started by a word; the others answer at once, also in the middle of a form.
var stewardForms = map[string]bool{"patrol": true, "hazard": true, "handover": true}

// flowOf is the flow a form's word starts.
var flowOf = map[string]string{"patrol": flowPatrol, "hazard": flowHazard, "handover": flowHandover}

// mayLeave reports whether a form's word in the middle of the conversation leaves it for the new
// form. A follow-up waits a day for its answer and is not left this way.
func mayLeave(sess guanjia.Session) bool {
	return sess.Flow != flowFollowUp && sess.Flow != flowFeedback
}

// stewardCommand runs the steward's day's words for staff. Anyone else sending one of those
// words alone is told it is for staff; their longer words go on to be understood as they are.
// In the middle of a conversation (sess), a word of another form of the day starts that form
// instead, as switching flows does; a patrol waiting for its confirm takes a patrol's work
// (已查…, 隐患…) as the yes.
func (e *Engine) stewardCommand(ctx context.Context, t *turn, text string, sess guanjia.Session) (bool, error) {
	active := sess.Flow != ""
	first, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	if r, size := firstRuneCut(first); size > 0 && stewardWords[first] == "" {
		// "隐患：2号楼…" as well as "隐患 2号楼…"
		first, rest = r, strings.TrimSpace(first[len(r)+size:]+" "+rest)
	}
	what := stewardWords[stripBotName(strings.ToLower(first))]
	if what == "" && !active {
		what = stewardPhrase(text)
	}
	if what != "" && e.Workday != nil && !active && !(t.known && t.person.IsStaff()) &&
		what != "hazard" && rest == "" && stewardWords[stripBotName(strings.ToLower(first))] != "" {
		// "交班" or "今日计划" alone from a resident: a staff word, said so, not guessed at.
		t.say("staff.forbidden", map[string]any{"Command": first})
		return true, nil
	}
	if what == "" || e.Workday == nil || !t.known || !t.person.IsStaff() || active && stewardForms[what] && !mayLeave(sess) {
		return false, nil
	}
	rest = strings.TrimSpace(rest)
	if what == "work" || what == "plan" && !t.person.IsOffice() && stewardWords[stripBotName(strings.ToLower(first))] == "" {
		// 「今天有啥活」: a worker's tasks, the office's to-do list.
		what = "tasks"
		if t.person.IsOffice() {
			what = "todo"
		}
	}
	if t.residentsRead() {
		t.say("staff.not_here", nil)
		return true, nil
	}
	if !t.person.IsOffice() && what != "tasks" && what != "hazard" {
		t.say("staff.office_only", map[string]any{"Command": first})
		return true, nil
	}
	if active && sess.Flow == flowPatrol && sess.Step == formConfirm && (what == "check" || what == "hazard") {
		// "已查 1 2" or "隐患 3 …" asked to confirm the patrol: it is started, then the work done.
		if err := e.flows[flowPatrol].(*form).submit(ctx, t, &sess); err != nil {
			return true, err
		}
		active = false
	}
	if active && stewardForms[what] {
		// "交班" in the middle of a hazard report: the steward moved on; the report is dropped.
		if err := e.finish(ctx, t); err != nil {
			return true, err
		}
		if flowOf[what] != sess.Flow && sess.Flow != flowIntent {
			t.say("common.switched", map[string]any{"Flow": t.label("flow." + sess.Flow)})
		}
	}
	if err := e.runStewardWord(ctx, t, what, first, text, rest); err != nil || !active || stewardForms[what] || !mayLeave(sess) || sess.Flow == flowIntent {
		return true, err
	}
	// A list asked for in the middle of a form: the form still waits, and says so.
	return true, e.resume(ctx, t, &sess, "common.still_waiting")
}

// runStewardWord does what a steward's word asks.
func (e *Engine) runStewardWord(ctx context.Context, t *turn, what, first, text, rest string) error {
	switch what {
	case "plan":
		return e.sayPlan(ctx, t)
	case "priority":
		if p, ok := strings.CutPrefix(strings.TrimSpace(text), "设置今日重点"); ok {
			rest = strings.TrimLeft(strings.TrimSpace(p), "：:，, ")
		}
		return e.addPriority(ctx, t, rest)
	case "handovers":
		return e.recentHandovers(ctx, t)
	case "care":
		return e.sayCare(ctx, t)
	case "tasks":
		return e.myTasks(ctx, t)
	case "todo":
		return e.todo(ctx, t, false)
	case "overdue":
		return e.todo(ctx, t, true)
	case "patrol":
		return e.flows[flowPatrol].start(ctx, t)
	case "check":
		return e.checkPoints(ctx, t, rest)
	case "patrol_end":
		return e.endPatrol(ctx, t)
	case "hazard":
		return e.flows[flowHazard].start(ctx, t)
	case "handover":
		return e.flows[flowHandover].start(ctx, t)
	case "takeover":
		return e.takeOver(ctx, t, rest)
	}
	return nil
}

// firstRuneCut splits "隐患：…" at a full-width or ASCII colon or comma after a word.
func firstRuneCut(s string) (string, int) {
	for _, sep := range []string{"：", ":", "，", ","} {
		if i := strings.Index(s, sep); i > 0 {
			return s[:i], len(sep)
		}
	}
	return "", 0
}

// addStewardFlows registers the day's forms.
func (e *Engine) addStewardFlows() {
	e.flows[flowPatrol] = e.patrolForm()
	e.flows[flowHazard] = e.hazardForm()
	e.flows[flowHandover] = e.handoverForm()
}

// dueDefaults fills the due times not configured with SPEC 5's defaults.
func dueDefaults(d guanjia.DueTimes, reply time.Duration) guanjia.DueTimes {
	def := guanjia.DefaultDueTimes()
	if reply > 0 && d.Reply <= 0 {
		d.Reply = reply
	}
	for _, f := range []struct{ v, def *time.Duration }{{&d.Accept, &def.Accept}, {&d.AcceptUrgent, &def.AcceptUrgent},
		{&d.Resolve, &def.Resolve}, {&d.ResolveUrgent, &def.ResolveUrgent}, {&d.Reply, &def.Reply},
		{&d.RemindBefore, &def.RemindBefore}, {&d.Handover, &def.Handover}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return d
}
