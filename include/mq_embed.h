/*-------------------------------------------------------------------------
 *
 * mq_embed.h
 *	  Text embeddings: the builtin hashing embedder, the OpenAI-compatible
 *	  HTTP provider, and the queue that keeps embedding columns in sync.
 *
 * builtin.c   the offline embedder: features of a text (words, word bigrams,
 *             character n-grams, CJK characters and character bigrams),
 *             hashed to signed buckets, weighted 1 + ln(tf), L2-normalised.
 * openai.c    POST {base_url}/embeddings with libcurl: timeouts, interrupts,
 *             error classes for the retry rules, the API key from a file.
 * queue.c     embed_column, the trigger that queues changed rows, the batch
 *             processor that job workers run as the column's owner,
 *             process_embeddings, retry_embeddings, drop_embedding_column.
 * similarity.c  embed(), embedding_features(), cosine_similarity().
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_EMBED_H
#define MQ_EMBED_H

#include "postgres.h"

/* vectors have 1 to MQ_EMBED_MAX_DIMS elements (pgvector's limit) */
#define MQ_EMBED_MAX_DIMS 16000
/* dims of the builtin embedder when none is given */
#define MQ_EMBED_DEFAULT_DIMS 256
/* the builtin embedder refuses longer texts (bytes) */
#define MQ_EMBED_MAX_TEXT_BYTES (1024 * 1024)

/* ------------------------------------------------------------- builtin */

/* kinds of builtin features (the tag byte hashed in front of a feature) */
typedef enum MqFeatureKind
{
	MQ_FEAT_WORD = 'w',			/* a lower-cased word */
	MQ_FEAT_BIGRAM = 'b',		/* two consecutive words, joined by one space */
	MQ_FEAT_NGRAM = 'c',		/* 3, 4 or 5 consecutive characters of a word */
	MQ_FEAT_CJK = 'u',			/* one CJK character */
	MQ_FEAT_CJK_BIGRAM = 'v'	/* two consecutive CJK characters */
} MqFeatureKind;

/* One distinct feature of a text, as embedding_features() reports it. */
typedef struct MqFeature
{
	char		kind;			/* MqFeatureKind */
	char	   *text;			/* the feature (UTF-8, NUL-terminated) */
	uint64		hash;			/* its 64-bit hash */
	int			count;			/* occurrences in the text (tf) */
} MqFeature;

/*
 * Reusable working memory of the builtin embedder (a counting hash table of
 * feature hashes and the word buffer).  Keep one per call site (fn_extra) so
 * that rows reuse it; allocate with mq_builtin_scratch in a long-lived context.
 */
typedef struct MqBuiltinScratch MqBuiltinScratch;

extern MqBuiltinScratch *mq_builtin_scratch(MemoryContext cxt);

/*
 * Embed text s (len bytes, server encoding) into out[0..dims-1], L2-normalised.
 * Returns the number of distinct features; 0 means no vector (empty or
 * featureless text, or features that cancel exactly): out is then undefined.
 * ERROR for a text longer than MQ_EMBED_MAX_TEXT_BYTES.
 */
extern int	mq_builtin_embed(MqBuiltinScratch *scratch, const char *s, int len, int dims, float4 *out);

/* The distinct features of a text, in order of first appearance (palloc'd); sets *n. */
extern MqFeature *mq_builtin_features(const char *s, int len, int *n);

/* The documented 64-bit feature hash of a byte string (FNV-1a 64, then MurmurHash3's fmix64). */
extern uint64 mq_feature_hash(const char *s, int len);

/* ------------------------------------------------------------- openai */

/* settings */
extern char *mq_openai_base_url;
extern char *mq_openai_model;
extern char *mq_openai_api_key_file;
extern int	mq_openai_connect_timeout;	/* ms */
extern int	mq_openai_timeout;	/* ms */
extern int	mq_embedding_max_backoff;	/* s */
extern int	mq_embedding_max_attempts;

/* how a request to the provider ended */
typedef enum MqHttpOutcome
{
	MQ_HTTP_OK = 0,				/* vectors delivered */
	MQ_HTTP_CONNECT,			/* no connection could be made: not an attempt */
	MQ_HTTP_RETRY,				/* timeout, 429 or 5xx: an attempt, retry after a backoff */
	MQ_HTTP_FAIL				/* any other error (4xx, a malformed or wrong-sized response) */
} MqHttpOutcome;

/* The result of one request to the embeddings endpoint. */
typedef struct MqHttpResult
{
	MqHttpOutcome outcome;
	int			dims;			/* length of every vector (MQ_HTTP_OK) */
	float4	  **vectors;		/* n vectors of dims floats, by input order (MQ_HTTP_OK) */
	long		http_status;	/* HTTP status, 0 if none */
	double		retry_after;	/* seconds the server asked us to wait (429/503), 0 if none */
	char	   *message;		/* what went wrong (never contains the API key) */
} MqHttpResult;

/*
 * POST n texts to {marketiq.openai_base_url}/embeddings.  dims > 0 asks for
 * that many dimensions ("dimensions") and requires them; dims = 0 accepts the
 * model's own size, which must then be the same for every vector.  Never
 * raises an ERROR for a failed request (the outcome says what happened), but
 * does for a cancel request or a configuration error (no key file, ...).
 * All libcurl objects are freed when CurrentMemoryContext is reset, also on
 * ERROR.
 */
extern void mq_openai_embed(const char *const *texts, const int *lens, int n, int dims,
							MqHttpResult *res);

/* The backoff before attempt k + 1 after k failed attempts: min(cap, 2^(k-1) s), jittered. */
extern double mq_embed_backoff(int failures);

/* GUCs of this module, from _PG_init */
extern void mq_embed_init(void);

/* ------------------------------------------------------------- queue */

/* Settings a job takes from the session that asked for it (process_embeddings). */
typedef struct MqEmbedSettings
{
	bool		valid;			/* false: the job uses its own session's settings */
	char		base_url[1024];
	char		model[256];
	char		api_key_file[1024];
	int			connect_timeout;
	int			timeout;
	int			max_backoff;
	int			max_attempts;
} MqEmbedSettings;

/* What an embedding job is asked to do and what it reports, in dynamic shared memory. */
typedef struct MqEmbedJobShared
{
	/* request, written by the caller */
	Oid			dboid;			/* database */
	Oid			owner;			/* role to connect as: the columns' owner */
	int64		max_rows;		/* stop after this many rows (0: no limit) */
	int			max_seconds;	/* stop after this long (0: no limit) */
	MqEmbedSettings settings;	/* provider settings, if the caller passes its own */
	/* outcome, written by the job */
	bool		done;			/* the job reported */
	int64		rows;			/* rows whose embedding was written */
	bool		more;			/* due rows were left (a limit was reached) */
	int			errors;			/* batches that failed */
	char		message[1024];	/* the first error, "" if none */
} MqEmbedJobShared;

/*
 * Process the due rows of the embedding columns owned by `owner` in a job
 * worker connected as that role; wait for it and fill *out.  Returns false
 * when no worker could be started.
 */
extern bool mq_run_embed_job(Oid owner, int64 max_rows, int max_seconds, bool pass_settings,
							 MqEmbedJobShared *out);

/*
 * From the database worker after training: clean up the registrations of
 * dropped tables, release claims of dead processors (first pass), and run one
 * bounded embedding job per owner with due rows.  Returns true if work was
 * left (the worker should come back without sleeping).
 */
extern bool mq_embed_worker_pass(bool first);

/* Background worker entry point of an embedding job. */
extern PGDLLEXPORT void mq_embed_job_main(Datum arg);

#endif							/* MQ_EMBED_H */
