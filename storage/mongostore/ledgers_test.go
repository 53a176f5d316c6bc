package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/guanjia/guanjia"
)

func TestLedgersOfEarlierData(t *testing.T) { forEachBackend(t, testLedgersOfEarlierData) }

// testLedgersOfEarlierData writes a bill and a payment the way a version without ledgers did,
// then opens the store again: both are found, and what is owed is right.
func testLedgersOfEarlierData(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	bill := guanjia.Bill{ID: guanjia.BillID(SampleCommunity, "3-1-1201", "2026-10"), Community: SampleCommunity,
		Household: "3-1-1201", Period: "2026-10", Total: 50000, Due: november, CreatedAt: november}
	pay := guanjia.Payment{ID: "old-payment", Community: SampleCommunity, Household: "3-1-1201", Period: "2026-10",
		Amount: 20000, At: november, By: "import"}
	if _, err := st.bills().InsertOne(ctx, bill); err != nil {
		t.Fatal(err)
	}
	if _, err := st.payments().InsertOne(ctx, pay); err != nil {
		t.Fatal(err)
	}
	if _, err := st.counters.DeleteOne(ctx, byID(ledgersMarker)); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Bills(ctx, SampleCommunity, "3-1-1201"); err != nil || len(got) != 0 {
		t.Fatalf("before the ledgers are made: %d bills, %v (the test writes around them)", len(got), err)
	}
	must(t, st.ensureLedgers(ctx))
	arrears, err := st.Arrears(ctx, SampleCommunity, "3-1-1201")
	if err != nil || len(arrears) != 1 || arrears[0].Billed != 50000 || arrears[0].Paid != 20000 {
		t.Errorf("arrears from earlier data: %+v, %v; want 500.00 billed, 200.00 paid", arrears, err)
	}
}

func TestLedgerConcurrent(t *testing.T) { forEachBackend(t, testLedgerConcurrent) }

