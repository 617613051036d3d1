/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: address check
 *
 * Passes while an address (the VIP, usually on lo) is configured on an
 * interface, or on any interface when none is named. An address the kernel
 * still holds as tentative (IPv6 duplicate address detection not done) or
 * whose detection failed cannot be used, and does not count.
 *
 * Nothing is polled. One engine per environment (all address checks share
 * it) keeps the host's addresses in a table: a NETLINK_ROUTE socket
 * subscribed to RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR, filled by an
 * RTM_GETADDR dump and kept current by RTM_NEWADDR and RTM_DELADDR. A run
 * looks its address up in the table (waiting for the first dump to end);
 * between runs every watching check is told at once when its address goes
 * away or comes back (check_event). Notifications lost to a full socket
 * buffer (ENOBUFS), and dumps the kernel marks as interrupted
 * (NLM_F_DUMP_INTR), are made good by dumping again: the dump refreshes
 * every entry it lists and, when it ends, drops those it did not, so a
 * deletion missed in an overrun is still seen. Notifications that arrive
 * during a dump apply to the same table in the order the kernel queued
 * them, which keeps it consistent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"

#define CHECK_ADDRESS_BUFFER_SIZE (64 * 1024)
/* Reads per readiness event, so that a flood of notifications shares the
 * loop (epoll is level-triggered: the rest comes on the next events). */
#define CHECK_ADDRESS_READS_PER_EVENT 16
/* The receive buffer asked for: some 2 000 notifications in a burst. */
#define CHECK_ADDRESS_RCVBUF (1024 * 1024)
/* After a failure to open, send or read: try again this much later. */
#define CHECK_ADDRESS_RETRY_NS (1 * NSEC_PER_SEC)
/* An address counts only when it can be used. */
#define CHECK_ADDRESS_UNUSABLE (IFA_F_TENTATIVE | IFA_F_DADFAILED)

struct check_address_config {
	int family;
	uint8_t address[16];
	char text[INET6_ADDRSTRLEN];
	char *interface;        /* NULL: any interface */
};

/* One slot of the table: an address of this host on one interface, as
 * the kernel last described it. */
enum check_address_slot_state {
	CHECK_ADDRESS_SLOT_EMPTY,
	CHECK_ADDRESS_SLOT_LIVE,
	CHECK_ADDRESS_SLOT_REMOVED,     /* probing goes on past it */
};

struct check_address_entry {
	enum check_address_slot_state state;
	int family;
	uint8_t address[16];
	int ifindex;
	uint32_t flags;         /* IFA_F_* */
	bool seen;              /* listed by the dump running */
};

/* A growable array of checks (watchers, or runs waiting for the table). */
struct check_address_list {
	struct check **items;
	size_t count;
	size_t capacity;
};

struct check_address_engine {
	struct loop *loop;
	int fd;                 /* -1 until open (or after a failure) */
	uint32_t port;          /* our netlink port id */
	uint32_t sequence;      /* of the last dump asked for */
	bool dumping;           /* a dump is running */
	bool synced;            /* the table is complete */
	bool dump_again;        /* overrun or interrupted: dump once more */
	bool warned;            /* a failure was logged */
	/* The table: open addressing with linear probing, hashed on family
	 * and address only, so that every interface's entry of an address
	 * lies on the probe sequence from that address's hash (a dump of
	 * thousands of addresses stays linear). */
	struct check_address_entry *slots;
	size_t capacity;        /* 0 or a power of two */
	size_t entry_count;     /* live slots */
	size_t filled;          /* live and removed slots */
	struct check_address_list watchers;
	struct check_address_list waiting;
	struct loop_timer retry_timer;
	uint8_t *buffer;
};

/* What a watching check knows. */
struct check_address_watch {
	int present;            /* -1 not known yet, 0 absent, 1 present */
	unsigned ifindex;       /* the interface's at the last look; 0: none */
};

static void check_address_engine_readable(struct loop *loop, int fd,
    uint32_t events, void *arg);
static void check_address_engine_evaluate(struct check_address_engine *engine);

