package flows

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
)

// Flow names, as stored in sessions.
const (
	flowRepair    = "repair"
	flowFollowUp  = "followup"
	flowComplaint = "complaint"
	flowInquiry   = "inquiry"
	flowFee       = "fee"
)

// trigger says which commands and words start a flow.
type trigger struct {
	flow string
	// commands match the whole first word ("/repair", "报修").
	commands []string
	// words match anywhere in the text ("厨房漏水了").
	words []string
}

// triggers is the one table of what starts each flow.
var triggers = []trigger{
	{
		flow:     flowInquiry,
		commands: []string{"咨询", "/ask", "ask"},
	},
	{
		flow:     flowComplaint,
		commands: []string{"/complain", "/complaint", "投诉", "complaint", "complain", "我要投诉"},
		words:    []string{"投诉", "扰民", "太吵", "噪音", "态度差", "态度不好", "态度很差", "态度恶劣", "complain"},
	},
	{
		flow: flowRepair,
		// 保修 is how 报修 is often mistyped (same pinyin); as a whole word it means a repair.
		commands: []string{"/repair", "报修", "repair", "维修", "我要报修", "保修", "我要保修"},
		words: []string{"报修", "要保修", "漏水", "渗水", "坏了", "不亮", "堵了", "堵塞", "停电", "没电", "没水",
			"维修", "修一下", "repair", "broken", "leak"},
	},
}

// flowCommand reports the flow a message names as a whole ("报修", "/complaint"): typed in the
// middle of another conversation, it means starting that one, not an answer.
func flowCommand(text string) (string, bool) {
	name, ok := commandFlow(text)
	if !ok || name == flowInquiry {
		return "", false // "咨询" alone is not a question yet
	}
	return name, true
}

// afterCommand reports whether text starts with one of the trigger's commands, as a word of
// its own ("报修", "报修 厨房漏水", "报修：厨房漏水", "/repair@bot 厨房漏水"), and returns what
// follows it.
func afterCommand(tr trigger, text string) (string, bool) {
	text = strings.TrimSpace(text)
	first, rest, _ := strings.Cut(text, " ")
	// 「报修吧」: the command, said as people say it.
	first = strings.TrimRight(stripBotName(strings.ToLower(first)), "吧啊呀啦嘛。.!！~～")
	for _, c := range tr.commands {
		if first == c {
			return strings.TrimSpace(rest), true
		}
		if after, ok := strings.CutPrefix(strings.ToLower(text), c); ok && !strings.HasPrefix(c, "/") {
			if r, size := utf8.DecodeRuneInString(after); size > 0 && strings.ContainsRune("：:，,。", r) {
				return strings.TrimSpace(text[len(text)-len(after)+size:]), true
			}
		}
	}
	return "", false
}

// startDescription is what the message that started a flow already says about the problem:
// the words after its command ("报修 厨房水管漏水"), or the whole message when words, not a
// command, started it ("厨房水管漏水了"). Too short to describe anything is ""; over the
// flow's limit is "" too, and tooLong says so, so that the resident is told why it is asked
// for again.
func startDescription(flow, text string) (d string, tooLong bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "", false
	}
	for _, tr := range triggers {
		if tr.flow != flow {
			continue
		}
		if rest, ok := afterCommand(tr, text); ok {
			d = rest
		} else if !strings.HasPrefix(text, "/") {
			d = text
		}
	}
	switch n := utf8.RuneCountInString(d); {
	case n < 4:
		return "", false
	case n > descriptionLimit(flow):
		return "", true
	}
	return d, false
}

// descriptionLimit is the longest description, in characters, a flow takes.
func descriptionLimit(flow string) int {
	if flow == flowComplaint {
		return 1000
	}
	return 500
}

// stopWords say, as a whole message, that the person no longer wants the report they are
// making: 「不修了」, 「算了不修了」, 「不投诉了」.
var stopWords = regexp.MustCompile(`^(算了|那|那就|还是|我|先|暂时|哦|嗯)*` +
	`((不|不用|不想|不要|不需要|别|甭)再?(报修|维修|修|报|投诉|登记|来修)了?|不用来了?|` +
	`算了.*(不用了|不要了|不需要了|没事了)|(取消|撤销)(报修|投诉)?(吧|了)?)$`)

// stopsReport reports whether text, in a repair report or a complaint, means 取消. Other
// conversations ask questions 「不用了」 answers, and are left alone.
func stopsReport(flow, text string) bool {
	if flow != flowRepair && flow != flowComplaint {
		return false
	}
	text = strings.Map(func(r rune) rune {
		if strings.ContainsRune(" ，,。.!！~～、…", r) {
			return -1
		}
		return r
	}, strings.TrimSpace(text))
	text = strings.TrimRight(text, "吧啊呀啦哈")
	return text != "" && stopWords.MatchString(text)
}

