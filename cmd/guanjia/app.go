package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/flows"
	"github.com/guanjia/guanjia/flows/schedule"
	"github.com/guanjia/guanjia/storage/embedded"
	"github.com/guanjia/guanjia/storage/mongostore"
	"github.com/guanjia/guanjia/storage/redisstate"
	"github.com/guanjia/guanjia/templates"
)

// App is guanjia wired together: stores, templates, flows and the mux. Tests run it end to end.
type App struct {
	cfg Config
	log *slog.Logger

	ferret   *embedded.Ferret
	embRedis *embedded.Redis
	rdb      *redis.Client

	Store     *mongostore.Store
	State     *redisstate.Store
	Templates *templates.Set
	Engine    *flows.Engine
	Mux       *bot.Mux
	Outbox    *outbox.Outbox
	Metrics   *bot.Metrics
	Registry  *prometheus.Registry
	Scheduler *schedule.Scheduler

	channels []bot.Channel
	coverage coverageWatch
}

// openStore connects to MongoDB, or starts the embedded FerretDB when no URI is configured,
// and loads the sample data on the embedded store's first start.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*mongostore.Store, *embedded.Ferret, error) {
	if cfg.MongoURI != "" {
		st, err := mongostore.Open(ctx, cfg.MongoURI, mongostore.Options{Database: cfg.MongoDatabase, Location: cfg.location(), Now: cfg.clock})
		return st, nil, err
	}
	st, fdb, err := openEmbedded(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	// Lookups by _id read whole tables until FerretDB starts with the indexes that fix it
	// (see embedded.IndexIDs): once, when the store has just made its collections.
	added, err := fdb.IndexIDs(ctx, cfg.MongoDatabase)
	if err != nil {
		log.Warn("embedded store: _id indexes", "err", err)
	}
	if added > 0 {
		log.Info("embedded store: restarting with its _id indexes", "indexes", added)
		closeStore(st, fdb)
		if st, fdb, err = openEmbedded(ctx, cfg, log); err != nil {
			return nil, nil, err
		}
	}
	seeded, err := st.Seeded(ctx)
	if err == nil && !seeded {
		log.Info("loading sample data", "community", mongostore.SampleCommunity)
		err = st.SeedAt(ctx, cfg.clock())
	}
	if err != nil {
		closeStore(st, fdb)
		return nil, nil, fmt.Errorf("sample data: %w", err)
	}
	return st, fdb, nil
}

// openEmbedded starts the embedded FerretDB in the data folder and opens the store on it.
func openEmbedded(ctx context.Context, cfg Config, log *slog.Logger) (*mongostore.Store, *embedded.Ferret, error) {
	fdb, err := embedded.StartFerret(filepath.Join(cfg.DataDir, "ferretdb"), log)
	if err != nil {
		return nil, nil, fmt.Errorf("start embedded store: %w", err)
	}
	st, err := mongostore.Open(ctx, fdb.URI(), mongostore.Options{Database: cfg.MongoDatabase, Location: cfg.location(), Now: cfg.clock})
	if err != nil {
		_ = fdb.Close()
		return nil, nil, err
	}
	return st, fdb, nil
}