static int
check_address_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "address", "interface", NULL };
	struct check_address_config *address;
	const char *interface = NULL;
	int problems = 0, has_interface;
	uint8_t bytes[16];
	int family = 0;

	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	if (config_get_address(parser, object, "address", true, &family,
	    bytes) != 1)
		problems++;
	has_interface = config_get_string(parser, object, "interface", false,
	    &interface);
	if (has_interface == -1)
		problems++;
	else if (has_interface == 1 && (interface[0] == '\0' ||
	    strlen(interface) >= IF_NAMESIZE || strchr(interface, '/') ||
	    strchr(interface, ' '))) {
		config_error(parser, "interface", "must be an interface name "
		    "of 1 to %d characters", IF_NAMESIZE - 1);
		problems++;
	}
	if (problems > 0)
		return -1;
	address = xcalloc(1, sizeof(*address));
	address->family = family;
	memcpy(address->address, bytes, family == AF_INET ? 4 : 16);
	inet_ntop(family, bytes, address->text, sizeof(address->text));
	if (has_interface == 1)
		address->interface = xstrdup(interface);
	config->data = address;
	config->description = xasprintf("address %s on %s", address->text,
	    has_interface == 1 ? interface : "any interface");
	return 0;
}

/* Lists of checks. */

static void
check_address_list_add(struct check_address_list *list, struct check *check)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 8;
		list->items = xrealloc(list->items, list->capacity *
		    sizeof(*list->items));
	}
	list->items[list->count++] = check;
}

static void
check_address_list_remove(struct check_address_list *list,
    struct check *check)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i] == check) {
			memmove(&list->items[i], &list->items[i + 1],
			    (list->count - i - 1) * sizeof(*list->items));
			list->count--;
			return;
		}
}

/* The table. */

static size_t
check_address_hash(int family, const uint8_t address[16])
{
	uint64_t hash = 14695981039346656037ULL ^ (uint64_t)family;

	for (int i = 0; i < 16; i++) {
		hash ^= address[i];
		hash *= 1099511628211ULL;
	}
	return (size_t)hash;
}

/* The next slot of the probe sequence of (family, address) at or after
 * *at holding that address (any interface), or NULL at the sequence's
 * end. Start with *at = SIZE_MAX. */
static struct check_address_entry *
check_address_probe(const struct check_address_engine *engine, int family,
    const uint8_t address[16], size_t *at)
{
	size_t mask = engine->capacity - 1, i;

	if (engine->capacity == 0)
		return NULL;
	i = *at == SIZE_MAX ? check_address_hash(family, address) & mask :
	    (*at + 1) & mask;
	for (size_t steps = 0; steps < engine->capacity; steps++,
	    i = (i + 1) & mask) {
		struct check_address_entry *entry = &engine->slots[i];

		if (entry->state == CHECK_ADDRESS_SLOT_EMPTY)
			return NULL;
		if (entry->state == CHECK_ADDRESS_SLOT_LIVE &&
		    entry->family == family &&
		    memcmp(entry->address, address, 16) == 0) {
			*at = i;
			return entry;
		}
	}
	return NULL;
}

static struct check_address_entry *
check_address_entry_find(struct check_address_engine *engine, int family,
    const uint8_t address[16], int ifindex)
{
	struct check_address_entry *entry;
	size_t at = SIZE_MAX;

	while ((entry = check_address_probe(engine, family, address, &at)))
		if (entry->ifindex == ifindex)
			return entry;
	return NULL;
}

/* Put a live entry in the first free slot of its probe sequence (the
 * table has room: see check_address_table_grow). */
static struct check_address_entry *
check_address_slot_insert(struct check_address_engine *engine, int family,
    const uint8_t address[16])
{
	size_t mask = engine->capacity - 1;
	size_t i = check_address_hash(family, address) & mask;

	while (engine->slots[i].state == CHECK_ADDRESS_SLOT_LIVE)
		i = (i + 1) & mask;
	if (engine->slots[i].state == CHECK_ADDRESS_SLOT_EMPTY)
		engine->filled++;
	engine->entry_count++;
	engine->slots[i].state = CHECK_ADDRESS_SLOT_LIVE;
	return &engine->slots[i];
}

