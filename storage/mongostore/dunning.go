package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Fee messages (monthly notices, reminders of the dunning ladder, a steward's 催缴) claim their
// household's day with a unique insert: the _id is community/household/date, so a household
// hears about its fees at most once a day, however many jobs, instances and stewards are at it.
// The claim names what it is for, so that a job run again after a crash finds its own claim and
// sends again under the same key (the outbound queue drops the repeat), while anyone else sees
// the day is taken. The same records are the history of the ladder: which steps went out when.

func (s *Store) feeMessages() *mongo.Collection {
	return s.communities.Database().Collection("fee_messages")
}

func (s *Store) dunningActions() *mongo.Collection {
	return s.communities.Database().Collection("dunning_actions")
}

// FeeMessageID is the storage key of a household's fee message of one day (YYYY-MM-DD).
func FeeMessageID(community, household, day string) string {
	return community + "/" + household + "/" + day
}

// ClaimFeeMessage claims m's household and day (m.Day) for m.Purpose. It returns the claim that
// holds the day and whether it is m's: true when m was inserted now or when an earlier claim of
// the same purpose holds it (a run again after a crash); false when the day went to something
// else.
func (s *Store) ClaimFeeMessage(ctx context.Context, m guanjia.FeeMessage) (guanjia.FeeMessage, bool, error) {
	m.ID = FeeMessageID(m.Community, m.Household, m.Day)
	m.At = m.At.UTC()
	_, err := s.feeMessages().InsertOne(ctx, m)
	if err == nil {
		return m, true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return m, false, fmt.Errorf("mongostore: claim fee message %s: %w", m.ID, err)
	}
	old, err := findOne[guanjia.FeeMessage](ctx, s.feeMessages(), byID(m.ID), "fee message "+m.ID)
	if err != nil {
		return m, false, err
	}
	return old, old.Purpose == m.Purpose, nil
}

// ClaimFeeMessages is ClaimFeeMessage for many households at once, in batched inserts: ok[i]
// tells whether list[i]'s day is its purpose's.
func (s *Store) ClaimFeeMessages(ctx context.Context, list []guanjia.FeeMessage) ([]bool, error) {
	ok := make([]bool, len(list))
	const batch = 1000
	for from := 0; from < len(list); from += batch {
		to := min(from+batch, len(list))
		docs := make([]any, 0, to-from)
		for i := from; i < to; i++ {
			m := list[i]
			m.ID = FeeMessageID(m.Community, m.Household, m.Day)
			m.At = m.At.UTC()
			docs = append(docs, m)
			ok[i] = true
		}
		if err := insertEach(ctx, s.feeMessages(), docs, ok[from:to]); err != nil {
			return nil, fmt.Errorf("mongostore: claim fee messages: %w", err)
		}
		for i := from; i < to; i++ {
			if ok[i] {
				continue
			}
			// The day was claimed before: by this purpose (a run again) or by another.
			_, mine, err := s.ClaimFeeMessage(ctx, list[i])
			if err != nil {
				return nil, err
			}
			ok[i] = mine
		}
	}
	return ok, nil
}

// FeeMessages lists a community's fee messages from since on, oldest first, in one read.
func (s *Store) FeeMessages(ctx context.Context, community string, since time.Time) ([]guanjia.FeeMessage, error) {
	filter := bson.D{{Key: "community", Value: community}, {Key: "at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}}
	list, err := findAll[guanjia.FeeMessage](ctx, s.feeMessages(), filter, "fee messages of "+community)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b guanjia.FeeMessage) int { return a.At.Compare(b.At) })
	return list, nil
}

// HouseholdFeeMessages lists one household's fee messages from since on, oldest first.
func (s *Store) HouseholdFeeMessages(ctx context.Context, community, household string, since time.Time) ([]guanjia.FeeMessage, error) {
	filter := bson.D{{Key: "community", Value: community}, {Key: "household", Value: household},
		{Key: "at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}}
	list, err := findAll[guanjia.FeeMessage](ctx, s.feeMessages(), filter, "fee messages of "+household)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b guanjia.FeeMessage) int { return a.At.Compare(b.At) })
	return list, nil
}

// AddDunningAction records what someone did about a household's reminders (a pause, a promise,
// a claim that it is paid, hardship, a refusal, a resume). Actions are only ever added, each
// under an id of its own: the latest one decides, and all of them are the record of who did
// what when.
func (s *Store) AddDunningAction(ctx context.Context, a guanjia.DunningAction) (guanjia.DunningAction, error) {
	if a.Community == "" || a.Household == "" || a.Kind == "" || a.At.IsZero() {
		return a, fmt.Errorf("mongostore: dunning action: incomplete: %w", guanjia.ErrInvalid)
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return a, fmt.Errorf("mongostore: dunning action id: %w", err)
	}
	a.At = a.At.UTC()
	a.ID = fmt.Sprintf("%s/%s/%d-%s", a.Community, a.Household, a.At.UnixNano(), hex.EncodeToString(b))
	if _, err := s.dunningActions().InsertOne(ctx, a); err != nil {
		return a, fmt.Errorf("mongostore: dunning action %s: %w", a.ID, err)
	}
	return a, nil
}

// DunningActions lists the actions on a community's reminders, oldest first, in one read;
// household "" means every household.
func (s *Store) DunningActions(ctx context.Context, community, household string) ([]guanjia.DunningAction, error) {
	filter := bson.D{{Key: "community", Value: community}}
	if household != "" {
		filter = append(filter, bson.E{Key: "household", Value: household})
	}
	list, err := findAll[guanjia.DunningAction](ctx, s.dunningActions(), filter, "dunning actions of "+community)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b guanjia.DunningAction) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return list, nil
}

