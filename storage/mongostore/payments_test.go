package mongostore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/guanjia/guanjia"
)

func TestPaymentsAndArrears(t *testing.T) { forEachBackend(t, testPaymentsAndArrears) }

// testPaymentsAndArrears bills 张三 for October and November and pays bit by bit: arrears
// list what is owed by period, oldest first, and shrink with each payment.
func testPaymentsAndArrears(t *testing.T, st *Store) {
	ctx := context.Background()
	october := november.AddDate(0, -1, 0)
	must(t, st.SeedAt(ctx, october))
	must(t, st.SeedAt(ctx, november))
	for _, p := range []string{"2026-10", "2026-11"} {
		if _, _, err := st.GenerateBills(ctx, p, november); err != nil {
			t.Fatal(err)
		}
	}
	oct, nov := time.Date(2026, 11, 15, 0, 0, 0, 0, shanghai).UTC(), time.Date(2026, 12, 15, 0, 0, 0, 0, shanghai).UTC()
	arrears := func(what string, want ...guanjia.Arrear) {
		t.Helper()
		if want == nil {
			want = []guanjia.Arrear{}
		}
		got, err := st.Arrears(ctx, SampleCommunity, "3-1-1201")
		check(t, what, got, err, want)
	}
	arrears("arrears before paying",
		guanjia.Arrear{Period: "2026-10", Billed: 76821, Owed: 76821, Due: oct},
		guanjia.Arrear{Period: "2026-11", Billed: 76821, Owed: 76821, Due: nov})

	pay := guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-10", Amount: 76821,
		At: november, By: "p-wang", Ref: "R-1001"}
	must(t, st.RecordPayment(ctx, pay))
	arrears("arrears after paying October",
		guanjia.Arrear{Period: "2026-11", Billed: 76821, Owed: 76821, Due: nov})
	must(t, st.RecordPayment(ctx, pay)) // the same receipt again: nothing more is paid
	arrears("arrears after recording the receipt twice",
		guanjia.Arrear{Period: "2026-11", Billed: 76821, Owed: 76821, Due: nov})
	again := pay
	again.Amount = 100
	if err := st.RecordPayment(ctx, again); !errors.Is(err, guanjia.ErrConflict) {
		t.Errorf("another amount under a used receipt: err = %v, want ErrConflict", err)
	}

	part := guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11", Amount: 30000, At: november, By: "p-wang"}
	must(t, st.RecordPayment(ctx, part))
	must(t, st.RecordPayment(ctx, part)) // no receipt: two payments of 300.00
	arrears("arrears after paying 600.00 of November",
		guanjia.Arrear{Period: "2026-11", Billed: 76821, Paid: 60000, Owed: 16821, Due: nov})
	part.Amount = 20000 // more than the 168.21 still owed: refused
	var refused *guanjia.PaymentError
	if err := st.RecordPayment(ctx, part); !errors.As(err, &refused) || refused.Reason != guanjia.PaymentTooMuch || refused.Owed != 16821 {
		t.Errorf("paying 200.00 of 168.21 owed: err = %v, want PaymentTooMuch owing 168.21", err)
	}
	part.Amount = 16821
	must(t, st.RecordPayment(ctx, part))
	arrears("arrears after paying the rest")
	part.Amount = 100
	if err := st.RecordPayment(ctx, part); !errors.As(err, &refused) || refused.Reason != guanjia.PaymentAlreadyPaid ||
		!errors.Is(err, guanjia.ErrConflict) {
		t.Errorf("paying a bill paid in full: err = %v, want PaymentAlreadyPaid", err)
	}
	pays, err := st.Payments(ctx, SampleCommunity, "3-1-1201")
	if err != nil || len(pays) != 4 || pays[0].ID != PaymentID(SampleCommunity, "3-1-1201", "2026-10", "R-1001") {
		t.Errorf("payments = %+v, %v; want 4, the receipt's under its PaymentID", pays, err)
	}

	// 李四 still owes both months.
	got, err := st.Arrears(ctx, SampleCommunity, "2-2-502")
	if err != nil || len(got) != 2 || got[0].Period != "2026-10" || got[1].Owed != 31758 {
		t.Errorf("李四's arrears = %+v, %v", got, err)
	}
	if _, err := st.Arrears(ctx, SampleCommunity, "9-9-999"); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("arrears of an unknown household: err = %v, want ErrNotFound", err)
	}
}

func TestPaymentRefused(t *testing.T) { forEachBackend(t, testPaymentRefused) }

