package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// newEvent saves an event of the sample community open for sign-ups, on the app's stores.
func newEvent(t testing.TB, a *App, capacity int, now time.Time) guanjia.Activity {
	t.Helper()
	ev := guanjia.Activity{Community: mongostore.SampleCommunity, Title: "露天电影", Place: "中心花园", Capacity: capacity,
		Start: now.Add(48 * time.Hour), Deadline: now.Add(24 * time.Hour), InviteAt: now, CreatedBy: "p-wang", CreatedAt: now}
	if err := a.Store.CreateEvent(context.Background(), &ev); err != nil {
		t.Fatalf("create event: %v", err)
	}
	return ev
}

// signUp signs a home up as the chat does: arrival from one Redis count, seats hinted by another.
func signUp(ctx context.Context, a *App, ev guanjia.Activity, household string, at time.Time) (guanjia.SignUp, error) {
	seq, err := a.State.CountAttempt(ctx, "event-arrival:"+ev.ID, time.Hour)
	if err != nil {
		return guanjia.SignUp{}, err
	}
	hint := func(ctx context.Context) (int64, error) {
		return a.State.CountAttempt(ctx, "event-seat:"+ev.ID, time.Hour)
	}
	su, _, err := a.Store.JoinEvent(ctx, ev, guanjia.SignUp{Household: household, Person: "p-" + household, Heads: 1, At: at, Seq: seq}, hint)
	return su, err
}

// 200 homes signing up for 50 places at the same moment, on real Redis and the embedded
// store: exactly 50 are confirmed and 150 wait in order of arrival; ten cancellations at once
// promote exactly the first ten waiting, and no seat is ever held twice.
func TestSignUpsAtOnceNeverOverbook(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer func() { _ = app.Close() }()
	ctx := context.Background()
	ev := newEvent(t, app.App, 50, clk.Now())
	const homes = 200
	start := make(chan struct{})
	errs := make(chan error, homes)
	var wg sync.WaitGroup
	for i := range homes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := signUp(ctx, app.App, ev, fmt.Sprintf("9-1-%d", 1000+i), clk.Now())
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("sign up: %v", err)
		}
	}
	check := func(wantConfirmed, wantWaiting int) []guanjia.SignUp {
		t.Helper()
		list, err := app.Store.SignUps(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		confirmed, waiting := 0, 0
		var last int64
		for _, su := range list {
			if su.Seq <= last {
				t.Fatalf("sign-ups not in order of arrival: %d after %d", su.Seq, last)
			}
			last = su.Seq
			if su.Confirmed {
				confirmed++
			} else {
				waiting++
			}
		}
		if confirmed != wantConfirmed || waiting != wantWaiting {
			t.Fatalf("confirmed %d, waiting %d; want %d and %d", confirmed, waiting, wantConfirmed, wantWaiting)
		}
		free, err := app.Store.Collection("event_seats").CountDocuments(ctx, bson.D{{Key: "_id", Value: bson.D{
			{Key: "$gte", Value: ev.ID + "/seat-"}, {Key: "$lt", Value: ev.ID + "/seat-\uffff"}}}})
		if err != nil || free != int64(wantConfirmed) {
			t.Fatalf("seats held = %d (%v), want %d", free, err, wantConfirmed)
		}
		return list
	}
	list := check(50, 150)
	var cancel, firstWaiting []string
	for _, su := range list {
		if su.Confirmed && len(cancel) < 10 {
			cancel = append(cancel, su.Household)
		}
		if !su.Confirmed && len(firstWaiting) < 10 {
			firstWaiting = append(firstWaiting, su.Household)
		}
	}
	var promoted sync.Map
	for _, h := range cancel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := app.Store.LeaveEvent(ctx, ev, h); err != nil {
				t.Errorf("leave %s: %v", h, err)
				return
			}
			got, err := app.Store.PromoteWaiting(ctx, ev)
			if err != nil {
				t.Errorf("promote: %v", err)
			}
			for _, su := range got {
				if _, twice := promoted.LoadOrStore(su.Household, true); twice {
					t.Errorf("%s promoted twice", su.Household)
				}
			}
		}()
	}
	wg.Wait()
	list = check(50, 140)
	for _, h := range firstWaiting {
		if _, ok := promoted.Load(h); !ok {
			t.Errorf("%s, among the first ten waiting, was not promoted", h)
		}
	}
	for _, su := range list {
		if _, ok := promoted.Load(su.Household); ok && !su.Confirmed {
			t.Errorf("%s told promoted but not confirmed", su.Household)
		}
	}
}

// BenchmarkSignUps measures sign-ups per second with places for all, four at a time, on real
// Redis and the embedded store.
func BenchmarkSignUps(b *testing.B) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(b, testConfig(b), clk, &out)
	defer func() { _ = app.Close() }()
	ctx := context.Background()
	ev := newEvent(b, app.App, guanjia.MaxEventCapacity, clk.Now())
	var n atomic.Int64
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := signUp(ctx, app.App, ev, fmt.Sprintf("9-1-%d", n.Add(1)), clk.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signups/s")
}

// A reminder goes only to private chats that still reach the resident: one marked unreachable
// (the bot blocked, the friend deleted) is left out, as fee reminders leave it out.
func TestEventRemindersSkipUnreachableChats(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer func() { _ = app.Close() }()
	ctx := context.Background()
	ev := newEvent(t, app.App, 10, clk.Now())
	app.say(t, "张三: 报名 "+ev.No, "李四: 报名 "+ev.No)
	if err := app.Store.MarkChatUnreachable(ctx, mongostore.SampleChannel, "张三", "bot blocked"); err != nil {
		t.Fatal(err)
	}
	from := out.Len()
	if _, ran, err := app.Scheduler.RunAt(ctx, "events", ev.Start.Add(-23*time.Hour)); err != nil || !ran {
		t.Fatalf("events job: %v, %v", ran, err)
	}
	waitDelivered(t, app)
	got := out.String()[from:]
	if !strings.Contains(got, "[李四] 活动提醒") {
		t.Errorf("李四 was not reminded:\n%s", got)
	}
	if strings.Contains(got, "[张三]") {
		t.Errorf("a reminder was sent to 张三's unreachable chat:\n%s", got)
	}
}
