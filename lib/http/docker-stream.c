/* Docker's streams fed by a worker thread.  The library's logs, events and
 * wait block and call back; a thread runs them and writes to a socket pair
 * whose other end the response reads, a second at a time.  Also the
 * writes to a hijacked connection.  */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"

/* How long a hijacked connection may take to make room for more output
 * before the client counts as gone.  */
#define SEND_STALL_MS 60000

/* All of buf on a hijacked connection, which libmicrohttpd leaves
 * non-blocking: a full socket buffer is waited out, not taken for an end.  */
int
docker_send_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd pfd = { .fd = fd, .events = POLLOUT };
          int r = poll (&pfd, 1, SEND_STALL_MS);

          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            return -1;
          continue;
        }
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t)n;
    }
  return 0;
}

/* Docker's multiplexed framing: stream, three zeros, size (big endian).  */
int
docker_send_frame (int fd, int stream, const char *data, size_t len)
{
  unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0 };

  while (len > 0)
    {
      uint32_t n = len > (1u << 30) ? (1u << 30) : (uint32_t)len;
      hdr[4] = (unsigned char)(n >> 24);
      hdr[5] = (unsigned char)(n >> 16);
      hdr[6] = (unsigned char)(n >> 8);
      hdr[7] = (unsigned char)n;
      if (docker_send_all (fd, hdr, sizeof hdr) < 0 || docker_send_all (fd, data, n) < 0)
        return -1;
      data += n;
      len -= n;
    }
  return 0;
}

static void *
pipe_thread (void *arg)
{
  struct pipe_stream *ps = arg;

  ps->work (ps);
  shutdown (ps->fds[1], SHUT_WR);
  return NULL;
}

static ssize_t
pipe_read (void *data, char *buf, size_t max)
{
  struct pipe_stream *ps = data;
  struct pollfd p = { .fd = ps->fds[0], .events = POLLIN };
  ssize_t n;

  if (atomic_load (&ps->api->stopping))
    {
      ps->stop = 1;
      return -1;
    }
  if (poll (&p, 1, 1000) <= 0)
    return 0;
  n = read (ps->fds[0], buf, max);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  return n > 0 ? n : -1;
}

void
docker_pipe_free (void *data)
{
  struct pipe_stream *ps = data;

  ps->stop = 1;
  /* a worker blocked in send fails at once */
  shutdown (ps->fds[0], SHUT_RDWR);
  if (ps->started)
    pthread_join (ps->thread, NULL);
  close (ps->fds[0]);
  close (ps->fds[1]);
  free (ps->name);
  free (ps->since);
  free (ps->until);
  if (ps->filters)
    for (size_t i = 0; ps->filters[i]; i++)
      free (ps->filters[i]);
  free (ps->filters);
  free (ps);
}

struct pipe_stream *
docker_pipe_new (struct dreq *d, const char *name, void (*work) (struct pipe_stream *))
{
  struct pipe_stream *ps = calloc (1, sizeof *ps);

  if (ps == NULL)
    return NULL;
  ps->api = d->api;
  ps->work = work;
  ps->fds[0] = ps->fds[1] = -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ps->fds) < 0
      || (name && (ps->name = strdup (name)) == NULL))
    {
      docker_pipe_free (ps);
      return NULL;
    }
  return ps;
}

/* Starts the worker and makes ps the response's stream.  */
void
docker_pipe_start (struct dreq *d, struct pipe_stream *ps, const char *content_type)
{
  if (pthread_create (&ps->thread, NULL, pipe_thread, ps) != 0)
    {
      docker_pipe_free (ps);
      return docker_fail (d, 500, "cannot start a thread: %s", strerror (errno));
    }
  ps->started = true;
  d->res->status = 200;
  d->res->content_type = content_type;
  d->res->stream_read = pipe_read;
  d->res->stream_free = docker_pipe_free;
  d->res->stream_data = ps;
}
