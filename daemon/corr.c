/* corr.c: classify entries for the corrections index.  See corr.h. */
#include "corr.h"
#include "store.h"
#include "pt.h"
#include "record.h"
#include "wire.h"

int
corr_classify(const uint8_t *entry, size_t len, uint64_t index,
    uint64_t *target, unsigned *kind, void *ctx)
{
	struct wire_entry e;

	(void)ctx;
	if (wire_entry_decode(entry, len, &e, NULL) != 0)
		return PT_ECORRUPT;
	if (e.sub.info.type != RECORD_CORRECTION)
		return PT_ENOTFOUND;
	if (e.sub.info.target_index >= index)
		return PT_ECORRUPT;
	*target = e.sub.info.target_index;
	*kind = e.sub.info.action_void ? STORE_CORR_VOID : STORE_CORR_AMEND;
	return 0;
}
