package main

import (
	"strings"
	"testing"
)

// TestResidentsAnswerFeeMessagesInEverydayWords: after the month's bill notice (before the due
// date) 有疑问 and 已缴 answer it as they do after a reminder; without a fee message they are
// what they were. After a reminder, days said relative to today are promises, 过几天交 asks
// which day, and hardship in the resident's own words is 困难.
func TestResidentsAnswerFeeMessagesInEverydayWords(t *testing.T) {
	const noticed = "$ guanjia bills generate 2026-11\n!wait 48h\n$ guanjia jobs run fee-notice\n"
	const quiet = "$ guanjia bills generate 2026-11\n!wait 48h\n"
	// 2026-12-23 is a Wednesday.
	const reminded = "$ guanjia bills generate 2026-11\n!wait 648h\n$ guanjia jobs run dunning -at 2026-12-23T10:00\n"
	for _, tc := range []struct {
		name, setup, line, want, not string
	}{
		{"doubt after the notice", noticed, "李奶奶: 有疑问", "已转给物业管家，编号 Q", ""},
		{"doubt in other words", noticed, "李四: 我有疑问", "已转给物业管家，编号 Q", ""},
		{"bill has a problem", noticed, "张三: 账单有问题", "已转给物业管家，编号 Q", ""},
		{"paid after the notice", noticed, "张三: 已缴", "已请管家核对您的缴费记录", ""},
		{"paid in other words", noticed, "张三: 我交过了啊", "已请管家核对您的缴费记录", ""},
		{"paid short", noticed, "张三: 交过了", "已请管家核对您的缴费记录", ""},
		{"doubt without a notice", quiet, "李奶奶: 有疑问", "", "已转给物业管家"},
		{"paid without a notice", quiet, "张三: 已缴", "", "已请管家核对"},
		{"next friday", reminded, "张三: 下周五交", "您将在 2027-01-01 前缴纳", ""},
		{"tomorrow", reminded, "张三: 我明天就去交", "您将在 2026-12-24 前缴纳", ""},
		{"in three days", reminded, "张三: 大后天交", "您将在 2026-12-26 前缴纳", ""},
		{"this weekend", reminded, "张三: 这周末交", "您将在 2026-12-27 前缴纳", ""},
		{"bare weekday passed this week", reminded, "张三: 周一交", "您将在 2026-12-28 前缴纳", ""},
		{"this week passed day", reminded, "张三: 这周一交", "这个日期已经过去了", ""},
		{"month end", reminded, "张三: 月底交", "您将在 2026-12-31 前缴纳", ""},
		{"the day of the month", reminded, "张三: 28号交", "您将在 2026-12-28 前缴纳", ""},
		{"some days later", reminded, "张三: 过几天交", "请问您打算哪天缴呢", ""},
		{"another day", reminded, "张三: 改天交", "请问您打算哪天缴呢", ""},
		{"hardship in words", reminded, "李奶奶: 我一个老太婆哪有钱交", "管家会和您联系商量", ""},
		{"no money", reminded, "李奶奶: 没钱交", "管家会和您联系商量", ""},
		{"cannot afford", reminded, "李奶奶: 交不起", "管家会和您联系商量", ""},
		{"economic hardship", reminded, "李奶奶: 经济困难", "管家会和您联系商量", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runScript(t, tc.setup+tc.line+"\n")
			got := replyTo(out, tc.line)
			if got == "" {
				got = out[strings.LastIndex(out, "> "+tc.line):]
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("%s: want %q in\n%s", tc.line, tc.want, got)
			}
			if tc.not != "" && strings.Contains(got, tc.not) {
				t.Errorf("%s: do not want %q in\n%s", tc.line, tc.not, got)
			}
		})
	}
}