func testPaymentRefused(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, _, err := st.GenerateBills(ctx, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	ok := guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11", Amount: 100, At: november}
	for what, c := range map[string]struct {
		change func(*guanjia.Payment)
		want   error
	}{
		"period too far ahead": {func(p *guanjia.Payment) { p.Period = "2027-12" }, guanjia.ErrInvalid},
		"unknown household":    {func(p *guanjia.Payment) { p.Household = "9-9-999" }, guanjia.ErrNotFound},
		"zero amount":          {func(p *guanjia.Payment) { p.Amount = 0 }, guanjia.ErrInvalid},
		"negative amount":      {func(p *guanjia.Payment) { p.Amount = -5 }, guanjia.ErrInvalid},
		"bad period":           {func(p *guanjia.Payment) { p.Period = "11/2026" }, guanjia.ErrInvalid},
		"no time":              {func(p *guanjia.Payment) { p.At = time.Time{} }, guanjia.ErrInvalid},
	} {
		p := ok
		c.change(&p)
		if err := st.RecordPayment(ctx, p); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", what, err, c.want)
		}
	}
	if n := countOf(t, st.payments()); n != 0 {
		t.Errorf("%d payments stored after refusals", n)
	}
}

func TestReadings(t *testing.T) { forEachBackend(t, testReadings) }

func testReadings(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	got, err := st.Readings(ctx, SampleCommunity, "3-1-1201", "2026-11")
	check(t, "seeded readings", got, err, []Reading{
		{ID: "sample:3-1-1201:2026-11:water", Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11",
			Kind: guanjia.FeeWater, PreviousCenti: 152300, CurrentCenti: 153500},
		{ID: "sample:3-1-1201:2026-11:electricity", Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11",
			Kind: guanjia.FeeElectricity, PreviousCenti: 1741600, CurrentCenti: 1760400},
	})
	// The sample meters follow on: October ends where November starts.
	oct := sampleReadings(november.AddDate(0, -1, 0))
	if oct[0].CurrentCenti != 152300 || oct[0].Period != "2026-10" {
		t.Errorf("October's water reading of 3-1-1201 = %+v", oct[0])
	}

	r := Reading{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11", Kind: guanjia.FeeWater,
		PreviousCenti: 152300, CurrentCenti: 154000}
	must(t, st.PutReading(ctx, r))
	got, err = st.Readings(ctx, SampleCommunity, "3-1-1201", "2026-11")
	if err != nil || len(got) != 2 || got[0].CurrentCenti != 154000 {
		t.Errorf("after replacing the water reading: %+v, %v", got, err)
	}
	for what, c := range map[string]struct {
		change func(*Reading)
		want   error
	}{
		"meter ran backwards": {func(r *Reading) { r.CurrentCenti = 100 }, guanjia.ErrInvalid},
		"gas meter":           {func(r *Reading) { r.Kind = "gas" }, guanjia.ErrInvalid},
		"bad period":          {func(r *Reading) { r.Period = "2026-1" }, guanjia.ErrInvalid},
		"unknown household":   {func(r *Reading) { r.Household = "9-9-999" }, guanjia.ErrNotFound},
		"id not its key":      {func(r *Reading) { r.ID = "x" }, guanjia.ErrInvalid},
	} {
		bad := r
		c.change(&bad)
		if err := st.PutReading(ctx, bad); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", what, err, c.want)
		}
	}
	got, err = st.Readings(ctx, SampleCommunity, "3-1-1201", "2026-12")
	check(t, "readings of a month not read", got, err, []Reading{})
}

func TestPaymentAheadOfItsBill(t *testing.T) { forEachBackend(t, testPaymentAheadOfItsBill) }

// testPaymentAheadOfItsBill pays December before its bill exists: nothing is owed for it
// until the bill is generated, and then only what the payment leaves.
func testPaymentAheadOfItsBill(t *testing.T, st *Store) {
	ctx := context.Background()
	december := november.AddDate(0, 1, 0)
	must(t, st.SeedAt(ctx, december))
	early := guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-12", Amount: 50000,
		At: november, By: "p-wang", Ref: "WX-EARLY"}
	must(t, st.RecordPayment(ctx, early))
	if got, err := st.Arrears(ctx, SampleCommunity, "3-1-1201"); err != nil || len(got) != 0 {
		t.Fatalf("arrears before December is billed = %+v, %v; want none", got, err)
	}
	if _, _, err := st.GenerateBills(ctx, "2026-12", december); err != nil {
		t.Fatal(err)
	}
	bill, err := st.Bill(ctx, SampleCommunity, "3-1-1201", "2026-12")
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Arrears(ctx, SampleCommunity, "3-1-1201")
	if err != nil || len(got) != 1 || got[0].Paid != 50000 || got[0].Owed != bill.Total-50000 {
		t.Errorf("arrears after December is billed = %+v, %v; want %s less 500.00", got, err, bill.Total)
	}
}

