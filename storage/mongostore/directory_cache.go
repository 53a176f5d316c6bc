package mongostore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/guanjia/guanjia"
)

// Stamper marks when a kind of record last changed, in a place every process sharing the
// stores reads (*redisstate.Store implements it). A stamp is only compared for equality: a
// process keeps its copies of the records while the stamp is the one it read them under.
type Stamper interface {
	// Stamp is the current stamp of name; empty when none was set (or it was lost).
	Stamp(ctx context.Context, name string) (string, error)
	// Restamp sets a new stamp of name, one never used before.
	Restamp(ctx context.Context, name string) error
}

// SetStamper lets the store keep copies of the records nearly every message reads — chats,
// accounts and people — checked against st's stamp on each read instead of asking the database
// again (on the embedded store a query costs far more than the stamp's round trip). Every
// write of those records through any Store sharing st changes the stamp. Without a stamper
// (nil) every read goes to the database. Call it before the store is used.
func (s *Store) SetStamper(st Stamper) {
	s.dir = &directory{stamps: st, name: "directory/" + s.communities.Database().Name(),
		entries: map[string]dirEntry{}}
}

// directoryMaxAge bounds how long a copy is used under an unchanged stamp, in case a write
// could not change it (the stamp's store failed just after the database write).
const directoryMaxAge = time.Minute

// directoryMaxEntries bounds the copies kept; when full, they are all dropped.
const directoryMaxEntries = 20000

// directory is the store's copies of chats, accounts and people.
type directory struct {
	stamps Stamper
	name   string

	mu      sync.Mutex
	entries map[string]dirEntry
}

type dirEntry struct {
	stamp string
	at    time.Time
	value any
	err   error // only a not-found answer is kept
}

// View returns a context whose reads of chats, accounts and people check the stamp once: the
// reads of one message see the records as they were when it began (and its own writes). A
// message's reads took a round trip to Redis each before.
func (s *Store) View(ctx context.Context) context.Context {
	if s.dir == nil {
		return ctx
	}
	return context.WithValue(ctx, viewKey{}, &view{})
}

type viewKey struct{}

// view is the stamp one message read, once.
type view struct {
	mu    sync.Mutex
	stamp string
	read  bool
}

// stamp is the directory's current stamp, as the view of ctx first read it.
func (d *directory) stamp(ctx context.Context) (string, error) {
	v, _ := ctx.Value(viewKey{}).(*view)
	if v == nil {
		return d.stamps.Stamp(ctx, d.name)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.read {
		st, err := d.stamps.Stamp(ctx, d.name)
		if err != nil {
			return "", err
		}
		v.stamp, v.read = st, true
	}
	return v.stamp, nil
}

// cached answers key from the copy kept under the current stamp, or reads it with load and
// keeps the answer. copyOf gives callers a value of their own (slices not shared).
func cached[T any](ctx context.Context, d *directory, key string, load func() (T, error), copyOf func(T) T) (T, error) {
	if d == nil {
		return load()
	}
	stamp, err := d.stamp(ctx)
	if err != nil {
		// The stamp's store is down: the database still answers, uncached.
		return load()
	}
	now := time.Now()
	d.mu.Lock()
	e, ok := d.entries[key]
	d.mu.Unlock()
	if ok && e.stamp == stamp && now.Sub(e.at) < directoryMaxAge {
		if e.err != nil {
			var zero T
			return zero, e.err
		}
		return copyOf(e.value.(T)), nil
	}
	// The stamp was read before the database: a write landing meanwhile changes the stamp
	// after its own write, so this copy is not used past it.
	v, err := load()
	if err != nil && !errors.Is(err, guanjia.ErrNotFound) {
		return v, err
	}
	d.mu.Lock()
	if len(d.entries) >= directoryMaxEntries {
		clear(d.entries)
	}
	d.entries[key] = dirEntry{stamp: stamp, at: now, value: copyOf(v), err: err}
	d.mu.Unlock()
	return v, err
}

// changed is called after every write of the directory's records: this process forgets its
// copies at once and the others see a new stamp. The write stands even when the stamp cannot
// be changed; other processes then use their copies for at most directoryMaxAge.
func (d *directory) changed(ctx context.Context) {
	if d == nil {
		return
	}
	d.mu.Lock()
	clear(d.entries)
	d.mu.Unlock()
	_ = d.stamps.Restamp(context.WithoutCancel(ctx), d.name)
	if v, _ := ctx.Value(viewKey{}).(*view); v != nil {
		// The message that wrote reads the new stamp from here on.
		v.mu.Lock()
		v.read = false
		v.mu.Unlock()
	}
}

func copyChat(c guanjia.Chat) guanjia.Chat {
	c.Buildings = slices.Clone(c.Buildings)
	return c
}

// copyEach copies a list with one, element by element.
func copyEach[T any](one func(T) T) func([]T) []T {
	return func(list []T) []T {
		out := make([]T, len(list))
		for i, v := range list {
			out[i] = one(v)
		}
		return out
	}
}

func copyPerson(p guanjia.Person) guanjia.Person {
	p.Roles = slices.Clone(p.Roles)
	p.Buildings = slices.Clone(p.Buildings)
	p.CareTags = slices.Clone(p.CareTags)
	return p
}

func copyIdentity(id guanjia.Identity) guanjia.Identity { return id }
