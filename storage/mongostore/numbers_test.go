package mongostore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
)

// memSequencer is a sequencer that can lose its counters, as a Redis without persistence
// does when it restarts. It counts the numbers it handed out.
type memSequencer struct {
	mu     sync.Mutex
	seqs   map[string]int64
	handed int
}

func (m *memSequencer) NextSeq(ctx context.Context, key string, floor func(context.Context) (int64, error)) (int64, error) {
	m.mu.Lock()
	_, ok := m.seqs[key]
	m.mu.Unlock()
	if !ok {
		f, err := floor(ctx)
		if err != nil {
			return 0, err
		}
		return m.RaiseSeq(ctx, key, f)
	}
	return m.RaiseSeq(ctx, key, 0)
}

func (m *memSequencer) RaiseSeq(_ context.Context, key string, floor int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seqs[key] = max(m.seqs[key], floor) + 1
	m.handed++
	return m.seqs[key], nil
}

func (m *memSequencer) lose() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seqs = map[string]int64{}
}

func TestTicketNumbersFromSequencer(t *testing.T) {
	forEachBackend(t, testTicketNumbersFromSequencer)
}

// testTicketNumbersFromSequencer has 50 residents report at once with numbers from the
// sequencer: each number is taken in one step (50 handed out for 50 tickets), and when the
// sequencer loses its counter the next ticket continues above the highest filed, never
// reusing one.
func testTicketNumbersFromSequencer(t *testing.T, st *Store) {
	seq := &memSequencer{seqs: map[string]int64{}}
	st.SetSequencer(seq)
	const n = 50
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	fileAtOnce(t, st, n, func(i int) guanjia.Ticket {
		tk := newTicket("c1", guanjia.KindRepair, at)
		tk.Submission = fmt.Sprint("s", i)
		return tk
	})
	if seq.handed != n {
		t.Errorf("%d numbers taken for %d tickets, want one each", seq.handed, n)
	}
	seq.lose()
	if tk := create(t, st, newTicket("c1", guanjia.KindRepair, at)); tk.No != "R20261126-0051" {
		t.Errorf("after the counter was lost: %s, want R20261126-0051", tk.No)
	}
	// A sequencer behind the records (restored from an old copy) meets the taken numbers and
	// moves on above them.
	seq.mu.Lock()
	seq.seqs["ticket/c1/R20261126"] = 10
	seq.mu.Unlock()
	if tk := create(t, st, newTicket("c1", guanjia.KindRepair, at)); tk.No != "R20261126-0052" {
		t.Errorf("with the counter behind: %s, want R20261126-0052", tk.No)
	}
}

func TestSubmissionClaimedNotFiled(t *testing.T) { forEachBackend(t, testSubmissionClaimedNotFiled) }

// testSubmissionClaimedNotFiled is the crash between claiming a submission and filing its
// ticket: handled again, the submission files under the number it claimed, once.
func testSubmissionClaimedNotFiled(t *testing.T, st *Store) {
	ctx := context.Background()
	st.SetSequencer(&memSequencer{seqs: map[string]int64{}})
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	if _, err := st.submissions().InsertOne(ctx, submission{ID: submissionID("c1", "sub-1"), No: "R20261126-0007"}); err != nil {
		t.Fatal(err)
	}
	tk := newTicket("c1", guanjia.KindRepair, at)
	tk.Submission = "sub-1"
	first := create(t, st, tk)
	again := create(t, st, tk)
	if first.No != "R20261126-0007" || again.No != first.No {
		t.Errorf("filed as %s, then %s; want R20261126-0007 both times", first.No, again.No)
	}
	list, err := st.ListTickets(ctx, TicketFilter{Community: "c1"})
	if err != nil || len(list) != 1 {
		t.Errorf("%d tickets, %v; want 1", len(list), err)
	}
	// A claim whose number another ticket holds is moved to a free one.
	other := newTicket("c1", guanjia.KindRepair, at)
	other.Submission = "sub-2"
	if _, err := st.submissions().InsertOne(ctx, submission{ID: submissionID("c1", "sub-2"), No: "R20261126-0007"}); err != nil {
		t.Fatal(err)
	}
	if got := create(t, st, other); got.No == first.No || got.Submission != "sub-2" {
		t.Errorf("second submission filed as %s (%s), want a number of its own", got.No, got.Submission)
	}
}
