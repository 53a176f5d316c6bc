package mongostore

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// november is a moment of 2026-11 in the office's time zone.
var november = time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)

// sampleBills are the sample households' bills of 2026-11, worked out by hand from the
// sample rates (2.50/m², 300/space, 4.20/吨, 0.62/度) and readings.
func sampleBills() map[string][]guanjia.BillItem {
	return map[string][]guanjia.BillItem{
		"3-1-1201": { // 张三: 120.5 m², 12 吨, 188 度, one parking space = 768.21
			{Kind: guanjia.FeeProperty, QuantityCenti: 12050, Rate: 250, Amount: 30125},
			{Kind: guanjia.FeeWater, QuantityCenti: 1200, Rate: 420, Amount: 5040, Note: "1523.00 → 1535.00"},
			{Kind: guanjia.FeeElectricity, QuantityCenti: 18800, Rate: 62, Amount: 11656, Note: "17416.00 → 17604.00"},
			{Kind: guanjia.FeeParking, QuantityCenti: 100, Rate: 30000, Amount: 30000},
		},
		"2-2-502": { // 李四: 96.25 度 × 0.62 = 59.675, rounded half up to 59.68; total 317.58
			{Kind: guanjia.FeeProperty, QuantityCenti: 8930, Rate: 250, Amount: 22325},
			{Kind: guanjia.FeeWater, QuantityCenti: 825, Rate: 420, Amount: 3465, Note: "976.50 → 984.75"},
			{Kind: guanjia.FeeElectricity, QuantityCenti: 9625, Rate: 62, Amount: 5968, Note: "8892.50 → 8988.75"},
		},
		"1-1-101": { // 李奶奶: 60.40 度 × 0.62 = 37.448 → 37.45; total 246.35
			{Kind: guanjia.FeeProperty, QuantityCenti: 7600, Rate: 250, Amount: 19000},
			{Kind: guanjia.FeeWater, QuantityCenti: 450, Rate: 420, Amount: 1890, Note: "569.00 → 573.50"},
			{Kind: guanjia.FeeElectricity, QuantityCenti: 6040, Rate: 62, Amount: 3745, Note: "5752.80 → 5813.20"},
		},
	}
}

func TestBillsOfSampleHouseholds(t *testing.T) { forEachBackend(t, testBillsOfSampleHouseholds) }

// testBillsOfSampleHouseholds generates a month's bills twice: exact to the fen the first
// time, unchanged the second.
func testBillsOfSampleHouseholds(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	created, existing, err := st.GenerateBills(ctx, "2026-11", november)
	if err != nil || created != 3 || existing != 0 {
		t.Fatalf("GenerateBills = %d created, %d existing, %v; want 3, 0", created, existing, err)
	}
	totals := map[string]guanjia.Money{"3-1-1201": 76821, "2-2-502": 31758, "1-1-101": 24635}
	due := time.Date(2026, 12, 15, 0, 0, 0, 0, shanghai).UTC()
	first := map[string]guanjia.Bill{}
	c, err := st.Community(ctx, SampleCommunity)
	if err != nil {
		t.Fatal(err)
	}
	for home, items := range sampleBills() {
		b, err := st.Bill(ctx, SampleCommunity, home, "2026-11")
		want := guanjia.Bill{ID: guanjia.BillID(SampleCommunity, home, "2026-11"), Community: SampleCommunity,
			Household: home, Period: "2026-11", Items: items, Total: totals[home], Due: due, CreatedAt: november.UTC(),
			Rates: &c.Rates} // the rates it was made with, kept for corrections
		check(t, "bill of "+home, b, err, want)
		first[home] = b
	}

	created, existing, err = st.GenerateBills(ctx, "2026-11", november.Add(time.Hour))
	if err != nil || created != 0 || existing != 3 {
		t.Fatalf("GenerateBills again = %d created, %d existing, %v; want 0, 3", created, existing, err)
	}
	for home, want := range first {
		b, err := st.Bill(ctx, SampleCommunity, home, "2026-11")
		check(t, "bill of "+home+" after generating again", b, err, want)
	}
	if n := countOf(t, st.bills()); n != 3 {
		t.Errorf("%d bills after generating twice, want 3", n)
	}
	if _, err := st.Bill(ctx, SampleCommunity, "3-1-1201", "2026-10"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("bill of a period never generated: err = %v, want ErrNotFound", err)
	}
}

