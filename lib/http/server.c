#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "context.h"
#include "http/server.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_MAX_CONNECTIONS 64
#define DEFAULT_TIMEOUT 30
#define THREADS 4

struct server
{
  struct mr_api api;
  const struct mr_serve_opts *opts;
  size_t max_body;
  atomic_uint active; /* requests between their first call and completion */
};

/* One request, from its first call to its completion.  */
struct request
{
  struct timespec t0;
  char *method;
  char *path;
  size_t body_len;
  bool too_large;
  unsigned status;
  size_t bytes;
};

static void
request_free (struct request *r)
{
  free (r->method);
  free (r->path);
  free (r);
}

static const char *
query_value (void *data, const char *key)
{
  return MHD_lookup_connection_value (data, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result
send_body (struct MHD_Connection *conn, struct request *r, unsigned status, char *body,
           const char *allow)
{
  struct MHD_Response *resp;
  enum MHD_Result ret;
  size_t len = body ? strlen (body) : 0;

  resp = MHD_create_response_from_buffer (len, body, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL)
    {
      free (body);
      return MHD_NO;
    }
  MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (allow)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_ALLOW, allow);
  ret = MHD_queue_response (conn, status, resp);
  MHD_destroy_response (resp);
  if (ret == MHD_YES)
    {
      r->status = status;
      r->bytes = len;
    }
  return ret;
}

static enum MHD_Result
on_request (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
            const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
  struct server *s = cls;
  struct request *r = *con_cls;
  struct mr_api_response res;
  struct mr_api_request req;
  const char *clen;

  (void)version;
  (void)upload_data;
  if (r == NULL)
    {
      r = calloc (1, sizeof *r);
      if (r == NULL)
        return MHD_NO;
      clock_gettime (CLOCK_MONOTONIC, &r->t0);
      r->method = strdup (method);
      r->path = strdup (url);
      if (r->method == NULL || r->path == NULL)
        {
          request_free (r);
          return MHD_NO;
        }
      *con_cls = r;
      atomic_fetch_add (&s->active, 1);
      /* refuse a declared oversized body before the client sends it */
      clen = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (clen && strtoull (clen, NULL, 10) > s->max_body)
        return send_body (conn, r, 413, mr_api_error_body (413, "request body too large"), NULL);
      return MHD_YES;
    }
  if (*upload_data_size > 0)
    {
      /* no route takes a body yet: it is only measured */
      r->body_len += *upload_data_size;
      if (r->body_len > s->max_body)
        r->too_large = true;
      *upload_data_size = 0;
      return MHD_YES;
    }
  if (r->status != 0)
    return MHD_YES;
  if (r->too_large)
    return send_body (conn, r, 413, mr_api_error_body (413, "request body too large"), NULL);

  req.method = method;
  req.path = url;
  req.query = query_value;
  req.query_data = conn;
  mr_api_handle (&s->api, &req, &res);
  return send_body (conn, r, res.status, res.body, res.allow);
}

static void
on_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
              enum MHD_RequestTerminationCode toe)
{
  struct server *s = cls;
  struct request *r = *con_cls;
  struct timespec now;
  char line[1024];
  double ms;

  (void)conn;
  (void)toe;
  if (r == NULL)
    return;
  *con_cls = NULL;
  clock_gettime (CLOCK_MONOTONIC, &now);
  ms = (double)(now.tv_sec - r->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - r->t0.tv_nsec) / 1e6;
  if (s->opts->log)
    {
      snprintf (line, sizeof line, "%s %s %u %zu %.1fms", r->method, r->path, r->status, r->bytes,
                ms);
      s->opts->log (s->opts->log_data, line);
    }
  request_free (r);
  atomic_fetch_sub (&s->active, 1);
}

/* A socket file left by a server that is gone is removed; one that a server
 * answers on, or a file that is not a socket, is an error.  */
