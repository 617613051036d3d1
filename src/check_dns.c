/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: DNS check
 *
 * Sends one DNS query to a server given as an IP address and judges the
 * reply by its response code, its AD flag and its answer section: what a
 * resolver or an authority serving an anycast address must get right, and
 * what `dig`'s exit status does not say (it exits 0 on SERVFAIL and
 * NXDOMAIN).
 *
 * One run is one query, on the loop, without a thread or a child. Over UDP
 * the query is sent again once, on a fresh socket with a new ID, if nothing
 * answered by half the timeout; a reply with the TC bit is asked again over
 * TCP within what is left of the timeout. Every query gets a random ID
 * (getrandom) and a fresh socket, so a random source port from the kernel.
 * A reply counts only if it comes from the server's address and port (the
 * connected socket already ensures it), is a response to a QUERY with our
 * ID, and repeats our question; anything else is ignored and the check
 * keeps reading until the timeout, so a stray or forged datagram can
 * neither pass nor fail it. An ICMP port unreachable (ECONNREFUSED on the
 * connected socket) fails at once.
 *
 * Messages are built and parsed by libldns (wire format in both
 * directions, response codes, record types and rdata as text); this file
 * only decides what a reply means.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check_api.h"
#include "clock.h"
#include "config_json.h"
#include "log.h"

/* UDP queries per run: the first, and one retry at half the timeout. */
#define CHECK_DNS_UDP_TRIES 2
/* The EDNS buffer size of the DNS Flag Day 2020: fits any path MTU. */
#define CHECK_DNS_EDNS_SIZE 1232
/* Datagrams read per wakeup: a flood cannot keep the loop here. */
#define CHECK_DNS_READS_PER_EVENT 32
/* Answers quoted in the detail when the expected one is not among them. */
#define CHECK_DNS_QUOTED_ANSWERS 3

struct check_dns_config {
	char *server;
	uint16_t port;
	struct sockaddr_storage address;
	socklen_t address_length;
	ldns_rdf *name;
	char *name_text;                /* "example.org." */
	ldns_rr_type qtype;
	char *qtype_text;               /* "AAAA" */
	bool tcp;                       /* "transport": "tcp" */
	bool recursion;                 /* the RD bit */
	bool expect_ad;
	uint16_t expect_rcodes;         /* bit (1 << rcode) per accepted code */
	char *expect_rcode_text;        /* "NOERROR or NXDOMAIN" */
	char *expect_answer;            /* NULL: any answer section */
	/* AF_INET or AF_INET6 when expect_answer is an address literal, which
	 * then matches an A or AAAA record exactly; 0 otherwise. */
	int answer_family;
	uint8_t answer_address[16];
};

enum check_dns_stage {
	CHECK_DNS_UDP,                  /* waiting for a datagram */
	CHECK_DNS_TCP_CONNECT,
	CHECK_DNS_TCP_SEND,
	CHECK_DNS_TCP_RECEIVE,
};

struct check_dns_run {
	enum check_dns_stage stage;
	int fd;                         /* -1 between two queries */
	uint16_t id;                    /* of the query in flight */
	unsigned tries;                 /* UDP queries sent */
	bool truncated;                 /* a UDP reply had TC: now over TCP */
	unsigned ignored;               /* replies that were not ours */
	struct loop_timer retry_timer;
	uint8_t *query;                 /* over TCP with its 2-byte length */
	size_t query_length;
	size_t sent;
	/* Over TCP: the length of the next message, then the message in a
	 * buffer of that size (a run holds no 64 KiB buffer of its own). */
	uint8_t prefix[2];
	uint8_t *message;               /* NULL while reading the length */
	size_t message_length;
	size_t buffered;                /* of prefix, then of message */
};

/* Every datagram is read here: the loop runs one callback at a time, and a
 * datagram is judged before the callback returns. */
static uint8_t check_dns_datagram[LDNS_MAX_PACKETLEN];

/* Names. */

/* "NOERROR", "SERVFAIL", ... from libldns's table; "RCODE12" for codes it
 * has no name for. */
static void
check_dns_rcode_name(unsigned rcode, char *out, size_t size)
{
	ldns_lookup_table *entry = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	if (entry != NULL)
		snprintf(out, size, "%s", entry->name);
	else
		snprintf(out, size, "RCODE%u", rcode);
}

/* The response code named name, or -1. libldns spells code 4 NOTIMPL; dig
 * and RFC 1035's registry say NOTIMP: both are accepted. */
