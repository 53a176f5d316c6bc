package mongostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

// A household's ledger is the list of its bills and payments, kept so that they are read by
// _id: the embedded FerretDB finds documents by _id at once but searches a whole collection
// for any other query, a range on _id included, and a fee question would read every bill of
// the community.
//
// The ledger is one document per fact, never a document whose array is updated: FerretDB
// applies an update by reading the document and writing it back, so two updates of one
// document at once can lose one of them (two `bills generate` and a payments import together
// lost 47 of 2,006 bills that way). Entry n of a household has the _id "<household>#<n>" and is
// written with an insert, which the unique _id makes atomic: of two writers that want the same
// slot one gets it and the other takes the next. Slots are taken in order and never removed, so
// the entries of a household are always 1 to some n, and reading them stops at the first
// missing one.
//
// A bill's entry is written before the bill, so an entry may name a bill that a crash kept from
// being written (it is skipped, and generating again writes it) but no bill lacks an entry. A
// payment's entry carries the payment itself: the entry is the fact that it was paid, taken in
// order with the household's other facts, and the payments collection holds the same payment
// to be taken back (voided) and listed.

// ledgerEntry is one fact of a household's ledger.
type ledgerEntry struct {
	ID string `bson:"_id"`
	// Kind is "bill" or "payment"; Ref the _id of the bill or payment.
	Kind string `bson:"kind"`
	Ref  string `bson:"ref"`
	// Payment is the payment as recorded, for a payment's entry.
	Payment *guanjia.Payment `bson:"payment,omitempty"`
}

const (
	entryBill    = "bill"
	entryPayment = "payment"
)

// ledgersMarker is the counters document that says every bill and payment has its entry.
const ledgersMarker = "ledgers/v2"

func (s *Store) ledgers() *mongo.Collection {
	return s.communities.Database().Collection("household_ledgers")
}

func entryID(household string, n int) string { return household + "#" + strconv.Itoa(n) }

// ledgerOf is what a household's ledger says: its entries in order.
type ledgerOf struct {
	household string
	entries   []ledgerEntry
}

// readLedger reads a household's entries, from the first until the first slot not taken.
// Entries never change once written, so those read before are kept in memory and only the
// slots after them are looked up: a fee question costs one lookup of the ledger, not one per
// entry.
func (s *Store) readLedger(ctx context.Context, household string) (ledgerOf, error) {
	l := ledgerOf{household: household, entries: s.entries.get(household)}
	known := len(l.entries)
	for n := known + 1; ; n++ {
		e, err := findOne[ledgerEntry](ctx, s.ledgers(), byID(entryID(household, n)), "ledger of "+household)
		if errors.Is(err, guanjia.ErrNotFound) {
			break
		}
		if err != nil {
			return l, err
		}
		l.entries = append(l.entries, e)
	}
	if len(l.entries) > known {
		s.entries.put(household, l.entries)
	}
	return l, nil
}

// entryCache keeps the ledger entries read, by household. Entries are never changed nor
// removed, so what it holds is a true prefix of each ledger, whoever writes to it.
type entryCache struct {
	mu   sync.Mutex
	byID map[string][]ledgerEntry
}

// maxCachedLedgers bounds the memory the cache takes (about 100 bytes an entry).
const maxCachedLedgers = 50_000

// get returns the entries known of a household, as a slice that appending to leaves the
// cache alone.
func (c *entryCache) get(household string) []ledgerEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clip(c.byID[household])
}

// reset forgets every entry, for Repair to read the ledgers as they are stored.
func (c *entryCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID = nil
}

func (c *entryCache) put(household string, entries []ledgerEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil || len(c.byID) >= maxCachedLedgers {
		c.byID = map[string][]ledgerEntry{}
	}
	if len(entries) > len(c.byID[household]) {
		c.byID[household] = slices.Clip(entries)
	}
}

// has reports whether the ledger names the bill or payment id.
func (l ledgerOf) has(kind, id string) bool {
	for _, e := range l.entries {
		if e.Kind == kind && e.Ref == id {
			return true
		}
	}
	return false
}

// refs are the ids the ledger names under kind, each once, in the order first named.
func (l ledgerOf) refs(kind string) []string {
	var ids []string
	for _, e := range l.entries {
		if e.Kind == kind && !slices.Contains(ids, e.Ref) {
			ids = append(ids, e.Ref)
		}
	}
	return ids
}

// appendEntry writes e as the next entry of the ledger l was read from. It returns false,
// writing nothing, when that slot was taken meanwhile: the caller reads the ledger again.
func (s *Store) appendEntry(ctx context.Context, l ledgerOf, e ledgerEntry) (bool, error) {
	e.ID = entryID(l.household, len(l.entries)+1)
	_, err := s.ledgers().InsertOne(ctx, e)
	switch {
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("mongostore: ledger of %s: %w", l.household, err)
	}
	s.entries.put(l.household, append(l.entries, e))
	return true, nil
}

// note adds a bill or payment id to a household's ledger unless it is there already.
func (s *Store) note(ctx context.Context, household, kind, id string) error {
	for range maxAppendTries {
		l, err := s.readLedger(ctx, household)
		if err != nil {
			return err
		}
		if l.has(kind, id) {
			return nil
		}
		if ok, err := s.appendEntry(ctx, l, ledgerEntry{Kind: kind, Ref: id}); ok || err != nil {
			return err
		}
	}
	return fmt.Errorf("mongostore: ledger of %s: %d writers ahead: %w", household, maxAppendTries, guanjia.ErrConflict)
}

