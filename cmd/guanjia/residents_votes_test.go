package main

import (
	"strings"
	"testing"
)

// surveyFor3 is the office's single-choice survey for building 3, made with the console form,
// and a word in the group after it: numbers typed next are text, not presses of its buttons
// (WeChat has none).
const surveyFor3 = `王管家: 问卷
王管家: 下个月办什么活动？
王管家: 亲子烧烤/露天电影/徒步
王管家: 单选
王管家: 3
王管家: 11-30 20:00
王管家: 不要
王管家: 1
李四@3号楼业主群: @管家 谢谢
`

// replyTo is what the bot said after line (up to the next line played) in a transcript.
func replyTo(out, line string) string {
	_, after, ok := strings.Cut(out, "> "+line+"\n")
	if !ok {
		return ""
	}
	reply, _, _ := strings.Cut(after, "\n> ")
	return reply
}

// TestResidentsAnswerSurveysWithNumbers: in a residents' group a bare number (numbers, for a
// multiple-choice survey) from a bound resident answers the one survey open for the group's
// buildings; several open are asked about; without a survey, or while the person's own
// conversation waits for an answer there, a number is what it was before.
func TestResidentsAnswerSurveysWithNumbers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		line   string
		want   []string
		not    []string
	}{
		{name: "bare number votes", script: surveyFor3, line: "张三@3号楼业主群: 2",
			want: []string{"露天电影"}, not: []string{"没有等您回答"}},
		{name: "mentioned number votes", script: surveyFor3, line: "张三@3号楼业主群: @管家 2",
			want: []string{"露天电影"}, not: []string{"没有等您回答"}},
		{name: "number out of range", script: surveyFor3, line: "张三@3号楼业主群: 7",
			want: []string{"投票"}, not: []string{"没有等您回答"}},
		{name: "several numbers for a multiple choice", line: "张三@3号楼业主群: 1 3",
			script: strings.Replace(surveyFor3, "王管家: 单选", "王管家: 多选", 1), want: []string{"亲子烧烤、徒步"}},
		{name: "two surveys open", script: surveyFor3 + strings.Replace(surveyFor3, "下个月", "年底", 1),
			line: "张三@3号楼业主群: 2", want: []string{"S20261126-0001、S20261126-0002"}},
		{name: "no survey is silence", line: "张三@3号楼业主群: 2", want: []string{""}},
		{name: "a question in progress wins", script: "张三@3号楼业主群: @管家 报修\n" + surveyFor3,
			line: "张三@3号楼业主群: 2", not: []string{"露天电影", "已记录"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runScript(t, tc.script+tc.line+"\n")
			got := replyTo(out, tc.line)
			for _, w := range tc.want {
				if w == "" && got != "" || !strings.Contains(got, w) {
					t.Errorf("reply to %q = %q, want %q in it; transcript:\n%s", tc.line, got, w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("reply to %q = %q, do not want %q in it", tc.line, got, n)
				}
			}
		})
	}
}

// TestOutsideTheAudienceIsToldSo: a resident of building 2 asking in building 3's group to
// sign up for, or answer, what is open for building 3 only is told it is not for their
// building, not that nothing is open.
func TestOutsideTheAudienceIsToldSo(t *testing.T) {
	event := `王管家: 活动
王管家: 露天电影
王管家: 2026-11-28 19:00
王管家: 小区中心花园
王管家: 10
王管家: 3
王管家: 2026-11-28 12:00
王管家: 现在
王管家: 不要
王管家: 跳过
王管家: 1
`
	for _, tc := range []struct{ name, script, line, want string }{
		{"event", event, "李四@3号楼业主群: 报名", "只面向 3 号楼的住户"},
		{"survey", surveyFor3, "李四@3号楼业主群: 投票 3", "问卷 S20261126-0001 不面向您家所在的楼"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runScript(t, tc.script+tc.line+"\n")
			if got := replyTo(out, tc.line); !strings.Contains(got, tc.want) {
				t.Errorf("reply to %q = %q, want %q in it; transcript:\n%s", tc.line, got, tc.want, out)
			}
		})
	}
}
