/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The registry functions: create_model, train, deploy, drop_model and
 *	  model().
 *
 * Security model.  The registry tables are readable through row level
 * security (a role sees the models of the roles it is a member of;
 * superusers see all) and writable by nobody but their owner (the role that
 * created the extension).  These functions are SECURITY INVOKER: they look a
 * model up as the caller, so RLS decides what the caller may act on, and
 * only the writes run with the tables' owner's rights, inside mq_elevate(),
 * which also pins search_path to pg_catalog, pg_temp so no object of the
 * caller's can be picked up while elevated.  A model's query never runs in
 * the caller's session: train() hands it to a job worker connected as the
 * model's owner (worker.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/cmdtag.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "mq_check.h"
#include "mq_registry.h"

/* ------------------------------------------------------------- helpers */

/* Is typid one of our model types: a base type whose input function lives in this module? */
bool
mq_is_model_type(Oid typid)
{
	HeapTuple	tup;
	Oid			input;
	bool		result = false;

	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return false;
	input = ((Form_pg_type) GETSTRUCT(tup))->typinput;
	if (((Form_pg_type) GETSTRUCT(tup))->typtype != TYPTYPE_BASE)
		input = InvalidOid;
	ReleaseSysCache(tup);
	if (!OidIsValid(input))
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(input));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		bool		isnull;
		Datum		bin;

		if (p->prolang == ClanguageId)
		{
			bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
			if (!isnull)
			{
				char	   *s = TextDatumGetCString(bin);
				size_t		len = strlen(s);

				result = len >= 8 && strcmp(s + len - 8, "marketiq") == 0;
			}
		}
		ReleaseSysCache(tup);
	}
	return result;
}

/* The owner of marketiq.models: the role registry writes run as. */
static Oid
registry_owner(void)
{
	Oid			nsp = get_namespace_oid("marketiq", false);
	Oid			rel = get_relname_relid("models", nsp);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(rel))
		elog(ERROR, "marketiq.models does not exist");
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", rel);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* Switch to the registry owner with a pinned search_path. */
void
mq_elevate(MqElevation *e)
{
	Oid			owner = registry_owner();

	GetUserIdAndSecContext(&e->saved_user, &e->saved_sec);
	SetUserIdAndSecContext(owner, e->saved_sec | SECURITY_LOCAL_USERID_CHANGE);
	e->gucnest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/* Back to the caller. */
void
mq_unelevate(MqElevation *e)
{
	AtEOXact_GUC(true, e->gucnest);
	SetUserIdAndSecContext(e->saved_user, e->saved_sec);
}

/* Validate a model name argument. */
static char *
name_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name;

	mq_check_not_null(PG_ARGISNULL(argno), "name");
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strlen(name) < 1 || strlen(name) > MQ_MODEL_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must have 1 to %d bytes", MQ_MODEL_NAME_MAX)));
	return name;
}

/* Run a one-parameter (text) query; returns SPI_processed. */
static uint64
spi_text1(const char *sql, const char *arg, bool read_only)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(arg)};
	int			ret = SPI_execute_with_args(sql, 1, argtypes, values, NULL, read_only, 0);

	if (ret < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/* Error for a model the caller cannot see. */
static void pg_attribute_noreturn()
no_such_model(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("model \"%s\" does not exist", name),
			 errhint("Models are visible to the members of their owner's role and to superusers; list yours with SELECT * FROM marketiq.model_status.")));
}

/*
 * Look a model up as the caller (row level security applies) and return its
 * owner and kind; ERROR if the caller cannot see it.  SPI must be connected.
 */