// testLedgerConcurrent generates two months of bills for 60 homes while a payments file for
// every home is imported and stewards record payments: afterwards every bill and every payment
// is counted in what each household owes.
func testLedgerConcurrent(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	const homes = 60
	var file strings.Builder
	file.WriteString("household,period,amount,paid_at,ref\n")
	for i := range homes {
		code := fmt.Sprintf("2-1-%d", 101+i)
		must(t, st.PutHousehold(ctx, guanjia.Household{Community: SampleCommunity, Code: code, Building: 2, AreaCenti: 10000}))
		fmt.Fprintf(&file, "%s,2026-12,10.00,2026-11-20,IMP-%d\n", code, i)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4+homes)
	for i, period := range []string{"2026-10", "2026-11"} {
		wg.Go(func() { _, errs[i] = st.GenerateCommunityBills(ctx, SampleCommunity, period, november) })
	}
	wg.Go(func() { _, errs[2] = st.ImportPayments(ctx, SampleCommunity, strings.NewReader(file.String())) })
	for i := range homes {
		wg.Go(func() {
			errs[4+i] = st.RecordPayment(ctx, guanjia.Payment{Community: SampleCommunity, Household: fmt.Sprintf("2-1-%d", 101+i),
				Period: "2027-01", Amount: 500, At: november, By: "p-wang"})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i := range homes {
		code := fmt.Sprintf("2-1-%d", 101+i)
		bills, err := st.Bills(ctx, SampleCommunity, code)
		if err != nil || len(bills) != 2 {
			t.Errorf("%s: %d bills, %v; want 2", code, len(bills), err)
		}
		pays, err := st.Payments(ctx, SampleCommunity, code)
		if err != nil || len(pays) != 2 {
			t.Errorf("%s: %d payments, %v; want 2", code, len(pays), err)
		}
		arrears, err := st.Arrears(ctx, SampleCommunity, code)
		if err != nil || len(arrears) != 2 {
			t.Errorf("%s: arrears %+v, %v; want both months owed", code, arrears, err)
		}
	}
}

func TestPaymentOnceConcurrent(t *testing.T) { forEachBackend(t, testPaymentOnceConcurrent) }

// testPaymentOnceConcurrent has six stewards record 李四's whole November bill at once: one
// payment is recorded, and the others are told it is already paid.
func testPaymentOnceConcurrent(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, err := st.GenerateCommunityBills(ctx, SampleCommunity, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = st.RecordPayment(ctx, guanjia.Payment{Community: SampleCommunity, Household: "2-2-502",
				Period: "2026-11", Amount: 31758, At: november, By: "p-wang"})
		})
	}
	wg.Wait()
	recorded := 0
	for _, err := range errs {
		var refused *guanjia.PaymentError
		switch {
		case err == nil:
			recorded++
		case errors.As(err, &refused) && refused.Reason == guanjia.PaymentAlreadyPaid:
		default:
			t.Errorf("a steward got %v, want recorded or already paid", err)
		}
	}
	pays, err := st.Payments(ctx, SampleCommunity, "2-2-502")
	if recorded != 1 || err != nil || len(pays) != 1 {
		t.Errorf("%d recorded, %d stored (%v); want exactly 1", recorded, len(pays), err)
	}
}

func TestRepairRestoresLedger(t *testing.T) { forEachBackend(t, testRepairRestoresLedger) }

// testRepairRestoresLedger loses a ledger entry and a payment's document, as a crash between
// two writes would, and Repair brings both back; a second Repair changes nothing.
func testRepairRestoresLedger(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, err := st.GenerateCommunityBills(ctx, SampleCommunity, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	pay := guanjia.Payment{Community: SampleCommunity, Household: "3-1-1201", Period: "2026-11", Amount: 100, At: november, Ref: "R-1"}
	must(t, st.RecordPayment(ctx, pay))
	id := PaymentID(SampleCommunity, "3-1-1201", "2026-11", "R-1")
	if _, err := st.payments().DeleteOne(ctx, byID(id)); err != nil {
		t.Fatal(err)
	}
	// 李四's bill written, its entry not (as by a version before these ledgers).
	if _, err := st.ledgers().DeleteOne(ctx, byID(entryID(guanjia.HouseholdID(SampleCommunity, "2-2-502"), 1))); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Repair(ctx)
	if err != nil || rep.PaymentsRestored != 1 || rep.BillEntries != 1 {
		t.Fatalf("repair = %+v, %v; want 1 payment restored and 1 bill entry", rep, err)
	}
	if bills, err := st.Bills(ctx, SampleCommunity, "2-2-502"); err != nil || len(bills) != 1 {
		t.Errorf("李四's bills after repair: %d, %v", len(bills), err)
	}
	if _, err := findOne[guanjia.Payment](ctx, st.payments(), byID(id), "payment"); err != nil {
		t.Errorf("payment document after repair: %v", err)
	}
	if rep, err := st.Repair(ctx); err != nil || rep.PaymentsRestored+rep.BillEntries+rep.PaymentEntries != 0 {
		t.Errorf("repair again = %+v, %v; want nothing to do", rep, err)
	}
}

func TestGenerateAgainMendsLedger(t *testing.T) { forEachBackend(t, testGenerateAgainMendsLedger) }

// testGenerateAgainMendsLedger has a bill whose ledger entry is missing, as an earlier version
// could lose it: generating the month again puts it back in what the household owes.
func testGenerateAgainMendsLedger(t *testing.T, st *Store) {
	ctx := context.Background()
	must(t, st.SeedAt(ctx, november))
	if _, err := st.GenerateCommunityBills(ctx, SampleCommunity, "2026-11", november); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ledgers().DeleteOne(ctx, byID(entryID(guanjia.HouseholdID(SampleCommunity, "2-2-502"), 1))); err != nil {
		t.Fatal(err)
	}
	st.entries.reset()
	if a, err := st.Arrears(ctx, SampleCommunity, "2-2-502"); err != nil || len(a) != 0 {
		t.Fatalf("arrears with the entry lost: %+v, %v (the test removes it)", a, err)
	}
	if run, err := st.GenerateCommunityBills(ctx, SampleCommunity, "2026-11", november); err != nil || run.Created != 0 {
		t.Fatalf("generate again: %+v, %v", run, err)
	}
	if a, err := st.Arrears(ctx, SampleCommunity, "2-2-502"); err != nil || len(a) != 1 || a[0].Owed != 31758 {
		t.Errorf("arrears after generating again: %+v, %v; want 317.58 owed", a, err)
	}
}