// maxAppendTries is how often a writer reads a ledger again after another took the slot it
// wanted: each retry means another writer succeeded, so this many is a busy household indeed.
const maxAppendTries = 100

// ledgerBills reads the bills a ledger names, skipping those never written, oldest first.
func (s *Store) ledgerBills(ctx context.Context, l ledgerOf) ([]guanjia.Bill, error) {
	list := []guanjia.Bill{}
	for _, id := range l.refs(entryBill) {
		b, err := findOne[guanjia.Bill](ctx, s.bills(), byID(id), "bill "+id)
		if errors.Is(err, guanjia.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		list = append(list, b)
	}
	slices.SortFunc(list, byPeriod)
	return list, nil
}

// ledgerPayments reads the payments a ledger names as they are now (taken back or not). A
// payment whose entry was written but not yet its document (being recorded right now, or cut
// short by a crash) is as its entry says.
func (s *Store) ledgerPayments(ctx context.Context, l ledgerOf) ([]guanjia.Payment, error) {
	list := []guanjia.Payment{}
	seen := map[string]bool{}
	for _, e := range l.entries {
		if e.Kind != entryPayment || seen[e.Ref] {
			continue
		}
		seen[e.Ref] = true
		p, err := findOne[guanjia.Payment](ctx, s.payments(), byID(e.Ref), "payment "+e.Ref)
		switch {
		case errors.Is(err, guanjia.ErrNotFound) && e.Payment != nil:
			p = *e.Payment
		case errors.Is(err, guanjia.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		list = append(list, p)
	}
	slices.SortFunc(list, byPeriodThenTime)
	return list, nil
}

// ensureLedgers gives the bills and payments written before these ledgers their entries, once.
func (s *Store) ensureLedgers(ctx context.Context) error {
	if _, err := findOne[counter](ctx, s.counters, byID(ledgersMarker), "ledgers marker"); err == nil {
		return nil
	} else if !errors.Is(err, guanjia.ErrNotFound) {
		return err
	}
	if _, err := s.Repair(ctx); err != nil {
		return err
	}
	if _, err := s.counters.InsertOne(ctx, counter{ID: ledgersMarker, Seq: 1}); err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("mongostore: ledgers marker: %w", err)
	}
	return nil
}

// RepairReport is what Repair found and mended.
type RepairReport struct {
	// Bills and Payments count those read; BillEntries and PaymentEntries the ledger entries
	// added for those a ledger did not name; PaymentsRestored the payments written again from
	// their entries, lost to a crash between the two writes.
	Bills, Payments             int
	BillEntries, PaymentEntries int
	PaymentsRestored            int
}

// Repair rebuilds what is derived from the bills and payments: every bill and payment gets its
// household's ledger entry, and a payment whose entry was written but not its document gets it
// back. It reads every bill and payment, so it is for `guanjia repair` and the first start
// after an upgrade, not for every start. Running it again changes nothing.
func (s *Store) Repair(ctx context.Context) (RepairReport, error) {
	var rep RepairReport
	s.entries.reset()
	bills, err := findAll[guanjia.Bill](ctx, s.bills(), bson.D{}, "bills")
	if err != nil {
		return rep, err
	}
	pays, err := findAll[guanjia.Payment](ctx, s.payments(), bson.D{}, "payments")
	if err != nil {
		return rep, err
	}
	rep.Bills, rep.Payments = len(bills), len(pays)
	type fact struct{ kind, id string }
	byHousehold := map[string][]fact{}
	for _, b := range bills {
		h := guanjia.HouseholdID(b.Community, b.Household)
		byHousehold[h] = append(byHousehold[h], fact{entryBill, b.ID})
	}
	for _, p := range pays {
		h := guanjia.HouseholdID(p.Community, p.Household)
		byHousehold[h] = append(byHousehold[h], fact{entryPayment, p.ID})
	}
	// Households with a ledger entry of a payment whose document is missing are found from
	// the entries themselves: one pass over the ledgers collection.
	entries, err := findAll[ledgerEntry](ctx, s.ledgers(), bson.D{{Key: "kind", Value: entryPayment}}, "ledger entries")
	if err != nil {
		return rep, err
	}
	have := map[string]bool{}
	for _, p := range pays {
		have[p.ID] = true
	}
	for _, e := range entries {
		if e.Payment == nil || have[e.Ref] {
			continue
		}
		p := *e.Payment
		p.ID = e.Ref
		if _, err := s.payments().InsertOne(ctx, p); err != nil && !mongo.IsDuplicateKeyError(err) {
			return rep, fmt.Errorf("mongostore: repair payment %s: %w", e.Ref, err)
		}
		have[e.Ref] = true
		rep.PaymentsRestored++
	}
	households := make([]string, 0, len(byHousehold))
	for h := range byHousehold {
		households = append(households, h)
	}
	slices.Sort(households)
	for _, h := range households {
		l, err := s.readLedger(ctx, h)
		if err != nil {
			return rep, err
		}
		for _, f := range byHousehold[h] {
			if l.has(f.kind, f.id) {
				continue
			}
			if err := s.note(ctx, h, f.kind, f.id); err != nil {
				return rep, err
			}
			if f.kind == entryBill {
				rep.BillEntries++
			} else {
				rep.PaymentEntries++
			}
		}
	}
	return rep, nil
}

func byPeriod(a, b guanjia.Bill) int { return cmp.Compare(a.Period, b.Period) }

func byPeriodThenTime(a, b guanjia.Payment) int {
	return cmp.Or(cmp.Compare(a.Period, b.Period), a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
}
