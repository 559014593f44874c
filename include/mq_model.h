/*-------------------------------------------------------------------------
 *
 * mq_model.h
 *	  Model values: the common machinery behind every marketiq model type
 *	  (markov, linreg, logreg, bgnbd, ...), which also serve as the
 *	  aggregates' transition states.
 *
 * Flat form (what is stored, shipped between parallel workers or Citus nodes,
 * and printed):
 *
 *	  MqModel header   varlena length, kind id, format version, section count
 *	  MqSect[nsect]    per section: element type, element count, offset, bytes
 *	  section data     each section 8-byte aligned
 *
 * A kind (MqKind) declares its sections in a fixed order, each with a name
 * and an element type (a scalar int64/float8/text, or an array of int32,
 * int64, float8 or text).  From that schema the generic code provides text
 * input and output (a JSON object: {"kind":"linreg","format":1,"n":10,...},
 * floats printed in their shortest exact form so text round-trips bit for
 * bit, non-finite floats as the strings "NaN", "Infinity", "-Infinity"),
 * binary send/receive, and layout validation that rejects truncated,
 * oversized or inconsistent values; the kind adds its semantic checks
 * (indexes in range, counts non-negative, ...) in its `check` callback, which
 * runs on every value that comes from outside (text or binary input).
 *
 * In-memory form (aggregate states): transition functions work on an
 * expanded object (MqState, below) that holds whatever structures make the
 * update fast (hash tables, dictionaries, buffers).  PostgreSQL keeps a
 * read-write expanded transition value in place from row to row, and
 * flattens it only when it must (parallel workers, Citus, storage, output),
 * through the kind's `flatten` callback; the kind's `expand` callback turns
 * a flat value back into the in-memory form.  The state type is therefore a
 * real type with text I/O, never `internal` (../shared/DESIGN.md).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_MODEL_H
#define MQ_MODEL_H

#include "postgres.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"

/* Element types of a section. */
typedef enum MqSectType
{
	MQ_INT64 = 1,				/* one int64 */
	MQ_FLOAT8,					/* one float8 */
	MQ_TEXT,					/* one string */
	MQ_INT32_ARR,				/* array of int32 */
	MQ_INT64_ARR,				/* array of int64 */
	MQ_FLOAT8_ARR,				/* array of float8 */
	MQ_TEXT_ARR					/* array of strings */
} MqSectType;

/* One section of a kind's schema. */
typedef struct MqSectSpec
{
	const char *name;			/* key in the text form */
	MqSectType	type;			/* element type */
} MqSectSpec;

struct MqModel;
struct MqState;

/* A model kind: its schema and callbacks. */
typedef struct MqKind
{
	const char *name;			/* "linreg": the SQL type is marketiq.<name> */
	uint16		id;				/* stored in every value; never reused */
	uint16		format;			/* current layout version written by this build */
	int			nsect;			/* number of sections */
	const MqSectSpec *sects;	/* the sections, in order */

	/*
	 * Semantic validation of a value whose layout is already valid; ereport
	 * (ERRCODE_INVALID_BINARY_REPRESENTATION-style, see mq_model_corrupt)
	 * on anything inconsistent.  May be NULL.
	 */
	void		(*check) (const struct MqKind *kind, const struct MqModel *m);

	/* For kinds used as aggregate states (may be NULL otherwise): */
	Size		state_size;		/* sizeof the kind's state struct (starts with MqState) */
	/* initialise an empty state (fields after the MqState header are zeroed) */
	void		(*init) (struct MqState *s);
	/* add a flat value's content into the state (combine, and expanding) */
	void		(*merge) (struct MqState *s, const struct MqModel *m);
	/* build the flat form of the state, palloc'd in CurrentMemoryContext */
	struct MqModel *(*flatten) (struct MqState *s);
} MqKind;

