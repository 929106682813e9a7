/*
 * mailnet.c - the connection under the IMAP and POP3 fetchers: a TCP connect
 * with a deadline, TLS when the URL asks for it, and a guard around
 * libetpan's stream so that a dead server ends the operation with an error.
 *
 * Why the guard: libetpan 1.9's socket driver returns 0 from a read when the
 * server has closed the connection (recv() == 0), and several of its loops
 * take 0 for "no data yet": the IMAP literal reader (a message body) and the
 * POP3 multi-line reader go round for ever, at full CPU, whatever timeout is
 * set. The guard turns that 0 into -1, notes why a read or write failed (the
 * server closed the connection, reset it, or did not answer within the
 * timeout) and makes a write that cannot make progress fail once the timeout
 * has passed. Each read and write still waits at most `timeout` seconds
 * (libetpan's own select()/poll() on the stream).
 */
#include "mailnet_p.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

/*
 * The driver of a guarded stream: a copy of the original driver with read,
 * write and free replaced, the original to call, and why the stream failed.
 * One per mailstream_low; freed with it.
 */
struct guard {
	mailstream_low_driver d;   /* first: the stream's driver pointer points here */
	mailstream_low_driver *orig;
	long timeout;              /* seconds */
	int tls;
	char why[160];             /* empty while the stream works */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Notes why the stream failed; the first reason wins. */
static void note(struct guard *g, const char *why)
{
	if (!g->why[0])
		snprintf(g->why, sizeof(g->why), "%s", why);
}

/* Why a read or write that returned -1 after waiting since t0 failed. */
static void note_failure(struct guard *g, double t0, int err, const char *idle)
{
	char buf[128];
	if (now_s() - t0 >= (double)g->timeout - 0.05 && (err == 0 || err == EAGAIN || err == ETIMEDOUT)) {
		snprintf(buf, sizeof(buf), "%s within %ld s", idle, g->timeout);
		note(g, buf);
	} else if (err == ECONNRESET) {
		note(g, "the server reset the connection");
	} else if (err && err != EAGAIN) {
		note(g, strerror(err));
	} else {
		note(g, g->tls ? "the TLS session ended" : "the server closed the connection");
	}
}

static ssize_t guard_read(mailstream_low *s, void *buf, size_t count)
{
	struct guard *g = (struct guard *)s->driver;
	if (g->why[0])
		return -1;  /* a failed stream stays failed */
	double t0 = now_s();
	errno = 0;
	ssize_t r = g->orig->mailstream_read(s, buf, count);
	if (r > 0 || count == 0)
		return r;
	if (r == 0)
		note(g, g->tls ? "the server ended the TLS session" : "the server closed the connection");
	else
		note_failure(g, t0, errno, "no answer");
	return -1;
}

static ssize_t guard_write(mailstream_low *s, const void *buf, size_t count)
{
	struct guard *g = (struct guard *)s->driver;
	if (g->why[0])
		return -1;
	double t0 = now_s();
	errno = 0;
	ssize_t r = g->orig->mailstream_write(s, buf, count);
	if (r > 0 || count == 0)
		return r;
	if (r == 0) {
		/* Nothing written, no error: the driver's wait ended without the
		   socket being writable (a hang-up), or TLS said "again". Wait
		   for room once more; no room within the timeout is a failure. */
		int fd = g->orig->mailstream_get_fd(s);
		struct pollfd p = { fd, POLLOUT, 0 };
		int n = fd >= 0 ? poll(&p, 1, (int)(g->timeout * 1000)) : -1;
		if (n > 0 && !(p.revents & (POLLERR | POLLHUP | POLLNVAL)))
			return 0;
		int err = 0;
		socklen_t len = sizeof(err);
		if (fd >= 0)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		note_failure(g, t0, n == 0 ? 0 : err ? err : EPIPE, "the server took no data");
		return -1;
	}
	note_failure(g, t0, errno, "the server took no data");
	return -1;
}

static void guard_free(mailstream_low *s)
{
	struct guard *g = (struct guard *)s->driver;
	mailstream_low_driver *orig = g->orig;
	s->driver = orig;
	free(g);
	orig->mailstream_free(s);
}

static struct guard *guard_of(mailstream *s)
{
	if (!s || !s->low || !s->low->driver || s->low->driver->mailstream_read != guard_read)
		return NULL;
	return (struct guard *)s->low->driver;
}

void ct_mailnet_guard(mailstream *s, long timeout, int tls)
{
	if (!s || !s->low || guard_of(s))
		return;
	struct guard *g = ct_calloc(1, sizeof(*g));
	g->d = *s->low->driver;
	g->orig = s->low->driver;
	g->d.mailstream_read = guard_read;
	g->d.mailstream_write = guard_write;
	g->d.mailstream_free = guard_free;
	g->timeout = timeout > 0 ? timeout : 60;
	g->tls = tls;
	s->low->driver = &g->d;
}

const char *ct_mailnet_why(mailstream *s)
{
	struct guard *g = guard_of(s);
	return g && g->why[0] ? g->why : NULL;
}

/*
 * A TCP connection to host:port, each address tried with a deadline of
 * timeout seconds. Returns a blocking socket (as libetpan wants it), or -1
 * with *why set to a new string.
 */
static int tcp_connect(const char *host, unsigned port, long timeout, char **why)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	int fd = -1, err = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	int r = getaddrinfo(host, service, &hints, &res);
	if (r) {
		*why = ct_xstrfmt("cannot resolve '%s': %s", host, gai_strerror(r));
		return -1;
	}
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
			err = errno;
		} else {
			struct pollfd p = { fd, POLLOUT, 0 };
			int n = poll(&p, 1, (int)(timeout * 1000));
			socklen_t len = sizeof(err);
			if (n == 0)
				err = ETIMEDOUT;
			else if (n < 0)
				err = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
				err = errno;
		}
		if (!err && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
			break;
		if (!err)
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		*why = err == ETIMEDOUT ? ct_xstrfmt("cannot connect to %s:%u: no answer within %ld s", host, port, timeout)
					: ct_xstrfmt("cannot connect to %s:%u: %s", host, port, strerror(err));
	return fd;
}

