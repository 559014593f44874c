/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Background workers: the launcher, one scheduler per database, and the
 *	  job workers that train one model each.
 *
 * Processes (backend_type in pg_stat_activity):
 *
 *	  marketiq launcher  static worker, registered when marketiq is in
 *	                     shared_preload_libraries; no database.  Keeps one
 *	                     database worker running per name in
 *	                     marketiq.worker_databases: starts missing ones
 *	                     (also after pg_terminate_backend, within a naptime),
 *	                     stops unlisted ones after a reload.  The postmaster
 *	                     restarts it after a crash (bgw_restart_time).
 *	  marketiq worker    dynamic, one per database, connected as the bootstrap
 *	                     superuser.  At start it marks runs left "running" by
 *	                     a crash as failed; then every naptime it lists the
 *	                     due models and runs a job for each, one at a time,
 *	                     and then one embedding job per owner of embedding
 *	                     columns with due rows (src/embed/queue.c); while
 *	                     embedding jobs leave rows behind it does not sleep.
 *	  marketiq job       dynamic, connected as the model's owner; trains one
 *	                     model (marketiq.train starts these too).
 *	  marketiq embed     dynamic, connected as the owner of embedding columns;
 *	                     embeds that owner's due rows, a bounded amount per start
 *	                     (src/embed/queue.c; process_embeddings starts these too).
 *
 * A job, step by step (run_job):
 *	1. Claim the model with a session-level advisory lock: try-lock for a
 *	   scheduled run (another trainer has it: skip), wait for a manual one.
 *	   A row lock cannot do this alone, because the run's "running" record
 *	   must be committed before the training starts (so a crash leaves a trace)
 *	   and that commit would release it.
 *	2. Transaction 1: re-check the model (and, if scheduled, that it is still
 *	   due), mark older "running" runs of this model failed (we hold the
 *	   claim, so they are dead), insert this run as "running", commit.
 *	3. Transaction 2: lock the model row (FOR UPDATE: deploy and drop wait
 *	   for us), run the query in a subtransaction as the owner, with
 *	   marketiq.job_timeout as its statement timeout; store the version and
 *	   deploy it, or record the error; commit.
 * Registry writes run with the registry owner's rights (mq_elevate); the
 * query runs as the session user, the owner.  The outcome goes back to the
 * caller through dynamic shared memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "mq_embed.h"
#include "mq_registry.h"

/* settings */
char	   *mq_worker_databases = NULL;
int			mq_worker_naptime = 10;
int			mq_job_timeout = 0;

/* the advisory lock space of training claims (first key) */
#define MQ_LOCK_KEY1 0x6d71

/* ------------------------------------------------------------ settings */

/* Define the worker settings; register the launcher when preloading. */
void
mq_registry_init(void)
{
	BackgroundWorker bgw;

	DefineCustomStringVariable("marketiq.worker_databases",
							   "Databases where the marketiq worker retrains scheduled models (comma-separated; empty: no worker).",
							   NULL,
							   &mq_worker_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("marketiq.worker_naptime",
							"Time between two looks for due models by a marketiq worker.",
							NULL,
							&mq_worker_naptime,
							10, 1, 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("marketiq.job_timeout",
							"Statement timeout of a training query (0: none).",
							NULL,
							&mq_job_timeout,
							0, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "marketiq");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "mq_launcher_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "marketiq launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "marketiq launcher");
	RegisterBackgroundWorker(&bgw);
}

/*
 * Start a transaction in a worker.  Workers have no client statements, so the
 * statement start time (which now() and transaction timestamps follow) must
 * be set here, or it would stay at the process's start.
 */
static void
start_xact(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
}

/* ------------------------------------------------------------ launching */

/* Register a dynamic worker running `function`; NULL handle when no slot is free. */
BackgroundWorkerHandle *
mq_start_bgworker(const char *function, const char *type, const char *name, Datum arg,
				  const char *extra)
{
	BackgroundWorker bgw;
	BackgroundWorkerHandle *handle;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "marketiq");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "%s", type);
	bgw.bgw_main_arg = arg;
	if (extra)
		strlcpy(bgw.bgw_extra, extra, BGW_EXTRALEN);
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
		return NULL;
	return handle;
}