static void
lookup_as_caller(const char *name, Oid *owner, Oid *kind)
{
	bool		isnull;

	if (spi_text1("SELECT owner::oid, kind::oid FROM marketiq.models WHERE name = $1",
				  name, true) != 1)
		no_such_model(name);
	*owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*kind = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

/* --------------------------------------------------------- create_model */

PG_FUNCTION_INFO_V1(mq_create_model);

/* create_model(name, query, schedule, auto_deploy) */
Datum
mq_create_model(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	char	   *query;
	SPIPlanPtr	plan;
	List	   *sources;
	CachedPlanSource *src;
	Oid			kind;
	MqElevation e;
	Oid			argtypes[6] = {TEXTOID, TEXTOID, INTERVALOID, OIDOID, OIDOID, BOOLOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	mq_check_not_null(PG_ARGISNULL(1), "query");
	mq_check_not_null(PG_ARGISNULL(3), "auto_deploy");
	query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (!PG_ARGISNULL(2))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(2);

		if (DatumGetBool(DirectFunctionCall2(interval_le, IntervalPGetDatum(iv),
											 DirectFunctionCall3(interval_in, CStringGetDatum("0"),
																 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("schedule must be a positive interval"),
					 errhint("Use NULL for a model that only trains when marketiq.train() is called.")));
	}

	SPI_connect();

	/* check the query as the caller, without running it: one SELECT, one model column */
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	if (list_length(sources) != 1 ||
		((CachedPlanSource *) linitial(sources))->commandTag != CMDTAG_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of a model must be a single SELECT")));
	src = linitial(sources);
	if (src->resultDesc == NULL || src->resultDesc->natts != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of a model must return exactly one column"),
				 errdetail("It returns %d.", src->resultDesc ? src->resultDesc->natts : 0)));
	kind = TupleDescAttr(src->resultDesc, 0)->atttypid;
	if (!mq_is_model_type(kind))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the query of a model must return a marketiq model, not %s", format_type_be(kind)),
				 errhint("Select one model-building aggregate, e.g. SELECT marketiq.linreg(y, x) FROM t.")));

	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(query);
	if (PG_ARGISNULL(2))
	{
		values[2] = (Datum) 0;
		nulls[2] = 'n';
	}
	else
		values[2] = PG_GETARG_DATUM(2);
	values[3] = ObjectIdGetDatum(GetUserId());
	values[4] = ObjectIdGetDatum(kind);
	values[5] = BoolGetDatum(PG_GETARG_BOOL(3));

	mq_elevate(&e);
	if (spi_text1("SELECT 1 FROM marketiq.models WHERE name = $1", name, false) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("model \"%s\" already exists", name),
				 errhint("Drop it with marketiq.drop_model() first, or choose another name.")));
	if (SPI_execute_with_args("INSERT INTO marketiq.models (name, query, schedule, owner, kind, auto_deploy, created_at) "
							  "VALUES ($1, $2, $3, $4::pg_catalog.regrole, $5::pg_catalog.regtype, $6, pg_catalog.now())",
							  6, argtypes, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into marketiq.models");
	mq_unelevate(&e);

	SPI_finish();
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------- train */

/* Error unless a role may open a session (job workers connect as the owner). */
static void
check_owner_can_login(Oid owner, const char *name)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the owner of model \"%s\" no longer exists", name)));
	ok = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("model \"%s\" cannot be trained: its owner %s cannot log in",
						name, GetUserNameFromId(owner, false)),
				 errdetail("Training runs in a background worker connected as the model's owner."),
				 errhint("Create models as a role with LOGIN, or ALTER ROLE %s LOGIN.",
						 quote_identifier(GetUserNameFromId(owner, false)))));
}

PG_FUNCTION_INFO_V1(mq_train);

/* train(name) -> the new version */
Datum
mq_train(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	Oid			owner,
				kind;
	MqJobShared result;

	SPI_connect();
	lookup_as_caller(name, &owner, &kind);
	SPI_finish();
	check_owner_can_login(owner, name);

	mq_run_job(owner, name, false, &result);

	switch ((MqJobStatus) result.status)
	{
		case MQ_JOB_SUCCEEDED:
			PG_RETURN_INT32(result.version);
		case MQ_JOB_FAILED:
			ereport(ERROR,
					(errcode(result.sqlerrcode),
					 errmsg("training model \"%s\" failed: %s", name, result.message),
					 result.detail[0] ? errdetail("%s", result.detail) : 0,
					 result.hint[0] ? errhint("%s", result.hint) : 0));
			break;
		case MQ_JOB_SKIPPED:
		case MQ_JOB_NONE:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("training model \"%s\" failed: the training worker exited without a result", name),
					 errhint("See the server log.")));
	}
	PG_RETURN_NULL();
}

