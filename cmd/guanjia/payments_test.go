package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// lockedBuffer is a bytes.Buffer safe for the writers of concurrent conversations.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTwoStewardsRecordOneBill has 王管家 and 赵主管 record 李四's November bill at the same
// moment, each in private: one payment is recorded and 李四 thanked once; the other is told
// the bill is already paid.
func TestTwoStewardsRecordOneBill(t *testing.T) {
	clk := newClock()
	var out lockedBuffer
	app := openTestApp(t, testConfig(t), clk, &out)
	ctx := context.Background()
	if _, err := app.Store.GenerateCommunityBills(ctx, mongostore.SampleCommunity, "2026-11", clk.Now()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, who := range []string{"王管家", "赵主管"} {
		wg.Go(func() {
			if err := app.con.Line(ctx, app.Mux, who+": 收费 2-2-502 2026-11 317.58"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	pays, err := app.Store.Payments(ctx, mongostore.SampleCommunity, "2-2-502")
	if err := app.Close(); err != nil {
		t.Error(err)
	}
	text := out.String()
	if err != nil || len(pays) != 1 {
		t.Errorf("payments stored: %d, %v; want 1\n%s", len(pays), err, text)
	}
	if n := strings.Count(text, "已记录收费：2-2-502"); n != 1 {
		t.Errorf("%d stewards told it was recorded, want 1:\n%s", n, text)
	}
	if n := strings.Count(text, "已经缴清"); n != 1 {
		t.Errorf("%d stewards told it was already paid, want 1:\n%s", n, text)
	}
	if n := strings.Count(text, "[李四] 已收到您"); n != 1 {
		t.Errorf("李四 thanked %d times, want once:\n%s", n, text)
	}
}

// TestTicketDetailsWithoutEscapes shows a ticket whose reporter's name and description carry
// terminal escape sequences (as names imported before imports dropped them did): tickets show
// and the tickets list print only their visible characters.
func TestTicketDetailsWithoutEscapes(t *testing.T) {
	cfg, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	st := openFeeStore(t, cfg)
	at := newClock().Now()
	tk := guanjia.Ticket{Kind: guanjia.KindRepair, Community: mongostore.SampleCommunity, Status: guanjia.StatusSubmitted,
		Reporter: "p-zhangsan", ReporterName: "张\x1b]0;owned\x07三", Address: "3-1-1201", Building: 3, Category: "water_electric",
		Description: "厨房\x1b[2J漏水", Urgency: guanjia.UrgencyNormal, CreatedAt: at, UpdatedAt: at,
		Timeline: []guanjia.Event{{At: at, Action: guanjia.ActSubmit, Actor: "p-zhangsan", ActorName: "张\x1b[8m三"}}}
	if err := st.CreateTicket(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	show := runCmd(t, getenv, "", "tickets", "show", tk.No)
	list := runCmd(t, getenv, "", "tickets")
	for what, text := range map[string]string{"tickets show": show, "tickets": list} {
		if strings.ContainsAny(text, "\x1b\x07") {
			t.Errorf("%s prints control characters: %q", what, text)
		}
	}
	mustContain(t, "tickets show", show, "厨房[2J漏水", "张]0;owned三")
}