/* Wait for a started worker to exit; terminate it if the caller is cancelled. */
void
mq_wait_bgworker(BackgroundWorkerHandle *handle, const char *what)
{
	BgwHandleStatus st;
	pid_t		pid;

	PG_TRY();
	{
		st = WaitForBackgroundWorkerStartup(handle, &pid);
		if (st == BGWH_STARTED)
			st = WaitForBackgroundWorkerShutdown(handle);
	}
	PG_CATCH();
	{
		TerminateBackgroundWorker(handle);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (st == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("postmaster exited while a marketiq %s was running", what)));
}

/* Run one job in a job worker connected as `owner`, wait for it, copy its outcome. */
void
mq_run_job(Oid owner, const char *name, bool scheduled, MqJobShared *out)
{
	dsm_segment *seg;
	MqJobShared *job;
	BackgroundWorkerHandle *handle;

	seg = dsm_create(sizeof(MqJobShared), 0);
	job = dsm_segment_address(seg);
	memset(job, 0, sizeof(MqJobShared));
	job->dboid = MyDatabaseId;
	job->owner = owner;
	job->scheduled = scheduled;
	strlcpy(job->name, name, sizeof(job->name));

	handle = mq_start_bgworker("mq_job_main", "marketiq job", "marketiq job",
						  UInt32GetDatum(dsm_segment_handle(seg)), NULL);
	if (handle == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a marketiq training worker"),
				 errhint("Raise max_worker_processes: each training run takes a background worker slot.")));
	/* if the caller is cancelled, the job stops too (its run is cleaned up later) */
	mq_wait_bgworker(handle, "training worker");
	memcpy(out, job, sizeof(MqJobShared));
	dsm_detach(seg);
}

/* ------------------------------------------------------------------ jobs */

/* Record the error being handled into the job's outcome. */
static void
job_failed(MqJobShared *job, ErrorData *edata)
{
	job->status = MQ_JOB_FAILED;
	job->sqlerrcode = edata->sqlerrcode;
	strlcpy(job->message, edata->message ? edata->message : "unknown error", sizeof(job->message));
	strlcpy(job->detail, edata->detail ? edata->detail : "", sizeof(job->detail));
	strlcpy(job->hint, edata->hint ? edata->hint : "", sizeof(job->hint));
}

/* Run a registry statement with text/int/bigint args as the registry owner. */
static void
registry_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	MqElevation e;
	int			ret;

	mq_elevate(&e);
	ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	mq_unelevate(&e);
	if (ret != expect)
		elog(ERROR, "marketiq registry statement failed (%s): %s", SPI_result_code_string(ret), sql);
}

/* The "n" the model's text form records at its top level, or -1. */
static int64
model_rows(const char *text)
{
	/* keys are only ever preceded by ',' in our JSON, and a string cannot contain an unescaped '"' */
	const char *p = strstr(text, ",\"n\":");
	int64		n = 0;

	if (p == NULL)
		return -1;
	p += 5;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9' && n < PG_INT64_MAX / 10 - 10)
		n = n * 10 + (*p++ - '0');
	return n;
}

