/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: a fake BIRD control socket for unit tests (implementation)
 *
 * Commands are read into a buffer of BIRD's size and processed line by
 * line as they arrive (or on fake_bird_resume); replies go to an output
 * buffer flushed without blocking, since the client under test runs on
 * the same loop and thread.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake_bird.h"
#include "log.h"

static void fake_bird_on_conn(struct loop *loop, int fd, uint32_t events,
    void *arg);

static void
fake_bird_flush(struct fake_bird *fake)
{
	size_t done = 0;

	while (fake->conn_fd != -1 && done < fake->output_length) {
		ssize_t n = send(fake->conn_fd, fake->output + done,
		    fake->output_length - done, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			fake_bird_drop(fake);
			return;
		}
		done += (size_t)n;
	}
	memmove(fake->output, fake->output + done, fake->output_length - done);
	fake->output_length -= done;
	if (fake->conn_fd == -1)
		return;
	if ((fake->output_length > 0) != fake->writable_wait) {
		fake->writable_wait = fake->output_length > 0;
		loop_modify_fd(fake->loop, fake->conn_fd, fake->writable_wait ?
		    EPOLLIN | EPOLLOUT : EPOLLIN);
	}
}

static void __attribute__((format(printf, 2, 3)))
fake_bird_printf(struct fake_bird *fake, const char *fmt, ...)
{
	va_list ap;
	int length;

	va_start(ap, fmt);
	length = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (fake->output_length + (size_t)length + 1 > fake->output_capacity) {
		fake->output_capacity = (fake->output_length +
		    (size_t)length + 1) * 2;
		fake->output = xrealloc(fake->output, fake->output_capacity);
	}
	va_start(ap, fmt);
	vsnprintf(fake->output + fake->output_length, (size_t)length + 1, fmt,
	    ap);
	va_end(ap);
	fake->output_length += (size_t)length;
}

static void
fake_bird_record_change(struct fake_bird *fake, size_t index, bool enabled,
    bool by_hand)
{
	if (fake->protocols[index].enabled == enabled)
		return;
	fake->protocols[index].enabled = enabled;
	fake->changes = xrealloc(fake->changes,
	    (fake->change_count + 1) * sizeof(*fake->changes));
	fake->changes[fake->change_count++] = (struct fake_bird_change){
		.protocol = index, .enabled = enabled, .by_hand = by_hand,
	};
}

/* "enable \"NAME\"" or "enable NAME" -> NAME, and whether it was quoted
 * (as BIRD takes either: a bare name is a symbol, a quoted one a
 * pattern). */
static bool
fake_bird_argument(const char *rest, char *name, size_t size, bool *quoted)
{
	size_t length;

	while (*rest == ' ')
		rest++;
	*quoted = *rest == '"';
	if (*quoted)
		rest++;
	length = strcspn(rest, "\"");
	if (length == 0 || length >= size)
		return false;
	memcpy(name, rest, length);
	name[length] = '\0';
	return true;
}

static void
fake_bird_toggle(struct fake_bird *fake, const char *rest, bool enable)
{
	char name[80];
	struct fake_bird_protocol *protocol;
	bool quoted;

	if (!fake_bird_argument(rest, name, sizeof(name), &quoted)) {
		fake_bird_printf(fake, "9001 syntax error\n");
		return;
	}
	protocol = fake_bird_find(fake, name);
	/* A bare name BIRD has no symbol for does not parse. */
	if (!quoted && (protocol == NULL || !protocol->declared)) {
		fake_bird_printf(fake, "9001 syntax error, unexpected "
		    "CF_SYM_UNDEFINED\n");
		return;
	}
	if (protocol != NULL && protocol->fail_count != 0) {
		if (protocol->fail_count > 0)
			protocol->fail_count--;
		switch (protocol->fail_code) {
		case 8003:
			fake_bird_printf(fake, "8003 No protocols match\n");
			return;
		case 8007:
			fake_bird_printf(fake, "8007 Access denied\n");
			return;
		default:
			fake_bird_printf(fake, "%04u syntax error, unexpected "
			    "CF_SYM_UNDEFINED\n", protocol->fail_code);
			return;
		}
	}
	if (protocol == NULL || !protocol->declared) {
		fake_bird_printf(fake, "8003 No protocols match\n");
		return;
	}
	if (protocol->enabled == enable) {
		fake_bird_printf(fake, "%04u-%s: already %s\n0000 \n",
		    enable ? 10 : 8, name, enable ? "enabled" : "disabled");
		return;
	}
	fake_bird_record_change(fake, (size_t)(protocol - fake->protocols),
	    enable, false);
	fake_bird_printf(fake, "%04u-%s: %s\n0000 \n", enable ? 11 : 9, name,
	    enable ? "enabled" : "disabled");
}

