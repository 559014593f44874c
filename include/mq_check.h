/*-------------------------------------------------------------------------
 *
 * mq_check.h
 *	  Argument validators shared by every marketiq function.
 *
 * Every model reports bad input the same way: NULL array elements, arrays
 * that are not one-dimensional, NaN or infinite numbers, arrays of different
 * lengths and out-of-range scalars each have one validator here, with one
 * errcode and one wording.  `what` is the argument's name as the user sees
 * it (for example "x" or "ratings"), quoted in the message.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MQ_CHECK_H
#define MQ_CHECK_H

#include "postgres.h"
#include "utils/array.h"

/* flags for the array validators */
#define MQ_ALLOW_EMPTY		0x01	/* an empty array is valid (default: error) */
#define MQ_ALLOW_NONFINITE	0x02	/* NaN and +-Infinity are valid (default: error) */

/*
 * Validate a float8[] argument (1-D, no NULL elements, finite unless
 * MQ_ALLOW_NONFINITE, non-empty unless MQ_ALLOW_EMPTY).  Returns a pointer
 * to its elements (inside the array: do not modify) and sets *n.
 */
extern const double *mq_check_float8_array(ArrayType *a, const char *what, int flags, int *n);
/* The same for a real[] argument. */
extern const float4 *mq_check_float4_array(ArrayType *a, const char *what, int flags, int *n);

/*
 * Validate a text[] argument (1-D, no NULL elements, non-empty unless
 * MQ_ALLOW_EMPTY).  Returns palloc'd arrays of element pointers and byte
 * lengths (the strings are not NUL-terminated) and sets *n.
 */
extern void mq_check_text_array(ArrayType *a, const char *what, int flags,
								int *n, char ***strs, int **lens);

/* Validate a timestamptz[] argument (1-D, no NULLs, finite); returns its elements. */
extern const int64 *mq_check_timestamptz_array(ArrayType *a, const char *what, int flags, int *n);

/*
 * Validate a 2-D float8[] argument (a matrix: rows x cols, no NULLs, finite).
 * Returns its elements in row-major order and sets *rows and *cols.
 */
extern const double *mq_check_float8_matrix(ArrayType *a, const char *what, int *rows, int *cols);

/* Error unless two arrays have the same number of elements. */
extern void mq_check_same_length(int n1, const char *what1, int n2, const char *what2);

/* Error unless v is finite. */
extern void mq_check_finite(double v, const char *what);

/* Error unless lo <= v <= hi (each bound inclusive or not); for scalar parameters. */
extern void mq_check_range(double v, const char *what, double lo, bool lo_inclusive,
						   double hi, bool hi_inclusive);

/* Error unless lo <= v <= hi for an integer parameter. */
extern void mq_check_int_range(int64 v, const char *what, int64 lo, int64 hi);

/* Error for a NULL argument that has no meaningful default. */
extern void mq_check_not_null(bool isnull, const char *what);

/*
 * Error for an unknown option name: lists the accepted ones in the hint.
 * choices is a NULL-terminated list.  Returns the index of `name` in it.
 */
extern int	mq_check_choice(const char *name, const char *what, const char *const *choices);

#endif							/* MQ_CHECK_H */
