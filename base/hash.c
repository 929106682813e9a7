/* hash.c - FNV-1a for hash tables (content ids use SHA-256, see ct_content_id). */
#include "base.h"

uint64_t ct_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	/* final avalanche (splitmix64) so short inputs spread */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void ct_hash_hex(const void *data, size_t len, char out[33])
{
	uint64_t a = ct_hash64(data, len, 0), b = ct_hash64(data, len, 0x9e3779b97f4a7c15ULL);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}