/* Keep at most half the slots filled (removed ones included): rebuild
 * the table, four times the live entries large, when one more would pass
 * that. */
static void
check_address_table_grow(struct check_address_engine *engine)
{
	struct check_address_entry *old = engine->slots;
	size_t old_capacity = engine->capacity, capacity = 16;

	if ((engine->filled + 1) * 2 <= engine->capacity)
		return;
	while (capacity < (engine->entry_count + 1) * 4)
		capacity *= 2;
	engine->slots = xcalloc(capacity, sizeof(*engine->slots));
	engine->capacity = capacity;
	engine->entry_count = 0;
	engine->filled = 0;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i].state == CHECK_ADDRESS_SLOT_LIVE)
			*check_address_slot_insert(engine, old[i].family,
			    old[i].address) = old[i];
	free(old);
}

static void
check_address_entry_put(struct check_address_engine *engine, int family,
    const uint8_t address[16], int ifindex, uint32_t flags)
{
	struct check_address_entry *entry = check_address_entry_find(engine,
	    family, address, ifindex);

	if (entry == NULL) {
		check_address_table_grow(engine);
		entry = check_address_slot_insert(engine, family, address);
		entry->family = family;
		memcpy(entry->address, address, 16);
		entry->ifindex = ifindex;
	}
	entry->flags = flags;
	entry->seen = true;
}

static void
check_address_entry_drop(struct check_address_engine *engine,
    struct check_address_entry *entry)
{
	entry->state = CHECK_ADDRESS_SLOT_REMOVED;
	engine->entry_count--;
}

static void
check_address_entry_remove(struct check_address_engine *engine, int family,
    const uint8_t address[16], int ifindex)
{
	struct check_address_entry *entry = check_address_entry_find(engine,
	    family, address, ifindex);

	if (entry != NULL)
		check_address_entry_drop(engine, entry);
}

/* The check's address on its interface (ifindex; 0 when it has none by
 * that name) or on any: a usable entry if there is one, else any entry
 * (tentative, DAD failed), else NULL. */
static const struct check_address_entry *
check_address_lookup(const struct check_address_engine *engine,
    const struct check_address_config *address, unsigned ifindex)
{
	const struct check_address_entry *entry, *unusable = NULL;
	uint8_t key[16] = { 0 };
	size_t at = SIZE_MAX;

	if (address->interface != NULL && ifindex == 0)
		return NULL;
	memcpy(key, address->address, address->family == AF_INET ? 4 : 16);
	while ((entry = check_address_probe(engine, address->family, key,
	    &at))) {
		if (address->interface != NULL &&
		    (unsigned)entry->ifindex != ifindex)
			continue;
		if (!(entry->flags & CHECK_ADDRESS_UNUSABLE))
			return entry;
		unusable = entry;
	}
	return unusable;
}

/* Is the check's address usable there, per the table? */
static bool
check_address_present(const struct check_address_engine *engine,
    const struct check_address_config *address, unsigned ifindex)
{
	const struct check_address_entry *entry = check_address_lookup(engine,
	    address, ifindex);

	return entry != NULL && !(entry->flags & CHECK_ADDRESS_UNUSABLE);
}

/* Why the address is not usable, for a detail line. */
static const char *
check_address_why_absent(const struct check_address_engine *engine,
    const struct check_address_config *address, unsigned ifindex)
{
	const struct check_address_entry *entry = check_address_lookup(engine,
	    address, ifindex);

	if (address->interface != NULL && ifindex == 0)
		return "no such interface";
	if (entry == NULL)
		return "not configured";
	return entry->flags & IFA_F_DADFAILED ?
	    "duplicate address detection failed" :
	    "tentative (duplicate address detection not done)";
}

/* The engine's socket. */