func TestBillsWithoutReadings(t *testing.T) { forEachBackend(t, testBillsWithoutReadings) }

// testBillsWithoutReadings bills a household whose meters were not read: property and parking
// only, and the run says which household it was.
func testBillsWithoutReadings(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	must(t, st.PutHousehold(ctx, guanjia.Household{Community: SampleCommunity, Code: "1-2-301", Building: 1,
		AreaCenti: 13200, ParkingSpaces: 2}))
	run, err := st.GenerateCommunityBills(ctx, SampleCommunity, "2026-11", november)
	want := BillRun{Community: SampleCommunity, Period: "2026-11", Created: 4, NoReadings: []string{"1-2-301"}}
	check(t, "GenerateCommunityBills", run, err, want)
	b, err := st.Bill(ctx, SampleCommunity, "1-2-301", "2026-11")
	check(t, "bill without readings", b.Items, err, []guanjia.BillItem{
		{Kind: guanjia.FeeProperty, QuantityCenti: 13200, Rate: 250, Amount: 33000},
		{Kind: guanjia.FeeParking, QuantityCenti: 200, Rate: 30000, Amount: 60000},
	})
	if b.Total != 93000 {
		t.Errorf("total = %s, want 930.00", b.Total)
	}
	// December: no household has readings yet, and the bill is due in the next year.
	if _, err := st.GenerateCommunityBills(ctx, SampleCommunity, "2026-12", november); !errors.Is(err, guanjia.ErrInvalid) {
		t.Errorf("bills of next month: err = %v, want ErrInvalid", err)
	}
	run, err = st.GenerateCommunityBills(ctx, SampleCommunity, "2026-12", november.AddDate(0, 1, 5))
	if err != nil || run.Created != 4 || len(run.NoReadings) != 4 {
		t.Errorf("December run = %+v, %v; want 4 created, all without readings", run, err)
	}
	b, err = st.Bill(ctx, SampleCommunity, "3-1-1201", "2026-12")
	if err != nil || !b.Due.Equal(time.Date(2027, 1, 15, 0, 0, 0, 0, shanghai)) || len(b.Items) != 2 {
		t.Errorf("December bill = %+v, %v; want property and parking, due 2027-01-15", b, err)
	}
}

func TestBillsConcurrent(t *testing.T) { forEachBackend(t, testBillsConcurrent) }

// testBillsConcurrent runs generation from several places at once: each bill is made once.
func testBillsConcurrent(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	var mu sync.Mutex
	var wg sync.WaitGroup
	created, existing := 0, 0
	for range 6 {
		wg.Go(func() {
			c, e, err := st.GenerateBills(ctx, "2026-11", november)
			if err != nil {
				t.Errorf("GenerateBills: %v", err)
			}
			mu.Lock()
			created, existing = created+c, existing+e
			mu.Unlock()
		})
	}
	wg.Wait()
	if created != 3 || existing != 15 || countOf(t, st.bills()) != 3 {
		t.Errorf("6 racing runs: %d created, %d existing, %d stored; want 3, 15, 3", created, existing, countOf(t, st.bills()))
	}
}

func TestFeeRates(t *testing.T) { forEachBackend(t, testFeeRates) }