/* --------------------------------------------------------------- deploy */

PG_FUNCTION_INFO_V1(mq_deploy);

/* deploy(name, version) */
Datum
mq_deploy(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	int32		version = PG_GETARG_INT32(1);
	Oid			owner,
				kind;
	MqElevation e;
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(name), Int32GetDatum(version)};

	SPI_connect();
	lookup_as_caller(name, &owner, &kind);
	if (SPI_execute_with_args("SELECT 1 FROM marketiq.model_versions WHERE name = $1 AND version = $2",
							  2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read marketiq.model_versions");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version),
				 errhint("Its versions are listed in marketiq.model_versions.")));
	mq_elevate(&e);
	if (SPI_execute_with_args("UPDATE marketiq.models SET deployed_version = $2 WHERE name = $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update marketiq.models");
	mq_unelevate(&e);
	SPI_finish();
	PG_RETURN_VOID();
}

/* ----------------------------------------------------------- drop_model */

PG_FUNCTION_INFO_V1(mq_drop_model);

/* drop_model(name) */
Datum
mq_drop_model(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	Oid			owner,
				kind;
	MqElevation e;

	SPI_connect();
	lookup_as_caller(name, &owner, &kind);
	mq_elevate(&e);
	/* lock the model first: a running training holds it and finishes before we drop */
	spi_text1("SELECT 1 FROM marketiq.models WHERE name = $1 FOR UPDATE", name, false);
	spi_text1("DELETE FROM marketiq.job_runs WHERE name = $1", name, false);
	spi_text1("DELETE FROM marketiq.models WHERE name = $1", name, false);
	mq_unelevate(&e);
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------- model */

/* What model() keeps across calls of one query (fn_extra). */
typedef struct ModelCache
{
	char	   *name;			/* the model name */
	Oid			type;			/* the requested type */
	Datum		value;			/* the deployed value, in fn_mcxt */
} ModelCache;

PG_FUNCTION_INFO_V1(mq_model_get);

/* model(name, kind anyelement) -> the deployed value */
Datum
mq_model_get(PG_FUNCTION_ARGS)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	char	   *name = name_arg(fcinfo, 0);
	ModelCache *cache = (ModelCache *) fcinfo->flinfo->fn_extra;
	Oid			owner,
				kind;
	bool		isnull;
	Datum		value;
	Oid			typinput,
				typioparam;
	char	   *valtext;

	if (cache && cache->type == type && strcmp(cache->name, name) == 0)
		return cache->value;
	if (!OidIsValid(type) || !mq_is_model_type(type))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the kind argument of marketiq.model() must be a marketiq model type, not %s",
						OidIsValid(type) ? format_type_be(type) : "unknown"),
				 errhint("Pass a typed NULL, e.g. NULL::marketiq.linreg.")));

	SPI_connect();
	lookup_as_caller(name, &owner, &kind);
	if (kind != type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("model \"%s\" is a %s, not a %s", name, format_type_be(kind), format_type_be(type))));
	if (spi_text1("SELECT v.value FROM marketiq.models m "
				  "JOIN marketiq.model_versions v ON v.name = m.name AND v.version = m.deployed_version "
				  "WHERE m.name = $1", name, true) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("model \"%s\" has no deployed version", name),
				 errhint("Train it with marketiq.train('%s'), or deploy a version with marketiq.deploy().", name)));
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	valtext = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, TextDatumGetCString(value));
	SPI_finish();

	getTypeInputInfo(type, &typinput, &typioparam);
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		value = OidInputFunctionCall(typinput, valtext, typioparam, -1);
		if (cache == NULL)
			cache = palloc0(sizeof(ModelCache));
		cache->name = pstrdup(name);
		cache->type = type;
		cache->value = value;
		fcinfo->flinfo->fn_extra = cache;
		MemoryContextSwitchTo(old);
	}
	pfree(valtext);
	return value;
}
