package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// startTimeout bounds how long StartFerret waits for FerretDB to answer.
const startTimeout = 30 * time.Second

// Ferret is an embedded FerretDB keeping its data in SQLite files in one folder and serving
// the MongoDB wire protocol on a random local port.
type Ferret struct {
	dir    string
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// StartFerret starts FerretDB with its SQLite files in dir (created if needed) and returns
// once it answers a ping. FerretDB's own messages go to logger at debug level only.
func StartFerret(dir string, logger *slog.Logger) (*Ferret, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: ferretdb folder: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fdb, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:  "sqlite",
		// WAL with synchronous=NORMAL: a commit is not fsynced on its own, which makes every
		// insert several times faster; what is committed survives the process being killed
		// (only a power loss can take the last commits).
		SQLiteURL: "file:" + dir + "/?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)",
		Logger:    slog.New(quietHandler{logger.Handler()}).With("component", "ferretdb"),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: ferretdb: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Ferret{dir: dir, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		_ = fdb.Run(ctx)
	}()
	// The listener is bound by New, so the address is known before Run gets going.
	f.uri = fdb.MongoDBURI()
	if err := f.waitReady(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// waitReady pings until FerretDB answers: a bound port alone does not mean the SQLite
// backend is open.
func (f *Ferret) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(f.uri))
	if err != nil {
		return fmt.Errorf("embedded: ferretdb client: %w", err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	for {
		err = client.Ping(ctx, nil)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedded: ferretdb did not answer: %w", err)
		case <-f.done:
			return fmt.Errorf("embedded: ferretdb stopped while starting: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URI is the MongoDB connection string of the running FerretDB.
func (f *Ferret) URI() string { return f.uri }

// Close stops FerretDB and waits until it has closed its connections and SQLite files.
func (f *Ferret) Close() error {
	f.cancel()
	<-f.done
	return nil
}

// quietHandler passes FerretDB's records on at debug level, so that a normal run shows none
// of its chatter. FerretDB's own debug records are dropped: they dump whole wire messages,
// documents with phone numbers included. Errors keep their level: they mean trouble.
type quietHandler struct{ h slog.Handler }

func (q quietHandler) level(l slog.Level) (slog.Level, bool) {
	switch {
	case l < slog.LevelInfo:
		return l, false
	case l < slog.LevelError:
		return slog.LevelDebug, true
	default:
		return l, true
	}
}

func (q quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	l, ok := q.level(l)
	return ok && q.h.Enabled(ctx, l)
}

func (q quietHandler) Handle(ctx context.Context, r slog.Record) error {
	l, ok := q.level(r.Level)
	if !ok {
		return nil
	}
	r.Level = l
	return q.h.Handle(ctx, r)
}

func (q quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{q.h.WithAttrs(attrs)}
}

func (q quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{q.h.WithGroup(name)}
}