/* Section descriptor inside a flat value. */
typedef struct MqSect
{
	uint32		type;			/* MqSectType */
	uint32		count;			/* elements (1 for scalars; strings for text arrays) */
	uint32		offset;			/* from the start of the value, 8-byte aligned */
	uint32		nbytes;			/* bytes of data */
} MqSect;

/* Flat model value. */
typedef struct MqModel
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint16		kind;			/* MqKind.id */
	uint16		format;			/* layout version */
	uint32		nsect;			/* number of sections */
	uint32		flags;			/* reserved, 0 */
	MqSect		sect[FLEXIBLE_ARRAY_MEMBER];	/* section table, then data */
} MqModel;

/*
 * Text arrays are stored as: uint32 offsets[count + 1] (relative to the
 * start of the string bytes), then the bytes, each string followed by a NUL.
 */

/* ---- reading a flat value ---- */

/* Detoast a model argument, check its kind and header cheaply, and return it aligned. */
extern const MqModel *mq_model_fetch(Datum d, const MqKind *kind);

#define PG_GETARG_MQMODEL(n, kind) mq_model_fetch(PG_GETARG_DATUM(n), (kind))

extern int64 mq_get_int64(const MqModel *m, int sect);
extern double mq_get_float8(const MqModel *m, int sect);
extern const char *mq_get_text(const MqModel *m, int sect);
extern const int32 *mq_get_int32s(const MqModel *m, int sect, int *count);
extern const int64 *mq_get_int64s(const MqModel *m, int sect, int *count);
extern const double *mq_get_float8s(const MqModel *m, int sect, int *count);
/* number of strings in a text array section */
extern int	mq_get_text_count(const MqModel *m, int sect);
/* string i of a text array section, NUL-terminated; *len gets its byte length if not NULL */
extern const char *mq_get_text_elem(const MqModel *m, int sect, int i, int *len);

/* ---- building a flat value ---- */

typedef struct MqBuilder MqBuilder;

/* Start a value of `kind`; every section must then be set exactly once. */
extern MqBuilder *mq_build_begin(const MqKind *kind);
extern void mq_put_int64(MqBuilder *b, int sect, int64 v);
extern void mq_put_float8(MqBuilder *b, int sect, double v);
extern void mq_put_text(MqBuilder *b, int sect, const char *s, int len);

/* Arrays are referenced, not copied, until mq_build_finish: keep them alive until then. */
extern void mq_put_int32s(MqBuilder *b, int sect, const int32 *v, int count);
extern void mq_put_int64s(MqBuilder *b, int sect, const int64 *v, int count);
extern void mq_put_float8s(MqBuilder *b, int sect, const double *v, int count);
/* strings[i] of lens[i] bytes (no NUL needed; lens NULL = NUL-terminated strings) */
extern void mq_put_texts(MqBuilder *b, int sect, const char *const *strs, const int *lens, int count);

/* Lay the value out in one palloc (checked against marketiq.max_model_bytes) and return it. */
extern MqModel *mq_build_finish(MqBuilder *b);

/* ---- validation and I/O (the type's in/out/recv/send call these) ---- */

/* Full layout validation, then kind->check; ERROR on anything wrong. */
extern void mq_model_validate(const MqModel *m, const MqKind *kind);

/* errcode mq_model_corrupt reports: the I/O functions set it while they validate */
extern int	mq_model_corrupt_errcode;

/* ERROR for an inconsistent value, used by kinds' check callbacks. */
extern void mq_model_corrupt(const MqKind *kind, const char *fmt,...) pg_attribute_printf(2, 3);

extern Datum mq_model_in(const char *str, const MqKind *kind);
extern char *mq_model_out(const MqModel *m, const MqKind *kind);
extern Datum mq_model_recv(StringInfo buf, const MqKind *kind);
extern bytea *mq_model_send(const MqModel *m, const MqKind *kind);

/*
 * Size guard for states that grow with the data: ERROR (with a hint) when an
 * estimate of the state's size passes marketiq.max_model_bytes.  `what` names
 * what grew, e.g. "item pairs".
 */