static void
fake_bird_show_protocols(struct fake_bird *fake, const char *only)
{
	bool first = true;

	if (only != NULL) {
		const struct fake_bird_protocol *protocol =
		    fake_bird_find(fake, only);

		if (protocol == NULL || !protocol->declared) {
			fake_bird_printf(fake, "8003 No protocols match\n");
			return;
		}
	}
	fake_bird_printf(fake, "2002-Name       Proto      Table      State  "
	    "Since         Info\n");
	for (size_t i = 0; i < fake->protocol_count; i++) {
		const struct fake_bird_protocol *protocol = &fake->protocols[i];

		if (!protocol->declared ||
		    (only != NULL && strcmp(only, protocol->name) != 0))
			continue;
		/* BIRD starts a run of lines with one code with "1002-" and
		 * continues it with " ". */
		fake_bird_printf(fake, "%s%-10s Static     master4    %-6s "
		    "2026-11-29 19:00:00  \n", first ? "1002-" : " ",
		    protocol->name, protocol->enabled ? "up" : "down");
		first = false;
	}
	fake_bird_printf(fake, "0000 \n");
}

static void
fake_bird_command(struct fake_bird *fake, const char *line)
{
	char name[80];
	bool quoted;

	fake->commands = xrealloc(fake->commands,
	    (fake->command_count + 1) * sizeof(*fake->commands));
	fake->commands[fake->command_count++] = xstrdup(line);
	if (!fake->answer)
		return;
	if (strncmp(line, "enable ", 7) == 0)
		fake_bird_toggle(fake, line + 7, true);
	else if (strncmp(line, "disable ", 8) == 0)
		fake_bird_toggle(fake, line + 8, false);
	else if (strcmp(line, "show protocols") == 0)
		fake_bird_show_protocols(fake, NULL);
	else if (strncmp(line, "show protocols all ", 19) == 0 &&
	    fake_bird_argument(line + 19, name, sizeof(name), &quoted))
		fake_bird_show_protocols(fake, name);
	else if (strcmp(line, "show status") == 0)
		fake_bird_printf(fake, "1000-BIRD 2.0.12\n"
		    "1011-Router ID is 192.0.2.254\n"
		    " Current server time is 2026-11-29 19:00:00.000\n"
		    " Last reboot on 2026-11-29 18:00:%02u.%03u\n"
		    " Last reconfiguration on 2026-11-29 18:%02u:%02u.%03u\n"
		    "0013 Daemon is up and running\n",
		    (fake->boots + fake->status_skew_ms / 1000) % 60,
		    fake->status_skew_ms % 1000, fake->reconfigurations % 60,
		    fake->status_skew_ms / 1000 % 60,
		    fake->status_skew_ms % 1000);
	else if (strcmp(line, "configure") == 0) {
		fake->configures++;
		fake_bird_reconfigure(fake);
		fake_bird_printf(fake, "0002-Reading configuration from "
		    "/etc/bird/bird.conf\n0003 Reconfigured\n");
	} else
		fake_bird_printf(fake, "9001 syntax error, unexpected "
		    "CF_SYM_UNDEFINED\n");
}

/* Process every complete line in the input buffer. */
static void
fake_bird_process(struct fake_bird *fake)
{
	char *newline;
	size_t used = 0;

	while (fake->conn_fd != -1 && !fake->paused &&
	    (newline = memchr(fake->input + used, '\n',
	    fake->input_length - used)) != NULL) {
		*newline = '\0';
		fake_bird_command(fake, fake->input + used);
		used = (size_t)(newline - fake->input) + 1;
	}
	memmove(fake->input, fake->input + used, fake->input_length - used);
	fake->input_length -= used;
	fake_bird_flush(fake);
}

