/*-------------------------------------------------------------------------
 *
 * similarity.c
 *	  The synchronous SQL surface of embeddings: embed(), the builtin
 *	  embedder's embedding_features(), and cosine_similarity().
 *
 * embed() keeps the builtin embedder's scratch space in fn_extra, so a scan
 * that embeds a million rows allocates it once; each row costs one result
 * array.  The openai provider is called once per row with the caller's
 * settings and retried in place (sleeping, interruptibly) on the errors the
 * retry rules name; the queue (queue.c) batches rows instead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "mq_check.h"
#include "mq_embed.h"

/* A 1-D real[] of n elements, uninitialised (fill ARR_DATA_PTR). */
static ArrayType *
new_float4_array(int n)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float4) * (Size) n;
	ArrayType  *a = palloc(bytes);

	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT4OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/* Provider names accepted by embed() and embed_column(). */
static const char *const providers[] = {"builtin", "openai", NULL};

/* Check a dims argument (NULL allowed: the caller decides the default). */
static void
check_dims(bool isnull, int32 dims)
{
	if (!isnull)
		mq_check_int_range(dims, "dims", 1, MQ_EMBED_MAX_DIMS);
}

/* What embed() keeps between rows. */
typedef struct EmbedCache
{
	MqBuiltinScratch *scratch;	/* builtin embedder's working memory */
	char	   *provider;		/* the provider argument last seen */
	int			provider_id;	/* its index in providers[] */
} EmbedCache;

/* Embed one text with the openai provider, retrying in place; NULL if the text is blank. */
static ArrayType *
embed_openai(const char *s, int len, int dims)
{
	int			attempt = 0;
	int			connect_failures = 0;
	int			i;
	bool		blank = true;

	for (i = 0; i < len && blank; i++)
		if (!(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
			blank = false;
	if (blank)
		return NULL;

	for (;;)
	{
		MqHttpResult res;
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "marketiq embed request",
												  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		double		wait;

		mq_openai_embed(&s, &len, 1, dims, &res);
		MemoryContextSwitchTo(old);
		if (res.outcome == MQ_HTTP_OK)
		{
			ArrayType  *a = new_float4_array(res.dims);

			memcpy(ARR_DATA_PTR(a), res.vectors[0], sizeof(float4) * res.dims);
			MemoryContextDelete(cxt);
			return a;
		}
		if (res.outcome == MQ_HTTP_CONNECT)
		{
			/* not an attempt, but a synchronous call cannot wait for ever */
			connect_failures++;
			if (connect_failures >= mq_embedding_max_attempts)
				ereport(ERROR,
						(errcode(ERRCODE_CONNECTION_FAILURE),
						 errmsg("embedding service unreachable: %s", res.message),
						 errdetail_plural("%d connection attempt failed.", "%d connection attempts failed.",
										  connect_failures, connect_failures)));
			wait = mq_embed_backoff(connect_failures);
		}
		else
		{
			attempt++;
			if (res.outcome == MQ_HTTP_FAIL || attempt >= mq_embedding_max_attempts)
				ereport(ERROR,
						(errcode(res.outcome == MQ_HTTP_FAIL ? ERRCODE_DATA_EXCEPTION : ERRCODE_CONNECTION_FAILURE),
						 errmsg("embedding request failed: %s", res.message),
						 res.outcome == MQ_HTTP_RETRY ?
						 errdetail_plural("Gave up after %d attempt (marketiq.embedding_max_attempts).",
										  "Gave up after %d attempts (marketiq.embedding_max_attempts).",
										  attempt, attempt) : 0));
			wait = Max(mq_embed_backoff(attempt), res.retry_after);
		}
		MemoryContextDelete(cxt);
		/* sleep, interruptibly */
		if (wait > 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 (long) (wait * 1000), PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		CHECK_FOR_INTERRUPTS();
	}
}

PG_FUNCTION_INFO_V1(mq_embed);

/* embed(input text, provider text DEFAULT 'builtin', dims int DEFAULT NULL) -> real[] */
Datum
mq_embed(PG_FUNCTION_ARGS)
{
	text	   *input;
	int			provider;
	int			dims;
	ArrayType  *a;
	EmbedCache *cache;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	mq_check_not_null(PG_ARGISNULL(1), "provider");
	check_dims(PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2));
	cache = (EmbedCache *) fcinfo->flinfo->fn_extra;
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(EmbedCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	{
		/* the provider is usually a constant: look it up once */
		text	   *p = PG_GETARG_TEXT_PP(1);
		int			plen = VARSIZE_ANY_EXHDR(p);

		if (cache->provider == NULL || (int) strlen(cache->provider) != plen ||
			memcmp(cache->provider, VARDATA_ANY(p), plen) != 0)
		{
			char	   *name = text_to_cstring(p);

			cache->provider_id = mq_check_choice(name, "provider", providers);
			if (cache->provider)
				pfree(cache->provider);
			cache->provider = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, name);
		}
		provider = cache->provider_id;
	}
	input = PG_GETARG_TEXT_PP(0);

	if (provider == 0)
	{
		dims = PG_ARGISNULL(2) ? MQ_EMBED_DEFAULT_DIMS : PG_GETARG_INT32(2);
		if (cache->scratch == NULL)
			cache->scratch = mq_builtin_scratch(fcinfo->flinfo->fn_mcxt);
		a = new_float4_array(dims);
		if (mq_builtin_embed(cache->scratch, VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input), dims,
							 (float4 *) ARR_DATA_PTR(a)) == 0)
			PG_RETURN_NULL();
		PG_RETURN_ARRAYTYPE_P(a);
	}

	dims = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	a = embed_openai(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input), dims);
	if (a == NULL)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(mq_embedding_features);

/* embedding_features(input text, dims int DEFAULT 256) -> TABLE(kind, feature, hash, bucket, sign, count, weight) */
Datum
mq_embedding_features(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *input;
	int			dims;
	MqFeature  *f;
	int			n,
				i;

	dims = PG_GETARG_INT32(1);
	check_dims(false, dims);
	input = PG_GETARG_TEXT_PP(0);
	InitMaterializedSRF(fcinfo, 0);
	f = mq_builtin_features(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input), &n);
	for (i = 0; i < n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};
		const char *kind;

		switch (f[i].kind)
		{
			case MQ_FEAT_WORD:
				kind = "word";
				break;
			case MQ_FEAT_BIGRAM:
				kind = "word_bigram";
				break;
			case MQ_FEAT_NGRAM:
				kind = "char_ngram";
				break;
			case MQ_FEAT_CJK:
				kind = "cjk_char";
				break;
			default:
				kind = "cjk_bigram";
				break;
		}
		values[0] = CStringGetTextDatum(kind);
		values[1] = CStringGetTextDatum(f[i].text);
		values[2] = Int64GetDatum((int64) f[i].hash);
		values[3] = Int32GetDatum((int32) (((f[i].hash & UINT64CONST(0xffffffff)) * (uint64) dims) >> 32) + 1);
		values[4] = Int32GetDatum((f[i].hash >> 63) ? -1 : 1);
		values[5] = Int32GetDatum(f[i].count);
		values[6] = Float8GetDatum(1.0 + log((double) f[i].count));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------ cosine */

/* Error unless two vectors have the same dimension. */
static void
check_same_dims(int na, int nb)
{
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vectors \"a\" and \"b\" must have the same dimension"),
				 errdetail("\"a\" has %d elements and \"b\" has %d.", na, nb),
				 errhint("Compare embeddings made by the same provider with the same dims.")));
}