func testFeeRates(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.PutCommunity(ctx, guanjia.Community{ID: "c1", Name: "东苑", Buildings: []int{1}}))
	must(t, st.PutHousehold(ctx, guanjia.Household{Community: "c1", Code: "1-1-101", Building: 1, AreaCenti: 10000}))
	if _, err := st.GenerateCommunityBills(ctx, "c1", "2026-11", november); !errors.Is(err, guanjia.ErrInvalid) {
		t.Errorf("bills of a community without rates: err = %v, want ErrInvalid", err)
	}
	if c, e, err := st.GenerateBills(ctx, "2026-11", november); err != nil || c != 0 || e != 0 {
		t.Errorf("GenerateBills over communities without rates = %d, %d, %v; want nothing done", c, e, err)
	}
	for _, bad := range []guanjia.Rates{{PropertyPerM2: -1}, {PropertyPerM2: 100, DueDay: 31}} {
		if err := st.SetRates(ctx, "c1", bad); !errors.Is(err, guanjia.ErrInvalid) {
			t.Errorf("SetRates(%+v): err = %v, want ErrInvalid", bad, err)
		}
	}
	if err := st.SetRates(ctx, "nowhere", guanjia.Rates{PropertyPerM2: 100}); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("SetRates of an unknown community: err = %v, want ErrNotFound", err)
	}
	must(t, st.SetRates(ctx, "c1", guanjia.Rates{PropertyPerM2: 195}))
	c, err := st.Community(ctx, "c1")
	check(t, "community after SetRates", c, err, guanjia.Community{ID: "c1", Name: "东苑", Buildings: []int{1},
		Rates: guanjia.Rates{PropertyPerM2: 195, DueDay: 15}})
	if _, err := st.GenerateCommunityBills(ctx, "c1", "2026-13", november); !errors.Is(err, guanjia.ErrInvalid) {
		t.Errorf("bills of period 2026-13: err = %v, want ErrInvalid", err)
	}
	run, err := st.GenerateCommunityBills(ctx, "c1", "2026-11", november)
	if err != nil || run.Created != 1 {
		t.Fatalf("run = %+v, %v", run, err)
	}
	// 100 m² at 1.95 with no meters and no parking rate.
	b, err := st.Bill(ctx, "c1", "1-1-101", "2026-11")
	if err != nil || b.Total != 19500 || len(b.Items) != 1 {
		t.Errorf("bill = %+v, %v; want one item of 195.00", b, err)
	}
}

func TestBillablePeriods(t *testing.T) { forEachBackend(t, testBillablePeriods) }

// testBillablePeriods generates bills at both ends of what may be billed — this month, and
// MaxBillAge months before it, in the office's time zone — and is refused one month beyond
// either end, making nothing.
func testBillablePeriods(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	// 20:00 UTC on the 30th is already 1 December in Shanghai.
	december := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now         time.Time
		first, last string
		refused     []string
	}{
		{november, "2025-11", "2026-11", []string{"2025-10", "2026-12", "1999-01"}},
		{december, "2025-12", "2026-12", []string{"2025-11", "2027-01"}},
	} {
		if first, last := st.BillablePeriods(c.now); first != c.first || last != c.last {
			t.Errorf("BillablePeriods(%v) = %s, %s; want %s, %s", c.now, first, last, c.first, c.last)
		}
		for _, period := range c.refused {
			run, err := st.GenerateCommunityBills(ctx, SampleCommunity, period, c.now)
			if !errors.Is(err, guanjia.ErrInvalid) || run.Created != 0 {
				t.Errorf("bills of %s at %v: %+v, %v; want ErrInvalid", period, c.now, run, err)
			}
		}
	}
	if n := countOf(t, st.bills()); n != 0 {
		t.Fatalf("%d bills after refused periods, want 0", n)
	}
	for _, c := range []struct {
		period string
		now    time.Time
	}{{"2025-11", november}, {"2026-11", november}, {"2025-12", december}, {"2026-12", december}} {
		if run, err := st.GenerateCommunityBills(ctx, SampleCommunity, c.period, c.now); err != nil || run.Created != 3 {
			t.Errorf("bills of %s at %v: %+v, %v; want 3 created", c.period, c.now, run, err)
		}
	}
}