func TestVoidPayment(t *testing.T) { forEachBackend(t, testVoidPayment) }

// testVoidPayment takes back 张三's payments one by one, latest first: what he owes grows back,
// the payments stay on record, and with none left there is nothing to take back.
func testVoidPayment(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, _, err := st.GenerateBills(ctx, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	for i, amount := range []guanjia.Money{30000, 10000} {
		must(t, st.RecordPayment(ctx, guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11",
			Amount: amount, At: november.Add(time.Duration(i) * time.Hour), By: "p-wang"}))
	}
	owed := func() guanjia.Money {
		t.Helper()
		a, err := st.Arrears(ctx, SampleCommunity, "3-1-1201")
		if err != nil || len(a) != 1 {
			t.Fatalf("arrears %+v, %v", a, err)
		}
		return a[0].Owed
	}
	if got := owed(); got != 76821-40000 {
		t.Fatalf("owed after paying 400.00: %s", got)
	}
	later := november.Add(3 * time.Hour)
	p, err := st.VoidPayment(ctx, SampleCommunity, "3-1-1201", "2026-11", "p-wang", later)
	if err != nil || p.Amount != 10000 || !p.VoidedAt.Equal(later.UTC()) || p.VoidedBy != "p-wang" {
		t.Fatalf("first void: %+v, %v; want the latest payment, 100.00", p, err)
	}
	if got := owed(); got != 76821-30000 {
		t.Errorf("owed after taking back 100.00: %s", got)
	}
	if p, err = st.VoidPayment(ctx, SampleCommunity, "3-1-1201", "2026-11", "p-wang", later); err != nil || p.Amount != 30000 {
		t.Fatalf("second void: %+v, %v; want 300.00", p, err)
	}
	if got := owed(); got != 76821 {
		t.Errorf("owed after taking back everything: %s", got)
	}
	if _, err := st.VoidPayment(ctx, SampleCommunity, "3-1-1201", "2026-11", "p-wang", later); !errors.Is(err, guanjia.ErrNotFound) {
		t.Errorf("nothing left to take back: err = %v, want ErrNotFound", err)
	}
	if pays, err := st.Payments(ctx, SampleCommunity, "3-1-1201"); err != nil || len(pays) != 2 || !pays[0].Voided() || !pays[1].Voided() {
		t.Errorf("payments on record: %+v, %v; want both, taken back", pays, err)
	}
}

func TestImportAndChatShareOneRule(t *testing.T) { forEachBackend(t, testImportAndChatShareOneRule) }

// testImportAndChatShareOneRule is the case found: 768.21 against a 601.25 bill (made before
// the readings came) is refused by the import exactly as by 收费, for the same reason.
func testImportAndChatShareOneRule(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, err := st.readings().DeleteMany(ctx, bson.D{{Key: "household", Value: "3-1-1201"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GenerateBills(ctx, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	chat := st.RecordPayment(ctx, guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11",
		Amount: 76821, At: november, By: "wang"})
	var refused *guanjia.PaymentError
	if !errors.As(chat, &refused) || refused.Reason != guanjia.PaymentTooMuch || refused.Owed != 60125 {
		t.Fatalf("收费 768.21 on a 601.25 bill: %v; want refused as too much", chat)
	}
	n, err := st.ImportPayments(ctx, SampleCommunity, strings.NewReader("household,period,amount,paid_at,ref\n3-1-1201,2026-11,768.21,2026-11-20,WX-0001\n"))
	var ie *ImportError
	if n != 0 || !errors.As(err, &ie) || len(ie.Rows) != 1 || !strings.Contains(ie.Rows[0].Reason, "超过了欠款") {
		t.Fatalf("import of 768.21 on a 601.25 bill: %d, %v; want the row refused as more than owed", n, err)
	}
	if a, err := st.Arrears(ctx, SampleCommunity, "3-1-1201"); err != nil || len(a) != 1 || a[0].Owed != 60125 {
		t.Errorf("arrears: %+v, %v; want 601.25 still owed", a, err)
	}
}
