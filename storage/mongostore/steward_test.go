package mongostore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/redisstate/redistest"
)

// A steward is on one patrol at a time, however many starts arrive at once; ending it frees
// them for the next.
func TestStartPatrolOnce(t *testing.T) {
	st := openTestStore(t, ferretURI)
	st.SetSequencer(redistest.Store(t))
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var started, refused int
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := guanjia.Patrol{Community: "sample", Steward: "p-wang", StewardName: "王管家", Route: "楼道",
				Points: []guanjia.PatrolPoint{{Name: "楼梯间"}}, StartedAt: at}
			err := st.StartPatrol(ctx, &p)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				started++
			case errors.Is(err, guanjia.ErrConflict):
				refused++
			default:
				t.Errorf("start: %v", err)
			}
		}()
	}
	wg.Wait()
	if started != 1 || refused != 4 {
		t.Fatalf("started %d, refused %d; want 1 and 4", started, refused)
	}
	p, err := st.ActivePatrol(ctx, "p-wang")
	if err != nil {
		t.Fatal(err)
	}
	p.EndedAt = at.Add(time.Hour)
	if err := st.SavePatrol(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ActivePatrol(ctx, "p-wang"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("after the end: %v, want not found", err)
	}
	next := guanjia.Patrol{Community: "sample", Steward: "p-wang", Route: "电梯", StartedAt: at.Add(2 * time.Hour)}
	if err := st.StartPatrol(ctx, &next); err != nil || next.No == p.No {
		t.Fatalf("next patrol: %v, %s after %s", err, next.No, p.No)
	}
	list, err := st.Patrols(ctx, "sample", 0)
	if err != nil || len(list) != 2 || list[0].No != next.No {
		t.Fatalf("patrols = %+v, %v", list, err)
	}
}

// A handover keeps both confirmations.
func TestHandoverConfirmations(t *testing.T) {
	st := openTestStore(t, ferretURI)
	st.SetSequencer(redistest.Store(t))
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	h := guanjia.Handover{Community: "sample", From: "p-wang", FromName: "王管家", To: "p-sun", ToName: "孙管家", At: at,
		Items: []guanjia.HandoverItem{{Ticket: "R20261126-0001", Summary: "R20261126-0001 漏水", Reason: "等配件"}}}
	if err := st.CreateHandover(ctx, &h); err != nil || h.No != "J20261126-0001" {
		t.Fatalf("create: %v, %s", err, h.No)
	}
	h.Items[0].ConfirmedAt, h.ConfirmedAt = at.Add(10*time.Minute), at.Add(10*time.Minute)
	if err := st.SaveHandover(ctx, h); err != nil {
		t.Fatal(err)
	}
	got, err := st.Handover(ctx, "sample", h.No)
	if err != nil || !got.At.Equal(at) || !got.ConfirmedAt.Equal(at.Add(10*time.Minute)) || got.Items[0].ConfirmedAt.IsZero() {
		t.Fatalf("handover = %+v, %v", got, err)
	}
}

// Stewards' buildings and shift starts come from a staff import too; a file with a bad row
// changes nothing, and a resident is never made staff by name.
func TestImportStaff(t *testing.T) {
	st := openTestStore(t, ferretURI)
	ctx := context.Background()
	if err := st.SeedAt(ctx, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	bad := "name,roles,buildings,shift_start\n周管家,管家,\"1,9\",7:30\n李奶奶,steward,1,08:00\n"
	_, err := st.ImportStaff(ctx, SampleCommunity, strings.NewReader(bad))
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 2 || !strings.Contains(ie.Rows[0].Reason, "9") || !strings.Contains(ie.Rows[1].Reason, "shift_start") {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := st.PersonByName(ctx, SampleCommunity, "周管家"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Fatalf("a bad file imported 周管家: %v", err)
	}
	good := "name,roles,phone,buildings,shift_start\n王管家,管家,13600000001,\"1,2\",08:00\n周管家,steward,,3,14:30\n"
	if n, err := st.ImportStaff(ctx, SampleCommunity, strings.NewReader(good)); err != nil || n != 2 {
		t.Fatalf("import: %d, %v", n, err)
	}
	wang, err := st.Person(ctx, "p-wang")
	if err != nil || !slices.Equal(wang.Buildings, []int{1, 2}) || wang.ShiftStart != "08:00" || !wang.Has(guanjia.RoleSteward) {
		t.Fatalf("王管家 = %+v, %v", wang, err)
	}
	zhou, err := st.PersonByName(ctx, SampleCommunity, "周管家")
	if err != nil || !slices.Equal(zhou.Buildings, []int{3}) || zhou.ShiftStart != "14:30" {
		t.Fatalf("周管家 = %+v, %v", zhou, err)
	}
	grandma, err := st.Person(ctx, "p-linainai")
	if err != nil || grandma.IsStaff() {
		t.Fatalf("李奶奶 = %+v, %v", grandma, err)
	}
	// Another community's staff file naming 王管家's id must not take his record over.
	must(t, st.PutCommunity(ctx, guanjia.Community{ID: "c2", Name: "西苑", Buildings: []int{1}}))
	_, err = st.ImportStaff(ctx, "c2", strings.NewReader("id,name,roles,phone\np-wang,钱师傅,worker,13900000009\n"))
	if !errors.As(err, &ie) || len(ie.Rows) != 1 || !strings.Contains(ie.Rows[0].Reason, "其他小区") {
		t.Fatalf("an id of another community: %v", err)
	}
	if wang, err := st.Person(ctx, "p-wang"); err != nil || wang.Community != SampleCommunity || wang.Name != "王管家" || wang.Phone != "13600000001" {
		t.Fatalf("王管家 after another community's import = %+v, %v", wang, err)
	}
}
