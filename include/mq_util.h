/*-------------------------------------------------------------------------
 *
 * mq_util.h
 *	  Small helpers every module uses: building result arrays, reading a
 *	  named relation's columns safely for the table-level functions, and
 *	  progress messages for long work.
 *
 * Table-level functions (attribution_report, rfm_report, ..._train drivers)
 * take a regclass and column names.  They never paste user text into SQL:
 * mq_rel_name gives the schema-qualified, quoted relation name and
 * mq_rel_column checks that a column exists (a clear ERROR with a hint
 * otherwise) and returns it quoted, so queries are built only from catalog
 * names passed through quote_identifier.  The query then runs through SPI
 * with the caller's own privileges.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_UTIL_H
#define MQ_UTIL_H

#include "postgres.h"
#include "utils/array.h"

/* marketiq.progress: report the steps of long work with NOTICE (else DEBUG1) */
extern bool mq_progress_enabled;

/* Report one step of long work (an iteration, a pass): NOTICE when marketiq.progress is on. */
extern void mq_progress(const char *fmt,...) pg_attribute_printf(1, 2);

/* A 1-D float8[] from n doubles. */
extern ArrayType *mq_float8_array(const double *v, int n);

/* A 1-D int8[] from n int64s. */
extern ArrayType *mq_int8_array(const int64 *v, int n);

/* A 1-D text[] from n strings (lens NULL: NUL-terminated). */
extern ArrayType *mq_text_array(const char *const *strs, const int *lens, int n);

/* "schema"."relation", quoted as needed; ERROR if the relation does not exist. */
extern char *mq_rel_name(Oid relid);

/*
 * Check that relation `relid` has a column `colname` (the function argument
 * named `argname`): ERROR ERRCODE_UNDEFINED_COLUMN with the relation's name
 * and a hint otherwise.  Returns the quoted identifier; *typid gets the
 * column's type (if not NULL).
 */
extern char *mq_rel_column(Oid relid, const char *colname, const char *argname, Oid *typid);

/*
 * ERROR ERRCODE_DATATYPE_MISMATCH unless typid is one of the NUL-terminated
 * list `ok` (InvalidOid-terminated); `expected` describes them for the
 * message, e.g. "a number".
 */
extern void mq_check_column_type(Oid typid, const Oid *ok, const char *colname,
								 const char *argname, const char *expected);

/*
 * mq_rel_column, then ERROR unless the column has one of the types `ok`
 * (InvalidOid-terminated; NULL: any type).
 */
extern char *mq_rel_typed_column(Oid relid, const char *colname, const char *argname,
								 const Oid *ok, const char *expected);

/* numeric column types accepted as amounts, costs and values */
extern const Oid mq_number_types[];
/* column types accepted as timestamps */
extern const Oid mq_time_types[];

/* Called once per streamed row; values are valid only during the call. */
typedef void (*MqRowFn) (Datum *values, bool *nulls, void *arg);

/*
 * Run a read-only query with parameters through SPI and hand each row to fn
 * as the executor produces it, without materialising the result (a DestReceiver
 * of our own; the plan may be parallel and is optimised for all rows).  The
 * caller must have called SPI_connect.  fn runs in a per-row memory context
 * that is reset after each row: it must copy what it keeps into its own context.
 */
extern void mq_spi_stream(const char *sql, int nargs, const Oid *types, const Datum *values,
						  const bool *nulls, MqRowFn fn, void *arg);

#endif							/* MQ_UTIL_H */