/* The cosine of two vectors from their dot product and squared norms; NULL for a zero vector. */
static Datum
cosine_result(FunctionCallInfo fcinfo, double dot, double na, double nb)
{
	double		c;

	if (na == 0 || nb == 0)
		PG_RETURN_NULL();
	c = dot / (sqrt(na) * sqrt(nb));
	/* rounding can take |c| a hair past 1 */
	if (c > 1)
		c = 1;
	if (c < -1)
		c = -1;
	PG_RETURN_FLOAT8(c);
}

PG_FUNCTION_INFO_V1(mq_cosine_similarity_float4);

/* cosine_similarity(real[], real[]) -> float8 */
Datum
mq_cosine_similarity_float4(PG_FUNCTION_ARGS)
{
	int			na,
				nb,
				i;
	const float4 *a = mq_check_float4_array(PG_GETARG_ARRAYTYPE_P(0), "a", 0, &na);
	const float4 *b = mq_check_float4_array(PG_GETARG_ARRAYTYPE_P(1), "b", 0, &nb);
	double		dot = 0,
				sa = 0,
				sb = 0;

	check_same_dims(na, nb);
	for (i = 0; i < na; i++)
	{
		dot += (double) a[i] * b[i];
		sa += (double) a[i] * a[i];
		sb += (double) b[i] * b[i];
	}
	return cosine_result(fcinfo, dot, sa, sb);
}

PG_FUNCTION_INFO_V1(mq_cosine_similarity_float8);

/* cosine_similarity(float8[], float8[]) -> float8 */
Datum
mq_cosine_similarity_float8(PG_FUNCTION_ARGS)
{
	int			na,
				nb,
				i;
	const double *a = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(0), "a", 0, &na);
	const double *b = mq_check_float8_array(PG_GETARG_ARRAYTYPE_P(1), "b", 0, &nb);
	double		dot = 0,
				sa = 0,
				sb = 0;

	check_same_dims(na, nb);
	for (i = 0; i < na; i++)
	{
		dot += a[i] * b[i];
		sa += a[i] * a[i];
		sb += b[i] * b[i];
	}
	if (!isfinite(dot) || !isfinite(sa) || !isfinite(sb))
	{
		/* huge elements: the same sums over the vectors divided by their largest elements */
		double		ma = 0,
					mb = 0;

		for (i = 0; i < na; i++)
		{
			ma = Max(ma, fabs(a[i]));
			mb = Max(mb, fabs(b[i]));
		}
		dot = sa = sb = 0;
		for (i = 0; i < na; i++)
		{
			double		x = a[i] / ma,
						y = b[i] / mb;

			dot += x * y;
			sa += x * x;
			sb += y * y;
		}
	}
	return cosine_result(fcinfo, dot, sa, sb);
}
