package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/guanjia/guanjia"
)

// TestDangerAsksTheQuestionAgainAtEveryStep: whatever question a resident's report,
// complaint or inquiry waits on, a danger word in between raises the alarm, says the
// conversation is kept, and asks that very question again — never a bare 「请接着回答上一个问题」.
func TestDangerAsksTheQuestionAgainAtEveryStep(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	// Two communities: someone not bound yet is first asked which one.
	if err := app.Store.PutCommunity(context.Background(), guanjia.Community{ID: "lake", Name: "湖景苑", Buildings: []int{5, 6}}); err != nil {
		t.Fatal(err)
	}
	repair := []string{"报修", "示例花园", "3-1-1201", "1", "厨房水管漏水了", "跳过", "1"}
	complaint := []string{"投诉", "示例花园", "1", "楼上每天半夜装修，吵得睡不着", "跳过", "2"}
	cases := []struct {
		who   string
		lines []string
		want  string
	}{
		{"陌生人甲", repair[:1], "请问您住在哪个小区？\n  1) 湖景苑\n  2) 示例花园"},
		{"陌生人乙", repair[:2], "报修地址是哪里？"},
		{"陌生人丙", repair[:3], "请问是哪一类问题？"},
		{"陌生人丁", repair[:4], "请简单描述一下问题"},
		{"陌生人戊", repair[:5], "方便的话请拍一张照片发给我"},
		{"陌生人己", repair[:6], "这个问题紧急吗？"},
		{"陌生人庚", repair[:7], "请确认报修信息"},
		{"陌生人辛", complaint[:1], "请问您住在哪个小区？"},
		{"陌生人壬", complaint[:2], "请问是哪方面的问题？"},
		{"陌生人癸", complaint[:3], "请具体说说发生了什么"},
		{"陌生人子", complaint[:4], "如有照片可以发给我"},
		{"陌生人丑", complaint[:5], "需要工作人员给您回电话吗？"},
		{"陌生人寅", complaint[:6], "请确认投诉信息"},
		{"李四", []string{"报修"}, "报修地址是哪里？"},
	}
	for _, c := range cases {
		for _, l := range c.lines {
			app.say(t, c.who+": "+l)
		}
		from := out.Len()
		app.say(t, c.who+": 厨房着火了，好多烟")
		got := out.String()[from:]
		kept := strings.Index(got, "已为您保留")
		if kept < 0 {
			t.Errorf("%s after %q: the conversation was not said to be kept:\n%s", c.who, c.lines, got)
			continue
		}
		after := got[kept:]
		if !strings.Contains(after, c.want) || strings.Contains(after, "请接着回答上一个问题") {
			t.Errorf("%s after %q: want the question %q asked again, got:\n%s", c.who, c.lines, c.want, got)
		}
		if !strings.Contains(got[:kept], "119") {
			t.Errorf("%s: no fire advice before the question:\n%s", c.who, got)
		}
	}
	// The conversation goes on from where it was.
	app.say(t, "陌生人甲: 示例花园")
	if !strings.Contains(out.String()[out.Len()-300:], "报修地址") {
		t.Errorf("after answering the community: %s", out.String()[out.Len()-300:])
	}
}