static int
check_dns_rcode_parse(const char *name)
{
	ldns_lookup_table *entry = ldns_lookup_by_name(ldns_rcodes, name);

	if (entry != NULL)
		return entry->id;
	if (strcasecmp(name, "NOTIMP") == 0)
		return LDNS_RCODE_NOTIMPL;
	return -1;
}

/* "NOERROR, FORMERR, ..." for the error of an unknown name. */
static char *
check_dns_rcode_names(void)
{
	size_t length = 0, size = 0;
	char *names;

	for (ldns_lookup_table *entry = ldns_rcodes; entry->name != NULL;
	    entry++)
		size += strlen(entry->name) + 2;
	names = xcalloc(1, size + 1);
	for (ldns_lookup_table *entry = ldns_rcodes; entry->name != NULL;
	    entry++)
		length += (size_t)snprintf(names + length, size + 1 - length,
		    "%s%s", length > 0 ? ", " : "", entry->name);
	return names;
}

/* Parsing. */

static void check_dns_free_config(void *data);

static int
check_dns_parse_server(struct config_parser *parser, json_t *object,
    struct check_dns_config *dns, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&dns->address;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&dns->address;
	const char *server;

	if (config_get_string(parser, object, "server", true, &server) != 1)
		return -1;
	if (inet_pton(AF_INET, server, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		dns->address_length = sizeof(*in);
	} else if (inet_pton(AF_INET6, server, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		dns->address_length = sizeof(*in6);
	} else {
		/* A name would need a resolver to check the resolver. */
		config_error(parser, "server", "must be an IPv4 or IPv6 "
		    "address, not \"%s\"", server);
		return -1;
	}
	dns->server = xstrdup(server);
	return 0;
}

static int
check_dns_parse_name(struct config_parser *parser, json_t *object,
    struct check_dns_config *dns)
{
	const char *name;
	char *absolute;

	if (config_get_string(parser, object, "name", true, &name) != 1)
		return -1;
	/* libldns takes "a b" as the label "a\032b": in a config that is a
	 * typo, and a name that needs such bytes can escape them. */
	for (const char *p = name; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			config_error(parser, "name", "must be a domain name "
			    "without spaces or control characters (escape "
			    "them as \\DDD), not \"%s\"", name);
			return -1;
		}
	}
	absolute = name[0] != '\0' && name[strlen(name) - 1] == '.' ?
	    xstrdup(name) : xasprintf("%s.", name);
	dns->name = ldns_dname_new_frm_str(absolute);
	free(absolute);
	if (dns->name == NULL) {
		config_error(parser, "name", "must be a domain name (labels of "
		    "1 to 63 bytes, at most 255 in all), not \"%s\"", name);
		return -1;
	}
	dns->name_text = ldns_rdf2str(dns->name);
	if (dns->name_text == NULL)
		fatalx("out of memory rendering a domain name");
	return 0;
}

static int
check_dns_parse_qtype(struct config_parser *parser, json_t *object,
    struct check_dns_config *dns)
{
	const char *qtype = "A";
	long type;

	if (config_get_string(parser, object, "qtype", false, &qtype) == -1)
		return -1;
	type = (long)ldns_get_rr_type_by_name(qtype);
	/* libldns answers 0 for a name it does not know, and reads "TYPEn"
	 * without an upper bound. Zone transfers, OPT and TSIG/TKEY are not
	 * questions a health check can ask in one message. */
	if (type <= 0 || type > 65535 || type == LDNS_RR_TYPE_OPT ||
	    type == LDNS_RR_TYPE_AXFR || type == LDNS_RR_TYPE_IXFR ||
	    type == LDNS_RR_TYPE_TSIG || type == LDNS_RR_TYPE_TKEY) {
		config_error(parser, "qtype", "must be a DNS record type (A, "
		    "AAAA, NS, SOA, TXT, MX, CNAME, PTR, SRV, CAA, HTTPS, "
		    "..., ANY or TYPEnnn; not a zone transfer), not \"%s\"",
		    qtype);
		return -1;
	}
	dns->qtype = (ldns_rr_type)type;
	dns->qtype_text = ldns_rr_type2str(dns->qtype);
	if (dns->qtype_text == NULL)
		fatalx("out of memory rendering a record type");
	return 0;
}

static int
check_dns_parse_rcodes(struct config_parser *parser, json_t *object,
    struct check_dns_config *dns)
{
	char **names = NULL, *allowed = NULL;
	size_t count = 0, length = 0, size = 0, saved;
	int problems = 0, got;

	got = config_get_string_array(parser, object, "expect_rcode", false,
	    &names, &count);
	if (got == -1)
		return -1;
	if (got == 0) {
		dns->expect_rcodes = 1u << LDNS_RCODE_NOERROR;
		dns->expect_rcode_text = xstrdup("NOERROR");
		return 0;
	}
	if (count == 0) {
		config_error(parser, "expect_rcode", "must be a non-empty "
		    "array of DNS response codes (\"NOERROR\", ...)");
		config_free_strings(names);
		return -1;
	}
	saved = config_path_push_key(parser, "expect_rcode");
	for (size_t i = 0; i < count; i++) {
		int rcode = check_dns_rcode_parse(names[i]);
		if (rcode < 0) {
			size_t element = config_path_push_index(parser, i);
			if (allowed == NULL)
				allowed = check_dns_rcode_names();
			config_error(parser, NULL, "unknown DNS response code "
			    "\"%s\"; allowed: %s", names[i], allowed);
			config_path_pop(parser, element);
			problems++;
			continue;
		}
		dns->expect_rcodes |= (uint16_t)(1u << rcode);
	}
	config_path_pop(parser, saved);
	free(allowed);
	config_free_strings(names);
	if (problems > 0)
		return -1;
	/* In code order, each once: "NOERROR or NXDOMAIN". */
	size = 16 * 20;
	dns->expect_rcode_text = xcalloc(1, size);
	for (unsigned rcode = 0; rcode < 16; rcode++) {
		char name[16];
		if (!(dns->expect_rcodes & (1u << rcode)))
			continue;
		check_dns_rcode_name(rcode, name, sizeof(name));
		length += (size_t)snprintf(dns->expect_rcode_text + length,
		    size - length, "%s%s", length > 0 ? " or " : "", name);
	}
	return 0;
}

static int
check_dns_parse(struct check_config *config, json_t *object,
    struct config_parser *parser)
{
	static const char *const allowed[] = { "type", "timeout", "immediate",
	    "scope", "server", "port", "name", "qtype", "transport", "expect_rcode",
	    "expect_answer", "recursion", "expect_ad", NULL };
	struct check_dns_config *dns = xcalloc(1, sizeof(*dns));
	const char *transport = "udp", *answer = NULL;
	int64_t port = 53;
	int problems = 0;

	dns->recursion = true;
	if (config_reject_unknown_keys(parser, object, allowed) > 0)
		problems++;
	if (config_get_integer(parser, object, "port", false, 1, 65535,
	    &port) == -1)
		problems++;
	dns->port = (uint16_t)port;
	if (check_dns_parse_server(parser, object, dns, dns->port) == -1)
		problems++;
	if (check_dns_parse_name(parser, object, dns) == -1)
		problems++;
	if (check_dns_parse_qtype(parser, object, dns) == -1)
		problems++;
	if (config_get_string(parser, object, "transport", false,
	    &transport) == -1)
		problems++;
	else if (strcmp(transport, "udp") == 0 || strcmp(transport, "tcp") == 0)
		dns->tcp = strcmp(transport, "tcp") == 0;
	else {
		config_error(parser, "transport", "must be \"udp\" or \"tcp\", "
		    "not \"%s\"", transport);
		problems++;
	}
	if (check_dns_parse_rcodes(parser, object, dns) == -1)
		problems++;
	if (config_get_string(parser, object, "expect_answer", false,
	    &answer) == -1)
		problems++;
	else if (answer != NULL && answer[0] == '\0') {
		config_error(parser, "expect_answer", "must not be empty");
		problems++;
	} else if (answer != NULL) {
		dns->expect_answer = xstrdup(answer);
		if (inet_pton(AF_INET, answer, dns->answer_address) == 1)
			dns->answer_family = AF_INET;
		else if (inet_pton(AF_INET6, answer, dns->answer_address) == 1)
			dns->answer_family = AF_INET6;
	}
	if (config_get_bool(parser, object, "recursion", false,
	    &dns->recursion) == -1)
		problems++;
	if (config_get_bool(parser, object, "expect_ad", false,
	    &dns->expect_ad) == -1)
		problems++;
	if (problems > 0) {
		check_dns_free_config(dns);
		return -1;
	}
	config->data = dns;
	config->description = xasprintf(dns->address.ss_family == AF_INET6 ?
	    "dns [%s]:%u %s %s%s" : "dns %s:%u %s %s%s", dns->server,
	    (unsigned)dns->port, dns->name_text, dns->qtype_text,
	    dns->tcp ? " over tcp" : "");
	return 0;
}

static void
check_dns_free_config(void *data)
{
	struct check_dns_config *dns = data;

	if (dns == NULL)
		return;
	free(dns->server);
	ldns_rdf_deep_free(dns->name);
	free(dns->name_text);
	free(dns->qtype_text);
	free(dns->expect_rcode_text);
	free(dns->expect_answer);
	free(dns);
}

/* A run. */

static double
check_dns_elapsed_ms(const struct check *check)
{
	return clock_ns_to_ms(loop_clock_now_ns(check->environment->loop) -
	    check->started_ns);
}

/* Close the socket of the query in flight, if any. */
static void
check_dns_close_socket(struct check *check)
{
	struct check_dns_run *run = check->state;

	if (run->fd == -1)
		return;
	loop_remove_fd(check->environment->loop, run->fd);
	close(run->fd);
	run->fd = -1;
}

/* Release everything of the run: before check_done, or on cancel. */
static void
check_dns_close(struct check *check)
{
	struct check_dns_run *run = check->state;

	if (run == NULL)
		return;
	check_dns_close_socket(check);
	loop_timer_cancel(check->environment->loop, &run->retry_timer);
	free(run->query);
	free(run->message);
	free(run);
	check->state = NULL;
}

static void
check_dns_finish(struct check *check, enum check_result result,
    const char *detail)
{
	check_dns_close(check);
	check_done(check, result, "%s", detail);
}

static void
check_dns_finish_local(struct check *check, int error, const char *what)
{
	char detail[CHECK_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "%s: %s", what, strerror(error));
	check_dns_close(check);
	check_done_local(check, check_local_cause_from_errno(error), "%s",
	    detail);
}

/* What the run went through, for the end of a detail: "; answered on try
 * 2" (for a reply; "; on try 2" for an error), "; truncated, retried over
 * TCP", "; ignored 3 replies not ours". */
static void
check_dns_notes(const struct check_dns_run *run, bool answered, char *out,
    size_t size)
{
	size_t length = 0;

	out[0] = '\0';
	if (run->tries > 1 && !run->truncated)
		length += (size_t)snprintf(out + length, size - length,
		    "; %son try %u", answered ? "answered " : "", run->tries);
	if (run->truncated && length < size)
		length += (size_t)snprintf(out + length, size - length,
		    "; truncated, retried over TCP");
	if (run->ignored > 0 && length < size)
		snprintf(out + length, size - length, "; ignored %u "
		    "repl%s not ours", run->ignored,
		    run->ignored == 1 ? "y" : "ies");
}

/* A failure of the network or of the server's side of a socket: refused
 * (ICMP port unreachable, TCP RST) and unreachable are the service's
 * failure; running out of something is ours. */
static void
check_dns_socket_error(struct check *check, int error, const char *what)
{
	const struct check_dns_run *run = check->state;
	char detail[CHECK_DETAIL_MAX], notes[96];

	if (check_errno_is_local(error) && error != EAGAIN) {
		check_dns_finish_local(check, error, what);
		return;
	}
	check_dns_notes(run, false, notes, sizeof(notes));
	if (error == ECONNREFUSED)
		snprintf(detail, sizeof(detail), "connection refused%s%s",
		    run->stage == CHECK_DNS_UDP ? " (ICMP port unreachable)" :
		    " over TCP", notes);
	else
		snprintf(detail, sizeof(detail), "%s%s: %s%s", what,
		    run->stage == CHECK_DNS_UDP ? "" : " over TCP",
		    strerror(error), notes);
	check_dns_finish(check, CHECK_RESULT_FAIL, detail);
}

static int
check_dns_random_id(uint16_t *id)
{
	if (getrandom(id, sizeof(*id), GRND_NONBLOCK) == sizeof(*id))
		return 0;
#ifdef GRND_INSECURE
	/* Early boot, before the kernel's pool is ready: an ID that is not
	 * cryptographically strong still beats blocking the loop. */
	if (getrandom(id, sizeof(*id), GRND_INSECURE) == sizeof(*id))
		return 0;
#endif
	return -1;
}

/* Build the query in run->query with a new random ID: 0, or -1 with errno
 * set (ENOMEM, or why getrandom failed). */
static int
check_dns_build_query(const struct check_dns_config *dns,
    struct check_dns_run *run, bool tcp)
{
	ldns_rdf *name = ldns_rdf_clone(dns->name);
	ldns_pkt *query;
	uint8_t *wire = NULL;
	size_t length = 0;
	ldns_status status;

	free(run->query);
	run->query = NULL;
	if (check_dns_random_id(&run->id) == -1) {
		ldns_rdf_deep_free(name);
		return -1;
	}
	query = name == NULL ? NULL : ldns_pkt_query_new(name, dns->qtype,
	    LDNS_RR_CLASS_IN, dns->recursion ? LDNS_RD : 0);
	if (query == NULL) {
		ldns_rdf_deep_free(name);
		errno = ENOMEM;
		return -1;
	}
	ldns_pkt_set_id(query, run->id);
	/* RFC 6840 5.7: AD in a query asks a validating resolver to say
	 * whether the answer is authenticated, without DNSSEC records. */
	ldns_pkt_set_ad(query, dns->expect_ad);
	ldns_pkt_set_edns_udp_size(query, CHECK_DNS_EDNS_SIZE);
	status = ldns_pkt2wire(&wire, query, &length);
	ldns_pkt_free(query);
	if (status != LDNS_STATUS_OK || length > LDNS_MAX_PACKETLEN) {
		free(wire);
		errno = ENOMEM;
		return -1;
	}
	if (tcp) {
		/* RFC 1035 4.2.2: over TCP each message has a 2-byte length. */
		run->query = xmalloc(length + 2);
		ldns_write_uint16(run->query, (uint16_t)length);
		memcpy(run->query + 2, wire, length);
		run->query_length = length + 2;
		free(wire);
	} else {
		run->query = wire;
		run->query_length = length;
	}
	run->sent = 0;
	return 0;
}

static void check_dns_udp_ready(struct loop *loop, int fd, uint32_t events,
    void *arg);
static void check_dns_tcp_ready(struct loop *loop, int fd, uint32_t events,
    void *arg);

/* Open a fresh socket to the server (so a new source port), connected, and
 * watch it. 0, or -1 once the run has ended. */
static int
check_dns_open(struct check *check, bool tcp)
{
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = check->state;
	int fd, error;

	fd = socket(dns->address.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		/* No socket is never the service's fault (EMFILE, ENFILE,
		 * ENOBUFS, or a family this host does not support). */
		check_dns_finish_local(check, errno, "socket");
		return -1;
	}
	/* For UDP, connecting binds an ephemeral port now and makes the
	 * kernel drop datagrams from any other address or port. */
	if (connect(fd, (const struct sockaddr *)&dns->address,
	    dns->address_length) == -1 && !(tcp && errno == EINPROGRESS)) {
		error = errno;
		close(fd);
		if (error == EADDRNOTAVAIL)
			/* Out of local ports, as in check_tcp.c. */
			check_dns_finish_local(check, error, "connect");
		else
			check_dns_socket_error(check, error, "connect");
		return -1;
	}
	if (loop_add_fd(check->environment->loop, fd, tcp ? EPOLLOUT : EPOLLIN,
	    tcp ? check_dns_tcp_ready : check_dns_udp_ready, check) == -1) {
		error = errno;
		close(fd);
		check_dns_finish_local(check, error, "cannot watch socket");
		return -1;
	}
	run->fd = fd;
	return 0;
}

/* Send a new UDP query on a fresh socket: the first try, or the retry. */
static void
check_dns_send_udp(struct check *check)
{
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = check->state;
	ssize_t n;

	check_dns_close_socket(check);
	if (check_dns_build_query(dns, run, false) == -1) {
		check_dns_finish_local(check, errno, "cannot build the query");
		return;
	}
	if (check_dns_open(check, false) == -1)
		return;
	run->tries++;
	n = send(run->fd, run->query, run->query_length, MSG_NOSIGNAL);
	if (n == -1) {
		check_dns_socket_error(check, errno, "send");
		return;
	}
	if (run->tries < CHECK_DNS_UDP_TRIES)
		loop_timer_arm(check->environment->loop, &run->retry_timer,
		    check->started_ns + clock_seconds_to_ns(
		    check->config->timeout) * run->tries / CHECK_DNS_UDP_TRIES);
}

static void
check_dns_retry(struct loop *loop, void *arg)
{
	struct check *check = arg;
	struct check_dns_run *run = check->state;

	(void)loop;
	if (run == NULL || run->stage != CHECK_DNS_UDP)
		return;
	log_debug("check %s: no reply to try %u after %.1f ms; asking again",
	    check->config->description, run->tries,
	    check_dns_elapsed_ms(check));
	check_dns_send_udp(check);
}

/* Ask again over TCP after a truncated reply, on what is left of the
 * timeout. */
static void
check_dns_start_tcp(struct check *check)
{
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = check->state;

	check_dns_close_socket(check);
	loop_timer_cancel(check->environment->loop, &run->retry_timer);
	run->stage = CHECK_DNS_TCP_CONNECT;
	run->buffered = 0;
	if (check_dns_build_query(dns, run, true) == -1) {
		check_dns_finish_local(check, errno, "cannot build the query");
		return;
	}
	check_dns_open(check, true);
}

/* The reply as libldns reads it, or NULL. A truncated reply may end in the
 * middle of a record; only its header and question matter then, so it is
 * read again without its other sections. */
static ldns_pkt *
check_dns_read_reply(const uint8_t *data, size_t length)
{
	ldns_pkt *reply = NULL;
	uint8_t *copy;

	if (ldns_wire2pkt(&reply, data, length) == LDNS_STATUS_OK)
		return reply;
	if (length < LDNS_HEADER_SIZE || !LDNS_TC_WIRE(data))
		return NULL;
	copy = xmalloc(length);
	memcpy(copy, data, length);
	ldns_write_uint16(copy + LDNS_ANCOUNT_OFF, 0);
	ldns_write_uint16(copy + LDNS_NSCOUNT_OFF, 0);
	ldns_write_uint16(copy + LDNS_ARCOUNT_OFF, 0);
	reply = NULL;
	if (ldns_wire2pkt(&reply, copy, length) != LDNS_STATUS_OK)
		reply = NULL;
	free(copy);
	return reply;
}

/* Why reply is not the answer to our query, or NULL when it is. */
static const char *
check_dns_mismatch(const struct check_dns_config *dns, uint16_t id,
    const ldns_pkt *reply)
{
	const ldns_rr_list *question = ldns_pkt_question(reply);
	const ldns_rr *rr;

	if (!ldns_pkt_qr(reply))
		return "not a response";
	if (ldns_pkt_get_opcode(reply) != LDNS_PACKET_QUERY)
		return "not a response to a query";
	if (ldns_pkt_id(reply) != id)
		return "another ID";
	if (question == NULL || ldns_rr_list_rr_count(question) != 1)
		return "not exactly one question";
	rr = ldns_rr_list_rr(question, 0);
	/* Names compare without regard to case (0x20 randomisation). */
	if (ldns_rr_get_type(rr) != dns->qtype ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
	    ldns_dname_compare(ldns_rr_owner(rr), dns->name) != 0)
		return "another question";
	return NULL;
}

/* The rdata of rr as text ("192.0.2.10", "10 mail.example.org."). */
static void
check_dns_rdata_text(const ldns_rr *rr, char *out, size_t size)
{
	size_t length = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ldns_rr_rd_count(rr) && length < size; i++) {
		char *text = ldns_rdf2str(ldns_rr_rdf(rr, i));
		length += (size_t)snprintf(out + length, size - length, "%s%s",
		    i > 0 ? " " : "", text != NULL ? text : "?");
		free(text);
	}
}