static void
fake_bird_on_conn(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct fake_bird *fake = arg;
	ssize_t n;

	(void)loop;
	if (events & EPOLLOUT)
		fake_bird_flush(fake);
	if (fake->conn_fd != fd || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (fake->input_length == FAKE_BIRD_READ_BUFFER) {
		/* BIRD reads 0 bytes into a full buffer and takes it for
		 * EOF: the connection is closed. */
		fake->overflows++;
		fake_bird_drop(fake);
		return;
	}
	n = read(fd, fake->input + fake->input_length,
	    FAKE_BIRD_READ_BUFFER - fake->input_length);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fake_bird_drop(fake);
		return;
	}
	fake->input_length += (size_t)n;
	fake_bird_process(fake);
}

static void
fake_bird_on_listen(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct fake_bird *fake = arg;
	int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)events;
	if (conn == -1)
		return;
	if (fake->conn_fd != -1)
		fake_bird_drop(fake);   /* one client at a time is enough */
	fake->accepted++;
	fake->accepted_at_ns = loop_now_ns(loop);
	if (fake->hang_up) {
		/* A BIRD that greets and goes away at once. */
		ck_assert(write(conn, "0001 BIRD 2.0.12 ready.\n", 24) == 24);
		close(conn);
		return;
	}
	fake->conn_fd = conn;
	fake->input_length = 0;
	fake->output_length = 0;
	fake->writable_wait = false;
	ck_assert_int_eq(loop_add_fd(loop, conn, EPOLLIN, fake_bird_on_conn,
	    fake), 0);
	fake_bird_printf(fake, "0001 BIRD 2.0.12 ready.\n");
	fake_bird_flush(fake);
}

