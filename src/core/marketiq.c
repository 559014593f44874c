/*-------------------------------------------------------------------------
 *
 * marketiq.c
 *	  Module entry point: settings and the set-up of each subsystem.
 *
 * _PG_init only defines the marketiq.* settings and calls each subsystem's
 * init; it is safe in shared_preload_libraries and in a plain backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "marketiq.h"
#include "mq_embed.h"
#include "mq_registry.h"
#include "mq_util.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* marketiq.max_model_bytes */
int			mq_max_model_bytes = 256 * 1024 * 1024;

/* Module load. */
void
_PG_init(void)
{
	DefineCustomIntVariable("marketiq.max_model_bytes",
							"Largest model value or aggregate state marketiq builds.",
							"States that grow with the data (kept rows, co-occurring pairs) "
							"fail with an error past this size instead of exhausting memory.",
							&mq_max_model_bytes,
							256 * 1024 * 1024,
							1024 * 1024,
							MaxAllocSize,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("marketiq.progress",
							 "Report the steps of long marketiq work (iterations, passes) as NOTICE messages.",
							 "When off they go to DEBUG1.",
							 &mq_progress_enabled,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	mq_numeric_init();
	mq_registry_init();
	mq_embed_init();

	/* last: every marketiq.* setting must be defined before the prefix is reserved */
	MarkGUCPrefixReserved("marketiq");
}
