/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the status document
 *
 * What "anycheckctl status" shows, built from the supervisor's accessors
 * and the backend's describe_service: per service its state and for how
 * long, the last round with each check's result and duration, the
 * prefixes and the attributes they should be announced with, what the
 * routing daemon was told and confirmed, hold-down and drain progress,
 * maintenance (file, request and reason) and a traffic shift. It is also
 * rendered as text here (control_status_render), for anycheckctl and for
 * "dump" in text form, so both show the same thing.
 */
#ifndef ANYCHECK_CONTROL_STATUS_H
#define ANYCHECK_CONTROL_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct daemon;
struct service;

/* The status object of one service (new reference). shift_left_ns: the
 * time left of its shift, 0 when unbounded or none. */
json_t *control_status_service(struct daemon *daemon,
    const struct service *service, uint64_t shift_left_ns);

/* Render a status reply ({"services": [...], ...}) for a human: a table
 * with one line per service, then per service its checks, routes and
 * what holds it. colour: ANSI colours for the states. Pure. */
void control_status_render(const json_t *reply, bool colour, FILE *out);

#endif