/* Log a failure of the engine once until it works again. */
static void
check_address_engine_warn(struct check_address_engine *engine,
    const char *what, int error)
{
	if (engine->warned)
		log_debug("address checks: %s: %s", what, strerror(error));
	else
		log_warnx("address checks: %s: %s; trying again every %.0f s",
		    what, strerror(error),
		    (double)CHECK_ADDRESS_RETRY_NS / 1e9);
	engine->warned = true;
}

static void
check_address_engine_close(struct check_address_engine *engine)
{
	if (engine->fd == -1)
		return;
	loop_remove_fd(engine->loop, engine->fd);
	close(engine->fd);
	engine->fd = -1;
	engine->dumping = false;
}

/* Ask for every address of every family. */
static int
check_address_engine_dump(struct check_address_engine *engine)
{
	struct {
		struct nlmsghdr header;
		struct ifaddrmsg request;
	} message;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t sent;

	memset(&message, 0, sizeof(message));
	message.header.nlmsg_len = sizeof(message);
	message.header.nlmsg_type = RTM_GETADDR;
	message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	message.header.nlmsg_seq = ++engine->sequence;
	message.request.ifa_family = AF_UNSPEC;
	do
		sent = sendto(engine->fd, &message, sizeof(message), 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (sent == -1 && errno == EINTR);
	if (sent != (ssize_t)sizeof(message)) {
		check_address_engine_warn(engine, "cannot ask for the "
		    "addresses (RTM_GETADDR)", sent == -1 ? errno : EIO);
		return -1;
	}
	engine->dumping = true;
	engine->dump_again = false;
	engine->synced = false;
	for (size_t i = 0; i < engine->capacity; i++)
		engine->slots[i].seen = false;
	return 0;
}

/* Open, subscribe and dump; -1 with errno on failure (retried later). */
static int
check_address_engine_open(struct check_address_engine *engine)
{
	struct sockaddr_nl local = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	socklen_t length = sizeof(local);
	int size = CHECK_ADDRESS_RCVBUF, error;

	engine->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, NETLINK_ROUTE);
	if (engine->fd == -1)
		return -1;
	/* Best effort: a bigger buffer only makes overruns rarer. */
	(void)setsockopt(engine->fd, SOL_SOCKET, SO_RCVBUF, &size,
	    sizeof(size));
	if (bind(engine->fd, (struct sockaddr *)&local, sizeof(local)) == -1 ||
	    getsockname(engine->fd, (struct sockaddr *)&local, &length) == -1)
		goto fail;
	engine->port = local.nl_pid;
	if (loop_add_fd(engine->loop, engine->fd, EPOLLIN,
	    check_address_engine_readable, engine) == -1)
		goto fail;
	if (check_address_engine_dump(engine) == -1) {
		loop_remove_fd(engine->loop, engine->fd);
		errno = EIO;
		goto fail;
	}
	return 0;
fail:
	error = errno;
	close(engine->fd);
	engine->fd = -1;
	errno = error;
	return -1;
}

static void
check_address_engine_retry(struct loop *loop, void *arg)
{
	struct check_address_engine *engine = arg;

	(void)loop;
	if (engine->fd == -1) {
		if (check_address_engine_open(engine) == -1) {
			check_address_engine_warn(engine, "cannot open a "
			    "NETLINK_ROUTE socket", errno);
			loop_timer_arm_in(engine->loop, &engine->retry_timer,
			    CHECK_ADDRESS_RETRY_NS);
		}
	} else if (!engine->dumping &&
	    check_address_engine_dump(engine) == -1) {
		check_address_engine_close(engine);
		loop_timer_arm_in(engine->loop, &engine->retry_timer,
		    CHECK_ADDRESS_RETRY_NS);
	}
}

/* End the runs waiting for the table with a local error: the table is
 * anycheck's own problem, not the service's. */
static void
check_address_engine_fail_waiting(struct check_address_engine *engine,
    const char *why)
{
	struct check_address_list waiting = engine->waiting;

	memset(&engine->waiting, 0, sizeof(engine->waiting));
	for (size_t i = 0; i < waiting.count; i++)
		check_done_local(waiting.items[i], CHECK_LOCAL_OTHER,
		    "the address table is not available: %s", why);
	free(waiting.items);
}