// Open starts the stores and builds the engine. now is the clock (nil: time.Now).
func Open(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (a *App, err error) {
	if now == nil {
		now = time.Now
	}
	a = &App{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if a.Templates, err = templates.Load(); err != nil {
		return nil, err
	}
	if a.Store, a.ferret, err = openStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	redisURL := cfg.RedisURL
	if redisURL == "" {
		if a.embRedis, err = embedded.StartRedis(cfg.DataDir, log); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		redisURL = a.embRedis.URL()
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	a.rdb = redis.NewClient(opts)
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	a.State = redisstate.New(a.rdb, redisstate.Options{Prefix: cfg.RedisPrefix, Now: now})
	// Ticket numbers come from Redis in one step each, checked against the records.
	a.Store.SetSequencer(a.State)
	a.Registry = prometheus.NewRegistry()
	a.Metrics = bot.NewMetrics(a.Registry)
	intents, err := officeIntents(cfg)
	if err != nil {
		return nil, err
	}
	a.Engine = flows.New(flows.Deps{
		Intents:   intents,
		Directory: a.Store, Tickets: a.Store, Sessions: a.State, Binder: a.Store, Attempts: a.State,
		Fees: a.Store, FAQs: a.Store, Alarms: a.State, Dunning: a.Store,
		Templates: a.Templates,
		Linkers:   map[string]bot.Linker{}, AccountBinders: map[string]bot.AccountBinder{}, Metrics: a.Metrics, Now: now, Log: log,
		Config: flows.Config{SessionIdle: cfg.SessionIdle, FollowUpWait: cfg.FollowUpWait, Location: cfg.location(),
			ComplaintReply: cfg.ComplaintReply, CodeTTL: cfg.CodeTTL, DunningSteps: cfg.Fees.steps(communityIDs(ctx, a.Store))},
	})
	a.Outbox = outbox.New(a.State, outbox.Options{Log: log, Metrics: a.Metrics, Unreachable: a.unreachable, Stale: a.Engine.ReminderStale})
	a.Mux = bot.NewMux(a.Engine, a.State, a.Outbox, log, a.Metrics)
	if a.Scheduler, err = newScheduler(cfg, log, a.Store, a.Engine, a.Outbox, now); err != nil {
		return nil, err
	}
	return a, nil
}

// unreachable records on the chat that messages to it fail for good, for operators and so
// that later features can stop addressing it.
func (a *App) unreachable(ctx context.Context, channel, chat, reason string) {
	if err := a.Store.MarkChatUnreachable(ctx, channel, chat, reason); err != nil {
		a.log.Error("mark chat unreachable", "channel", channel, "chat_id", chat, "err", err)
	}
	a.coverageChanged(ctx, &a.coverage)
}

// Attach makes a channel part of the app: its messages are handled and its replies queued
// and paced by limits.
func (a *App) Attach(ch bot.Channel, limits outbox.Limits) {
	a.Mux.Add(ch)
	a.Outbox.Register(ch, limits)
	if l, ok := ch.(bot.Linker); ok {
		a.Engine.Linkers[ch.Name()] = l
	}
	if b, ok := ch.(bot.AccountBinder); ok {
		a.Engine.AccountBinders[ch.Name()] = b
	}
	a.channels = append(a.channels, ch)
}

// Channel is a channel together with its limits.
type Channel struct {
	bot.Channel
	Limits outbox.Limits
}

// Run runs the channels and the outbound queue until ctx is done or the channels' input
// ends; then it stops the queue, letting the sends under way finish.
func (a *App) Run(ctx context.Context, channels ...Channel) error {
	for _, ch := range channels {
		a.Attach(ch.Channel, ch.Limits)
	}
	outCtx, stopOut := context.WithCancel(context.WithoutCancel(ctx))
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		_ = a.Outbox.Run(outCtx)
	}()
	var httpDone chan error
	if a.cfg.HTTPAddr != "" {
		srv, err := a.serveHTTP(a.cfg.HTTPAddr)
		if err != nil {
			stopOut()
			<-outDone
			return err
		}
		httpDone = make(chan error, 1)
		go func() { httpDone <- srv.wait() }()
		defer func() {
			srv.shutdown()
			<-httpDone
		}()
	}
	stopJobs := a.startJobs(ctx)
	err := a.Mux.Run(ctx)
	stopJobs() // jobs may still queue messages: the queue stops after them
	stopOut()
	<-outDone
	return err
}

// Close stops everything Open started, saving the embedded Redis snapshot.
func (a *App) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.rdb != nil {
		errs = append(errs, a.rdb.Close())
	}
	if a.embRedis != nil {
		errs = append(errs, a.embRedis.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close(ctx))
	}
	if a.ferret != nil {
		errs = append(errs, a.ferret.Close())
	}
	return errors.Join(errs...)
}
