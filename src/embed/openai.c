/*-------------------------------------------------------------------------
 *
 * openai.c
 *	  The openai provider: any OpenAI-compatible embeddings endpoint
 *	  (OpenAI, vLLM, Ollama, llama.cpp server, LiteLLM) over libcurl.
 *
 * One request embeds a batch: POST {marketiq.openai_base_url}/embeddings
 * with {"model": marketiq.openai_model, "input": [texts...]} (plus
 * "dimensions" when asked for), header "Authorization: Bearer <key>" when
 * marketiq.openai_api_key_file names a file.  The vectors are read from
 * data[i].embedding and placed by data[i].index; every input must get
 * exactly one vector and every vector the same length (the requested dims,
 * if any), or the whole response is rejected: nothing is ever written from a
 * response of the wrong size.
 *
 * Inside a backend:
 *	- the transfer is interruptible: a progress callback aborts it when a
 *	  cancel or terminate request is pending, and CHECK_FOR_INTERRUPTS then
 *	  raises it (libcurl calls the callback about once a second even when no
 *	  data moves);
 *	- libcurl never uses signals (CURLOPT_NOSIGNAL), which belong to the
 *	  server;
 *	- the easy handle and the header list are registered with mq_gsl_guard on
 *	  the current memory context, so an ERROR anywhere frees them;
 *	- only http and https are allowed and redirects are not followed (a
 *	  redirect must not carry the key elsewhere).
 *
 * The API key is read from its file for each request, trimmed of surrounding
 * whitespace, used only to build the Authorization header (zeroed after the
 * request) and removed from every message this file produces, including text
 * echoed back by the server.  The three settings that decide where the key
 * goes (base URL, model, key file) are superuser-only.
 *
 * Outcomes follow the retry rules of the queue: no connection at all is
 * MQ_HTTP_CONNECT (not an attempt); a timeout, a transfer cut short, 408,
 * 429 and 5xx are MQ_HTTP_RETRY (with the server's Retry-After); anything
 * else is MQ_HTTP_FAIL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <float.h>
#include <math.h>
#include <time.h>

#include "common/jsonapi.h"
#include "common/pg_prng.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "mq_embed.h"
#include "mq_gsl.h"

/* settings */
char	   *mq_openai_base_url = NULL;
char	   *mq_openai_model = NULL;
char	   *mq_openai_api_key_file = NULL;
int			mq_openai_connect_timeout = 10000;
int			mq_openai_timeout = 60000;
int			mq_embedding_max_backoff = 60;
int			mq_embedding_max_attempts = 5;

/* the largest response body accepted */
#define MAX_RESPONSE_BYTES (256 * 1024 * 1024)
/* the longest Retry-After honoured, seconds */
#define MAX_RETRY_AFTER 3600.0

