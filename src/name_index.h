/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: name index
 *
 * A string-keyed hash table (open addressing, linear probing) from a name to
 * a caller's pointer, for the lookups that happen per service or per
 * protocol: finding a service by name in a reload, a protocol by name in a
 * BIRD reply. Keys are not copied: the caller keeps each key alive for as
 * long as it is in the index (they normally point into the value).
 */
#ifndef ANYCHECK_NAME_INDEX_H
#define ANYCHECK_NAME_INDEX_H

#include <stdbool.h>
#include <stddef.h>

struct name_index_slot {
	const char *key;        /* NULL: empty */
	void *value;
	bool tombstone;         /* removed; probing goes on past it */
};

struct name_index {
	struct name_index_slot *slots;
	size_t capacity;        /* 0 or a power of two */
	size_t used;            /* live keys */
	size_t filled;          /* live keys and tombstones */
};

void name_index_init(struct name_index *index);
void name_index_cleanup(struct name_index *index);
/* Map key to value, replacing the value of an existing key. */
void name_index_put(struct name_index *index, const char *key, void *value);
/* The value of key, or NULL. */
void *name_index_get(const struct name_index *index, const char *key);
/* The pointer the index holds for the key equal to key (the one given to
 * name_index_put), or NULL: to change a value while keeping that key. */
const char *name_index_key(const struct name_index *index, const char *key);
/* Remove key if present; returns its value or NULL. */
void *name_index_remove(struct name_index *index, const char *key);
size_t name_index_count(const struct name_index *index);

#endif
