/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: replay fuzz inputs without libFuzzer
 *
 * A main() for the fuzz targets' LLVMFuzzerTestOneInput, so that their seed
 * corpora and the inputs that once crashed them (fuzz/regressions/NAME/)
 * run as ordinary ctest tests in every build, gcc included, and under ASan
 * and UBSan in the sanitizer build. Each argument is a file, or a directory
 * whose regular files (not those starting with ".") are replayed in name
 * order. Exits 0 when every input ran; a bug aborts through the sanitizers
 * or the target's own assertions, naming the input on stderr first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, capacity = 0;

	if (file == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (capacity - size < 4096) {
			capacity = capacity * 2 + 4096;
			data = realloc(data, capacity);
			if (data == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				abort();
			}
		}
		size_t n = fread(data + size, 1, capacity - size, file);
		size += n;
		if (n == 0)
			break;
	}
	if (ferror(file)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(file);
		free(data);
		return -1;
	}
	fclose(file);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
	/* An exact-size copy, so ASan sees a read one byte past the input. */
	uint8_t *input = malloc(size > 0 ? size : 1);
	if (input == NULL)
		abort();
	memcpy(input, data, size);
	free(data);
	LLVMFuzzerTestOneInput(input, size);
	free(input);
	return 0;
}

static int
entry_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay a directory's regular files in name order, counting them into
 * *replayed. Returns 0, or -1 when one could not be read. */
static int
replay_directory(const char *path, size_t *replayed)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	char **names = NULL;
	size_t count = 0;
	int result = 0;

	if (dir == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		names = realloc(names, (count + 1) * sizeof(*names));
		if (names == NULL || (names[count] = strdup(entry->d_name)) == NULL)
			abort();
		count++;
	}
	closedir(dir);
	if (count > 1)
		qsort(names, count, sizeof(*names), entry_compare);
	for (size_t i = 0; i < count; i++) {
		char file[4096];
		struct stat st;

		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(file) == -1)
				result = -1;
			else
				(*replayed)++;
		}
		free(names[i]);
	}
	free(names);
	return result;
}

int
main(int argc, char **argv)
{
	size_t replayed = 0;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_directory(argv[i], &replayed) == -1)
				status = 1;
		} else if (replay_file(argv[i]) == -1) {
			status = 1;
		} else {
			replayed++;
		}
	}
	printf("replayed %zu input(s)\n", replayed);
	return status;
}
