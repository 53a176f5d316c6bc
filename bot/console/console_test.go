package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/guanjia/guanjia/bot"
)

// inbox records what the console delivers and answers each message with one reply.
type inbox struct {
	mu   sync.Mutex
	got  []bot.Message
	con  *Console
	echo []bot.Reply
}

func (in *inbox) Deliver(ctx context.Context, m bot.Message) <-chan struct{} {
	in.mu.Lock()
	in.got = append(in.got, m)
	replies := in.echo
	in.mu.Unlock()
	for _, r := range replies {
		_ = in.con.Send(ctx, r)
	}
	done := make(chan struct{})
	close(done)
	return done
}

func TestParseLines(t *testing.T) {
	var out bytes.Buffer
	c := New(strings.NewReader(""), &out, nil)
	tests := []struct {
		line               string
		sender, chat, text string
		group, mention     bool
		photo              string
	}{
		{"张三: 报修", "张三", "张三", "报修", false, false, ""},
		{"张三：厨房漏水", "张三", "张三", "厨房漏水", false, false, ""},
		{"王管家@员工群: 接单 R20261126-0001", "王管家", "员工群", "接单 R20261126-0001", true, false, ""},
		{"张三@3号楼业主群: @管家 你好", "张三", "3号楼业主群", "@管家 你好", true, true, ""},
		{"张三: [photo kitchen.jpg]", "张三", "张三", "", false, false, "console:kitchen.jpg"},
		{"张三: [图片 门锁.jpg] 门锁坏了", "张三", "张三", "门锁坏了", false, false, "console:门锁.jpg"},
	}
	for _, tt := range tests {
		m, ok := c.parse(tt.line)
		if !ok {
			t.Errorf("%q: not parsed", tt.line)
			continue
		}
		if m.SenderID != tt.sender || m.ChatID != tt.chat || m.Text != tt.text || m.Group != tt.group ||
			m.Mentioned != tt.mention || m.Photo != tt.photo || m.Channel != Name || m.ID == "" {
			t.Errorf("%q: got %+v", tt.line, m)
		}
	}
	for _, bad := range []string{"no colon here", ": 没有名字", "@员工群: 谁"} {
		if _, ok := c.parse(bad); ok {
			t.Errorf("%q should not parse", bad)
		}
	}
}

func TestChoicesPrintAndMapNumbersBack(t *testing.T) {
	var out bytes.Buffer
	in := &inbox{}
	script := "张三: 报修\n\n# a comment\n张三: 2\n张三: 坏了的东西\n乱写一气\n"
	c := New(strings.NewReader(script), &out, nil)
	in.con = c
	in.echo = []bot.Reply{{Channel: Name, ChatID: "张三", Text: "哪一类？\n请选择", Choices: []bot.Choice{{Label: "水电", Value: "water"}, {Label: "门窗", Value: "door"}}}}
	if err := c.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(in.got) != 3 {
		t.Fatalf("delivered %d messages, want 3 (blank and comment lines skipped)", len(in.got))
	}
	if in.got[1].Choice != "door" {
		t.Errorf("number 2 should pick the second choice, got %q", in.got[1].Choice)
	}
	if in.got[2].Choice != "" {
		t.Errorf("free text picked a choice: %q", in.got[2].Choice)
	}
	want := "[张三] 哪一类？\n  请选择\n  1) 水电\n  2) 门窗\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to start with:\n%s", out.String(), want)
	}
	if !strings.Contains(out.String(), "[console] 请按「姓名: 内容」") {
		t.Errorf("a malformed line should get a hint:\n%s", out.String())
	}
}