void
fake_bird_listen(struct fake_bird *fake)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };

	ck_assert_uint_lt(strlen(fake->path), sizeof(address.sun_path));
	memcpy(address.sun_path, fake->path, strlen(fake->path) + 1);
	fake->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fake->listen_fd, 0);
	ck_assert_int_eq(bind(fake->listen_fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	ck_assert_int_eq(listen(fake->listen_fd, 4), 0);
	ck_assert_int_eq(loop_add_fd(fake->loop, fake->listen_fd, EPOLLIN,
	    fake_bird_on_listen, fake), 0);
}

void
fake_bird_init(struct fake_bird *fake, struct loop *loop, bool listening)
{
	memset(fake, 0, sizeof(*fake));
	fake->loop = loop;
	fake->answer = true;
	fake->conn_fd = -1;
	fake->listen_fd = -1;
	fake->boots = 1;
	snprintf(fake->dir, sizeof(fake->dir), "/tmp/anycheck-fake-bird-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake->dir));
	snprintf(fake->path, sizeof(fake->path), "%s/bird.ctl", fake->dir);
	if (listening)
		fake_bird_listen(fake);
}

void
fake_bird_drop(struct fake_bird *fake)
{
	if (fake->conn_fd == -1)
		return;
	loop_remove_fd(fake->loop, fake->conn_fd);
	close(fake->conn_fd);
	fake->conn_fd = -1;
	fake->input_length = 0;
	fake->output_length = 0;
}

void
fake_bird_close(struct fake_bird *fake)
{
	fake_bird_drop(fake);
	if (fake->listen_fd != -1) {
		loop_remove_fd(fake->loop, fake->listen_fd);
		close(fake->listen_fd);
		fake->listen_fd = -1;
	}
	unlink(fake->path);
	rmdir(fake->dir);
	for (size_t i = 0; i < fake->command_count; i++)
		free(fake->commands[i]);
	free(fake->commands);
	free(fake->changes);
	free(fake->protocols);
	free(fake->output);
}

size_t
fake_bird_add(struct fake_bird *fake, const char *name)
{
	struct fake_bird_protocol *protocol;

	fake->protocols = xrealloc(fake->protocols,
	    (fake->protocol_count + 1) * sizeof(*fake->protocols));
	protocol = &fake->protocols[fake->protocol_count];
	memset(protocol, 0, sizeof(*protocol));
	snprintf(protocol->name, sizeof(protocol->name), "%s", name);
	protocol->declared = true;
	return fake->protocol_count++;
}

struct fake_bird_protocol *
fake_bird_find(struct fake_bird *fake, const char *name)
{
	for (size_t i = 0; i < fake->protocol_count; i++)
		if (strcmp(fake->protocols[i].name, name) == 0)
			return &fake->protocols[i];
	return NULL;
}

void
fake_bird_set(struct fake_bird *fake, const char *name, bool enabled)
{
	struct fake_bird_protocol *protocol = fake_bird_find(fake, name);

	ck_assert_ptr_nonnull(protocol);
	fake_bird_record_change(fake, (size_t)(protocol - fake->protocols),
	    enabled, true);
}

void
fake_bird_fail(struct fake_bird *fake, const char *name, unsigned code,
    int count)
{
	struct fake_bird_protocol *protocol = fake_bird_find(fake, name);

	ck_assert_ptr_nonnull(protocol);
	protocol->fail_code = code;
	protocol->fail_count = count;
}

void
fake_bird_resume(struct fake_bird *fake)
{
	fake->paused = false;
	fake_bird_process(fake);
}

/* What BIRD reads from an include file on configure: each
 * "protocol static NAME" and its "disabled yes|no". */
/* What BIRD's "configure" takes from the include file: the protocols it
 * declares are BIRD's (new ones added, each with its "disabled" line),
 * those it no longer declares are gone (as BIRD removes them). */
static void
fake_bird_read_include(struct fake_bird *fake)
{
	FILE *file = fopen(fake->include_path, "r");
	char line[512], name[80] = "";
	bool *seen;

	if (file == NULL)
		return;
	seen = xcalloc(fake->protocol_count + 1, sizeof(*seen));
	while (fgets(line, sizeof(line), file) != NULL) {
		struct fake_bird_protocol *protocol;
		if (sscanf(line, "protocol static %79s", name) == 1) {
			size_t index;

			protocol = fake_bird_find(fake, name);
			if (protocol == NULL) {
				index = fake_bird_add(fake, name);
				seen = xrealloc(seen, fake->protocol_count *
				    sizeof(*seen));
			} else
				index = (size_t)(protocol - fake->protocols);
			fake->protocols[index].declared = true;
			seen[index] = true;
			continue;
		}
		protocol = name[0] != '\0' ? fake_bird_find(fake, name) : NULL;
		if (protocol != NULL && strstr(line, "disabled yes") != NULL)
			protocol->config_enabled = false;
		else if (protocol != NULL && strstr(line, "disabled no") != NULL)
			protocol->config_enabled = true;
	}
	fclose(file);
	for (size_t i = 0; i < fake->protocol_count; i++)
		if (!seen[i]) {
			fake->protocols[i].declared = false;
			fake->protocols[i].config_enabled = false;
		}
	free(seen);
}

void
fake_bird_reconfigure(struct fake_bird *fake)
{
	fake->reconfigurations++;
	if (fake->include_path != NULL)
		fake_bird_read_include(fake);
	for (size_t i = 0; i < fake->protocol_count; i++)
		fake_bird_record_change(fake, i,
		    fake->protocols[i].config_enabled &&
		    fake->protocols[i].declared, false);
}

void
fake_bird_restart(struct fake_bird *fake)
{
	fake_bird_drop(fake);
	fake->boots++;
	for (size_t i = 0; i < fake->protocol_count; i++)
		fake_bird_record_change(fake, i,
		    fake->protocols[i].config_enabled &&
		    fake->protocols[i].declared, false);
}

size_t
fake_bird_count_commands(const struct fake_bird *fake, const char *prefix)
{
	size_t count = 0;

	for (size_t i = 0; i < fake->command_count; i++)
		if (strncmp(fake->commands[i], prefix, strlen(prefix)) == 0)
			count++;
	return count;
}

size_t
fake_bird_enabled_count(const struct fake_bird *fake)
{
	size_t count = 0;

	for (size_t i = 0; i < fake->protocol_count; i++)
		count += fake->protocols[i].enabled;
	return count;
}