// PeriodBills lists a community's bills of one period, in one read; none is an empty list.
func (s *Store) PeriodBills(ctx context.Context, community, period string) ([]guanjia.Bill, error) {
	return findAll[guanjia.Bill](ctx, s.bills(), bson.D{{Key: "community", Value: community}, {Key: "period", Value: period}},
		"bills of "+community+" "+period)
}

// LatestPeriod is the latest period a community has bills for; ok is false when it has none.
func (s *Store) LatestPeriod(ctx context.Context, community string) (string, bool, error) {
	b, err := findOne[guanjia.Bill](ctx, s.bills(), bson.D{{Key: "community", Value: community}}, "latest bill of "+community,
		options.FindOne().SetSort(bson.D{{Key: "period", Value: -1}}).SetProjection(bson.D{{Key: "period", Value: 1}}))
	if err != nil {
		if errors.Is(err, guanjia.ErrNotFound) {
			return "", false, nil
		}
		return "", false, err
	}
	return b.Period, true, nil
}

// AllArrears works out what every household of a community still owes, by household code,
// each list by period oldest first, from two reads (its
// bills and its payments) instead of a household at a time: the daily sweep of the dunning
// ladder and the monthly notices go over every household. Payments taken back count nothing.
// It reads the payment records, which a crash can leave behind their ledger for a moment (see
// RecordPayment): whoever acts on the answer checks the household again (Arrears) before it
// speaks.
func (s *Store) AllArrears(ctx context.Context, community string) (map[string][]guanjia.Arrear, error) {
	return s.ArrearsBefore(ctx, community, "")
}

// ArrearsBefore is AllArrears of the periods before period ("": every period): what the monthly
// notice says is still owed from earlier months.
func (s *Store) ArrearsBefore(ctx context.Context, community, period string) (map[string][]guanjia.Arrear, error) {
	filter := bson.D{{Key: "community", Value: community}}
	if period != "" {
		filter = append(filter, bson.E{Key: "period", Value: bson.D{{Key: "$lt", Value: period}}})
	}
	bills, err := findAll[guanjia.Bill](ctx, s.bills(), filter, "bills of "+community,
		options.Find().SetProjection(bson.D{{Key: "household", Value: 1}, {Key: "period", Value: 1}, {Key: "total", Value: 1}, {Key: "due", Value: 1}}))
	if err != nil {
		return nil, err
	}
	type payment struct {
		Household string        `bson:"household"`
		Period    string        `bson:"period"`
		Amount    guanjia.Money `bson:"amount"`
		VoidedAt  time.Time     `bson:"voided_at,omitempty"`
	}
	pays, err := findAll[payment](ctx, s.payments(), bson.D{{Key: "community", Value: community}}, "payments of "+community,
		options.Find().SetProjection(bson.D{{Key: "household", Value: 1}, {Key: "period", Value: 1}, {Key: "amount", Value: 1}, {Key: "voided_at", Value: 1}}))
	if err != nil {
		return nil, err
	}
	paid := make(map[string]guanjia.Money, len(pays))
	for _, p := range pays {
		if p.VoidedAt.IsZero() {
			paid[p.Household+"\x00"+p.Period] += p.Amount
		}
	}
	owing := map[string][]guanjia.Arrear{}
	for _, b := range bills {
		a := guanjia.Arrear{Period: b.Period, Billed: b.Total, Paid: paid[b.Household+"\x00"+b.Period], Due: b.Due}
		if a.Owed = a.Billed - a.Paid; a.Owed > 0 {
			owing[b.Household] = append(owing[b.Household], a)
		}
	}
	for _, list := range owing {
		slices.SortFunc(list, func(a, b guanjia.Arrear) int { return strings.Compare(a.Period, b.Period) })
	}
	return owing, nil
}

// PrivateChatsOf lists a community's private chats by person, in one read.
func (s *Store) PrivateChatsOf(ctx context.Context, community string) (map[string][]guanjia.Chat, error) {
	list, err := findAll[guanjia.Chat](ctx, s.chats, bson.D{{Key: "community", Value: community}, {Key: "role", Value: guanjia.ChatPrivate}},
		"private chats of "+community, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	by := map[string][]guanjia.Chat{}
	for _, c := range list {
		if c.Unreachable == "" {
			by[c.Person] = append(by[c.Person], c)
		}
	}
	return by, nil
}