/* Is the expected answer in this record? An address literal matches an A
 * or AAAA record with exactly that address (192.0.2.1 is not a part of
 * 192.0.2.10), and is looked for as text in records of other types; any
 * other text must appear in the record's data, in any case. */
static bool
check_dns_answer_matches(const struct check_dns_config *dns,
    const ldns_rr *rr)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	const ldns_rdf *rdf;
	char text[1024];

	if (dns->answer_family != 0 &&
	    (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA)) {
		size_t size = dns->answer_family == AF_INET ? 4 : 16;
		rdf = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
		return rdf != NULL && ldns_rdf_size(rdf) == size &&
		    memcmp(ldns_rdf_data(rdf), dns->answer_address, size) == 0;
	}
	check_dns_rdata_text(rr, text, sizeof(text));
	return strcasestr(text, dns->expect_answer) != NULL;
}

/* A reply matched our query: judge it, or go on over TCP if truncated. */
static void
check_dns_answered(struct check *check, const ldns_pkt *reply)
{
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = check->state;
	const ldns_rr_list *answers = ldns_pkt_answer(reply);
	size_t count = answers != NULL ? ldns_rr_list_rr_count(answers) : 0;
	unsigned rcode = (unsigned)ldns_pkt_get_rcode(reply) & 0xf;
	char detail[CHECK_DETAIL_MAX], notes[96], rcode_name[16],
	    summary[48];
	bool found = false;

	if (run->stage == CHECK_DNS_UDP && ldns_pkt_tc(reply)) {
		log_debug("check %s: truncated reply over UDP; asking over "
		    "TCP", check->config->description);
		run->truncated = true;
		check_dns_start_tcp(check);
		return;
	}
	check_dns_notes(run, true, notes, sizeof(notes));
	check_dns_rcode_name(rcode, rcode_name, sizeof(rcode_name));
	snprintf(summary, sizeof(summary), "%s, %zu answer%s", rcode_name,
	    count, count == 1 ? "" : "s");
	if (!(dns->expect_rcodes & (1u << rcode))) {
		snprintf(detail, sizeof(detail), "%s (expected %s)%s",
		    rcode_name, dns->expect_rcode_text, notes);
		check_dns_finish(check, CHECK_RESULT_FAIL, detail);
		return;
	}
	if (dns->expect_ad && !ldns_pkt_ad(reply)) {
		snprintf(detail, sizeof(detail), "%s, AD flag not set (the "
		    "answer is not authenticated)%s", summary, notes);
		check_dns_finish(check, CHECK_RESULT_FAIL, detail);
		return;
	}
	for (size_t i = 0; dns->expect_answer != NULL && i < count && !found;
	    i++)
		found = check_dns_answer_matches(dns,
		    ldns_rr_list_rr(answers, i));
	if (dns->expect_answer != NULL && !found) {
		size_t length = (size_t)snprintf(detail, sizeof(detail),
		    "%s, %s not found", summary, dns->expect_answer);
		for (size_t i = 0; i < count && i < CHECK_DNS_QUOTED_ANSWERS &&
		    length < sizeof(detail); i++) {
			char text[96];
			check_dns_rdata_text(ldns_rr_list_rr(answers, i), text,
			    sizeof(text));
			length += (size_t)snprintf(detail + length,
			    sizeof(detail) - length, "%s%s", i == 0 ? " in: " :
			    ", ", text);
		}
		if (count > CHECK_DNS_QUOTED_ANSWERS && length < sizeof(detail))
			length += (size_t)snprintf(detail + length,
			    sizeof(detail) - length, ", ...");
		if (length < sizeof(detail))
			snprintf(detail + length, sizeof(detail) - length, "%s",
			    notes);
		check_dns_finish(check, CHECK_RESULT_FAIL, detail);
		return;
	}
	if (found)
		/* "NOERROR, 2 answers, 192.0.2.10 found (1.2 ms)" */
		snprintf(detail, sizeof(detail), "%s, %s found (%.1f ms)%s",
		    summary, dns->expect_answer, check_dns_elapsed_ms(check),
		    notes);
	else
		snprintf(detail, sizeof(detail), "%s (%.1f ms)%s", summary,
		    check_dns_elapsed_ms(check), notes);
	check_dns_finish(check, CHECK_RESULT_PASS, detail);
}

