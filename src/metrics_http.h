/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the metrics HTTP listener
 *
 * Serves GET /metrics on metrics.listen from anycheck's own loop:
 * libmicrohttpd without threads of its own (external polling with its
 * epoll fd registered on our loop, MHD_run when that fd is ready or when
 * MHD's next timeout comes). The body comes from a render callback at each
 * scrape. Bounded: a few connections at once, each with a time limit, so a
 * scraper cannot hold the daemon.
 */
#ifndef ANYCHECK_METRICS_HTTP_H
#define ANYCHECK_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

struct metrics_http;

/* The body for one scrape (malloc'ed, taken over), its length in *length;
 * NULL: answer 500. */
typedef char *(*metrics_http_render)(void *arg, size_t *length);

/* Parse "127.0.0.1:9642" or "[::1]:9642" (numeric address, port 0 to
 * 65535) into *out. Returns 0, or -1 when it is not one. */
int metrics_listen_parse(const char *text, struct sockaddr_storage *out,
    socklen_t *length);

/* Listen on where (metrics_listen_parse form) and serve on loop. NULL on
 * failure (logged: what, where, why). */
struct metrics_http *metrics_http_start(struct loop *loop, const char *where,
    metrics_http_render render, void *arg);
/* The port it listens on (the one the kernel chose for port 0). */
uint16_t metrics_http_port(const struct metrics_http *http);
/* Scrapes answered so far. */
unsigned long metrics_http_scrapes(const struct metrics_http *http);
void metrics_http_stop(struct metrics_http *http);

#endif
