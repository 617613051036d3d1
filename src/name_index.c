/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: name index implementation
 *
 * FNV-1a hashes into a power-of-two table kept at most half full (live keys
 * plus tombstones), so a probe sequence is short and always ends at an
 * empty slot.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "name_index.h"

static uint64_t
name_index_hash(const char *key)
{
	uint64_t hash = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		hash ^= *p;
		hash *= 1099511628211ULL;
	}
	return hash;
}

void
name_index_init(struct name_index *index)
{
	memset(index, 0, sizeof(*index));
}

void
name_index_cleanup(struct name_index *index)
{
	free(index->slots);
	memset(index, 0, sizeof(*index));
}

/* The slot holding key, or NULL. */
static struct name_index_slot *
name_index_find(const struct name_index *index, const char *key)
{
	size_t mask, at;

	if (index->capacity == 0)
		return NULL;
	mask = index->capacity - 1;
	for (at = name_index_hash(key) & mask;; at = (at + 1) & mask) {
		struct name_index_slot *slot = &index->slots[at];
		if (slot->key == NULL && !slot->tombstone)
			return NULL;
		if (slot->key != NULL && strcmp(slot->key, key) == 0)
			return slot;
	}
}

static void
name_index_insert_new(struct name_index *index, const char *key, void *value)
{
	size_t mask = index->capacity - 1;
	size_t at = name_index_hash(key) & mask;

	while (index->slots[at].key != NULL)
		at = (at + 1) & mask;
	if (!index->slots[at].tombstone)
		index->filled++;
	index->slots[at].key = key;
	index->slots[at].value = value;
	index->slots[at].tombstone = false;
	index->used++;
}

static void
name_index_grow(struct name_index *index)
{
	struct name_index_slot *old = index->slots;
	size_t old_capacity = index->capacity;
	size_t capacity = 16;

	while (capacity < (index->used + 1) * 4)
		capacity *= 2;
	index->slots = xcalloc(capacity, sizeof(*index->slots));
	index->capacity = capacity;
	index->used = 0;
	index->filled = 0;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].key != NULL)
			name_index_insert_new(index, old[i].key, old[i].value);
	free(old);
}

void
name_index_put(struct name_index *index, const char *key, void *value)
{
	struct name_index_slot *slot = name_index_find(index, key);

	if (slot != NULL) {
		slot->key = key;
		slot->value = value;
		return;
	}
	if ((index->filled + 1) * 2 > index->capacity)
		name_index_grow(index);
	name_index_insert_new(index, key, value);
}

void *
name_index_get(const struct name_index *index, const char *key)
{
	struct name_index_slot *slot = name_index_find(index, key);

	return slot != NULL ? slot->value : NULL;
}

const char *
name_index_key(const struct name_index *index, const char *key)
{
	struct name_index_slot *slot = name_index_find(index, key);

	return slot != NULL ? slot->key : NULL;
}

void *
name_index_remove(struct name_index *index, const char *key)
{
	struct name_index_slot *slot = name_index_find(index, key);
	void *value;

	if (slot == NULL)
		return NULL;
	value = slot->value;
	slot->key = NULL;
	slot->value = NULL;
	slot->tombstone = true;
	index->used--;
	return value;
}

size_t
name_index_count(const struct name_index *index)
{
	return index->used;
}
