package main

import (
	"bytes"
	"strings"
	"testing"
)

// answerCase is one answer to a question: the lines that lead to the question, the answer, what
// the reply must say and what it must not.
type answerCase struct {
	before []string
	say    string
	want   []string
	not    []string
}

// playAnswers plays each case in an app of its own.
func playAnswers(t *testing.T, cases []answerCase) {
	t.Helper()
	for _, c := range cases {
		clk := newClock()
		var out bytes.Buffer
		app := openTestApp(t, testConfig(t), clk, &out)
		app.say(t, c.before...)
		from := out.Len()
		app.say(t, c.say)
		got := out.String()[from:]
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("after %q, %q: want %q in:\n%s", c.before, c.say, w, got)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("after %q, %q: want no %q in:\n%s", c.before, c.say, n, got)
			}
		}
		app.Close()
	}
}

const repairStarts = "我来帮您登记报修"

// Asked 「您是想：1) 报修 2) 查进度」, a resident answers in words: an option named is picked
// and goes on with the first message; a bare yes is asked which; 「都不是」 gets the menu.
func TestIntentQuestionAnsweredInWords(t *testing.T) {
	which := []string{"张三: 我家厨房水管漏水了，已经两天了，楼下邻居都来敲门了😭 你们什么时候能来修啊"}
	const (
		noTickets  = "您目前没有进行中的报修或投诉"
		askedAgain = "请问您是想办哪一项"
		menu       = "那请从下面选一项"
	)
	playAnswers(t, []answerCase{
		{which, "张三: 报修吧", []string{repairStarts}, []string{"不需要取消"}},
		{which, "张三: 报修", []string{repairStarts}, nil},
		{which, "张三: 是报修", []string{repairStarts}, nil},
		{which, "张三: 我要报修", []string{repairStarts}, nil},
		{which, "张三: 第一个", []string{repairStarts}, nil},
		{which, "张三: 1吧", []string{repairStarts}, nil},
		{which, "张三: 查进度", []string{noTickets}, nil},
		{which, "张三: 进度", []string{noTickets}, nil},
		{which, "张三: 查一下进度", []string{noTickets}, nil},
		// The first message is the report's description, as when 1 is picked.
		{append(which, "张三: 报修吧", "张三: 1"), "张三: 1", []string{"问题描述：我家厨房水管漏水了"}, nil},
		{which, "张三: 对", []string{askedAgain, "1) 报修", "2) 查进度"}, []string{"投诉"}},
		{which, "张三: 是的", []string{askedAgain, "1) 报修"}, []string{"没能确定"}},
		{which, "张三: 嗯", []string{askedAgain, "1) 报修"}, []string{"不客气"}},
		{which, "张三: 好", []string{askedAgain, "1) 报修"}, nil},
		{append(which, "张三: 对"), "张三: 1", []string{repairStarts}, nil},
		{which, "张三: 都不是", []string{menu, "转给管家"}, []string{"没能确定"}},
		{which, "张三: 不是", []string{menu, "转给管家"}, nil},
		{append(which, "张三: 都不是"), "张三: 都不是", []string{"您可以直接说说需要办什么"}, []string{"1) 报修"}},
	})
}

// 「报修吧」 alone starts a repair: it is no cancel.
func TestRepairWithParticleStartsRepair(t *testing.T) {
	playAnswers(t, []answerCase{
		{nil, "张三: 报修吧", []string{repairStarts}, []string{"不需要取消"}},
		{nil, "张三: 报修啊", []string{repairStarts}, nil},
	})
}

// 「不急」 is 一般 and 「很急」 紧急; 「不用」 is 不要.
func TestOptionsAnsweredInWords(t *testing.T) {
	urgency := []string{"张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水管漏水了", "张三: 跳过"}
	survey := []string{"王管家: 问卷", "王管家: 下个月办什么活动？", "王管家: 亲子烧烤/露天电影/徒步",
		"王管家: 单选", "王管家: 3", "王管家: 11-30 20:00"}
	playAnswers(t, []answerCase{
		{urgency, "张三: 不急", []string{"紧急程度：一般"}, nil},
		{urgency, "张三: 不着急", []string{"紧急程度：一般"}, nil},
		{urgency, "张三: 不是很急", []string{"紧急程度：一般"}, nil},
		{urgency, "张三: 很急", []string{"紧急程度：紧急"}, nil},
		{urgency, "张三: 特别急！", []string{"紧急程度：紧急"}, nil},
		{survey, "王管家: 不用", []string{"私信住户：不要"}, nil},
		{survey, "王管家: 否", []string{"私信住户：不要"}, nil},
		{survey, "王管家: 不要了", []string{"私信住户：不要"}, nil},
		{survey, "王管家: 要的", []string{"私信住户：要"}, nil},
	})
}

// 「不修了」, 「算了不修了」, 「不投诉了」 in a report end it, as 取消 does.
func TestReportStoppedInWords(t *testing.T) {
	description := []string{"张三: 报修", "张三: 1", "张三: 1"}
	const cancelled = "好的，已取消"
	playAnswers(t, []answerCase{
		{description, "张三: 不修了", []string{cancelled}, []string{"太简单"}},
		{[]string{"张三: 报修"}, "张三: 算了不修了", []string{cancelled}, []string{"请问是哪一类问题"}},
		{[]string{"张三: 投诉", "张三: 1"}, "张三: 不投诉了", []string{cancelled}, nil},
		{[]string{"张三: 投诉", "张三: 1"}, "张三: 算了", []string{cancelled}, nil},
		{[]string{"张三: 投诉"}, "张三: 我不想投诉了", []string{cancelled}, nil},
		// Ended: a number afterwards answers nothing.
		{append(description, "张三: 不修了"), "张三: 1", []string{"现在没有等您回答的问题"}, nil},
		// A description that only mentions such words is still a description.
		{description, "张三: 上次师傅说不修了，现在又漏了", []string{"方便的话请拍一张照片"}, []string{cancelled}},
		// 「不用」 at the photo step still skips the photo.
		{append(description, "张三: 厨房水管漏水了"), "张三: 不用", []string{"这个问题紧急吗"}, []string{cancelled}},
	})
}