int ct_mailnet_open(const struct ct_mailnet *m, const char *proto, mailstream **out, char **why)
{
	*out = NULL;
	free(*why);
	*why = NULL;
	int fd = tcp_connect(m->host, m->port, m->timeout, why);
	if (fd < 0)
		return -2;
	mailstream *s;
	if (m->tls) {
		double t0 = now_s();
		s = mailstream_ssl_open_with_callback_timeout(fd, (time_t)m->timeout, ct_mailnet_tls_setup, m->host);
		if (!s) {
			char c;
			int closed = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
			int slow = now_s() - t0 >= (double)m->timeout - 0.05;
			close(fd);
			if (slow || closed) {
				*why = slow ? ct_xstrfmt("TLS handshake with %s:%u: no answer within %ld s", m->host,
							 m->port, m->timeout)
					    : ct_xstrfmt("TLS handshake with %s:%u: the server closed the connection",
							 m->host, m->port);
				return -2;
			}
			ct_error("source '%s': TLS handshake with %s:%u failed", m->source, m->host, m->port);
			ct_hint("check that the server speaks TLS on this port (%ss://) or use %s:// with starttls = yes",
				m->scheme, m->scheme);
			return -1;
		}
		if (ct_mailnet_tls_check(m, s, proto)) {
			mailstream_close(s);
			return -1;
		}
	} else {
		s = mailstream_socket_open_timeout(fd, (time_t)m->timeout);
		if (!s)
			ct_die("out of memory");
	}
	ct_mailnet_guard(s, m->timeout, m->tls);
	*out = s;
	return 0;
}