/* One message from the server: ours (judged; the run may be over when this
 * returns), or ignored. Returns true when the run was handed on. */
static bool
check_dns_receive(struct check *check, const uint8_t *data, size_t length)
{
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = check->state;
	ldns_pkt *reply = check_dns_read_reply(data, length);
	const char *why = reply == NULL ? "not a DNS message" :
	    check_dns_mismatch(dns, run->id, reply);

	if (why != NULL) {
		run->ignored++;
		log_debug("check %s: ignored a reply of %zu bytes: %s",
		    check->config->description, length, why);
		ldns_pkt_free(reply);
		return false;
	}
	check_dns_answered(check, reply);
	ldns_pkt_free(reply);
	return true;
}

static bool
check_dns_from_server(const struct check_dns_config *dns,
    const struct sockaddr_storage *from, socklen_t length)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)from,
	    *b4 = (const struct sockaddr_in *)&dns->address;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)from,
	    *b6 = (const struct sockaddr_in6 *)&dns->address;

	if (length < dns->address_length ||
	    from->ss_family != dns->address.ss_family)
		return false;
	if (from->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

static void
check_dns_udp_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct check *check = arg;
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = check->state;

	(void)loop;
	(void)events;
	for (int i = 0; i < CHECK_DNS_READS_PER_EVENT; i++) {
		struct sockaddr_storage from;
		socklen_t from_length = sizeof(from);
		ssize_t n = recvfrom(fd, check_dns_datagram,
		    sizeof(check_dns_datagram), 0,
		    (struct sockaddr *)&from, &from_length);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			check_dns_socket_error(check, errno, "receive");
			return;
		}
		/* The connected socket gets nothing else; cheap to be sure. */
		if (!check_dns_from_server(dns, &from, from_length)) {
			run->ignored++;
			continue;
		}
		if (check_dns_receive(check, check_dns_datagram, (size_t)n))
			return;
	}
}

