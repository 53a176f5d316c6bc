package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/guanjia/guanjia"
)

// Runs of scheduled jobs live in job_runs, one document per job and slot, claimed by its
// insert. FerretDB looks up nothing but _id by index, so each job's latest run is also
// pointed at from job_last (one document per job), rather than found by sorting its runs.
func (s *Store) jobRuns() *mongo.Collection { return s.communities.Database().Collection("job_runs") }
func (s *Store) jobLast() *mongo.Collection { return s.communities.Database().Collection("job_last") }

// jobLast points at a job's latest run.
type jobLast struct {
	Job  string    `bson:"_id"`
	Run  string    `bson:"run"`
	Slot time.Time `bson:"slot"`
}

// ClaimJobRun inserts run, which is the claim on its job's slot: of any number of callers,
// across processes, one gets claimed true. The others get the run already recorded.
func (s *Store) ClaimJobRun(ctx context.Context, run guanjia.JobRun) (guanjia.JobRun, bool, error) {
	if run.ID == "" {
		return run, false, fmt.Errorf("mongostore: claim job run: empty id: %w", guanjia.ErrInvalid)
	}
	run.Slot, run.Started, run.Finished = run.Slot.UTC(), run.Started.UTC(), run.Finished.UTC()
	_, err := s.jobRuns().InsertOne(ctx, run)
	if mongo.IsDuplicateKeyError(err) {
		prior, err := s.JobRun(ctx, run.ID)
		return prior, false, err
	}
	if err != nil {
		return run, false, fmt.Errorf("mongostore: claim job run %s: %w", run.ID, err)
	}
	// The claim is made: the pointer is for listings only, and failing to move it must not
	// keep the job from running. The next run moves it again.
	_ = s.noteLastRun(ctx, run)
	return run, true, nil
}

// noteLastRun makes run its job's latest, unless a later slot is already there. Two
// instances writing at once may leave the earlier of two slots for a moment; the pointer
// only serves listings, and the next run sets it again.
func (s *Store) noteLastRun(ctx context.Context, run guanjia.JobRun) error {
	var err error
	for range 3 {
		var last jobLast
		last, err = findOne[jobLast](ctx, s.jobLast(), byID(run.Job), "last job run")
		switch {
		case err == nil && last.Slot.After(run.Slot):
			return nil
		case err != nil && !errors.Is(err, guanjia.ErrNotFound):
			return err
		}
		// FerretDB's upsert is a find and an insert: two at once may both insert, and the
		// loser then finds the document and replaces it.
		err = put(ctx, s.jobLast(), run.Job, jobLast{Job: run.Job, Run: run.ID, Slot: run.Slot}, "last job run")
		if !mongo.IsDuplicateKeyError(err) {
			return err
		}
	}
	return err
}

// FinishJobRun records how a claimed run ended.
func (s *Store) FinishJobRun(ctx context.Context, run guanjia.JobRun) error {
	run.Slot, run.Started, run.Finished = run.Slot.UTC(), run.Started.UTC(), run.Finished.UTC()
	res, err := s.jobRuns().ReplaceOne(ctx, byID(run.ID), run)
	if err != nil {
		return fmt.Errorf("mongostore: finish job run %s: %w", run.ID, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("mongostore: finish job run %s: %w", run.ID, guanjia.ErrNotFound)
	}
	return nil
}

// JobRun is the run with the given id.
func (s *Store) JobRun(ctx context.Context, id string) (guanjia.JobRun, error) {
	return findOne[guanjia.JobRun](ctx, s.jobRuns(), byID(id), "job run "+id)
}

// LastJobRun is the job's run of the latest slot, and false when it never ran.
func (s *Store) LastJobRun(ctx context.Context, job string) (guanjia.JobRun, bool, error) {
	last, err := findOne[jobLast](ctx, s.jobLast(), byID(job), "last job run")
	if errors.Is(err, guanjia.ErrNotFound) {
		return guanjia.JobRun{}, false, nil
	}
	if err != nil {
		return guanjia.JobRun{}, false, err
	}
	run, err := s.JobRun(ctx, last.Run)
	if errors.Is(err, guanjia.ErrNotFound) {
		return guanjia.JobRun{}, false, nil
	}
	return run, err == nil, err
}

// DeleteJobRunsBefore removes the records of runs of slots before cutoff, except each job's
// latest, and says how many it removed. FerretDB has no TTL indexes; the cleanup job calls it.
func (s *Store) DeleteJobRunsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	lasts, err := findAll[jobLast](ctx, s.jobLast(), bson.D{}, "last job runs")
	if err != nil {
		return 0, err
	}
	keep := make([]string, len(lasts))
	for i, l := range lasts {
		keep[i] = l.Run
	}
	res, err := s.jobRuns().DeleteMany(ctx, bson.D{
		{Key: "slot", Value: bson.D{{Key: "$lt", Value: cutoff.UTC()}}},
		{Key: "_id", Value: bson.D{{Key: "$nin", Value: keep}}},
	})
	if err != nil {
		return 0, fmt.Errorf("mongostore: delete job runs: %w", err)
	}
	return int(res.DeletedCount), nil
}

// JobRunsOf lists a job's recorded runs, latest slot first, at most limit (0: all). It scans;
// tests and the odd operator listing use it.
func (s *Store) JobRunsOf(ctx context.Context, job string, limit int) ([]guanjia.JobRun, error) {
	opts := options.Find().SetSort(bson.D{{Key: "slot", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	return findAll[guanjia.JobRun](ctx, s.jobRuns(), bson.D{{Key: "job", Value: job}}, "job runs of "+job, opts)
}