extern void mq_check_state_size(Size bytes, const MqKind *kind, const char *what);

/*
 * The four I/O functions of a model type, defined in one line per kind:
 * MQ_MODEL_TYPE_IO(linreg, &mq_linreg_kind) defines marketiq.linreg_in,
 * _out, _recv and _send as C functions mq_linreg_in, ... .
 */
#define MQ_MODEL_TYPE_IO(name, kindptr) \
PG_FUNCTION_INFO_V1(mq_##name##_in); \
Datum mq_##name##_in(PG_FUNCTION_ARGS); \
Datum mq_##name##_in(PG_FUNCTION_ARGS) \
{ return mq_model_in(PG_GETARG_CSTRING(0), (kindptr)); } \
PG_FUNCTION_INFO_V1(mq_##name##_out); \
Datum mq_##name##_out(PG_FUNCTION_ARGS); \
Datum mq_##name##_out(PG_FUNCTION_ARGS) \
{ return CStringGetDatum(mq_model_out(mq_model_fetch(PG_GETARG_DATUM(0), (kindptr)), (kindptr))); } \
PG_FUNCTION_INFO_V1(mq_##name##_recv); \
Datum mq_##name##_recv(PG_FUNCTION_ARGS); \
Datum mq_##name##_recv(PG_FUNCTION_ARGS) \
{ return mq_model_recv((StringInfo) PG_GETARG_POINTER(0), (kindptr)); } \
PG_FUNCTION_INFO_V1(mq_##name##_send); \
Datum mq_##name##_send(PG_FUNCTION_ARGS); \
Datum mq_##name##_send(PG_FUNCTION_ARGS) \
{ PG_RETURN_BYTEA_P(mq_model_send(mq_model_fetch(PG_GETARG_DATUM(0), (kindptr)), (kindptr))); }

/* ---- aggregate states (expanded objects) ---- */

/*
 * Header of every in-memory state.  A kind's state struct starts with it:
 *	  typedef struct LinregState { MqState hdr; int p; ... } LinregState;
 * Everything the state allocates must live in s->cxt (the expanded object's
 * context: in an aggregate, one child of the aggregate context shared by all
 * the states built there; see state.c), so it is freed with it.  Never reset
 * or delete s->cxt, and never measure it as this state's size.
 */
typedef struct MqState
{
	ExpandedObjectHeader eoh;	/* PostgreSQL's expanded-object header, first */
	const MqKind *kind;			/* what this is a state of */
	MemoryContext cxt;			/* the state's memory context (see above) */
	MqModel    *flat;			/* cached flat form, NULL when stale */
} MqState;

/*
 * The transition (or combine) state in argument argno, ready to modify:
 *	- NULL: a new empty state in the aggregate memory context;
 *	- our own read-write expanded object: itself;
 *	- anything else (flat, or read-only): a new state with its content.
 * ERROR when not called as an aggregate.
 */
extern MqState *mq_state_arg(FunctionCallInfo fcinfo, int argno, const MqKind *kind);

/* Return a state from a transition/combine function (marks its flat form stale). */
extern Datum mq_state_return(MqState *s);

/*
 * A state or model argument to read (final functions, combine's second
 * argument, readers): the expanded object itself when it is one (do not
 * modify it), else a new state expanded from the flat value in
 * CurrentMemoryContext.
 */
extern MqState *mq_state_view(FunctionCallInfo fcinfo, int argno, const MqKind *kind);

/* The flat form of a state (cached until the state changes): for final functions. */
extern const MqModel *mq_state_flat(MqState *s);

/*
 * Combine function body shared by every kind: state argument 0 (NULL: a new
 * state) merged with argument 1 (skipped when NULL).
 */
extern Datum mq_state_combine(FunctionCallInfo fcinfo, const MqKind *kind);

#endif							/* MQ_MODEL_H */
