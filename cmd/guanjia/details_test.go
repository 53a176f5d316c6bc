package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/guanjia/guanjia/storage/mongostore"
)

// TestWhatResidentsTypeIsKept: detail typed at the photo step joins the description, a first
// message over the limit is said to be too long, a corrected address is stored without the
// words that correct it, and 「我家」 means the home on file.
func TestWhatResidentsTypeIsKept(t *testing.T) {
	long := func(n int) string { return strings.Repeat("楼下", n/2) }
	type ticket struct{ reporter, description, address, household string }
	cases := []struct {
		name    string
		lines   []string
		want    []string
		notWant []string
		// ticket is the one ticket filed, when the lines submit one.
		ticket *ticket
	}{{
		name:   "complaint_detail_at_photo_step",
		lines:  []string{"李四: 投诉 楼下广场舞太吵", "李四: 1", "李四: 每天晚上八点到十点音响很大声", "李四: 跳过", "李四: 2", "李四: 1"},
		want:   []string{"[李四] 已补充到描述里。请发送照片，或回复「跳过」继续。", "内容：楼下广场舞太吵。每天晚上八点到十点音响很大声\n"},
		ticket: &ticket{reporter: "p-lisi", description: "楼下广场舞太吵。每天晚上八点到十点音响很大声"},
	}, {
		name:   "repair_detail_at_photo_step",
		lines:  []string{"张三: 报修 厨房漏水", "张三: 1", "张三: 1", "张三: 水是从水槽下面的管子漏出来的，地上都湿了", "张三: 跳过", "张三: 1", "张三: 1"},
		want:   []string{"[张三] 已补充到描述里。", "描述：厨房漏水。水是从水槽下面的管子漏出来的，地上都湿了\n"},
		ticket: &ticket{reporter: "p-zhangsan", description: "厨房漏水。水是从水槽下面的管子漏出来的，地上都湿了", address: "3-1-1201"},
	}, {
		name:    "detail_over_limit_at_photo_step",
		lines:   []string{"张三: 报修 厨房漏水", "张三: 1", "张三: 1", "张三: " + long(500), "张三: 跳过", "张三: 1", "张三: 1"},
		want:    []string{"[张三] 加上这段，描述就超过 500 字了，这段没有补充进去", "描述：厨房漏水\n"},
		notWant: []string{"已补充到描述里"},
		ticket:  &ticket{reporter: "p-zhangsan", description: "厨房漏水", address: "3-1-1201"},
	}, {
		name:    "no_photo_in_words",
		lines:   []string{"张三: 报修 厨房漏水", "张三: 1", "张三: 1", "张三: 没有照片"},
		want:    []string{"[张三] 这个问题紧急吗？"},
		notWant: []string{"已补充到描述里"},
	}, {
		name:  "complaint_first_message_too_long",
		lines: []string{"李四: 投诉 " + long(1002), "李四: 1"},
		want:  []string{"[李四] 内容有点长，请控制在 1000 字以内。\n  请具体说说发生了什么"},
	}, {
		name:  "repair_first_message_too_long",
		lines: []string{"张三: 报修 " + long(502), "张三: 1", "张三: 1"},
		want:  []string{"[张三] 描述有点长，请控制在 500 字以内，细节可以等师傅上门时再说。\n  请简单描述一下问题"},
	}, {
		name:   "complaint_within_its_own_limit",
		lines:  []string{"李四: 投诉 " + long(600), "李四: 1", "李四: 跳过", "李四: 2", "李四: 1"},
		want:   []string{"[李四] 投诉内容：" + long(600)},
		ticket: &ticket{reporter: "p-lisi", description: long(600)},
	}, {
		name:   "corrected_address_bushi",
		lines:  []string{"张三: 报修", "张三: 不是，是3号楼电梯", "张三: 3", "张三: 电梯按钮不亮", "张三: 跳过", "张三: 1", "张三: 1"},
		want:   []string{"地址：3号楼电梯\n"},
		ticket: &ticket{reporter: "p-zhangsan", description: "电梯按钮不亮", address: "3号楼电梯"},
	}, {
		name:   "corrected_address_budui",
		lines:  []string{"张三: 报修", "张三: 不对，是2栋2单元502", "张三: 1", "张三: 卫生间水管漏水", "张三: 跳过", "张三: 1", "张三: 1"},
		want:   []string{"地址：2-2-502\n"},
		ticket: &ticket{reporter: "p-zhangsan", description: "卫生间水管漏水", address: "2-2-502", household: "2-2-502"},
	}, {
		name:   "corrected_address_bushi_zheli",
		lines:  []string{"张三: 报修", "张三: 不是这里，在3号楼1单元", "张三: 4", "张三: 楼道的灯不亮了", "张三: 跳过", "张三: 1", "张三: 1"},
		want:   []string{"地址：3号楼1单元\n"},
		ticket: &ticket{reporter: "p-zhangsan", description: "楼道的灯不亮了", address: "3号楼1单元"},
	}, {
		name:   "wojia_is_the_home_on_file",
		lines:  []string{"张三: 报修", "张三: 我家", "张三: 1", "张三: 厨房水管漏水", "张三: 跳过", "张三: 1", "张三: 1"},
		want:   []string{"地址：3-1-1201\n"},
		ticket: &ticket{reporter: "p-zhangsan", description: "厨房水管漏水", address: "3-1-1201", household: "3-1-1201"},
	}, {
		name:   "jiali_is_the_home_on_file",
		lines:  []string{"李四: 报修", "李四: 家里", "李四: 1", "李四: 厨房水管漏水", "李四: 跳过", "李四: 1", "李四: 1"},
		want:   []string{"地址：2-2-502\n"},
		ticket: &ticket{reporter: "p-lisi", description: "厨房水管漏水", address: "2-2-502", household: "2-2-502"},
	}, {
		name:  "wojiali_is_the_home_on_file",
		lines: []string{"张三: 报修", "张三: 我家里"},
		want:  []string{"[张三] 请问是哪一类问题？"},
	}, {
		name:  "zaijia_is_the_home_on_file",
		lines: []string{"张三: 报修", "张三: 在家"},
		want:  []string{"[张三] 请问是哪一类问题？"},
	}, {
		name:    "wojia_without_a_home_on_file",
		lines:   []string{"陌生人: 报修", "陌生人: 我家"},
		want:    []string{"[陌生人] 我这里还没有登记您家的地址，请告诉我您家的楼号、单元和房号"},
		notWant: []string{"里没有找到楼号"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			app := openTestApp(t, testConfig(t), newClock(), &out)
			defer app.Close()
			app.say(t, c.lines...)
			app.drain(t)
			got := out.String()
			checkText(t, got, c.want, c.notWant)
			if c.ticket == nil {
				return
			}
			list, err := app.Store.TicketsByReporter(context.Background(), mongostore.SampleCommunity, c.ticket.reporter, 0)
			if err != nil || len(list) != 1 {
				t.Fatalf("tickets = %+v, %v; want one\n%s", list, err, got)
			}
			tk := list[0]
			if tk.Description != c.ticket.description || tk.Address != c.ticket.address ||
				(c.ticket.household != "" && tk.Household != c.ticket.household) {
				t.Errorf("ticket = description %q, address %q, household %q; want %+v", tk.Description, tk.Address, tk.Household, *c.ticket)
			}
		})
	}
}
