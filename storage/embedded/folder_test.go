package embedded_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/embedded"
)

func TestFolderHeldByOneProcessAtATime(t *testing.T) {
	dir := t.TempDir()
	first, shared, err := embedded.ClaimFolder(dir, time.Second)
	if err != nil || first == nil || shared != nil {
		t.Fatalf("first claim = %v, %v, %v", first, shared, err)
	}

	// Held, nothing published: refused after the wait, naming the holder.
	start := time.Now()
	_, _, err = embedded.ClaimFolder(dir, 300*time.Millisecond)
	var held *embedded.HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() {
		t.Fatalf("claim of a held folder = %v; want a HeldError naming pid %d", err, os.Getpid())
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Error("did not wait for the holder")
	}

	// Published: later claims get the holder's stores at once.
	if err := first.Publish(embedded.Stores{RedisURL: "redis://:pw@127.0.0.1:1/0", MongoURI: "mongodb://127.0.0.1:2/"}); err != nil {
		t.Fatal(err)
	}
	f, shared, err := embedded.ClaimFolder(dir, time.Minute)
	if err != nil || f != nil || shared == nil || shared.RedisURL != "redis://:pw@127.0.0.1:1/0" || shared.PID != os.Getpid() {
		t.Fatalf("claim beside a publishing holder = %v, %+v, %v", f, shared, err)
	}

	// Let go: the next claim holds it, and the old stores are no longer offered.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, shared, err := embedded.ClaimFolder(dir, time.Second)
	if err != nil || second == nil || shared != nil {
		t.Fatalf("claim after Close = %v, %+v, %v", second, shared, err)
	}
	defer second.Close()
	if _, err := os.Stat(dir + "/" + embedded.StoresFile); !os.IsNotExist(err) {
		t.Errorf("stores file of the old holder still there: %v", err)
	}
}
