/*-------------------------------------------------------------------------
 *
 * mq_registry.h
 *	  The model registry, its background worker and the training jobs.
 *
 * Every training run, manual (marketiq.train) or scheduled (the database
 * worker), executes in a "job" background worker connected to the database
 * as the model's owner, so the training query has exactly the owner's rights
 * and role/database settings, and the run's record is committed by the job
 * whatever happens to the caller.  The caller waits for the job and reads
 * its outcome from a dynamic shared memory segment (MqJobShared).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_REGISTRY_H
#define MQ_REGISTRY_H

#include "postgres.h"

/* outcome of a job */
typedef enum MqJobStatus
{
	MQ_JOB_NONE = 0,			/* the job never reported (it did not start, or died) */
	MQ_JOB_SUCCEEDED,			/* a version was stored */
	MQ_JOB_FAILED,				/* the run failed; its error is recorded */
	MQ_JOB_SKIPPED				/* scheduled run not needed: busy or no longer due */
} MqJobStatus;

#define MQ_MODEL_NAME_MAX 128	/* bytes, also a CHECK on marketiq.models.name */

/* What a job is asked to do and what it reports, in dynamic shared memory. */
typedef struct MqJobShared
{
	/* request, written by the caller */
	Oid			dboid;			/* database */
	Oid			owner;			/* role to connect as: the model's owner */
	bool		scheduled;		/* run by the worker (skip if busy or not due) */
	char		name[MQ_MODEL_NAME_MAX + 1];	/* model name */
	/* outcome, written by the job */
	int			status;			/* MqJobStatus */
	int			version;		/* the new version (MQ_JOB_SUCCEEDED) */
	int			sqlerrcode;		/* error code of a failed run */
	char		message[1024];	/* its message */
	char		detail[1024];	/* its detail ("" if none) */
	char		hint[512];		/* its hint ("" if none) */
} MqJobShared;

/* settings */
extern char *mq_worker_databases;
extern int	mq_worker_naptime;
extern int	mq_job_timeout;

/* GUCs and, under shared_preload_libraries, the launcher; from _PG_init */
extern void mq_registry_init(void);

/* Run one training job as `owner` in a background worker and wait for it; fills *out. */
extern void mq_run_job(Oid owner, const char *name, bool scheduled, MqJobShared *out);

/*
 * Register a dynamic background worker of this library running `function`
 * (connected as it decides), notifying the caller; NULL when no slot is free.
 * `extra` (may be NULL) goes to bgw_extra.
 */
struct BackgroundWorkerHandle;
extern struct BackgroundWorkerHandle *mq_start_bgworker(const char *function, const char *type,
														const char *name, Datum arg, const char *extra);

/*
 * Wait until a worker started by mq_start_bgworker has exited.  If the caller
 * is cancelled meanwhile, the worker is terminated too and the error goes on;
 * if the postmaster dies, FATAL naming `what` (e.g. "training worker").
 */
extern void mq_wait_bgworker(struct BackgroundWorkerHandle *handle, const char *what);

/*
 * In a job worker started that way: handle SIGTERM, attach the request's
 * dynamic shared memory (its handle is the main argument); ERROR naming
 * `what` if the caller has gone.
 */
struct dsm_segment;
extern struct dsm_segment *mq_bgworker_attach(Datum arg, const char *what);

/* Background worker entry points (looked up by name). */
extern PGDLLEXPORT void mq_launcher_main(Datum arg);
extern PGDLLEXPORT void mq_dbworker_main(Datum arg);
extern PGDLLEXPORT void mq_job_main(Datum arg);

/* Helpers shared by registry.c and worker.c */

/* Is typid a marketiq model type (a base type whose input function is in this module)? */
extern bool mq_is_model_type(Oid typid);

/*
 * Run a block of registry SQL with the registry tables' owner's rights and a
 * pinned search_path (pg_catalog, pg_temp), restoring the caller afterwards.
 */
typedef struct MqElevation
{
	Oid			saved_user;		/* caller's user id */
	int			saved_sec;		/* caller's security context */
	int			gucnest;		/* GUC nest level of the pinned search_path */
} MqElevation;

extern void mq_elevate(MqElevation *e);
extern void mq_unelevate(MqElevation *e);

#endif							/* MQ_REGISTRY_H */