/* Define the embedding settings (from _PG_init). */
void
mq_embed_init(void)
{
	DefineCustomStringVariable("marketiq.openai_base_url",
							   "Base URL of the OpenAI-compatible embeddings service (POST {url}/embeddings).",
							   "Superuser-only: it decides where texts and the API key are sent.",
							   &mq_openai_base_url,
							   "https://api.openai.com/v1",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("marketiq.openai_model",
							   "Embedding model requested from the OpenAI-compatible service.",
							   NULL,
							   &mq_openai_model,
							   "text-embedding-3-small",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("marketiq.openai_api_key_file",
							   "File holding the API key of the embeddings service (empty: send no key).",
							   "The key is read from the file for each request and sent only as a Bearer header.",
							   &mq_openai_api_key_file,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomIntVariable("marketiq.openai_connect_timeout",
							"Time allowed to connect to the embeddings service.",
							NULL,
							&mq_openai_connect_timeout,
							10000, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("marketiq.openai_timeout",
							"Time allowed for one request to the embeddings service, connection included.",
							NULL,
							&mq_openai_timeout,
							60000, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("marketiq.embedding_max_backoff",
							"Longest wait between two attempts to embed a batch (backoff from 1 s, doubling, with jitter).",
							NULL,
							&mq_embedding_max_backoff,
							60, 0, 86400,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("marketiq.embedding_max_attempts",
							"Attempts to embed a row before it is marked failed.",
							NULL,
							&mq_embedding_max_attempts,
							5, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/* Backoff after `failures` failed attempts: min(cap, 2^(failures-1)) s, times a jitter in [0.5, 1]. */
double
mq_embed_backoff(int failures)
{
	double		base = failures <= 1 ? 1.0 : ldexp(1.0, Min(failures - 1, 30));

	base = Min(base, (double) mq_embedding_max_backoff);
	return base * (0.5 + 0.5 * pg_prng_double(&pg_global_prng_state));
}

/* ------------------------------------------------------------ the key */

/* Read and trim the API key; NULL when no key file is set.  The key is palloc'd. */
static char *
read_api_key(void)
{
	FILE	   *f;
	char		buf[8192];
	size_t		n;
	char	   *start,
			   *end,
			   *p;
	char	   *key;

	if (mq_openai_api_key_file == NULL || mq_openai_api_key_file[0] == '\0')
		return NULL;
	f = AllocateFile(mq_openai_api_key_file, "r");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open the API key file named by marketiq.openai_api_key_file: %m"),
				 superuser() ? errdetail("The file is \"%s\".", mq_openai_api_key_file) : 0));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f))
	{
		FreeFile(f);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read the API key file named by marketiq.openai_api_key_file: %m")));
	}
	FreeFile(f);
	buf[n] = '\0';
	start = buf;
	while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (p = start; p < end && (unsigned char) *p >= 0x20 && *p != 0x7f; p++)
		;
	if (end == start || p < end)
	{
		explicit_bzero(buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("the API key file named by marketiq.openai_api_key_file must hold one key on one line"),
				 errdetail("The key may be surrounded by whitespace but must not contain control characters.")));
	}
	key = pnstrdup(start, end - start);
	explicit_bzero(buf, sizeof(buf));
	return key;
}

/* A copy of msg with every occurrence of key replaced by "[redacted]". */
static char *
redact(const char *msg, const char *key)
{
	StringInfoData s;
	const char *p = msg;
	size_t		klen;

	if (key == NULL || key[0] == '\0' || strstr(msg, key) == NULL)
		return pstrdup(msg);
	klen = strlen(key);
	initStringInfo(&s);
	for (;;)
	{
		const char *q = strstr(p, key);

		if (q == NULL)
			break;
		appendBinaryStringInfo(&s, p, q - p);
		appendStringInfoString(&s, "[redacted]");
		p = q + klen;
	}
	appendStringInfoString(&s, p);
	return s.data;
}

/* ------------------------------------------------------------ curl glue */

/* Free functions with the signature mq_gsl_guard expects. */
static void
free_easy(void *h)
{
	curl_easy_cleanup((CURL *) h);
}

static void
free_slist(void *l)
{
	curl_slist_free_all((struct curl_slist *) l);
}

/* What the callbacks of one transfer share. */
typedef struct Transfer
{
	char	   *body;			/* the response body, NUL-terminated */
	size_t		len;			/* its length */
	size_t		cap;			/* its allocated size */
	MemoryContext cxt;			/* where it is allocated */
	bool		too_big;		/* it passed MAX_RESPONSE_BYTES */
	double		retry_after;	/* parsed Retry-After, seconds */
} Transfer;

/*
 * Write callback: append to the body.  It runs inside libcurl, so it must
 * never raise an ERROR (a longjmp through libcurl's frames would leave the
 * handle in an undefined state): allocation failures stop the transfer.
 */
static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	Transfer   *t = (Transfer *) userdata;
	size_t		n = size * nmemb;

	if (t->len + n > MAX_RESPONSE_BYTES)
	{
		t->too_big = true;
		return 0;				/* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	if (t->len + n + 1 > t->cap)
	{
		size_t		cap = Max(t->cap * 2, t->len + n + 1);
		char	   *b = MemoryContextAllocExtended(t->cxt, Max(cap, 4096),
												   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);

		if (b == NULL)
			return 0;
		if (t->body)
		{
			memcpy(b, t->body, t->len);
			pfree(t->body);
		}
		t->body = b;
		t->cap = Max(cap, 4096);
	}
	memcpy(t->body + t->len, ptr, n);
	t->len += n;
	t->body[t->len] = '\0';
	return n;
}

/* Header callback: pick up Retry-After (seconds or an HTTP date). */
static size_t
on_header(char *buffer, size_t size, size_t nitems, void *userdata)
{
	Transfer   *t = (Transfer *) userdata;
	size_t		n = size * nitems;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) - 1 && n < 512 && pg_strncasecmp(buffer, name, sizeof(name) - 1) == 0)
	{
		char		val[512];
		char	   *end;
		double		secs;

		memcpy(val, buffer + sizeof(name) - 1, n - (sizeof(name) - 1));
		val[n - (sizeof(name) - 1)] = '\0';
		secs = strtod(val, &end);
		if (end != val && isfinite(secs))
			t->retry_after = secs;
		else
		{
			time_t		when = curl_getdate(val, NULL);

			if (when > 0)
				t->retry_after = difftime(when, time(NULL));
		}
		t->retry_after = Max(0.0, Min(t->retry_after, MAX_RETRY_AFTER));
	}
	return n;
}

/* Progress callback: abort the transfer when the backend must stop. */
static int
on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return (InterruptPending && (QueryCancelPending || ProcDiePending)) ? 1 : 0;
}

/* Initialise libcurl once per process. */
static void
ensure_curl(void)
{
	static bool done = false;

	if (!done)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not initialise libcurl")));
		done = true;
	}
}

