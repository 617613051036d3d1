/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: the status document (implementation)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "control_protocol.h"
#include "control_status.h"
#include "daemon.h"

static double
control_seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* Which attribute set announcement is, by where it lives. */
static const char *
control_status_set(const struct service *service,
    const struct announce_attributes *announcement)
{
	const struct service_config *config = service_config(service);

	if (announcement == service_shift_attributes(service))
		return "shifted";
	if (announcement == &config->announce)
		return "up";
	if (announcement == &config->drain_announce)
		return "drain";
	if (announcement == &config->down.attributes)
		return "down";
	if (announcement == &config->disabled.attributes)
		return "disabled";
	if (announcement == &config->last_resort.attributes)
		return "last_resort";
	return "other";
}

static json_t *
control_status_announcement(const struct service *service)
{
	const struct announce_attributes *a = supervisor_announcement(service);
	json_t *object, *communities;

	if (a == NULL)
		return json_null();
	object = json_pack("{s:s, s:i}", "set", control_status_set(service, a),
	    "as_path_prepend", (json_int_t)a->as_path_prepend);
	if (a->has_med)
		json_object_set_new(object, "med", json_integer(a->med));
	if (a->has_local_preference)
		json_object_set_new(object, "local_preference",
		    json_integer(a->local_preference));
	communities = json_array();
	for (size_t i = 0; i < a->community_count; i++)
		json_array_append_new(communities, json_sprintf("%u:%u",
		    a->communities[i].asn, a->communities[i].value));
	json_object_set_new(object, "communities", communities);
	return object;
}

static json_t *
control_status_checks(const struct service *service, uint64_t now)
{
	json_t *checks = json_array();

	for (size_t i = 0; i < service_check_count(service); i++) {
		const struct service_check_last *last =
		    service_check_last(service, i);
		const struct check_config *config =
		    service_check_config(service, i);
		json_t *check = json_pack("{s:s, s:s}", "check",
		    config->description, "scope",
		    check_scope_name(config->scope));
		if (last != NULL && last->result != CHECK_RESULT_COUNT) {
			json_object_set_new(check, "result",
			    json_string(check_result_name(last->result)));
			json_object_set_new(check, "detail",
			    json_string(last->detail));
			json_object_set_new(check, "duration_ms",
			    json_real((double)last->duration_ns / 1e6));
			json_object_set_new(check, "seconds_ago",
			    json_real(now > last->ended_ns ?
			    control_seconds(now - last->ended_ns) : 0));
		} else
			json_object_set_new(check, "result", json_null());
		json_array_append_new(checks, check);
	}
	return checks;
}

json_t *
control_status_service(struct daemon *daemon, const struct service *service,
    uint64_t shift_left_ns)
{
	const struct service_config *config = service_config(service);
	const struct health *health = service_health(service);
	uint64_t now = loop_now_ns(daemon->loop);
	json_t *object, *prefixes = json_array(), *routing = json_object();
	const struct supervisor_shift *shift = service_shift(service);

	for (size_t i = 0; i < config->prefix_count; i++)
		json_array_append_new(prefixes,
		    json_string(config->prefixes[i].text));
	object = json_pack("{s:s, s:s, s:f, s:s, s:b, s:o, s:o, s:I}",
	    "name", config->name,
	    "state", health_state_name(service_state(service)),
	    "state_seconds", control_seconds(now -
	    service_state_since_ns(service)),
	    "reason", service_reason(service),
	    "removed", service_removed(service),
	    "prefixes", prefixes,
	    "announcement", control_status_announcement(service),
	    "rounds", (json_int_t)service_rounds(service));
	if (service_rounds(service) > 0 || service_round_started_ns(service))
		json_object_set_new(object, "round_seconds_ago",
		    json_real(control_seconds(now -
		    service_round_started_ns(service))));
	json_object_set_new(object, "checks",
	    control_status_checks(service, now));
	if (health_held_down(health)) {
		uint64_t end = health_hold_end_ns(health);
		json_object_set_new(object, "hold_down", json_pack(
		    "{s:f, s:f, s:i}", "seconds", control_seconds(
		    health->hold_ns), "seconds_left", end > now ?
		    control_seconds(end - now) : 0.0, "downs",
		    (json_int_t)health->flap_count));
	}
	if (health->state == HEALTH_DRAINING) {
		long count = service_drain_connections(service);
		json_t *drain = json_pack("{s:s, s:f, s:f}", "reason",
		    health_drain_reason_name(health->drain_reason),
		    "seconds", control_seconds(now -
		    health->drain_started_ns), "seconds_left",
		    health->drain_deadline_ns > now ? control_seconds(
		    health->drain_deadline_ns - now) : 0.0);
		json_object_set_new(drain, "connections", count >= 0 ?
		    json_integer(count) : json_null());
		json_object_set_new(object, "drain", drain);
	}
	json_object_set_new(object, "maintenance", json_pack(
	    "{s:b, s:s?, s:b, s:s}", "file", service_maintenance_file(service),
	    "file_path", config->maintenance_file, "requested",
	    service_maintenance_requested(service), "reason",
	    service_maintenance_reason(service)));
	if (shift != NULL) {
		json_t *s = control_shift_to_json(shift);
		json_object_set_new(s, "seconds_left", shift_left_ns > 0 ?
		    json_real(control_seconds(shift_left_ns)) : json_null());
		json_object_set_new(object, "shift", s);
	}
	if (daemon->backend_ops->describe_service != NULL)
		daemon->backend_ops->describe_service(daemon->backend, service,
		    routing);
	json_object_set_new(object, "routing", routing);
	return object;
}

