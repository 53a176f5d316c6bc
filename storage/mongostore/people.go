package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// PutPerson saves a person, replacing any with the same ID.
func (s *Store) PutPerson(ctx context.Context, p guanjia.Person) error {
	if err := put(ctx, s.people, p.ID, p, "person"); err != nil {
		return err
	}
	s.dir.changed(ctx)
	return nil
}

// Person finds a person by id.
func (s *Store) Person(ctx context.Context, id string) (guanjia.Person, error) {
	return cached(ctx, s.dir, "person\x00"+id, func() (guanjia.Person, error) {
		return findOne[guanjia.Person](ctx, s.people, byID(id), "person "+id)
	}, copyPerson)
}

// PersonByName finds a person of a community by name. Should several share the name, the one
// with the smallest id is returned, so that the answer does not change from call to call.
func (s *Store) PersonByName(ctx context.Context, community, name string) (guanjia.Person, error) {
	filter := bson.D{{Key: "community", Value: community}, {Key: "name", Value: name}}
	// The name stays out of the error: errors end up in logs.
	return findOne[guanjia.Person](ctx, s.people, filter, "person by name in "+community,
		options.FindOne().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// PutIdentity binds a platform account to a person; it is stored under
// IdentityID(Channel, PlatformID), so an account belongs to one person at a time.
func (s *Store) PutIdentity(ctx context.Context, id guanjia.Identity) error {
	key, err := derivedID("identity", id.ID, guanjia.IdentityID(id.Channel, id.PlatformID))
	if err != nil {
		return err
	}
	id.ID = key
	if err := put(ctx, s.identities, id.ID, id, "identity"); err != nil {
		return err
	}
	s.dir.changed(ctx)
	return nil
}

// PersonByIdentity finds the person bound to a platform account.
func (s *Store) PersonByIdentity(ctx context.Context, channel, platformID string) (guanjia.Person, error) {
	key := guanjia.IdentityID(channel, platformID)
	id, err := cached(ctx, s.dir, "identity\x00"+key, func() (guanjia.Identity, error) {
		return findOne[guanjia.Identity](ctx, s.identities, byID(key), "identity "+key)
	}, copyIdentity)
	if err != nil {
		return guanjia.Person{}, err
	}
	return s.Person(ctx, id.Person)
}

// PeopleByName lists the people of every community with this name, for admin commands
// that take a name; ordered by id.
func (s *Store) PeopleByName(ctx context.Context, name string) ([]guanjia.Person, error) {
	return findAll[guanjia.Person](ctx, s.people, bson.D{{Key: "name", Value: name}}, "people by name",
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// PeopleByRole lists the people of a community who hold role, ordered by id.
// The staff of a community, read for every ticket the SLA sweep looks at, are kept as copies
// (see SetStamper); residents, up to a community's every home, are read each time.
func (s *Store) PeopleByRole(ctx context.Context, community string, role guanjia.Role) ([]guanjia.Person, error) {
	load := func() ([]guanjia.Person, error) {
		filter := bson.D{{Key: "community", Value: community}, {Key: "roles", Value: role}}
		return findAll[guanjia.Person](ctx, s.people, filter, "people by role in "+community,
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	}
	if role == guanjia.RoleResident {
		return load()
	}
	return cached(ctx, s.dir, "role-people\x00"+community+"\x00"+string(role), load, copyEach(copyPerson))
}

// IdentitiesOf lists the platform accounts bound to a person.
func (s *Store) IdentitiesOf(ctx context.Context, person string) ([]guanjia.Identity, error) {
	return findAll[guanjia.Identity](ctx, s.identities, bson.D{{Key: "person", Value: person}}, "identities of a person",
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// DeleteIdentity unbinds a platform account; unbinding an unbound account is no error.
func (s *Store) DeleteIdentity(ctx context.Context, channel, platformID string) error {
	key := guanjia.IdentityID(channel, platformID)
	if _, err := s.identities.DeleteOne(ctx, byID(key)); err != nil {
		return fmt.Errorf("mongostore: delete identity %s: %w", key, err)
	}
	s.dir.changed(ctx)
	return nil
}
