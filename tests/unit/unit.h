/* unit.h - what every cmocka unit test includes. */
#ifndef CT_UNIT_H
#define CT_UNIT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

/* Compares two strings and prints "got ..., want ..." on a mismatch. */
#define assert_str(got, want)                                                          \
	do {                                                                           \
		const char *g_ = (got), *w_ = (want);                                  \
		if (!g_ || !w_ || strcmp(g_, w_)) {                                    \
			print_error("%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
				    g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
			fail();                                                        \
		}                                                                      \
	} while (0)
#endif