/* Train one model as described at the top of this file. */
static void
run_job(MqJobShared *job)
{
	Oid			t1[1] = {TEXTOID};
	Datum		v1[1];
	bool		isnull;
	bool		claimed;
	char	   *query = NULL;
	bool		auto_deploy = false;
	Oid			kind = InvalidOid;
	int64		run_id = 0;
	char	   *value = NULL;
	int64		rows = -1;
	double		seconds = 0;
	ErrorData  *edata = NULL;
	MemoryContext jobcxt = CurrentMemoryContext;

	v1[0] = CStringGetTextDatum(job->name);

	/* 1. claim */
	start_xact();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "marketiq: claiming a model");
	if (SPI_execute_with_args(job->scheduled ?
							  "SELECT pg_catalog.pg_try_advisory_lock(27761, pg_catalog.hashtext($1))" :
							  "SELECT pg_catalog.pg_advisory_lock(27761, pg_catalog.hashtext($1)) IS NULL",
							  1, t1, v1, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not take the training claim");
	claimed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!job->scheduled)
		claimed = true;
	if (!claimed)
	{
		job->status = MQ_JOB_SKIPPED;
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		return;
	}

	/* 2. the "running" record */
	{
		MqElevation e;
		const char *sql = job->scheduled ?
		"SELECT m.query, m.auto_deploy, m.kind::pg_catalog.oid FROM marketiq.models m "
		"JOIN marketiq.model_status s ON s.name = m.name "
		"WHERE m.name = $1 AND m.schedule IS NOT NULL AND s.next_due <= pg_catalog.now()" :
		"SELECT m.query, m.auto_deploy, m.kind::pg_catalog.oid FROM marketiq.models m WHERE m.name = $1";

		mq_elevate(&e);
		if (SPI_execute_with_args(sql, 1, t1, v1, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read marketiq.models");
		mq_unelevate(&e);
		if (SPI_processed != 1)
		{
			if (job->scheduled)
				job->status = MQ_JOB_SKIPPED;
			else
			{
				job->status = MQ_JOB_FAILED;
				job->sqlerrcode = ERRCODE_UNDEFINED_OBJECT;
				snprintf(job->message, sizeof(job->message), "model \"%s\" does not exist (was it dropped, or not committed yet?)", job->name);
			}
			SPI_finish();
			PopActiveSnapshot();
			CommitTransactionCommand();
			return;
		}
		{
			MemoryContext old = MemoryContextSwitchTo(jobcxt);

			query = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			MemoryContextSwitchTo(old);
		}
		auto_deploy = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		kind = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));

		registry_exec("UPDATE marketiq.job_runs SET status = 'failed', finished_at = pg_catalog.now(), "
					  "error = 'the run did not finish: its worker was terminated or the server crashed or restarted' "
					  "WHERE name = $1 AND status = 'running'",
					  1, t1, v1, NULL, SPI_OK_UPDATE);
		{
			Oid			t4[4] = {TEXTOID, TEXTOID, OIDOID, INT4OID};
			Datum		v4[4] = {v1[0], CStringGetTextDatum(job->scheduled ? "scheduled" : "manual"),
			ObjectIdGetDatum(job->owner), Int32GetDatum(MyProcPid)};

			mq_elevate(&e);
			if (SPI_execute_with_args("INSERT INTO marketiq.job_runs (name, kind, started_at, status, owner, pid) "
									  "VALUES ($1, $2, pg_catalog.now(), 'running', $3::pg_catalog.regrole, $4) RETURNING id",
									  4, t4, v4, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
				elog(ERROR, "could not insert into marketiq.job_runs");
			mq_unelevate(&e);
			run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();

	/* 3. train */
	start_xact();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	registry_exec("SELECT 1 FROM marketiq.models WHERE name = $1 FOR UPDATE", 1, t1, v1, NULL, SPI_OK_SELECT);
	if (SPI_processed != 1)
	{
		job->status = MQ_JOB_FAILED;
		job->sqlerrcode = ERRCODE_UNDEFINED_OBJECT;
		snprintf(job->message, sizeof(job->message), "model \"%s\" was dropped during the run", job->name);
	}
	else
	{
		MemoryContext oldcxt = CurrentMemoryContext;
		ResourceOwner oldowner = CurrentResourceOwner;
		TimestampTz start = GetCurrentTimestamp();

		pgstat_report_activity(STATE_RUNNING, query);
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcxt);
		PG_TRY();
		{
			int			ret;
			Oid			got;

			if (mq_job_timeout > 0)
				enable_timeout_after(STATEMENT_TIMEOUT, mq_job_timeout);
			ret = SPI_execute(query, false, 2);
			if (mq_job_timeout > 0)
				disable_timeout(STATEMENT_TIMEOUT, false);
			if (ret != SPI_OK_SELECT)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the query did not run as a SELECT")));
			if (SPI_processed != 1)
				ereport(ERROR,
						(errcode(ERRCODE_CARDINALITY_VIOLATION),
						 errmsg("the query returned %s rows instead of one",
								SPI_processed == 0 ? "no" : "several")));
			if (SPI_tuptable->tupdesc->natts != 1)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("the query returned %d columns instead of one", SPI_tuptable->tupdesc->natts)));
			got = SPI_gettypeid(SPI_tuptable->tupdesc, 1);
			if (got != kind)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("the query returned a %s instead of a %s", format_type_be(got), format_type_be(kind))));
			(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("the query returned a NULL model"),
						 errhint("An aggregate over no rows returns NULL: check that the query finds data.")));
			MemoryContextSwitchTo(jobcxt);
			value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			MemoryContextSwitchTo(oldcxt);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
		}
		PG_CATCH();
		{
			if (mq_job_timeout > 0)
				disable_timeout(STATEMENT_TIMEOUT, false);
			MemoryContextSwitchTo(jobcxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
		}
		PG_END_TRY();
		seconds = (GetCurrentTimestamp() - start) / 1000000.0;

		if (edata == NULL)
		{
			Oid			tv[6] = {TEXTOID, OIDOID, TEXTOID, FLOAT8OID, INT8OID, OIDOID};
			Datum		vv[6];
			char		nv[6] = {' ', ' ', ' ', ' ', ' ', ' '};
			int			version;
			MqElevation e;

			rows = model_rows(value);
			vv[0] = v1[0];
			vv[1] = ObjectIdGetDatum(kind);
			vv[2] = CStringGetTextDatum(value);
			vv[3] = Float8GetDatum(seconds);
			vv[4] = Int64GetDatum(rows);
			vv[5] = ObjectIdGetDatum(job->owner);
			if (rows < 0)
				nv[4] = 'n';
			mq_elevate(&e);
			if (SPI_execute_with_args("INSERT INTO marketiq.model_versions (name, version, kind, value, trained_at, seconds, rows, owner) "
									  "SELECT $1, coalesce(max(version), 0) + 1, $2::pg_catalog.regtype, $3, pg_catalog.now(), $4, $5, $6::pg_catalog.regrole "
									  "FROM marketiq.model_versions WHERE name = $1 RETURNING version",
									  6, tv, vv, nv, false, 0) != SPI_OK_INSERT_RETURNING)
				elog(ERROR, "could not insert into marketiq.model_versions");
			mq_unelevate(&e);
			version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			{
				Oid			tu[3] = {TEXTOID, INT4OID, INT8OID};
				Datum		vu[3] = {v1[0], Int32GetDatum(version), Int64GetDatum(run_id)};

				if (auto_deploy)
					registry_exec("UPDATE marketiq.models SET deployed_version = $2 WHERE name = $1",
								  2, tu, vu, NULL, SPI_OK_UPDATE);
				registry_exec("UPDATE marketiq.job_runs SET status = 'succeeded', finished_at = pg_catalog.clock_timestamp(), "
							  "version = $2 WHERE id = $3 AND $1 IS NOT NULL",
							  3, tu, vu, NULL, SPI_OK_UPDATE);
			}
			job->status = MQ_JOB_SUCCEEDED;
			job->version = version;
		}
		else
		{
			Oid			tf[2] = {INT8OID, TEXTOID};
			Datum		vf[2] = {Int64GetDatum(run_id), CStringGetTextDatum(edata->message ? edata->message : "unknown error")};

			registry_exec("UPDATE marketiq.job_runs SET status = 'failed', finished_at = pg_catalog.clock_timestamp(), "
						  "error = $2 WHERE id = $1",
						  2, tf, vf, NULL, SPI_OK_UPDATE);
			job_failed(job, edata);
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Start of a job worker: take SIGTERM as a cancel and attach the request's
 * shared memory (segment handle in arg); ERROR if the caller has gone.
 */
dsm_segment *
mq_bgworker_attach(Datum arg, const char *what)
{
	dsm_segment *seg;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s: the request is gone (its caller was cancelled)", what)));
	return seg;
}

/* Entry point of a job worker. */
void
mq_job_main(Datum arg)
{
	dsm_segment *seg = mq_bgworker_attach(arg, "marketiq job");
	MqJobShared *job = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(job->dboid, job->owner, 0);
	CurrentMemoryContext = AllocSetContextCreate(TopMemoryContext, "marketiq job", ALLOCSET_DEFAULT_SIZES);
	run_job(job);
	dsm_detach(seg);
	proc_exit(0);
}

/* ------------------------------------------------------- database worker */

/* Mark "running" runs whose trainer is gone as failed (at start, after a crash). */
static void
recover_runs(void)
{
	MqElevation e;

	mq_elevate(&e);
	if (SPI_execute("UPDATE marketiq.job_runs r SET status = 'failed', finished_at = pg_catalog.now(), "
					"error = 'the run did not finish: its worker was terminated or the server crashed or restarted' "
					"WHERE r.status = 'running' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l "
					"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 27761 "
					"AND l.objid = (pg_catalog.hashtext(r.name)::pg_catalog.int8 & 4294967295)::pg_catalog.oid "
					"AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))",
					false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not recover marketiq.job_runs");
	mq_unelevate(&e);
	if (SPI_processed > 0)
		ereport(LOG,
				(errmsg("marketiq worker: marked %lu interrupted training runs as failed",
						(unsigned long) SPI_processed)));
}

/* A model to train: name and owner. */
typedef struct DueModel
{
	char	   *name;
	Oid			owner;
} DueModel;

/* The due models (and, on the first pass, recover interrupted runs); NIL when marketiq is absent. */
static List *
due_models(bool first)
{
	List	   *due = NIL;
	MemoryContext cxt = CurrentMemoryContext;
	uint64		i;

	start_xact();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "marketiq: looking for due models");
	if (SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'marketiq'", true, 0) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		if (first)
			recover_runs();
		if (SPI_execute("SELECT name, owner::pg_catalog.oid FROM marketiq.model_status "
						"WHERE schedule IS NOT NULL AND next_due <= pg_catalog.now() "
						"ORDER BY next_due, name", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read marketiq.model_status");
		for (i = 0; i < SPI_processed; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);
			DueModel   *d = palloc(sizeof(DueModel));
			bool		isnull;

			d->name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			d->owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			due = lappend(due, d);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return due;
}

/* Entry point of a database worker: the database name is in bgw_extra. */
void
mq_dbworker_main(Datum arg)
{
	char		dbname[BGW_EXTRALEN];
	MemoryContext loopcxt;
	bool		first = true;
	bool		more;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	strlcpy(dbname, MyBgworkerEntry->bgw_extra, sizeof(dbname));
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);
	ereport(LOG, (errmsg("marketiq worker started in database \"%s\"", dbname)));

	loopcxt = AllocSetContextCreate(TopMemoryContext, "marketiq worker loop", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		List	   *due;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		MemoryContextReset(loopcxt);
		MemoryContextSwitchTo(loopcxt);
		due = due_models(first);
		foreach(lc, due)
		{
			DueModel   *d = lfirst(lc);
			MqJobShared result;

			CHECK_FOR_INTERRUPTS();
			start_xact();	/* for the DSM resource owner */
			mq_run_job(d->owner, d->name, true, &result);
			CommitTransactionCommand();
			MemoryContextSwitchTo(loopcxt);
			if (result.status == MQ_JOB_FAILED)
				ereport(LOG,
						(errmsg("marketiq worker: training model \"%s\" failed: %s", d->name, result.message)));
			else if (result.status == MQ_JOB_NONE)
				ereport(LOG,
						(errmsg("marketiq worker: the training worker of model \"%s\" exited without a result", d->name)));
		}
		/* then the embedding columns: one bounded job per owner with due rows */
		CHECK_FOR_INTERRUPTS();
		more = mq_embed_worker_pass(first);
		first = false;
		MemoryContextSwitchTo(loopcxt);
		/* with rows left over, come back at once (after checking for signals) */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 more ? 1L : mq_worker_naptime * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* --------------------------------------------------------------- launcher */

/* One database worker the launcher keeps. */
typedef struct DbWorker
{
	char		dbname[NAMEDATALEN];
	BackgroundWorkerHandle *handle;
} DbWorker;

static DbWorker *dbworkers = NULL;
static int	ndbworkers = 0;

/* Is a database worker alive? */
static bool
dbworker_alive(DbWorker *w)
{
	pid_t		pid;

	return w->handle != NULL && GetBackgroundWorkerPid(w->handle, &pid) != BGWH_STOPPED;
}

/* Start, keep or stop database workers to match marketiq.worker_databases. */
static void
sync_dbworkers(void)
{
	char	   *raw = pstrdup(mq_worker_databases ? mq_worker_databases : "");
	List	   *names = NIL;
	ListCell   *lc;
	int			i;

	if (!SplitIdentifierString(raw, ',', &names))
	{
		ereport(LOG,
				(errmsg("marketiq launcher: marketiq.worker_databases is not a valid list of database names")));
		names = NIL;
	}
	/* stop workers of databases no longer listed */
	for (i = 0; i < ndbworkers; i++)
	{
		bool		listed = false;

		foreach(lc, names)
			if (strcmp(dbworkers[i].dbname, (char *) lfirst(lc)) == 0)
				listed = true;
		if (!listed && dbworkers[i].dbname[0] != '\0')
		{
			if (dbworker_alive(&dbworkers[i]))
			{
				TerminateBackgroundWorker(dbworkers[i].handle);
				ereport(LOG, (errmsg("marketiq launcher: stopping the worker of database \"%s\"",
									 dbworkers[i].dbname)));
			}
			dbworkers[i].dbname[0] = '\0';
			dbworkers[i].handle = NULL;
		}
	}
	/* start missing ones */
	foreach(lc, names)
	{
		char	   *db = lfirst(lc);
		DbWorker   *w = NULL;
		char		wname[BGW_MAXLEN];

		for (i = 0; i < ndbworkers; i++)
			if (strcmp(dbworkers[i].dbname, db) == 0)
				w = &dbworkers[i];
		if (w == NULL)
		{
			for (i = 0; i < ndbworkers; i++)
				if (dbworkers[i].dbname[0] == '\0')
					w = &dbworkers[i];
			if (w == NULL)
			{
				dbworkers = dbworkers ?
					repalloc(dbworkers, sizeof(DbWorker) * (ndbworkers + 1)) :
					MemoryContextAlloc(TopMemoryContext, sizeof(DbWorker));
				w = &dbworkers[ndbworkers++];
			}
			strlcpy(w->dbname, db, NAMEDATALEN);
			w->handle = NULL;
		}
		if (dbworker_alive(w))
			continue;
		snprintf(wname, sizeof(wname), "marketiq worker %s", db);
		w->handle = mq_start_bgworker("mq_dbworker_main", "marketiq worker", wname, (Datum) 0, db);
		if (w->handle == NULL)
			ereport(LOG,
					(errmsg("marketiq launcher: could not start the worker of database \"%s\"", db),
					 errhint("Raise max_worker_processes.")));
	}
	pfree(raw);
}

/* Entry point of the launcher. */
void
mq_launcher_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* no database: this only makes the launcher visible in pg_stat_activity */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	ereport(LOG, (errmsg("marketiq launcher started")));

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		sync_dbworkers();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 mq_worker_naptime * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
