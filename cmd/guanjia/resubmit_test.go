package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// TestConfirmationHandledTwiceFilesOnce confirms a repair a second time from the same point
// of the conversation — as after a crash between saving the ticket and ending the
// conversation, when the message is handled again — and gets the same ticket, not a new one.
func TestConfirmationHandledTwiceFilesOnce(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	ctx := context.Background()
	app.say(t, "张三: 报修", "张三: 1", "张三: 1", "张三: 厨房水龙头一直滴水", "张三: 跳过", "张三: 1")
	key := guanjia.SessionKey{Channel: "console", Chat: "张三", Person: "张三"}
	asked, err := app.State.Load(ctx, key)
	if err != nil || asked.Step != "confirm" {
		t.Fatalf("conversation before the confirmation: %+v, %v\n%s", asked, err, out.String())
	}
	app.say(t, "张三: 1")
	// The crash: the conversation is as it was when the confirmation came.
	if err := app.State.Save(ctx, asked); err != nil {
		t.Fatal(err)
	}
	app.say(t, "张三: 1")

	var nos []string
	for _, m := range ticketNoRe.FindAllStringSubmatch(out.String(), -1) {
		nos = append(nos, m[1])
	}
	if len(nos) != 2 || nos[0] != nos[1] {
		t.Errorf("ticket numbers told: %v; want the same one twice\n%s", nos, out.String())
	}
	list, err := app.Store.TicketsByReporter(ctx, mongostore.SampleCommunity, "p-zhangsan", 0)
	if err != nil || len(list) != 1 {
		t.Errorf("张三's tickets: %d, %v; want 1", len(list), err)
	}
}