static void
check_dns_tcp_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct check *check = arg;
	struct check_dns_run *run = check->state;
	ssize_t n;

	if (run->stage == CHECK_DNS_TCP_CONNECT) {
		int error = 0;
		socklen_t length = sizeof(error);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
		    &length) == -1)
			error = errno;
		if (error == EINPROGRESS)
			return;
		if (error != 0) {
			check_dns_socket_error(check, error, "connect");
			return;
		}
		run->stage = CHECK_DNS_TCP_SEND;
	}
	if (run->stage == CHECK_DNS_TCP_SEND) {
		n = send(fd, run->query + run->sent, run->query_length -
		    run->sent, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				check_dns_socket_error(check, errno, "send");
			return;
		}
		run->sent += (size_t)n;
		if (run->sent < run->query_length)
			return;
		run->stage = CHECK_DNS_TCP_RECEIVE;
		loop_modify_fd(loop, fd, EPOLLIN);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/* One read per wakeup (the loop calls again while there is more):
	 * the 2-byte length of a message, then the message. */
	if (run->message == NULL)
		n = recv(fd, run->prefix + run->buffered, sizeof(run->prefix) -
		    run->buffered, 0);
	else
		n = recv(fd, run->message + run->buffered,
		    run->message_length - run->buffered, 0);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			check_dns_socket_error(check, errno, "receive");
		return;
	}
	if (n == 0) {
		char detail[CHECK_DETAIL_MAX], notes[96];
		check_dns_notes(run, false, notes, sizeof(notes));
		snprintf(detail, sizeof(detail), "connection closed before "
		    "the reply over TCP%s", notes);
		check_dns_finish(check, CHECK_RESULT_FAIL, detail);
		return;
	}
	run->buffered += (size_t)n;
	if (run->message == NULL) {
		if (run->buffered < sizeof(run->prefix))
			return;
		run->message_length = ldns_read_uint16(run->prefix);
		run->message = xmalloc(run->message_length + 1);
		run->buffered = 0;
	}
	if (run->buffered < run->message_length)
		return;
	if (check_dns_receive(check, run->message, run->message_length))
		return;
	/* Not ours: on to the next message of the stream. */
	free(run->message);
	run->message = NULL;
	run->buffered = 0;
}

