package mongostore

import (
	"context"
	"errors"
	"fmt"

	"github.com/guanjia/guanjia"
)

// Reading is one meter's reading for a household and period: the meter stood at Previous at
// the start of the period and at Current at its end, in hundredths of a unit (吨 of water,
// 度 of electricity), so that the use billed is Current − Previous without float rounding.
type Reading struct {
	// ID is ReadingID(Community, Household, Period, Kind).
	ID        string `bson:"_id" json:"id"`
	Community string `bson:"community" json:"community"`
	Household string `bson:"household" json:"household"`
	Period    string `bson:"period" json:"period"`
	// Kind is guanjia.FeeWater or guanjia.FeeElectricity.
	Kind          string `bson:"kind" json:"kind"`
	PreviousCenti int64  `bson:"previous_centi" json:"previous_centi"`
	CurrentCenti  int64  `bson:"current_centi" json:"current_centi"`
}

// ReadingID is the storage key of a reading: one per household, period and meter.
func ReadingID(community, household, period, kind string) string {
	return community + ":" + household + ":" + period + ":" + kind
}

// meterKinds are the meters read, in the order bills list them.
var meterKinds = []string{guanjia.FeeWater, guanjia.FeeElectricity}

// PutReading saves a reading, replacing the one of the same household, period and meter.
// Its household must exist; a meter that ran backwards is refused as guanjia.ErrInvalid.
func (s *Store) PutReading(ctx context.Context, r Reading) error {
	if err := checkReading(r); err != nil {
		return err
	}
	id, err := derivedID("reading", r.ID, ReadingID(r.Community, r.Household, r.Period, r.Kind))
	if err != nil {
		return err
	}
	r.ID = id
	if _, err := s.Household(ctx, r.Community, r.Household); err != nil {
		return fmt.Errorf("mongostore: reading %s: %w", id, err)
	}
	return put(ctx, s.readings(), r.ID, r, "reading")
}

func checkReading(r Reading) error {
	if _, err := guanjia.ParsePeriod(r.Period); err != nil {
		return fmt.Errorf("mongostore: reading: %w", err)
	}
	switch {
	case r.Community == "" || r.Household == "":
		return fmt.Errorf("mongostore: reading: no community or household: %w", guanjia.ErrInvalid)
	case r.Kind != guanjia.FeeWater && r.Kind != guanjia.FeeElectricity:
		return fmt.Errorf("mongostore: reading: meter %q: %w", r.Kind, guanjia.ErrInvalid)
	case r.PreviousCenti < 0 || r.CurrentCenti < r.PreviousCenti:
		return fmt.Errorf("mongostore: reading: %s → %s: %w", centi(r.PreviousCenti), centi(r.CurrentCenti), guanjia.ErrInvalid)
	}
	return nil
}

// Readings lists a household's readings of one period, water before electricity; a meter not
// read is left out, and none is an empty list.
func (s *Store) Readings(ctx context.Context, community, household, period string) ([]Reading, error) {
	list := []Reading{}
	// One lookup by _id per meter: FerretDB indexes nothing else.
	for _, kind := range meterKinds {
		id := ReadingID(community, household, period, kind)
		r, err := findOne[Reading](ctx, s.readings(), byID(id), "reading "+id)
		switch {
		case errors.Is(err, guanjia.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		list = append(list, r)
	}
	return list, nil
}