/* Give up on the socket after an error: runs waiting end in a local error,
 * and the socket is opened again later. */
static void
check_address_engine_restart(struct check_address_engine *engine,
    const char *what, int error)
{
	check_address_engine_warn(engine, what, error);
	check_address_engine_close(engine);
	engine->synced = false;
	loop_timer_arm_in(engine->loop, &engine->retry_timer,
	    CHECK_ADDRESS_RETRY_NS);
	check_address_engine_fail_waiting(engine, what);
}

/* One RTM_NEWADDR or RTM_DELADDR: update the table. */
static void
check_address_engine_message(struct check_address_engine *engine,
    const struct nlmsghdr *header)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(header);
	const struct rtattr *attribute;
	const uint8_t *local = NULL, *address = NULL;
	uint8_t key[16] = { 0 };
	uint32_t flags;
	int length, size;

	if (header->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	if (ifa->ifa_family == AF_INET)
		size = 4;
	else if (ifa->ifa_family == AF_INET6)
		size = 16;
	else
		return;
	flags = ifa->ifa_flags;
	length = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (attribute = IFA_RTA(ifa); RTA_OK(attribute, length);
	    attribute = RTA_NEXT(attribute, length)) {
		if (attribute->rta_type == IFA_LOCAL &&
		    RTA_PAYLOAD(attribute) >= (size_t)size)
			local = RTA_DATA(attribute);
		else if (attribute->rta_type == IFA_ADDRESS &&
		    RTA_PAYLOAD(attribute) >= (size_t)size)
			address = RTA_DATA(attribute);
		else if (attribute->rta_type == IFA_FLAGS &&
		    RTA_PAYLOAD(attribute) >= sizeof(uint32_t))
			memcpy(&flags, RTA_DATA(attribute), sizeof(flags));
	}
	/* IFA_LOCAL is this end's address; IFA_ADDRESS is the peer's on a
	 * point-to-point link, and the address itself elsewhere. */
	if (local == NULL)
		local = address;
	if (local == NULL)
		return;
	memcpy(key, local, (size_t)size);
	if (header->nlmsg_type == RTM_NEWADDR)
		check_address_entry_put(engine, ifa->ifa_family, key,
		    (int)ifa->ifa_index, flags);
	else
		check_address_entry_remove(engine, ifa->ifa_family, key,
		    (int)ifa->ifa_index);
}

static void check_address_run_now(struct check *check);

/* The dump ended: drop what it no longer listed, then answer the runs
 * waiting and tell the watchers what changed. */
static void
check_address_engine_synced(struct check_address_engine *engine)
{
	struct check_address_list waiting = engine->waiting;

	for (size_t i = 0; i < engine->capacity; i++)
		if (engine->slots[i].state == CHECK_ADDRESS_SLOT_LIVE &&
		    !engine->slots[i].seen)
			check_address_entry_drop(engine, &engine->slots[i]);
	engine->dumping = false;
	if (engine->dump_again) {
		if (check_address_engine_dump(engine) == -1)
			check_address_engine_restart(engine, "cannot dump "
			    "again", EIO);
		return;
	}
	engine->synced = true;
	if (engine->warned)
		log_info("address checks: the address table is complete "
		    "again (%zu addresses)", engine->entry_count);
	engine->warned = false;
	/* A run ending may start another: take the list first. */
	memset(&engine->waiting, 0, sizeof(engine->waiting));
	for (size_t i = 0; i < waiting.count; i++)
		check_address_run_now(waiting.items[i]);
	free(waiting.items);
	check_address_engine_evaluate(engine);
}

