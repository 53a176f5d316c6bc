package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// PutCommunity saves a community, replacing any with the same ID.
func (s *Store) PutCommunity(ctx context.Context, c guanjia.Community) error {
	return put(ctx, s.communities, c.ID, c, "community")
}

// Community finds a community by id.
func (s *Store) Community(ctx context.Context, id string) (guanjia.Community, error) {
	return findOne[guanjia.Community](ctx, s.communities, byID(id), "community "+id)
}

// PutHousehold saves a household under HouseholdID(Community, Code), replacing any there.
func (s *Store) PutHousehold(ctx context.Context, h guanjia.Household) error {
	id, err := derivedID("household", h.ID, guanjia.HouseholdID(h.Community, h.Code))
	if err != nil {
		return err
	}
	h.ID = id
	return put(ctx, s.households, h.ID, h, "household")
}

// Household finds a household of a community by its code, e.g. "3-1-1201".
func (s *Store) Household(ctx context.Context, community, code string) (guanjia.Household, error) {
	id := guanjia.HouseholdID(community, code)
	return findOne[guanjia.Household](ctx, s.households, byID(id), "household "+id)
}

// derivedID checks a record's ID against the key its other fields make, filling it in when
// empty: a record stored under another key would never be found by its lookups.
func derivedID(what, id, want string) (string, error) {
	if id != "" && id != want {
		return "", fmt.Errorf("mongostore: %s id %q, want %q: %w", what, id, want, guanjia.ErrInvalid)
	}
	return want, nil
}

// CommunityByName finds a community by its name, e.g. 示例花园, as admins type it.
func (s *Store) CommunityByName(ctx context.Context, name string) (guanjia.Community, error) {
	return findOne[guanjia.Community](ctx, s.communities, bson.D{{Key: "name", Value: name}}, "community by name")
}

// HouseholdsInBuilding lists a community's households in one building, ordered by code; none
// is an empty list. It reads an _id range ("sample:3-" up to "sample:3."), which the embedded
// store serves from its _id index rather than a scan.
func (s *Store) HouseholdsInBuilding(ctx context.Context, community string, building int) ([]guanjia.Household, error) {
	prefix := guanjia.HouseholdID(community, fmt.Sprintf("%d-", building))
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: prefix}, {Key: "$lt", Value: prefix[:len(prefix)-1] + "."}}}}
	list, err := findAll[guanjia.Household](ctx, s.households, filter, fmt.Sprintf("households of %s building %d", community, building), options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	// The range is by text: keep those of exactly this building.
	kept := list[:0]
	for _, h := range list {
		if h.Building == building {
			kept = append(kept, h)
		}
	}
	return kept, nil
}

// SetDutyPhone sets a community's 24-hour duty number, told to anyone who raises an alarm.
func (s *Store) SetDutyPhone(ctx context.Context, community, phone string) error {
	// Only the number changes, so that a concurrent change to the community's other fields stays.
	res, err := s.communities.UpdateOne(ctx, byID(community), bson.D{{Key: "$set", Value: bson.D{{Key: "duty_phone", Value: phone}}}})
	if err != nil {
		return fmt.Errorf("mongostore: duty phone of %s: %w", community, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("mongostore: duty phone of %s: %w", community, guanjia.ErrNotFound)
	}
	return nil
}