/* ------------------------------------------------------------ the response */

#define MAX_DEPTH 64

/* One element of "data": its index and vector. */
typedef struct DataItem
{
	int64		index;			/* data[i].index, -1 if absent */
	float4	   *vec;			/* data[i].embedding */
	int			len;
	int			cap;
} DataItem;

/* Parser state for the response. */
typedef struct ParseState
{
	int			depth;			/* current nesting, 1 inside the top-level object */
	bool		isarray[MAX_DEPTH + 1];
	char	   *field[MAX_DEPTH + 1];	/* current field name at each object depth */
	DataItem	   *items;
	int			nitems;
	int			capitems;
	bool		in_item;		/* inside an object of the "data" array */
	bool		in_embedding;	/* inside its "embedding" array */
	char	   *error_message;	/* error.message, or a string "error" */
	char	   *problem;		/* the first thing wrong with the response */
} ParseState;

/* Is the field at depth d named s? */
static inline bool
field_is(ParseState *ps, int d, const char *s)
{
	return d >= 1 && d <= MAX_DEPTH && !ps->isarray[d] && ps->field[d] && strcmp(ps->field[d], s) == 0;
}

/* Record the first problem. */
static void
problem(ParseState *ps, const char *msg)
{
	if (ps->problem == NULL)
		ps->problem = pstrdup(msg);
}

static void
ps_object_start(void *state)
{
	ParseState *ps = state;

	ps->depth++;
	if (ps->depth <= MAX_DEPTH)
	{
		ps->isarray[ps->depth] = false;
		ps->field[ps->depth] = NULL;
	}
	if (ps->depth == 3 && ps->isarray[2] && field_is(ps, 1, "data"))
	{
		DataItem	   *it;

		if (ps->nitems == ps->capitems)
		{
			ps->capitems = Max(16, ps->capitems * 2);
			ps->items = ps->items ? repalloc(ps->items, sizeof(DataItem) * ps->capitems) :
				palloc(sizeof(DataItem) * ps->capitems);
		}
		it = &ps->items[ps->nitems++];
		it->index = -1;
		it->vec = NULL;
		it->len = it->cap = 0;
		ps->in_item = true;
	}
}

static void
ps_object_end(void *state)
{
	ParseState *ps = state;

	if (ps->depth == 3 && ps->in_item)
	{
		if (ps->items[ps->nitems - 1].vec == NULL)
			problem(ps, "an element of \"data\" has no \"embedding\" array");
		ps->in_item = false;
	}
	ps->depth--;
}