/* Walk one datagram; returns -1 after a fatal error (engine restarted). */
static int
check_address_engine_parse(struct check_address_engine *engine,
    size_t received)
{
	struct nlmsghdr *header = (struct nlmsghdr *)engine->buffer;
	ssize_t remaining = (ssize_t)received;
	bool ours;

	for (; NLMSG_OK(header, remaining);
	    header = NLMSG_NEXT(header, remaining)) {
		ours = header->nlmsg_pid == engine->port &&
		    header->nlmsg_seq == engine->sequence && engine->dumping;
		if (ours && (header->nlmsg_flags & NLM_F_DUMP_INTR))
			engine->dump_again = true;
		switch (header->nlmsg_type) {
		case RTM_NEWADDR:
		case RTM_DELADDR:
			check_address_engine_message(engine, header);
			break;
		case NLMSG_DONE:
			if (ours)
				check_address_engine_synced(engine);
			if (engine->fd == -1)
				return -1;
			break;
		case NLMSG_ERROR:
			if (ours) {
				const struct nlmsgerr *error =
				    NLMSG_DATA(header);
				int code = header->nlmsg_len >=
				    NLMSG_LENGTH(sizeof(*error)) ?
				    -error->error : EIO;
				if (code == 0)
					break;
				check_address_engine_restart(engine, "the "
				    "kernel refused the address dump", code);
				return -1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

static void
check_address_engine_readable(struct loop *loop, int fd, uint32_t events,
    void *arg)
{
	struct check_address_engine *engine = arg;
	bool changed = false;

	(void)loop;
	(void)events;
	for (int reads = 0; reads < CHECK_ADDRESS_READS_PER_EVENT; reads++) {
		struct sockaddr_nl from;
		struct iovec iov = {
			.iov_base = engine->buffer,
			.iov_len = CHECK_ADDRESS_BUFFER_SIZE,
		};
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t received = recvmsg(fd, &msg, 0);

		if (received == -1 && errno == EINTR)
			continue;
		if (received == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			break;
		if (received == -1 && errno == ENOBUFS) {
			/* Notifications were lost: the table may be wrong
			 * until a new dump has listed everything. */
			log_info("address checks: address notifications "
			    "overran the socket buffer; reading every "
			    "address again");
			if (engine->dumping)
				engine->dump_again = true;
			else if (check_address_engine_dump(engine) == -1) {
				check_address_engine_restart(engine, "cannot "
				    "dump again", EIO);
				return;
			}
			continue;
		}
		if (received == -1) {
			check_address_engine_restart(engine, "cannot read "
			    "address notifications", errno);
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			check_address_engine_restart(engine, "a netlink "
			    "message was truncated", EMSGSIZE);
			return;
		}
		if (from.nl_pid != 0)
			continue;       /* not from the kernel */
		if (check_address_engine_parse(engine, (size_t)received) == -1)
			return;
		changed = true;
	}
	if (changed && engine->synced)
		check_address_engine_evaluate(engine);
}

/* Tell each watcher whose address went away or came back. */
static void
check_address_engine_evaluate(struct check_address_engine *engine)
{
	for (size_t i = 0; i < engine->watchers.count; i++) {
		struct check *check = engine->watchers.items[i];
		const struct check_address_config *address =
		    check->config->data;
		struct check_address_watch *watch = check->watch;
		int present = check_address_present(engine, address,
		    watch->ifindex) ? 1 : 0;
		int before = watch->present;

		watch->present = present;
		if (before == -1 || before == present)
			continue;
		if (present)
			check_event(check, CHECK_RESULT_PASS, "%s added%s%s",
			    address->text, address->interface ? " to " : "",
			    address->interface ? address->interface : "");
		else
			check_event(check, CHECK_RESULT_FAIL, "%s removed%s%s",
			    address->text, address->interface ? " from " :
			    "", address->interface ? address->interface : "");
	}
}

/* The environment's engine, created (and its first dump asked for) on
 * first use; NULL with errno when it cannot even be created. */
static struct check_address_engine *
check_address_engine_get(struct check_environment *environment)
{
	struct check_address_engine *engine = environment->address_engine;

	if (engine != NULL)
		return engine;
	engine = xcalloc(1, sizeof(*engine));
	engine->loop = environment->loop;
	engine->fd = -1;
	engine->buffer = xmalloc(CHECK_ADDRESS_BUFFER_SIZE);
	loop_timer_init(&engine->retry_timer, check_address_engine_retry,
	    engine);
	if (check_address_engine_open(engine) == -1) {
		int error = errno;
		check_address_engine_warn(engine, "cannot open a NETLINK_ROUTE "
		    "socket", error);
		loop_timer_arm_in(engine->loop, &engine->retry_timer,
		    CHECK_ADDRESS_RETRY_NS);
	}
	environment->address_engine = engine;
	return engine;
}

void check_address_environment_cleanup(struct check_environment *environment);

void
check_address_environment_cleanup(struct check_environment *environment)
{
	struct check_address_engine *engine = environment->address_engine;

	if (engine == NULL)
		return;
	check_address_engine_close(engine);
	loop_timer_cancel(engine->loop, &engine->retry_timer);
	free(engine->slots);
	free(engine->watchers.items);
	free(engine->waiting.items);
	free(engine->buffer);
	free(engine);
	environment->address_engine = NULL;
}

/* Runs. */

/* The interface's index now (0: none by that name). */
static unsigned
check_address_ifindex(const struct check_address_config *address)
{
	return address->interface != NULL ?
	    if_nametoindex(address->interface) : 0;
}

/* Answer a run from the (complete) table. */
static void
check_address_run_now(struct check *check)
{
	const struct check_address_config *address = check->config->data;
	struct check_address_engine *engine =
	    check->environment->address_engine;
	struct check_address_watch *watch = check->watch;
	unsigned ifindex = check_address_ifindex(address);
	bool present = check_address_present(engine, address, ifindex);

	if (watch != NULL) {
		watch->ifindex = ifindex;
		watch->present = present ? 1 : 0;
	}
	if (present)
		check_done(check, CHECK_RESULT_PASS, "%s on %s",
		    address->text, address->interface != NULL ?
		    address->interface : "this host");
	else
		check_done(check, CHECK_RESULT_FAIL, "%s on %s: %s",
		    address->text, address->interface != NULL ?
		    address->interface : "this host",
		    check_address_why_absent(engine, address, ifindex));
}

static void
check_address_start(struct check *check)
{
	struct check_address_engine *engine =
	    check_address_engine_get(check->environment);

	if (engine->synced) {
		check_address_run_now(check);
		return;
	}
	if (engine->fd == -1) {
		check_done_local(check, CHECK_LOCAL_OTHER, "the address table "
		    "is not available: no NETLINK_ROUTE socket");
		return;
	}
	/* The first dump (or one after an overrun) is running: the answer
	 * comes when it ends, or the run's timeout ends it. */
	check_address_list_add(&engine->waiting, check);
}

static void
check_address_cancel(struct check *check)
{
	struct check_address_engine *engine =
	    check->environment->address_engine;

	if (engine != NULL)
		check_address_list_remove(&engine->waiting, check);
}

static int
check_address_watch_start(struct check *check)
{
	struct check_address_engine *engine =
	    check_address_engine_get(check->environment);
	struct check_address_watch *watch = xcalloc(1, sizeof(*watch));

	watch->present = -1;
	watch->ifindex = check_address_ifindex(check->config->data);
	check->watch = watch;
	check_address_list_add(&engine->watchers, check);
	return 0;
}

static void
check_address_watch_stop(struct check *check)
{
	struct check_address_engine *engine =
	    check->environment->address_engine;

	if (engine != NULL)
		check_address_list_remove(&engine->watchers, check);
	free(check->watch);
	check->watch = NULL;
}

static void
check_address_free_config(void *data)
{
	struct check_address_config *address = data;

	if (address == NULL)
		return;
	free(address->interface);
	free(address);
}

const struct check_ops check_address_ops = {
	.type = "address",
	.parse = check_address_parse,
	.start = check_address_start,
	.cancel = check_address_cancel,
	.free_config = check_address_free_config,
	.fds_per_run = 1,       /* if_nametoindex's socket */
	.watch_start = check_address_watch_start,
	.watch_stop = check_address_watch_stop,
	.immediate_default = true,
};