// smallTalk recognises greetings and thanks, which deserve an answer rather than "not
// understood".
func smallTalk(text string) (key string, ok bool) {
	whole := strings.TrimRight(strings.ToLower(strings.TrimSpace(text)), "!！。.~～ ")
	switch whole {
	case "谢谢", "谢谢你", "谢谢您", "感谢", "多谢", "好的谢谢", "好的，谢谢", "thanks", "thank you", "thx":
		return "common.thanks", true
	case "你好", "您好", "在吗", "在不在", "有人吗", "hi", "hello", "hey", "嗨", "哈喽":
		return "common.hello", true
	}
	return "", false
}

// stripBotName turns "/repair@guanjia_bot" into "/repair", as commands arrive in groups.
func stripBotName(cmd string) string {
	if strings.HasPrefix(cmd, "/") {
		cmd, _, _ = strings.Cut(cmd, "@")
	}
	return cmd
}

// staffCommand is a parsed staff instruction such as "派单 R20261126-0001 刘师傅".
type staffCommand struct {
	verb string
	// no is the ticket number as typed; empty when missing.
	no   string
	rest string
}

// Staff verbs.
const (
	verbAccept   = "accept"
	verbAssign   = "assign"
	verbProgress = "progress"
	verbResolve  = "resolve"
	verbClose    = "close"
	verbReopen   = "reopen"
	verbDetails  = "details"
	verbReply    = "reply"
	// verbFalseAlarm closes an alarm that turned out to be false.
	verbFalseAlarm = "false_alarm"
	// verbNote adds a note for staff only; verbCallBack records a call-back's outcome.
	verbNote     = "note"
	verbCallBack = "callback"
)

// staffVerbs is the one table of staff command words.
var staffVerbs = map[string]string{
	"接单": verbAccept, "accept": verbAccept, "/accept": verbAccept,
	"派单": verbAssign, "assign": verbAssign, "/assign": verbAssign,
	"进展": verbProgress, "progress": verbProgress, "/progress": verbProgress,
	"完成": verbResolve, "resolve": verbResolve, "/resolve": verbResolve, "done": verbResolve,
	"关闭": verbClose, "close": verbClose, "/close": verbClose,
	"重开": verbReopen, "reopen": verbReopen, "/reopen": verbReopen,
	"详情": verbDetails, "details": verbDetails, "/details": verbDetails,
	"回复": verbReply, "reply": verbReply, "/reply": verbReply,
	"备注": verbNote, "note": verbNote, "/note": verbNote,
	"回访": verbCallBack, "callback": verbCallBack, "/callback": verbCallBack,
	"误报": verbFalseAlarm, "/falsealarm": verbFalseAlarm, "falsealarm": verbFalseAlarm,
}

// parseStaffCommand recognises "<verb> <ticket no> [rest]"; a verb alone still counts, so
// that a missing number gets a usage hint rather than silence.
func parseStaffCommand(text string) (staffCommand, bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return staffCommand{}, false
	}
	verb, ok := staffVerbs[stripBotName(strings.ToLower(fields[0]))]
	if !ok {
		return staffCommand{}, false
	}
	cmd := staffCommand{verb: verb}
	if len(fields) > 1 {
		cmd.no = fields[1]
		cmd.rest = strings.TrimSpace(strings.Join(fields[2:], " "))
	}
	return cmd, true
}

// numberedLine finds "2) 派单" in a quoted message.
var numberedLine = regexp.MustCompile(`(?m)^\s*(\d{1,2})\) (.+)$`)

// quotedChoice is the option a bare number picks in the message it quotes: on WeChat a card's
// choices are numbered lines, and a steward quoting the card with "1" means its first one.
func quotedChoice(quote, text string) (string, bool) {
	n := choiceText(text)
	if _, err := strconv.Atoi(n); err != nil || quote == "" {
		return "", false
	}
	for _, m := range numberedLine.FindAllStringSubmatch(quote, -1) {
		if m[1] == n {
			return strings.TrimSpace(m[2]), true
		}
	}
	return "", false
}

// onQuotedTicket fills in the ticket of a command that answers a ticket card without naming
// one: "派单 刘师傅" quoting the card of R20261126-0001 is "派单 R20261126-0001 刘师傅".
func (cmd staffCommand) onQuotedTicket(quote string) staffCommand {
	if _, named := guanjia.ParseTicketNo(cmd.no); named {
		return cmd
	}
	no, ok := guanjia.FindTicketNo(quote)
	if !ok {
		return cmd
	}
	cmd.rest = strings.TrimSpace(cmd.no + " " + cmd.rest)
	cmd.no = no
	return cmd
}
