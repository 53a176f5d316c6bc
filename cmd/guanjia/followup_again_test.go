package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestFollowUpAskedAgainAfterReopen: a ticket reopened and completed again asks the resident
// afresh whether it is fixed, even when they left the first follow-up half answered — the
// old question does not linger and swallow their answers.
func TestFollowUpAskedAgainAfterReopen(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "张三: 报修 马桶漏水", "张三: 1", "张三: 1", "张三: 跳过", "张三: 1", "张三: 1",
		"王管家@员工群: 接单 R20261126-0001", "王管家@员工群: 完成 R20261126-0001", "张三: 修好了",
		"王管家@员工群: 重开 R20261126-0001")
	from := out.Len()
	app.say(t, "王管家@员工群: 完成 R20261126-0001")
	if got := out.String()[from:]; !strings.Contains(got, "[张三] 您的报修 R20261126-0001 已处理完成。请问问题解决了吗？") {
		t.Fatalf("completed again: the resident is not asked whether it is fixed:\n%s", got)
	}
	from = out.Len()
	app.say(t, "张三: 修好了", "张三: 5")
	got := out.String()[from:]
	if !strings.Contains(got, "请为这次服务打个分") || !strings.Contains(got, "谢谢您的评分") || strings.Contains(got, "请回复 1 到 5") {
		t.Errorf("answering the new follow-up:\n%s", got)
	}
}
