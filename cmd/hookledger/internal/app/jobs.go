package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hookledger/hookledger/reconcile"
)

// DefaultSchedule is the schedule when HOOKLEDGER_SCHEDULE is empty: an
// incremental reconcile every 15 minutes, a deep one daily over the
// providers' retention, alert checks every minute, retention hourly. The scheduler runs
// whatever named jobs it is given; which names exist is job's business.
const DefaultSchedule = "reconcile=@every 15m;deep=@daily;alerts=@every 1m;prune=@hourly"

// StartJobs schedules the jobs HOOKLEDGER_SCHEDULE names ("off" for none)
// and starts the alert outbox delivery. The returned stop waits for running
// jobs and delivery to end, up to ctx.
func (a *App) StartJobs(ctx context.Context) (stop func(context.Context), err error) {
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Alerter.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.Log.Error("alert delivery stopped", "error", err)
		}
	}()
	stopDelivery := func(ctx context.Context) {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	jobs, err := ScheduleJobs(a.Config.Schedule)
	if err != nil {
		cancel()
		return nil, UsageError("HOOKLEDGER_SCHEDULE: " + err.Error())
	}
	if len(jobs) == 0 {
		a.Log.Info("scheduled jobs off")
		return stopDelivery, nil
	}
	sched := reconcile.NewScheduler(a.DB, a.Log, func(ctx context.Context, job string, err error) {
		if aerr := a.Alerter.JobDone(ctx, job, err); aerr != nil {
			a.Log.Error("alert job failure", "job", job, "error", aerr)
		}
	})
	// Several instances on one ledger run each tick once: on the one that
	// holds the scheduler lease.
	sched.Lead(a.DB, a.Config.LeaderTTL)
	for _, j := range jobs {
		fn, err := a.job(j.Name)
		if err != nil {
			cancel()
			return nil, err
		}
		// WatchJob resolves a job's "failed" alert when a later run succeeds.
		if err := sched.Add(j.Name, j.Spec, reconcile.JobFunc(a.Alerter.WatchJob(j.Name, fn))); err != nil {
			cancel()
			return nil, UsageError(err.Error())
		}
		a.Log.Info("job scheduled", "job", j.Name, "spec", j.Spec)
	}
	sched.Start(runCtx)
	return func(ctx context.Context) {
		if err := sched.Stop(ctx); err != nil {
			a.Log.Warn("stop scheduler", "error", err)
		}
		stopDelivery(ctx)
	}, nil
}

// jobNames are the jobs a schedule can name.
var jobNames = []string{"reconcile", "deep", "alerts", "prune"}

// ScheduleJobs parses a schedule (HOOKLEDGER_SCHEDULE, cron --schedule):
// "" is the default schedule, "off" none. It fails on a spec that does
// not parse and on a job it does not know, so that a bad schedule stops a
// command before it starts rather than when the job is due.
func ScheduleJobs(spec string) ([]reconcile.Job, error) {
	if strings.TrimSpace(spec) == "off" {
		return nil, nil
	}
	jobs, err := reconcile.ParseSchedule(cmp.Or(strings.TrimSpace(spec), DefaultSchedule))
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if !slices.Contains(jobNames, j.Name) {
			return nil, fmt.Errorf("unknown job %q (want %s)", j.Name, strings.Join(jobNames, ", "))
		}
	}
	return jobs, nil
}

// job returns the work of the scheduled job name: reconcile (incremental,
// from each source's watermark), deep (everything the providers keep),
// alerts (dead and stuck events) or prune (retention).
func (a *App) job(name string) (reconcile.JobFunc, error) {
	switch name {
	case "reconcile", "deep":
		r := a.Reconciler(name, reconcile.Options{})
		window := r.Incremental
		if name == "deep" {
			window = r.Deep
		}
		return func(ctx context.Context) error {
			if len(a.Provs.Reconcile) == 0 {
				return nil
			}
			_, err := r.RunAll(ctx, a.Provs.Reconcile, window)
			return err
		}, nil
	case "alerts":
		return a.Alerter.Check, nil
	case "prune":
		return a.pruneJob, nil
	default:
		return nil, fmt.Errorf("unknown job %q", name)
	}
}
