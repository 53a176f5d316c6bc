package mongostore

import (
	"context"
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