static void
ps_array_start(void *state)
{
	ParseState *ps = state;

	ps->depth++;
	if (ps->depth <= MAX_DEPTH)
	{
		ps->isarray[ps->depth] = true;
		ps->field[ps->depth] = NULL;
	}
	if (ps->depth == 4 && ps->in_item && field_is(ps, 3, "embedding"))
	{
		DataItem	   *it = &ps->items[ps->nitems - 1];

		if (it->vec != NULL)
			problem(ps, "an element of \"data\" has two \"embedding\" arrays");
		it->cap = 256;
		it->vec = palloc(sizeof(float4) * it->cap);
		it->len = 0;
		ps->in_embedding = true;
	}
	else if (ps->depth > 4 && ps->in_embedding)
		problem(ps, "an \"embedding\" contains an array");
}

static void
ps_array_end(void *state)
{
	ParseState *ps = state;

	if (ps->depth == 4 && ps->in_embedding)
		ps->in_embedding = false;
	ps->depth--;
}

static void
ps_field_start(void *state, char *fname, bool isnull)
{
	ParseState *ps = state;

	if (ps->depth >= 1 && ps->depth <= MAX_DEPTH)
		ps->field[ps->depth] = fname;
}

static void
ps_scalar(void *state, char *token, JsonTokenType type)
{
	ParseState *ps = state;

	if (ps->in_embedding && ps->depth == 4)
	{
		DataItem	   *it = &ps->items[ps->nitems - 1];
		char	   *end;
		double		v;

		if (type != JSON_TOKEN_NUMBER)
		{
			problem(ps, "an \"embedding\" contains something other than numbers");
			return;
		}
		v = strtod(token, &end);
		if (*end != '\0' || !isfinite(v) || fabs(v) > FLT_MAX)
		{
			problem(ps, "an \"embedding\" contains a number out of the range of real");
			return;
		}
		if (it->len == it->cap)
		{
			if (it->cap >= MQ_EMBED_MAX_DIMS)
			{
				problem(ps, "an \"embedding\" has more than 16000 elements");
				return;
			}
			it->cap *= 2;
			it->vec = repalloc(it->vec, sizeof(float4) * it->cap);
		}
		it->vec[it->len++] = (float4) v;
		return;
	}
	if (ps->in_item && ps->depth == 3 && field_is(ps, 3, "index"))
	{
		char	   *end;
		long long	v;

		v = (type == JSON_TOKEN_NUMBER) ? strtoll(token, &end, 10) : -1;
		if (type != JSON_TOKEN_NUMBER || *end != '\0' || v < 0 || v > PG_INT32_MAX)
			problem(ps, "an \"index\" is not a non-negative integer");
		else
			ps->items[ps->nitems - 1].index = v;
		return;
	}
	if (ps->in_item && ps->depth == 3 && field_is(ps, 3, "embedding"))
	{
		problem(ps, type == JSON_TOKEN_STRING ?
				"an \"embedding\" is a string (base64 encoding is not supported)" :
				"an \"embedding\" is not an array");
		return;
	}
	if (type == JSON_TOKEN_STRING && ps->error_message == NULL &&
		((ps->depth == 1 && field_is(ps, 1, "error")) ||
		 (ps->depth == 2 && field_is(ps, 1, "error") && field_is(ps, 2, "message")) ||
		 (ps->depth == 1 && field_is(ps, 1, "message"))))
		ps->error_message = pstrdup(token);
}

/* Parse a response body (UTF-8 JSON) into ps. */
static void
parse_response(char *body, int len, ParseState *ps)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	JsonParseErrorType err;

	memset(ps, 0, sizeof(ParseState));
	memset(&sem, 0, sizeof(sem));
	sem.semstate = ps;
	sem.object_start = ps_object_start;
	sem.object_end = ps_object_end;
	sem.array_start = ps_array_start;
	sem.array_end = ps_array_end;
	sem.object_field_start = ps_field_start;
	sem.scalar = ps_scalar;
	lex = makeJsonLexContextCstringLen(body, len, PG_UTF8, true);
	err = pg_parse_json(lex, &sem);
	if (err != JSON_SUCCESS)
		problem(ps, psprintf("the response is not valid JSON (%s)", json_errdetail(err, lex)));
}

