/*-------------------------------------------------------------------------
 *
 * marketiq.h
 *	  Declarations shared by every marketiq module: settings and the
 *	  per-subsystem init hooks that _PG_init calls.
 *
 * Each subsystem has its own header (mq_check.h, mq_linalg.h, mq_gsl.h,
 * mq_model.h, mq_hash.h); this one only holds what the whole module shares.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MARKETIQ_H
#define MARKETIQ_H

#include "postgres.h"
#include "fmgr.h"

/* version of the C library, from marketiq.control (set by the Makefile) */
#ifndef MARKETIQ_VERSION
#define MARKETIQ_VERSION "unknown"
#endif

/* marketiq.max_model_bytes: the largest model value or aggregate state, in bytes */
extern int	mq_max_model_bytes;

/* subsystem initialisers, called once from _PG_init */
extern void mq_numeric_init(void);

#endif							/* MARKETIQ_H */