// TestBillItemsRoundHalfUp checks the arithmetic on its own: quantities in hundredths times
// rates in fen, rounded half up to the fen.
func TestBillItemsRoundHalfUp(t *testing.T) {
	for _, c := range []struct {
		qty  int64
		rate guanjia.Money
		want guanjia.Money
	}{
		{12050, 250, 30125}, {9625, 62, 5968}, {1, 49, 0}, {1, 50, 1}, {3, 50, 2}, {0, 420, 0},
		{12345678, 99999, 12345554543},
	} {
		if got := timesCenti(c.qty, c.rate); got != c.want {
			t.Errorf("%d/100 × %d fen = %d fen, want %d", c.qty, c.rate, got, c.want)
		}
	}
	items := BillItems(guanjia.Rates{PropertyPerM2: 250, WaterPerUnit: 420}, guanjia.Household{AreaCenti: 100, ParkingSpaces: 1},
		[]Reading{{Kind: guanjia.FeeElectricity, PreviousCenti: 0, CurrentCenti: 100}, {Kind: guanjia.FeeWater, PreviousCenti: 100, CurrentCenti: 350}})
	want := []guanjia.BillItem{
		{Kind: guanjia.FeeProperty, QuantityCenti: 100, Rate: 250, Amount: 250},
		{Kind: guanjia.FeeWater, QuantityCenti: 250, Rate: 420, Amount: 1050, Note: "1.00 → 3.50"},
	}
	if !reflect.DeepEqual(items, want) {
		t.Errorf("items without electricity and parking rates:\n got %+v\nwant %+v", items, want)
	}
}

func countOf(t *testing.T, c *mongo.Collection) int64 {
	t.Helper()
	n, err := c.CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatalf("count %s: %v", c.Name(), err)
	}
	return n
}

// dump is every document of a collection, to tell whether something changed it.
func dump(t *testing.T, c *mongo.Collection) []bson.M {
	t.Helper()
	cur, err := c.Find(context.Background(), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatalf("dump %s: %v", c.Name(), err)
	}
	var docs []bson.M
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatalf("dump %s: %v", c.Name(), err)
	}
	return docs
}

func TestCorrectBill(t *testing.T) { forEachBackend(t, testCorrectBill) }