static void
check_dns_start(struct check *check)
{
	const struct check_dns_config *dns = check->config->data;
	struct check_dns_run *run = xcalloc(1, sizeof(*run));

	run->fd = -1;
	loop_timer_init(&run->retry_timer, check_dns_retry, check);
	check->state = run;
	if (dns->tcp) {
		run->stage = CHECK_DNS_TCP_CONNECT;
		if (check_dns_build_query(dns, run, true) == -1) {
			check_dns_finish_local(check, errno,
			    "cannot build the query");
			return;
		}
		check_dns_open(check, true);
		return;
	}
	run->stage = CHECK_DNS_UDP;
	check_dns_send_udp(check);
}

static void
check_dns_timeout_detail(const struct check *check, char *detail,
    size_t size)
{
	const struct check_dns_run *run = check->state;
	char notes[96];

	if (run == NULL) {
		snprintf(detail, size, "no answer within %g s",
		    check->config->timeout);
		return;
	}
	/* The notes would repeat what the text says. */
	check_dns_notes(&(struct check_dns_run){ .ignored = run->ignored },
	    false, notes, sizeof(notes));
	if (run->stage == CHECK_DNS_UDP)
		snprintf(detail, size, "timeout after %u tr%s (%g s)%s",
		    run->tries, run->tries == 1 ? "y" : "ies",
		    check->config->timeout, notes);
	else
		snprintf(detail, size, "timeout %s over TCP%s (%g s)%s",
		    run->stage == CHECK_DNS_TCP_CONNECT ? "connecting" :
		    "waiting for the reply", run->truncated ?
		    " after a truncated reply" : "", check->config->timeout,
		    notes);
}

static void
check_dns_cancel(struct check *check)
{
	check_dns_close(check);
}

const struct check_ops check_dns_ops = {
	.type = "dns",
	.parse = check_dns_parse,
	.start = check_dns_start,
	.cancel = check_dns_cancel,
	.free_config = check_dns_free_config,
	.fds_per_run = 1,
	.timeout_detail = check_dns_timeout_detail,
};
