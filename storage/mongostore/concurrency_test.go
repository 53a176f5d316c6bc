package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/guanjia/guanjia"
)

func TestTicketNumbersConcurrent(t *testing.T) { forEachBackend(t, testTicketNumbersConcurrent) }

// testTicketNumbersConcurrent has 50 residents report at once: each gets a number of its own,
// and together they use 0001 to 0050 with none missing.
func testTicketNumbersConcurrent(t *testing.T, st *Store) {
	const n = 50
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	fileAtOnce(t, st, n, func(int) guanjia.Ticket { return newTicket("c1", guanjia.KindRepair, at) })
	list, err := st.ListTickets(context.Background(), TicketFilter{Community: "c1"})
	if err != nil || len(list) != n {
		t.Errorf("stored %d tickets, %v; want %d", len(list), err, n)
	}
	// The next one carries on from where they stopped.
	if tk := create(t, st, newTicket("c1", guanjia.KindRepair, at)); tk.No != "R20261126-0051" {
		t.Errorf("next number = %s, want R20261126-0051", tk.No)
	}
}

// fileAtOnce files n repair tickets of 26 November 2026 at once, the i-th being ticket(i),
// and fails the test unless they were numbered R20261126-0001 to n, each once.
func fileAtOnce(t *testing.T, st *Store, n int, ticket func(i int) guanjia.Ticket) {
	t.Helper()
	nos := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tk := ticket(i)
			errs[i] = st.CreateTicket(context.Background(), &tk)
			nos[i] = tk.No
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("create: %v", err)
	}
	slices.Sort(nos)
	for i, no := range nos {
		if want := fmt.Sprintf("R20261126-%04d", i+1); no != want {
			t.Fatalf("numbers given out: %v; want R20261126-0001 to -%04d, each once", nos, n)
		}
	}
}

func TestTicketUpdatesConcurrent(t *testing.T) { forEachBackend(t, testTicketUpdatesConcurrent) }

// testTicketUpdatesConcurrent checks optimistic locking under load: of writers racing from one
// version exactly one wins, and writers that retry on conflict lose no update.
func testTicketUpdatesConcurrent(t *testing.T, st *Store) {
	ctx := context.Background()
	const n = 20
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	tk := create(t, st, newTicket("c1", guanjia.KindRepair, at))

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			mine := tk
			mine.Timeline = append(slices.Clone(tk.Timeline), guanjia.Event{At: at, Action: guanjia.ActComment, Actor: fmt.Sprint(i)})
			errs[i] = st.UpdateTicket(ctx, &mine)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, guanjia.ErrConflict):
			t.Errorf("racing update: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d writers racing from version 1 won, want 1", won, n)
	}

	for i := range n {
		wg.Go(func() {
			for {
				cur, err := st.Ticket(ctx, "c1", tk.No)
				if err != nil {
					errs[i] = err
					return
				}
				cur.Timeline = append(cur.Timeline, guanjia.Event{At: at, Action: guanjia.ActComment, Actor: fmt.Sprintf("retry-%d", i)})
				err = st.UpdateTicket(ctx, &cur)
				if !errors.Is(err, guanjia.ErrConflict) {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("retrying updates: %v", err)
	}
	final, err := st.Ticket(ctx, "c1", tk.No)
	if err != nil {
		t.Fatal(err)
	}
	// The submit event, the one racing winner, and every retrying writer's comment.
	if final.Version != n+2 || len(final.Timeline) != n+2 {
		t.Errorf("after %d retrying writers: version %d with %d events, want %d and %d",
			n, final.Version, len(final.Timeline), n+2, n+2)
	}
}

func TestTicketStoredCopyBehind(t *testing.T) { forEachBackend(t, testTicketStoredCopyBehind) }

// testTicketStoredCopyBehind loses the refresh of the stored document after an update, as a
// crash would: reads still see the committed version, and a stale writer still conflicts.
func testTicketStoredCopyBehind(t *testing.T, st *Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	v1 := create(t, st, newTicket("c1", guanjia.KindRepair, at))
	v2 := v1
	must(t, v2.Apply(guanjia.ActAccept, guanjia.Event{At: at.Add(time.Minute), Actor: "p2"}))
	must(t, st.UpdateTicket(ctx, &v2))
	if _, err := st.tickets.ReplaceOne(ctx, bson.D{{Key: "_id", Value: v1.ID}}, v1); err != nil {
		t.Fatal(err)
	}

	got, err := st.Ticket(ctx, "c1", v1.No)
	check(t, "Ticket with the stored copy behind", got, err, utc(v2))
	stale := v1
	if err := st.UpdateTicket(ctx, &stale); !errors.Is(err, guanjia.ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	list, err := st.TicketsByNo(ctx, v1.No)
	check(t, "TicketsByNo with the stored copy behind", list, err, []guanjia.Ticket{utc(v2)})
}