// testCorrectBill bills 张三 before his readings are in, then corrects the bill once they are:
// water and electricity are added, the due date stays, the old total is noted, and what he
// owes follows. Correcting again changes nothing.
func testCorrectBill(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	// November's readings came late: take them away before the bills are made.
	if _, err := st.readings().DeleteMany(ctx, bson.D{{Key: "household", Value: "3-1-1201"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GenerateBills(ctx, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	first, err := st.Bill(ctx, SampleCommunity, "3-1-1201", "2026-11")
	if err != nil || first.Total != 60125 {
		t.Fatalf("bill without readings: %+v, %v; want 601.25 (property fee and parking)", first, err)
	}
	must(t, st.SeedAt(ctx, november)) // the readings arrive
	later := november.Add(48 * time.Hour)
	before, after, err := st.CorrectBill(ctx, SampleCommunity, "3-1-1201", "2026-11", later, false)
	if err != nil {
		t.Fatal(err)
	}
	if before.Total != 60125 || after.Total != 76821 || len(after.Items) != 4 || !after.Due.Equal(first.Due) {
		t.Errorf("corrected %s → %s with %d items, due %v; want 601.25 → 768.21, 4 items, due %v",
			before.Total, after.Total, len(after.Items), after.Due, first.Due)
	}
	want := []guanjia.BillCorrection{{At: later.UTC(), PreviousTotal: 60125}}
	stored, err := st.Bill(ctx, SampleCommunity, "3-1-1201", "2026-11")
	if err != nil || stored.Total != 76821 || !reflect.DeepEqual(stored.Corrections, want) {
		t.Errorf("stored bill %+v, %v; want total 768.21 and corrections %+v", stored, err, want)
	}
	if a, err := st.Arrears(ctx, SampleCommunity, "3-1-1201"); err != nil || len(a) != 1 || a[0].Owed != 76821 {
		t.Errorf("arrears after the correction: %+v, %v", a, err)
	}
	again, same, err := st.CorrectBill(ctx, SampleCommunity, "3-1-1201", "2026-11", later.Add(time.Hour), false)
	if err != nil || !reflect.DeepEqual(again, same) || len(same.Corrections) != 1 {
		t.Errorf("correcting an unchanged bill: %+v → %+v, %v; want it left alone", again, same, err)
	}
	if _, _, err := st.CorrectBill(ctx, SampleCommunity, "3-1-1201", "2026-09", later, false); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("correcting a bill never made: err = %v, want ErrNotFound", err)
	}
}

func TestCorrectBillKeepsItsRates(t *testing.T) { forEachBackend(t, testCorrectBillKeepsItsRates) }

// testCorrectBillKeepsItsRates changes the rates after 李四's bill was made, then fixes his
// water reading: the corrected bill prices it at the rates the bill was made with; only when
// asked does it use today's.
func testCorrectBillKeepsItsRates(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, _, err := st.GenerateBills(ctx, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	first, err := st.Bill(ctx, SampleCommunity, "2-2-502", "2026-11")
	if err != nil || first.Total != 31758 {
		t.Fatalf("bill: %+v, %v; want 317.58", first, err)
	}
	c, err := st.Community(ctx, SampleCommunity)
	if err != nil {
		t.Fatal(err)
	}
	old := c.Rates
	raised := old
	raised.PropertyPerM2 += 30 // 0.30 yuan more per m²
	raised.WaterPerUnit += 50
	must(t, st.SetRates(ctx, SampleCommunity, raised))
	meters, err := st.Readings(ctx, SampleCommunity, "2-2-502", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meters {
		if m.Kind == guanjia.FeeWater {
			m.CurrentCenti -= 100 // one 吨 less: the reading was mistyped
			must(t, st.PutReading(ctx, m))
		}
	}
	_, kept, err := st.CorrectBill(ctx, SampleCommunity, "2-2-502", "2026-11", november.Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := first.Total - old.WaterPerUnit; kept.Total != want {
		t.Errorf("corrected at the bill's rates: %s, want %s (one 吨 less at the old rate)", kept.Total, want)
	}
	if kept.Rates == nil || *kept.Rates != old {
		t.Errorf("the corrected bill keeps the rates %+v, want %+v", kept.Rates, old)
	}
	_, current, err := st.CorrectBill(ctx, SampleCommunity, "2-2-502", "2026-11", november.Add(2*time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	if current.Total <= kept.Total || !current.Corrections[len(current.Corrections)-1].CurrentRates {
		t.Errorf("asked for today's rates: %s (corrections %+v), want more than %s and marked", current.Total, current.Corrections, kept.Total)
	}
}

// A bill made before bills kept their rates is priced with its items' rates.
func TestRatesOfOldBill(t *testing.T) {
	b := guanjia.Bill{Items: []guanjia.BillItem{{Kind: guanjia.FeeProperty, Rate: 250}, {Kind: guanjia.FeeWater, Rate: 420}}}
	got := guanjia.RatesOf(b, guanjia.Rates{PropertyPerM2: 280, WaterPerUnit: 470, ElectricityPerUnit: 62, DueDay: 15})
	want := guanjia.Rates{PropertyPerM2: 250, WaterPerUnit: 420, ElectricityPerUnit: 62, DueDay: 15}
	if got != want {
		t.Errorf("rates = %+v, want %+v", got, want)
	}
}
