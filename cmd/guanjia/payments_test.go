package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

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
