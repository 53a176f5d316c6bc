package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

// InsertNumbered files a record that is numbered like tickets — a letter, the day, the day's
// sequence (E20261126-0003 for an emergency broadcast, A… for an event) — unique per
// community and day and never reused. build makes the document for a number; it must carry
// _id guanjia.TicketID(community, no) ("<community>/<no>"), so that the numbers taken are
// found by an _id range when the sequence has to be seeded again. A number found taken (the
// sequence was behind the records) is skipped. The letter must not be one of the tickets' own
// (R, C, Q, H): their numbers come from CreateTicket.
func (s *Store) InsertNumbered(ctx context.Context, coll *mongo.Collection, community, letter string, at time.Time, build func(no string) any) (string, error) {
	switch guanjia.TicketKind(letter) {
	case guanjia.KindRepair, guanjia.KindComplaint, guanjia.KindInquiry, guanjia.KindHazard:
		return "", fmt.Errorf("mongostore: number %s: a ticket letter: %w", letter, guanjia.ErrInvalid)
	}
	if len(letter) != 1 || letter[0] < 'A' || letter[0] > 'Z' || community == "" {
		return "", fmt.Errorf("mongostore: number %q of %q: %w", letter, community, guanjia.ErrInvalid)
	}
	day := at.In(s.loc)
	n := numbering{s: s, community: community, kind: guanjia.TicketKind(letter), day: day, coll: coll}
	for {
		seq, err := n.next(ctx)
		if err != nil {
			return "", err
		}
		no := guanjia.TicketNo(guanjia.TicketKind(letter), day, int(seq))
		_, err = coll.InsertOne(ctx, build(no))
		if err == nil {
			n.taken(ctx, no)
			return no, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return "", fmt.Errorf("mongostore: insert %s: %w", no, err)
		}
		n.collided()
	}
}

// Collection is the store's collection of a name, for records kept by features of their own
// (broadcasts, events): each such file of the store names its collection once.
func (s *Store) Collection(name string) *mongo.Collection {
	return s.communities.Database().Collection(name)
}
