/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: reference HTTP clients for the CPU-per-check benchmark
 *
 * Two minimal clients that GET http://127.0.0.1:PORT/ every INTERVAL_MS,
 * COUNT times, so that bench/cpu_per_check.sh can measure them exactly like
 * the checkers: "raw" does blocking socket, connect, send, read until EOF,
 * close (the kernel's cost of one loopback HTTP request, the floor for any
 * checker); "curl" does curl_easy_perform() with a fresh connection each
 * time (libcurl's own per-transfer cost). Not part of anycheck.
 *
 * Usage: http_floor raw|curl PORT INTERVAL_MS COUNT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

static int
raw_get(int port)
{
	static const char request[] =
	    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	struct sockaddr_in address;
	char buffer[4096];
	int fd, status = -1;
	ssize_t n;

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_port = htons((uint16_t)port);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0 &&
	    send(fd, request, sizeof(request) - 1, 0) > 0) {
		while ((n = read(fd, buffer, sizeof(buffer))) > 0)
			if (status == -1 && n >= 12 &&
			    memcmp(buffer, "HTTP/1.1 200", 12) == 0)
				status = 0;
	}
	close(fd);
	return status;
}

static size_t
discard(char *data, size_t size, size_t count, void *user)
{
	(void)data;
	(void)user;
	return size * count;
}

int
main(int argc, char **argv)
{
	CURL *easy = NULL;
	char url[64];
	int port, interval_ms, count;

	if (argc != 5)
		return 2;
	port = atoi(argv[2]);
	interval_ms = atoi(argv[3]);
	count = atoi(argv[4]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	if (strcmp(argv[1], "curl") == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		easy = curl_easy_init();
	}
	for (int i = 0; i < count; i++) {
		struct timespec pause = { interval_ms / 1000,
		    (interval_ms % 1000) * 1000000L };
		if (easy != NULL) {
			curl_easy_setopt(easy, CURLOPT_URL, url);
			curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
			curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
			curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
			if (curl_easy_perform(easy) != CURLE_OK)
				return 1;
		} else if (raw_get(port) == -1)
			return 1;
		nanosleep(&pause, NULL);
	}
	return 0;
}