/* Rendering. */

#define COLOUR_RESET "\033[0m"

static const char *
control_state_colour(const char *state)
{
	if (strcmp(state, "UP") == 0)
		return "\033[32m";      /* green */
	if (strcmp(state, "DOWN") == 0 || strcmp(state, "STOPPED") == 0)
		return "\033[31m";      /* red */
	if (strcmp(state, "DISABLED") == 0 || strcmp(state, "DRAINING") == 0)
		return "\033[35m";      /* magenta: held by an operator */
	/* yellow: on the way, or DEGRADED (announced with last_resort) */
	return "\033[33m";
}

/* "4.2 s", "12 min 5 s", "3 h 2 min", "2 d 4 h". */
static void
control_duration(double seconds, char *out, size_t size)
{
	unsigned long s = (unsigned long)(seconds + 0.5);

	if (seconds < 10)
		snprintf(out, size, "%.1f s", seconds);
	else if (s < 60)
		snprintf(out, size, "%lu s", s);
	else if (s < 3600)
		snprintf(out, size, "%lu min %lu s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%lu h %lu min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%lu d %lu h", s / 86400, s % 86400 / 3600);
}

static const char *
control_string(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(object, key));

	return s != NULL ? s : "";
}

/* "up, med 500, prepend 2, 65000:1" or "withdrawn". */
static void
control_render_announcement(const json_t *a, char *out, size_t size)
{
	size_t length;
	const json_t *c;
	size_t i;

	if (!json_is_object(a)) {
		snprintf(out, size, "withdrawn");
		return;
	}
	length = (size_t)snprintf(out, size, "%s", control_string(a, "set"));
	if (json_object_get(a, "med") != NULL && length < size)
		length += (size_t)snprintf(out + length, size - length,
		    ", med %" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(a, "med")));
	if (json_integer_value(json_object_get(a, "as_path_prepend")) > 0 &&
	    length < size)
		length += (size_t)snprintf(out + length, size - length,
		    ", prepend %" JSON_INTEGER_FORMAT, json_integer_value(
		    json_object_get(a, "as_path_prepend")));
	json_array_foreach(json_object_get(a, "communities"), i, c)
		if (length < size)
			length += (size_t)snprintf(out + length, size - length,
			    "%s%s", i == 0 ? ", " : " ", json_string_value(c));
}

