/*
 * fuzz_config.c - the configuration loader (ct_config_load on a temporary
 * file). Checks that it returns 0 or -1, and that a configuration it accepts
 * is consistent: every department and source named, every address lower
 * case, and the lookups find what the lists hold.
 */
#include "fuzz.h"
#include "../../config/config.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_config cfg;
	const char *path = fuzz_tmpfile(data, size, ".conf");
	int rc = ct_config_load(path, &cfg);
	if (rc != 0 && rc != -1)
		fuzz_fail("ct_config_load returned %d", rc);
	if (rc == 0) {
		for (size_t i = 0; i < cfg.ndepts; i++) {
			const struct ct_department *d = &cfg.depts[i];
			if (!d->name || ct_config_dept_by_name(&cfg, d->name) == NULL)
				fuzz_fail("department %zu not found by its name", i);
			for (size_t k = 0; k < d->addresses.n; k++) {
				for (const char *c = d->addresses.v[k]; *c; c++)
					if (isupper((unsigned char)*c))
						fuzz_fail("address '%s' not lower case", d->addresses.v[k]);
				if (!ct_config_dept_by_address(&cfg, d->addresses.v[k]))
					fuzz_fail("address '%s' not found", d->addresses.v[k]);
			}
		}
		for (size_t i = 0; i < cfg.nsources; i++)
			if (!cfg.sources[i].name || !ct_config_source(&cfg, cfg.sources[i].name))
				fuzz_fail("source %zu not found by its name", i);
	}
	ct_config_release(&cfg);
	return 0;
}