/* A message safe to show: the server's text in the server encoding, shortened, without the key. */
static char *
server_text(const char *s, int maxlen, const char *key)
{
	char	   *r;
	int			len = strlen(s);

	if (len > maxlen)
		len = pg_encoding_mbcliplen(PG_UTF8, s, len, maxlen);
	r = pnstrdup(s, len);
	{
		unsigned char *p = (unsigned char *) r;
		bool		ascii_only = GetDatabaseEncoding() != PG_UTF8;

		/*
		 * Control characters become spaces; invalid UTF-8 (and, in a database
		 * that is not UTF-8, any non-ASCII: converting arbitrary server text
		 * could itself fail) becomes '?'.
		 */
		while (*p)
		{
			int			l = pg_utf_mblen(p);

			if (*p < 0x80)
			{
				if (*p < 0x20 || *p == 0x7f)
					*p = ' ';
				p++;
			}
			else if (!ascii_only && (int) strnlen((char *) p, l) == l && pg_utf8_islegal(p, l))
				p += l;
			else
				*p++ = '?';
		}
	}
	return redact(r, key);
}

/* ------------------------------------------------------------ the request */

/* Fill res with a failure. */
static void
fail(MqHttpResult *res, MqHttpOutcome outcome, const char *key, const char *fmt,...) pg_attribute_printf(4, 5);

static void
fail(MqHttpResult *res, MqHttpOutcome outcome, const char *key, const char *fmt,...)
{
	StringInfoData s;

	initStringInfo(&s);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&s, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&s, needed);
	}
	res->outcome = outcome;
	res->message = redact(s.data, key);
}