/* One line of what the routing daemon has ("2/2 confirmed"). */
static void
control_render_routing_summary(const json_t *routing, char *out, size_t size)
{
	const json_t *list = json_object_get(routing, "routes");
	const char *good = "sent";
	size_t total, ok = 0, i;
	const json_t *item;

	if (list == NULL) {
		list = json_object_get(routing, "protocols");
		good = "confirmed";
	}
	total = json_array_size(list);
	json_array_foreach(list, i, item)
		if (json_is_true(json_object_get(item, "settled")))
			ok++;
	if (total == 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%zu/%zu %s", ok, total, good);
}

static void
control_render_service(const json_t *s, bool colour, FILE *out)
{
	const json_t *item, *m = json_object_get(s, "maintenance");
	const json_t *routing = json_object_get(s, "routing");
	char buffer[512], when[32];
	size_t i;

	control_duration(json_number_value(json_object_get(s,
	    "state_seconds")), when, sizeof(when));
	fprintf(out, "\n%s: %s%s%s for %s (%s)\n", control_string(s, "name"),
	    colour ? control_state_colour(control_string(s, "state")) : "",
	    control_string(s, "state"), colour ? COLOUR_RESET : "", when,
	    control_string(s, "reason"));
	if (json_is_true(json_object_get(m, "requested")))
		fprintf(out, "  maintenance: on by request, reason: %s\n",
		    control_string(m, "reason")[0] != '\0' ?
		    control_string(m, "reason") : "(none given)");
	if (json_is_true(json_object_get(m, "file")))
		fprintf(out, "  maintenance: file %s is present\n",
		    control_string(m, "file_path"));
	if ((item = json_object_get(s, "shift")) != NULL) {
		struct supervisor_shift shift;
		char why[64];
		if (control_shift_from_json(item, &shift, why,
		    sizeof(why)) == 0) {
			control_shift_describe(&shift, buffer, sizeof(buffer));
			free(shift.communities);
		} else
			snprintf(buffer, sizeof(buffer), "?");
		if (json_is_number(json_object_get(item, "seconds_left"))) {
			control_duration(json_number_value(json_object_get(
			    item, "seconds_left")), when, sizeof(when));
			fprintf(out, "  shift: %s (ends in %s)\n", buffer, when);
		} else
			fprintf(out, "  shift: %s (until cleared)\n", buffer);
	}
	if ((item = json_object_get(s, "hold_down")) != NULL) {
		control_duration(json_number_value(json_object_get(item,
		    "seconds_left")), when, sizeof(when));
		fprintf(out, "  hold-down: %s left of %g s (%" JSON_INTEGER_FORMAT
		    " DOWNs in the flap window)\n", when, json_number_value(
		    json_object_get(item, "seconds")), json_integer_value(
		    json_object_get(item, "downs")));
	}
	if ((item = json_object_get(s, "drain")) != NULL) {
		control_duration(json_number_value(json_object_get(item,
		    "seconds_left")), when, sizeof(when));
		fprintf(out, "  draining (%s): %s left", control_string(item,
		    "reason"), when);
		if (json_is_integer(json_object_get(item, "connections")))
			fprintf(out, ", %" JSON_INTEGER_FORMAT " connections",
			    json_integer_value(json_object_get(item,
			    "connections")));
		fprintf(out, "\n");
	}
	if (json_is_number(json_object_get(s, "round_seconds_ago"))) {
		control_duration(json_number_value(json_object_get(s,
		    "round_seconds_ago")), when, sizeof(when));
		fprintf(out, "  last round: %s ago\n", when);
	}
	json_array_foreach(json_object_get(s, "checks"), i, item) {
		const char *scope = strcmp(control_string(item, "scope"),
		    "global") == 0 ? " [global]" : "";

		if (json_is_null(json_object_get(item, "result"))) {
			fprintf(out, "    %-8s %s%s\n", "-", control_string(item,
			    "check"), scope);
			continue;
		}
		fprintf(out, "    %-8s %s%s (%.1f ms)%s%s\n", control_string(item,
		    "result"), control_string(item, "check"), scope,
		    json_number_value(json_object_get(item, "duration_ms")),
		    control_string(item, "detail")[0] != '\0' ? ": " : "",
		    control_string(item, "detail"));
	}
	control_render_announcement(json_object_get(s, "announcement"), buffer,
	    sizeof(buffer));
	fprintf(out, "  should be: %s\n", buffer);
	json_array_foreach(json_object_get(routing, "routes"), i, item)
		fprintf(out, "    %-20s told %s, %s\n", control_string(item,
		    "prefix"), control_string(item, "told"),
		    control_string(item, "state"));
	json_array_foreach(json_object_get(routing, "protocols"), i, item)
		fprintf(out, "    %-28s wanted %s, BIRD: %s%s%s\n",
		    control_string(item, "protocol"), control_string(item,
		    "wanted"), control_string(item, "bird"),
		    control_string(item, "problem")[0] != '\0' ? ", " : "",
		    control_string(item, "problem"));
}

void
control_status_render(const json_t *reply, bool colour, FILE *out)
{
	const json_t *services = json_object_get(reply, "services"), *s;
	char announced[256], routing[64], when[32];
	size_t i;

	fprintf(out, "%s %s, pid %" JSON_INTEGER_FORMAT ", config %s\n",
	    control_string(reply, "program"), control_string(reply,
	    "daemon_version"), json_integer_value(json_object_get(reply,
	    "pid")), control_string(reply, "config"));
	fprintf(out, "%-20s %-10s %-14s %-10s %s\n", "SERVICE", "STATE",
	    "FOR", "ROUTING", "ANNOUNCED");
	json_array_foreach(services, i, s) {
		const char *state = control_string(s, "state");
		control_duration(json_number_value(json_object_get(s,
		    "state_seconds")), when, sizeof(when));
		control_render_announcement(json_object_get(s, "announcement"),
		    announced, sizeof(announced));
		control_render_routing_summary(json_object_get(s, "routing"),
		    routing, sizeof(routing));
		fprintf(out, "%-20s %s%-10s%s %-14s %-10s %s\n",
		    control_string(s, "name"), colour ?
		    control_state_colour(state) : "", state, colour ?
		    COLOUR_RESET : "", when, routing, announced);
	}
	json_array_foreach(services, i, s)
		control_render_service(s, colour, out);
}