static int
clear_stale_socket (const char *path, const struct sockaddr_un *addr, struct mr_error *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  if (lstat (path, &st) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return mr_error_errno (err, errno, "stat '%s'", path);
    }
  if (!S_ISSOCK (st.st_mode))
    {
      mr_error_set (err, "'%s' exists and is not a socket", path);
      err->errnum = EEXIST;
      return -1;
    }
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return mr_error_errno (err, errno, "socket");
  if (connect (fd, (const struct sockaddr *)addr, sizeof *addr) == 0)
    {
      mr_error_set (err, "another server is listening on '%s'", path);
      err->errnum = EADDRINUSE;
      return -1;
    }
  if (errno != ECONNREFUSED)
    return mr_error_errno (err, errno, "connect to '%s'", path);
  if (unlink (path) < 0 && errno != ENOENT)
    return mr_error_errno (err, errno, "remove stale socket '%s'", path);
  return 0;
}

static int
listen_unix (const char *path, struct mr_error *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1;
  char *slash;

  if (strlen (path) >= sizeof addr.sun_path)
    return mr_error_set (err, "socket path '%s' is too long", path);
  strcpy (addr.sun_path, path);
  dir = strdup (path);
  if (dir == NULL)
    return mr_error_errno (err, ENOMEM, "socket '%s'", path);
  slash = strrchr (dir, '/');
  if (slash && slash != dir)
    {
      *slash = '\0';
      if (mr_mkdir_p (dir, 0755, err) < 0)
        return -1;
    }
  if (clear_stale_socket (path, &addr, err) < 0)
    return -1;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return mr_error_errno (err, errno, "socket");
  if (bind (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return mr_error_errno (err, errno, "bind '%s'", path);
  /* owner and group only: whoever reaches the socket runs containers */
  if (chmod (path, 0660) < 0 || listen (fd, 128) < 0)
    {
      mr_error_errno (err, errno, "listen on '%s'", path);
      unlink (path);
      return -1;
    }
  return steal_fd (&fd);
}

/* Waits for the requests under way, at most timeout seconds.  */
static void
drain (struct server *s, unsigned timeout)
{
  for (unsigned i = 0; i < timeout * 20 && atomic_load (&s->active) > 0; i++)
    poll (NULL, 0, 50);
}

int
mr_serve (struct mr_context *ctx, const struct mr_serve_opts *opts, struct mr_error *err)
{
  cleanup_free char *default_path = NULL;
  struct server s = { .opts = opts };
  struct MHD_Daemon *d;
  const char *path = opts->socket_path;
  unsigned timeout = opts->timeout ? opts->timeout : DEFAULT_TIMEOUT;
  struct pollfd pfd = { .fd = opts->stop_fd, .events = POLLIN };
  int fd;

  if (opts->stop_fd < 0)
    return mr_error_set (err, "serve: no stop descriptor");
  if (path == NULL)
    {
      if (mr_asprintf (err, &default_path, "%s/minirun.sock", ctx->root) < 0)
        return -1;
      path = default_path;
    }
  /* opened here, once, so that the request threads never race to open it */
  if (mr_context_rootfd (ctx, err) < 0)
    return -1;
  s.api.ctx = ctx;
  s.max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
  clock_gettime (CLOCK_MONOTONIC, &s.api.started);
  atomic_init (&s.active, 0);
  pthread_mutex_init (&s.api.lock, NULL);

  fd = listen_unix (path, err);
  if (fd < 0)
    {
      pthread_mutex_destroy (&s.api.lock);
      return -1;
    }
  d = MHD_start_daemon (
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL, on_request, &s,
      MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
      MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)(opts->max_connections ? opts->max_connections : DEFAULT_MAX_CONNECTIONS),
      MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s, MHD_OPTION_END);
  if (d == NULL)
    {
      close (fd);
      unlink (path);
      pthread_mutex_destroy (&s.api.lock);
      return mr_error_set (err, "cannot start the HTTP server on '%s'", path);
    }

  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
  /* stop accepting, let the requests under way finish, then stop */
  fd = MHD_quiesce_daemon (d);
  unlink (path);
  if (fd >= 0)
    close (fd);
  drain (&s, timeout);
  MHD_stop_daemon (d);
  pthread_mutex_destroy (&s.api.lock);
  return 0;
}