/* POST one batch to the embeddings endpoint. */
void
mq_openai_embed(const char *const *texts, const int *lens, int n, int dims, MqHttpResult *res)
{
	StringInfoData url,
				req,
				auth;
	char	   *key;
	CURL	   *h;
	struct curl_slist *headers = NULL;
	struct curl_slist *l;
	Transfer	t;
	char		errbuf[CURL_ERROR_SIZE];
	CURLcode	rc;
	long		status = 0;
	ParseState	ps;
	int			i,
				vdims;
	int			base_len;

	memset(res, 0, sizeof(MqHttpResult));
	if (mq_openai_base_url == NULL || mq_openai_base_url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("marketiq.openai_base_url is not set")));
	if (mq_openai_model == NULL || mq_openai_model[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("marketiq.openai_model is not set")));
	ensure_curl();

	/* the request body: texts as UTF-8 JSON strings */
	initStringInfo(&req);
	appendStringInfoString(&req, "{\"model\": ");
	escape_json(&req, mq_openai_model);
	appendStringInfoString(&req, ", \"input\": [");
	for (i = 0; i < n; i++)
	{
		char	   *s = pnstrdup(texts[i], lens[i]);
		char	   *u = pg_server_to_any(s, lens[i], PG_UTF8);

		if (i > 0)
			appendStringInfoString(&req, ", ");
		escape_json(&req, u);
		if (u != s)
			pfree(u);
		pfree(s);
		CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoChar(&req, ']');
	if (dims > 0)
		appendStringInfo(&req, ", \"dimensions\": %d", dims);
	appendStringInfoChar(&req, '}');

	initStringInfo(&url);
	base_len = strlen(mq_openai_base_url);
	while (base_len > 0 && mq_openai_base_url[base_len - 1] == '/')
		base_len--;
	appendBinaryStringInfo(&url, mq_openai_base_url, base_len);
	appendStringInfoString(&url, "/embeddings");

	key = read_api_key();

	h = curl_easy_init();
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));
	mq_gsl_guard(h, free_easy);

	l = curl_slist_append(NULL, "Content-Type: application/json");
	if (l == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	headers = l;
	mq_gsl_guard(headers, free_slist);
	/* no "Expect: 100-continue" round trip for large bodies */
	if (curl_slist_append(headers, "Expect:") == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	initStringInfo(&auth);
	if (key)
	{
		appendStringInfo(&auth, "Authorization: Bearer %s", key);
		l = curl_slist_append(headers, auth.data);
		explicit_bzero(auth.data, auth.len);
		if (l == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}

	memset(&t, 0, sizeof(t));
	t.cxt = CurrentMemoryContext;
	t.body = palloc(4096);
	t.body[0] = '\0';
	t.cap = 4096;
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req.len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "marketiq/" MARKETIQ_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) mq_openai_connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) mq_openai_timeout);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(h);

	/* the key is not needed any more: wipe our copies (libcurl's list is freed with the context) */
	for (l = headers; l; l = l->next)
		if (pg_strncasecmp(l->data, "Authorization:", 14) == 0)
			explicit_bzero(l->data, strlen(l->data));
	if (rc == CURLE_ABORTED_BY_CALLBACK)
	{
		if (key)
			explicit_bzero(key, strlen(key));
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("embedding request canceled")));
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	res->http_status = status;
	res->retry_after = t.retry_after;

	if (rc != CURLE_OK)
	{
		const char *what = errbuf[0] ? errbuf : curl_easy_strerror(rc);
		curl_off_t	connected = 0;

		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
		if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
			rc == CURLE_COULDNT_RESOLVE_PROXY ||
			(rc == CURLE_OPERATION_TIMEDOUT && connected == 0))
			fail(res, MQ_HTTP_CONNECT, key, "could not connect to %s: %s", url.data, what);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			fail(res, MQ_HTTP_RETRY, key, "request to %s timed out (marketiq.openai_timeout): %s", url.data, what);
		else if (rc == CURLE_WRITE_ERROR && t.too_big)
			fail(res, MQ_HTTP_FAIL, key, "response from %s is larger than %d bytes", url.data, MAX_RESPONSE_BYTES);
		else if (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
				 rc == CURLE_PARTIAL_FILE)
			fail(res, MQ_HTTP_RETRY, key, "request to %s failed: %s", url.data, what);
		else
			fail(res, MQ_HTTP_FAIL, key, "request to %s failed: %s", url.data, what);
		goto done;
	}

	parse_response(t.body, (int) t.len, &ps);
	if (status < 200 || status > 299)
	{
		const char *detail = ps.error_message ? ps.error_message : t.body;
		char	   *shown = server_text(detail, 300, key);
		MqHttpOutcome o = (status == 408 || status == 429 || status >= 500) ? MQ_HTTP_RETRY : MQ_HTTP_FAIL;

		fail(res, o, key, "%s answered HTTP %ld%s%s", url.data, status, shown[0] ? ": " : "", shown);
		goto done;
	}
	if (ps.problem)
	{
		fail(res, MQ_HTTP_FAIL, key, "unusable response from %s: %s", url.data, ps.problem);
		goto done;
	}
	if (ps.nitems != n)
	{
		fail(res, MQ_HTTP_FAIL, key, "unusable response from %s: %d vectors for %d inputs", url.data, ps.nitems, n);
		goto done;
	}
	/* place the vectors by index (by position if no element has one) */
	res->vectors = palloc0(sizeof(float4 *) * n);
	vdims = ps.nitems > 0 ? ps.items[0].len : 0;
	for (i = 0; i < n; i++)
	{
		DataItem	   *it = &ps.items[i];
		int64		at = it->index;

		if (at < 0 && ps.items[0].index >= 0)
		{
			fail(res, MQ_HTTP_FAIL, key, "unusable response from %s: element %d of \"data\" has no \"index\"", url.data, i);
			goto done;
		}
		if (at < 0)
			at = i;
		if (at >= n || res->vectors[at] != NULL)
		{
			fail(res, MQ_HTTP_FAIL, key, "unusable response from %s: %s index %lld", url.data,
				 at >= n ? "out-of-range" : "repeated", (long long) at);
			goto done;
		}
		if (it->len != vdims || it->len == 0)
		{
			fail(res, MQ_HTTP_FAIL, key, "unusable response from %s: vectors of %d and %d dimensions in one response",
				 url.data, vdims, it->len);
			goto done;
		}
		res->vectors[at] = it->vec;
	}
	if (dims > 0 && vdims != dims)
	{
		fail(res, MQ_HTTP_FAIL, key, "unusable response from %s: vectors of %d dimensions, %d were asked for",
			 url.data, vdims, dims);
		goto done;
	}
	res->outcome = MQ_HTTP_OK;
	res->dims = vdims;

done:
	if (key)
		explicit_bzero(key, strlen(key));
	if (res->outcome != MQ_HTTP_OK)
		res->vectors = NULL;
}
