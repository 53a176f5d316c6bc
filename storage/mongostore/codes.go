package mongostore

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/guanjia/guanjia"
)

// bindingCode is a one-time code that binds a platform account to a person.
type bindingCode struct {
	Code    string    `bson:"_id"`
	Person  string    `bson:"person"`
	Expires time.Time `bson:"expires"`
}

// IssueCode creates a six-digit one-time binding code for person, valid until now+ttl.
func (s *Store) IssueCode(ctx context.Context, person string, now time.Time, ttl time.Duration) (string, error) {
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(900000))
		if err != nil {
			return "", fmt.Errorf("mongostore: issue code: %w", err)
		}
		code := fmt.Sprintf("%06d", n.Int64()+100000)
		_, err = s.codes.InsertOne(ctx, bindingCode{Code: code, Person: person, Expires: now.Add(ttl).UTC()})
		if mongo.IsDuplicateKeyError(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("mongostore: issue code: %w", err)
		}
		// A code used long ago may be issued again; its old use must not block it.
		_, _ = s.codesUsed.DeleteOne(ctx, byID(code))
		return code, nil
	}
	return "", fmt.Errorf("mongostore: issue code: no free code: %w", guanjia.ErrConflict)
}

// UseCode spends a binding code and returns the person it was issued for. An unknown,
// expired or already used code is an error wrapping guanjia.ErrNotFound; of two people
// racing with one code, only one succeeds.
func (s *Store) UseCode(ctx context.Context, code string, now time.Time) (string, error) {
	c, err := findOne[bindingCode](ctx, s.codes, byID(code), "binding code")
	if err != nil {
		return "", err
	}
	if now.After(c.Expires) {
		_, _ = s.codes.DeleteOne(ctx, byID(code))
		return "", fmt.Errorf("mongostore: binding code expired: %w", guanjia.ErrNotFound)
	}
	// The insert of the used marker is the commit point: only one caller can make it.
	if _, err := s.codesUsed.InsertOne(ctx, bindingCode{Code: code, Person: c.Person, Expires: now.UTC()}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return "", fmt.Errorf("mongostore: binding code used: %w", guanjia.ErrNotFound)
		}
		return "", fmt.Errorf("mongostore: use code: %w", err)
	}
	if _, err := s.codes.DeleteOne(ctx, byID(code)); err != nil {
		return "", fmt.Errorf("mongostore: use code: %w", err)
	}
	return c.Person, nil
}
