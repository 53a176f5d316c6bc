package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/embedded"
)

// ferretURI is the embedded FerretDB every test package run shares; each test gets its own
// database in it.
var ferretURI string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "guanjia-mongostore-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	f, err := embedded.StartFerret(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(os.Stderr, "start embedded FerretDB:", err)
		return 1
	}
	defer func() { _ = f.Close() }()
	ferretURI = f.URI()
	return m.Run()
}

// forEachBackend runs a contract test on a fresh database of the embedded FerretDB, and of
// the real MongoDB at MONGODB_TEST_URI when that is set.
func forEachBackend(t *testing.T, test func(t *testing.T, st *Store)) {
	backends := []struct{ name, uri string }{{"ferretdb", ferretURI}}
	if uri := os.Getenv("MONGODB_TEST_URI"); uri != "" {
		backends = append(backends, struct{ name, uri string }{"mongodb", uri})
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, openTestStore(t, b.uri)) })
	}
}

// openTestStore opens a store on a database of its own, dropped when the test ends.
func openTestStore(t *testing.T, uri string) *Store {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	st, err := Open(ctx, uri, Options{Database: name, Now: func() time.Time { return november }})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.client.Database(name).Drop(ctx)
		_ = st.Close(ctx)
	})
	return st
}
