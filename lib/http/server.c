#include "config.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <sys/random.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "context.h"
#include "http/server.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_MAX_CONNECTIONS 64
#define DEFAULT_TIMEOUT 30
#define DEFAULT_MAX_REQUESTS 64
/* /metrics runs even when every slot is taken (it is what shows that they
 * are), this many at once */
#define MAX_EXEMPT 2
/* seconds a client refused for want of a slot is told to wait */
#define RETRY_AFTER 1
/* request line and headers: larger requests get 431 from libmicrohttpd */
#define CONNECTION_MEMORY (32 * 1024)

struct server
{
  struct mr_api api;
  const struct mr_serve_opts *opts;
  size_t max_body;
  char *token;         /* NULL: no listener asks for one */
  atomic_uint active;  /* requests between their first call and completion */
  atomic_uint workers; /* threads running a handler or pumping a stream */
  /* The slots of the handler threads: a request that runs off the server's
   * threads (its handler, then its stream, or a hijacked connection) holds
   * one.  At most max_running are held; max_queued more requests wait, in
   * order, parked; the rest get 503.  Under slots_lock.  */
  pthread_mutex_t slots_lock;
  unsigned running, max_running;
  unsigned queued, max_queued;
  unsigned exempt;
  struct request *queue_head, *queue_tail;
};

struct listener
{
  struct server *s;
  struct MHD_Daemon *d;
  int fd;
  bool auth;
  bool tls;
  char name[160];
  char *unlink_path; /* the unix socket we made */
  unsigned limit;
  atomic_uint connections;
};

/* One request, from its first call to its completion.  */
struct request
{
  struct timespec t0;
  char *method;
  char *path;
  const struct mr_http_router *router; /* the path's */
  char client[64];
  char *body;
  size_t body_len;
  bool too_large;
  unsigned status;
  size_t bytes;
  /* a request handled on a worker thread of its own (see run_request) */
  struct server *server;
  struct MHD_Connection *conn;
  int fd;               /* the connection's, to notice a client that left */
  bool exempt;          /* runs outside the slots (see MAX_EXEMPT) */
  struct request *next; /* in the queue for a slot */
  bool waited;          /* was queued */
  struct mr_api_response res;
  struct stream *stream;
  struct upgrade *upgrade; /* until it starts */
  bool ready;              /* res is made: send it */
};

struct upgrade;
static void response_clear (struct mr_api_response *res);
static struct request *slot_next (struct server *s, bool exempt);
static void slot_hold (struct server *s);
static void work (struct server *s, struct request *r);
static void worker_start (struct server *s, struct request *r);
static void stream_response_gone (void *cls);
static void upgrade_free (struct upgrade *u);

static void
request_free (struct request *r)
{
  if (r->stream)
    stream_response_gone (r->stream);
  if (r->upgrade)
    upgrade_free (r->upgrade);
  response_clear (&r->res);
  free (r->method);
  free (r->path);
  free (r->body);
  free (r);
}

static const char *
query_value (void *conn, const char *key)
{
  return MHD_lookup_connection_value (conn, MHD_GET_ARGUMENT_KIND, key);
}

static const char *
header_value (void *conn, const char *name)
{
  return MHD_lookup_connection_value (conn, MHD_HEADER_KIND, name);
}

static void
client_name (struct MHD_Connection *conn, char *buf, size_t size)
{
  const union MHD_ConnectionInfo *ci;
  const struct sockaddr *sa;
  char host[INET6_ADDRSTRLEN];

  snprintf (buf, size, "unix");
  ci = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci == NULL || ci->client_addr == NULL)
    return;
  sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    {
      const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
      inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
      snprintf (buf, size, "%s:%u", host, ntohs (in->sin_port));
    }
  else if (sa->sa_family == AF_INET6)
    {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
      inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
      snprintf (buf, size, "[%s]:%u", host, ntohs (in6->sin6_port));
    }
}

bool
mr_api_response_header (struct mr_api_response *res, const char *name, const char *fmt, ...)
{
  va_list ap;
  char *value;
  int n;

  if (res->n_headers >= MR_API_MAX_HEADERS)
    return false;
  va_start (ap, fmt);
  n = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (n < 0)
    return false;
  res->header_names[res->n_headers] = name;
  res->header_values[res->n_headers++] = value;
  return true;
}

static void
response_clear (struct mr_api_response *res)
{
  free (res->body);
  res->body = NULL;
  if (res->static_release)
    res->static_release (res->static_cls);
  res->static_release = NULL;
  for (unsigned i = 0; i < res->n_headers; i++)
    free (res->header_values[i]);
  res->n_headers = 0;
  if (res->stream_free && res->stream_data)
    res->stream_free (res->stream_data);
  res->stream_data = NULL;
}

/* A stream in progress.  The handler's reader may block, so a thread of
 * the stream's own (the one that ran the handler) pumps it into buf; the
 * server's threads only take from buf, and park the connection while it is
 * empty.  Shared by the pump and the response: freed by the last.  */
#define STREAM_BUF_MAX (256 * 1024)

struct stream
{
  struct server *s;
  ssize_t (*read) (void *data, char *buf, size_t max);
  void (*free) (void *data);
  void *data;
  struct MHD_Connection *conn;
  int fd; /* the connection's: to notice a client that went away */
  pthread_mutex_t lock;
  pthread_cond_t room;
  char *buf;
  size_t len;
  bool eof;       /* the reader has ended */
  bool gone;      /* the response is gone (client left, or served) */
  bool suspended; /* the connection is parked until more comes */
  int refs;
};

static bool
peer_gone (int fd)
{
  struct pollfd p = { .fd = fd, .events = POLLRDHUP };

  return fd >= 0 && poll (&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void
stream_unref (struct stream *st)
{
  bool last;

  pthread_mutex_lock (&st->lock);
  last = --st->refs == 0;
  pthread_mutex_unlock (&st->lock);
  if (!last)
    return;
  if (st->free)
    st->free (st->data);
  pthread_mutex_destroy (&st->lock);
  pthread_cond_destroy (&st->room);
  free (st->buf);
  free (st);
}

/* Called with st->lock held.  */
static void
stream_wake (struct stream *st)
{
  if (st->suspended && !st->gone)
    {
      st->suspended = false;
      MHD_resume_connection (st->conn);
    }
}

/* libmicrohttpd's side: what the pump has gathered, or park.  */
static ssize_t
stream_take (void *cls, uint64_t pos, char *out, size_t max)
{
  struct stream *st = cls;
  ssize_t n;

  (void)pos;
  pthread_mutex_lock (&st->lock);
  if (st->len > 0)
    {
      n = (ssize_t)(st->len < max ? st->len : max);
      memcpy (out, st->buf, (size_t)n);
      memmove (st->buf, st->buf + n, st->len - (size_t)n);
      st->len -= (size_t)n;
      pthread_cond_signal (&st->room);
    }
  else if (st->eof)
    n = MHD_CONTENT_READER_END_OF_STREAM;
  else
    {
      st->suspended = true;
      MHD_suspend_connection (st->conn);
      n = 0;
    }
  pthread_mutex_unlock (&st->lock);
  return n;
}

static void
stream_response_gone (void *cls)
{
  struct stream *st = cls;

  pthread_mutex_lock (&st->lock);
  st->gone = true;
  pthread_cond_signal (&st->room);
  pthread_mutex_unlock (&st->lock);
  stream_unref (st);
}

/* The pump: runs in the thread that ran the handler, until the reader
 * ends, the client leaves or the server stops.  */
static void
stream_pump (struct stream *st)
{
  char chunk[16 * 1024];
  ssize_t n;

  for (;;)
    {
      n = st->read (st->data, chunk, sizeof chunk);
      pthread_mutex_lock (&st->lock);
      if (n == 0 && (peer_gone (st->fd) || atomic_load (&st->s->api.stopping)))
        n = -1;
      if (n > 0)
        {
          while (st->len + (size_t)n > STREAM_BUF_MAX && !st->gone)
            pthread_cond_wait (&st->room, &st->lock);
          /* the whole backlog at once: a buffer resized for every chunk,
             in as many threads as there are streams, leaves the heap
             fragmented far beyond what the streams hold */
          if (st->buf == NULL && !st->gone)
            st->buf = malloc (STREAM_BUF_MAX);
          if (st->buf && !st->gone)
            {
              memcpy (st->buf + st->len, chunk, (size_t)n);
              st->len += (size_t)n;
            }
          else
            n = -1;
        }
      if (n < 0 || atomic_load (&st->s->api.stopping))
        st->eof = true;
      stream_wake (st);
      bool done = st->eof || st->gone;
      pthread_mutex_unlock (&st->lock);
      if (done)
        break;
    }
  stream_unref (st);
}

/* A connection handed over (101).  Owned by the request until the upgrade
 * starts, then by the thread that runs it; one that never starts (the
 * client left first) is freed with the request.  */
struct upgrade
{
  struct server *s;
  void (*run) (void *data, int fd);
  void (*free) (void *data);
  void *data;
  int fd;
  struct MHD_UpgradeResponseHandle *urh;
  bool started;
};

static void
upgrade_free (struct upgrade *u)
{
  if (u->free && u->data)
    u->free (u->data);
  free (u);
}

static void *
upgrade_thread (void *arg)
{
  struct upgrade *u = arg;
  struct server *s = u->s;

  u->run (u->data, u->fd);
  MHD_upgrade_action (u->urh, MHD_UPGRADE_ACTION_CLOSE);
  upgrade_free (u);
  work (s, slot_next (s, false));
  atomic_fetch_sub (&s->workers, 1);
  return NULL;
}

static void
upgrade_start (void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
               size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
  struct request *r = con_cls;
  struct upgrade *u = cls;

  (void)conn;
  (void)extra_in;
  (void)extra_in_size;
  /* the request and the upgrade are handled on the same server thread, so
   * r cannot be freed while this runs */
  if (r && r->upgrade == u)
    r->upgrade = NULL;
  u->started = true;
  u->fd = sock;
  u->urh = urh;
  /* a thread of its own: with TLS the data only flows once this callback
   * has returned */
  atomic_fetch_add (&u->s->workers, 1);
  slot_hold (u->s);
  if (mr_http_start_detached (upgrade_thread, u) != 0)
    {
      atomic_fetch_sub (&u->s->workers, 1);
      struct server *s = u->s;

      MHD_upgrade_action (urh, MHD_UPGRADE_ACTION_CLOSE);
      upgrade_free (u);
      worker_start (s, slot_next (s, false));
    }
}

static int
connection_fd (struct MHD_Connection *conn)
{
  const union MHD_ConnectionInfo *ci
      = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CONNECTION_FD);

  return ci ? ci->connect_fd : -1;
}

/* Turns res into a libmicrohttpd response and queues it; res is emptied.  */
static enum MHD_Result
send_response (struct server *s, struct MHD_Connection *conn, struct request *r,
               struct mr_api_response *res)
{
  struct MHD_Response *resp = NULL;
  struct upgrade *u = NULL;
  enum MHD_Result ret;
  size_t len = 0;

  if (res->upgrade)
    {
      /* the handler may only answer 101 where the client asked for it */
      u = calloc (1, sizeof *u);
      if (u)
        {
          *u = (struct upgrade){ .s = s,
                                 .run = res->upgrade,
                                 .free = res->stream_free,
                                 .data = res->stream_data,
                                 .fd = -1 };
          res->stream_data = NULL;
          resp = MHD_create_response_for_upgrade (upgrade_start, u);
          if (resp)
            r->upgrade = u;
        }
      res->status = MHD_HTTP_SWITCHING_PROTOCOLS;
    }
  else if (res->stream_read)
    {
      struct stream *st = r->stream;

      /* made by the worker that ran the handler (see run_request) */
      r->stream = NULL;
      if (st)
        {
          resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 16 * 1024, stream_take, st,
                                                    stream_response_gone);
          if (resp == NULL)
            stream_response_gone (st);
          else
            MHD_set_connection_option (conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        }
    }
  else if (res->body)
    {
      len = res->body_len ? res->body_len : strlen (res->body);
      resp = MHD_create_response_from_buffer (len, res->body, MHD_RESPMEM_MUST_FREE);
      if (resp)
        res->body = NULL;
    }
  else
    {
      len = res->static_len;
      if (res->static_release)
        {
          resp = MHD_create_response_from_buffer_with_free_callback_cls (
              len, (void *)res->static_body, res->static_release, res->static_cls);
          if (resp)
            res->static_release = NULL;
        }
      else
        resp = MHD_create_response_from_buffer (len, (void *)res->static_body,
                                                MHD_RESPMEM_PERSISTENT);
    }
  if (resp == NULL)
    {
      if (u)
        upgrade_free (u);
      response_clear (res);
      return MHD_NO;
    }
  if (!res->upgrade)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                             res->content_type ? res->content_type : "application/json");
  if (res->allow)
    MHD_add_response_header (resp, MHD_HTTP_HEADER_ALLOW, res->allow);
  if (s->api.cors_origin)
    {
      MHD_add_response_header (resp, "Access-Control-Allow-Origin", s->api.cors_origin);
      MHD_add_response_header (resp, "Vary", "Origin");
    }
  for (unsigned i = 0; i < res->n_headers; i++)
    MHD_add_response_header (resp, res->header_names[i], res->header_values[i]);
  ret = MHD_queue_response (conn, res->status, resp);
  MHD_destroy_response (resp);
  if (ret == MHD_YES)
    {
      r->status = res->status;
      r->bytes = len;
    }
  response_clear (res);
  return ret;
}

static enum MHD_Result
send_error (struct server *s, struct MHD_Connection *conn, struct request *r, unsigned status,
            const char *message)
{
  struct mr_api_response res = { .status = status, .body = mr_api_error_body (status, message) };

  return send_response (s, conn, r, &res);
}

/* CORS preflight: answered here, for every path.  */
static enum MHD_Result
send_preflight (struct server *s, struct MHD_Connection *conn, struct request *r)
{
  struct mr_api_response res = { .status = 204, .static_body = "", .content_type = "text/plain" };

  mr_api_response_header (&res, "Access-Control-Allow-Methods", "GET, POST, DELETE, HEAD, OPTIONS");
  mr_api_response_header (&res, "Access-Control-Allow-Headers", "Authorization, Content-Type");
  mr_api_response_header (&res, "Access-Control-Max-Age", "600");
  return send_response (s, conn, r, &res);
}

/* What the URL's decoding found, for the request being parsed on one
 * connection: the handlers see C strings, so a decoded NUL would cut a
 * path or a value short, and invalid UTF-8 would reach JSON answers.  */
struct conn_state
{
  bool nul;
  bool bad_utf8;
};

static bool
valid_utf8 (const unsigned char *p, size_t n)
{
  size_t i = 0;

  while (i < n)
    {
      unsigned char c = p[i];
      size_t len;
      unsigned cp;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
      else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
      else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
      else
        return false;
      if (i + len > n)
        return false;
      for (size_t k = 1; k < len; k++)
        {
          if ((p[i + k] & 0xc0) != 0x80)
            return false;
          cp = (cp << 6) | (p[i + k] & 0x3f);
        }
      /* overlong forms, surrogates, past U+10FFFF */
      if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
          || (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += len;
    }
  return true;
}

static struct conn_state *
conn_state (struct MHD_Connection *conn)
{
  const union MHD_ConnectionInfo *ci
      = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

  return ci ? ci->socket_context : NULL;
}

/* libmicrohttpd's decoding of the path and of each query key and value,
 * noting what the request must be refused for.  */
static size_t
on_unescape (void *cls, struct MHD_Connection *conn, char *val)
{
  struct conn_state *cs = conn_state (conn);
  size_t n = MHD_http_unescape (val);

  (void)cls;
  if (cs == NULL)
    return n;
  if (memchr (val, '\0', n) != NULL)
    cs->nul = true;
  if (!valid_utf8 ((const unsigned char *)val, n))
    cs->bad_utf8 = true;
  return n;
}

/* What the routers see of a request.  */
static struct mr_api_request
request_view (const struct request *r, struct MHD_Connection *conn)
{
  return (struct mr_api_request){
    .method = r->method,
    .path = r->path,
    .query = query_value,
    .header = header_value,
    .conn = conn,
    .body = r->body,
    .body_len = r->body_len,
    .client = r->client,
    .fd = r->fd,
  };
}

bool
mr_api_client_gone (const struct mr_api_request *req)
{
  return peer_gone (req->fd);
}

int
mr_http_start_detached (void *(*fn) (void *), void *arg)
{
  pthread_attr_t attr;
  pthread_t t;
  int ret;

  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  ret = pthread_create (&t, &attr, fn, arg);
  pthread_attr_destroy (&attr);
  return ret;
}

static void
run_request (struct request *r)
{
  struct server *s = r->server;
  struct MHD_Connection *conn = r->conn;
  struct stream *st = NULL;
  struct mr_api_request req = request_view (r, conn);

  /* one that waited for a slot may have nobody left to answer */
  if (r->waited && peer_gone (r->fd))
    r->res = (struct mr_api_response){ .status = 503,
                                       .body = mr_api_error_body (503, "the client went away") };
  else
    r->router->handle (&s->api, &req, &r->res);
  /* whatever this was may have changed a container: the list is read again
   * (the watcher would notice too, a moment later) */
  if (strcmp (r->method, "GET") != 0 && strcmp (r->method, "HEAD") != 0)
    mr_api_changed (&s->api);
  if (r->res.stream_read && !r->res.upgrade)
    {
      st = calloc (1, sizeof *st);
      if (st == NULL)
        {
          response_clear (&r->res);
          r->res = (struct mr_api_response){ .status = 500,
                                             .body = mr_api_error_body (500, "out of memory") };
        }
      else
        {
          *st = (struct stream){ .s = s,
                                 .read = r->res.stream_read,
                                 .free = r->res.stream_free,
                                 .data = r->res.stream_data,
                                 .conn = conn,
                                 .fd = connection_fd (conn),
                                 .refs = 2 };
          pthread_mutex_init (&st->lock, NULL);
          pthread_cond_init (&st->room, NULL);
          r->res.stream_data = NULL;
          r->stream = st;
        }
    }
  r->ready = true;
  /* r belongs to the server's threads from here on */
  MHD_resume_connection (conn);
  if (st)
    stream_pump (st);
}

static void
slots_publish (struct server *s)
{
  atomic_store (&s->api.stats.handlers_running, s->running);
  atomic_store (&s->api.stats.handlers_queued, s->queued);
}

enum slot
{
  SLOT_RUN,
  SLOT_QUEUED,
  SLOT_REFUSED,
};

/* A slot for r, or a place in the queue (r's connection is then parked
 * until a slot frees), or neither.  */
static enum slot
slot_take (struct server *s, struct request *r, bool exempt)
{
  enum slot ret = SLOT_REFUSED;

  pthread_mutex_lock (&s->slots_lock);
  /* an exempt request takes no slot while it can help it: /metrics does
   * not count itself */
  if (exempt && s->exempt < MAX_EXEMPT)
    {
      s->exempt++;
      r->exempt = true;
      ret = SLOT_RUN;
    }
  else if (s->running < s->max_running)
    {
      s->running++;
      ret = SLOT_RUN;
    }
  else if (s->queued < s->max_queued)
    {
      r->next = NULL;
      r->waited = true;
      if (s->queue_tail)
        s->queue_tail->next = r;
      else
        s->queue_head = r;
      s->queue_tail = r;
      s->queued++;
      ret = SLOT_QUEUED;
    }
  /* parked under the lock: the thread that takes r from the queue resumes
   * the connection, which must be suspended by then */
  if (ret != SLOT_REFUSED)
    MHD_suspend_connection (r->conn);
  slots_publish (s);
  pthread_mutex_unlock (&s->slots_lock);
  return ret;
}

/* A slot is given up: handed to the oldest request waiting (returned, to be
 * run by the caller's thread), else freed.  */
static struct request *
slot_next (struct server *s, bool exempt)
{
  struct request *r = NULL;

  pthread_mutex_lock (&s->slots_lock);
  if (exempt)
    s->exempt--;
  else if (s->queue_head)
    {
      r = s->queue_head;
      s->queue_head = r->next;
      if (s->queue_head == NULL)
        s->queue_tail = NULL;
      s->queued--;
    }
  else
    s->running--;
  slots_publish (s);
  pthread_mutex_unlock (&s->slots_lock);
  return r;
}

/* Held by a hijacked connection, past the bound if it must: the request
 * that made it has already given its slot up.  */
static void
slot_hold (struct server *s)
{
  pthread_mutex_lock (&s->slots_lock);
  s->running++;
  slots_publish (s);
  pthread_mutex_unlock (&s->slots_lock);
}

/* Runs r and, while requests wait, the oldest of them, each holding the
 * slot r had.  */
static void
work (struct server *s, struct request *r)
{
  while (r)
    {
      bool exempt = r->exempt;

      run_request (r);
      r = slot_next (s, exempt);
    }
}

static void *
worker (void *arg)
{
  struct request *r = arg;
  struct server *s = r->server;

  work (s, r);
  atomic_fetch_sub (&s->workers, 1);
  return NULL;
}

/* A 503 in the format of r's API.  */
static void
busy_response (struct mr_api_response *res, const struct request *r, const char *msg)
{
  *res = (struct mr_api_response){ .status = 503, .body = r->router->error_body (503, msg) };
  mr_api_response_header (res, "Retry-After", "%d", RETRY_AFTER);
}

/* Starts a worker thread for r, which holds a slot; where none can start,
 * r and the requests that wait are answered 503 at once.  */
static void
worker_start (struct server *s, struct request *r)
{
  while (r)
    {
      bool exempt = r->exempt;

      atomic_fetch_add (&s->workers, 1);
      if (mr_http_start_detached (worker, r) == 0)
        return;
      atomic_fetch_sub (&s->workers, 1);
      busy_response (&r->res, r, "the server is too busy: cannot start a thread");
      r->ready = true;
      MHD_resume_connection (r->conn);
      r = slot_next (s, exempt);
    }
}

/* Whether the request shows the server's token.  The comparison takes the
 * same time wherever the first difference is.  */
static bool
authorized (const struct server *s, struct MHD_Connection *conn)
{
  const char *h
      = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  size_t want = strlen (s->token), got;
  unsigned char diff = 0;

  if (h == NULL || strncasecmp (h, "Bearer ", 7) != 0)
    return false;
  h += 7;
  while (*h == ' ')
    h++;
  got = strlen (h);
  for (size_t i = 0; i < want; i++)
    diff |= (unsigned char)s->token[i] ^ (unsigned char)(i < got ? h[i] : 0);
  return diff == 0 && got == want;
}

static enum MHD_Result
send_unauthorized (struct server *s, struct MHD_Connection *conn, struct request *r)
{
  const char *msg = "a bearer token is needed: send 'Authorization: Bearer TOKEN' (the token "
                    "is in the server's --token-file)";
  struct mr_api_response res = { .status = 401, .body = r->router->error_body (401, msg) };

  mr_api_response_header (&res, "WWW-Authenticate", "Bearer realm=\"minirun\"");
  return send_response (s, conn, r, &res);
}

static enum MHD_Result
on_request (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
            const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
  struct listener *l = cls;
  struct server *s = l->s;
  struct request *r = *con_cls;
  struct mr_api_response res = { 0 };
  struct mr_api_request req;
  struct conn_state *cs;
  const char *clen;

  (void)version;
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
      r->router = mr_http_router_for (r->path);
      client_name (conn, r->client, sizeof r->client);
      r->fd = connection_fd (conn);
      *con_cls = r;
      atomic_fetch_add (&s->active, 1);
      cs = conn_state (conn);
      if (cs == NULL)
        return send_error (s, conn, r, 503, "the server is too busy: out of memory");
      if (cs->nul)
        return send_error (s, conn, r, 400, "the URL's path or query holds a NUL byte (%00)");
      if (cs->bad_utf8)
        return send_error (s, conn, r, 400, "the URL's path or query is not valid UTF-8");
      /* before the body: an unauthorized client does not get to upload.
       * The dashboard's page and CORS preflights carry no token.  */
      if (l->auth && !authorized (s, conn) && !r->router->no_auth
          && !(s->api.cors_origin && strcmp (method, "OPTIONS") == 0))
        return send_unauthorized (s, conn, r);
      /* refuse a declared oversized body before the client sends it */
      clen = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (clen && strtoull (clen, NULL, 10) > s->max_body)
        return send_error (s, conn, r, 413, "request body too large");
      return MHD_YES;
    }
  if (*upload_data_size > 0)
    {
      size_t n = *upload_data_size;
      char *grown;

      *upload_data_size = 0;
      if (r->too_large || r->status != 0)
        return MHD_YES;
      if (r->body_len + n > s->max_body)
        {
          /* the rest is read and dropped, then answered with 413 */
          r->too_large = true;
          free (r->body);
          r->body = NULL;
          return MHD_YES;
        }
      grown = realloc (r->body, r->body_len + n + 1);
      if (grown == NULL)
        return MHD_NO;
      memcpy (grown + r->body_len, upload_data, n);
      r->body = grown;
      r->body_len += n;
      r->body[r->body_len] = '\0';
      return MHD_YES;
    }
  if (r->ready)
    {
      r->ready = false;
      return send_response (s, conn, r, &r->res);
    }
  if (r->status != 0)
    return MHD_YES;
  if (r->too_large)
    return send_error (s, conn, r, 413, "request body too large");
  if (s->api.cors_origin && strcmp (method, "OPTIONS") == 0)
    return send_preflight (s, conn, r);

  if (r->router->runs_inline && r->router->runs_inline (method, url))
    {
      req = request_view (r, conn);
      r->router->handle (&s->api, &req, &res);
      return send_response (s, conn, r, &res);
    }

  /* the rest may fork, wait or stream: off the server's threads, with the
   * connection parked until the answer is ready */
  r->server = s;
  r->conn = conn;
  switch (slot_take (s, r, r->router->exempt && r->router->exempt (method, url)))
    {
    case SLOT_RUN:
      worker_start (s, r);
      break;
    case SLOT_QUEUED:
      break;
    case SLOT_REFUSED:
      atomic_fetch_add (&s->api.stats.handlers_refused, 1);
      busy_response (&res, r,
                     "the server is too busy: every request slot is taken "
                     "(see serve --max-requests); try again later");
      return send_response (s, conn, r, &res);
    }
  return MHD_YES;
}

static unsigned
method_index (const char *m)
{
  if (strcmp (m, "GET") == 0)
    return 0;
  if (strcmp (m, "POST") == 0)
    return 1;
  if (strcmp (m, "DELETE") == 0)
    return 2;
  if (strcmp (m, "HEAD") == 0)
    return 3;
  return 4;
}

static const char *const method_names[MR_HTTP_METHODS]
    = { "GET", "POST", "DELETE", "HEAD", "other" };
static const unsigned codes[MR_HTTP_CODES - 1]
    = { 101, 200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 431, 500, 503 };
/* upper bounds of the latency buckets, in microseconds */
static const unsigned long bucket_us[MR_HTTP_BUCKETS]
    = { 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000 };

static unsigned
code_index (unsigned status)
{
  for (unsigned i = 0; i < MR_HTTP_CODES - 1; i++)
    if (codes[i] == status)
      return i;
  return MR_HTTP_CODES - 1;
}

static void
stats_record (struct mr_http_stats *st, const char *method, unsigned status, unsigned long us)
{
  unsigned b;

  atomic_fetch_add (&st->requests[method_index (method)][code_index (status)], 1);
  for (b = 0; b < MR_HTTP_BUCKETS && us > bucket_us[b]; b++)
    ;
  if (b < MR_HTTP_BUCKETS)
    atomic_fetch_add (&st->buckets[b], 1);
  atomic_fetch_add (&st->count, 1);
  atomic_fetch_add (&st->sum_us, us);
}

static int
append (char **buf, size_t *len, const char *fmt, ...)
{
  va_list ap;
  char *more;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&more, fmt, ap);
  va_end (ap);
  if (n < 0)
    return -1;
  char *grown = realloc (*buf, *len + (size_t)n + 1);
  if (grown == NULL)
    {
      free (more);
      return -1;
    }
  memcpy (grown + *len, more, (size_t)n + 1);
  free (more);
  *buf = grown;
  *len += (size_t)n;
  return 0;
}

int
mr_http_stats_render (const struct mr_http_stats *st, char **buf, size_t *len)
{
  unsigned long cumulative = 0;

  if (append (buf, len,
              "# HELP minirun_http_requests_total API requests answered, by method and status.\n"
              "# TYPE minirun_http_requests_total counter\n")
      < 0)
    return -1;
  for (unsigned m = 0; m < MR_HTTP_METHODS; m++)
    for (unsigned c = 0; c < MR_HTTP_CODES; c++)
      {
        unsigned long n = atomic_load (&st->requests[m][c]);
        if (n == 0)
          continue;
        if (c < MR_HTTP_CODES - 1
                ? append (buf, len, "minirun_http_requests_total{method=\"%s\",code=\"%u\"} %lu\n",
                          method_names[m], codes[c], n)
                : append (buf, len,
                          "minirun_http_requests_total{method=\"%s\",code=\"other\"} %lu\n",
                          method_names[m], n))
          return -1;
      }
  if (append (buf, len,
              "# HELP minirun_http_request_duration_seconds Time from a request's first byte "
              "to its response.\n"
              "# TYPE minirun_http_request_duration_seconds histogram\n")
      < 0)
    return -1;
  for (unsigned b = 0; b < MR_HTTP_BUCKETS; b++)
    {
      cumulative += atomic_load (&st->buckets[b]);
      if (append (buf, len, "minirun_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
                  (double)bucket_us[b] / 1e6, cumulative)
          < 0)
        return -1;
    }
  if (append (buf, len,
              "minirun_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
              "minirun_http_request_duration_seconds_sum %.6f\n"
              "minirun_http_request_duration_seconds_count %lu\n",
              atomic_load (&st->count), (double)atomic_load (&st->sum_us) / 1e6,
              atomic_load (&st->count))
      < 0)
    return -1;
  return append (buf, len,
                 "# HELP minirun_http_handlers_running Requests running on a handler thread.\n"
                 "# TYPE minirun_http_handlers_running gauge\n"
                 "minirun_http_handlers_running %u\n"
                 "# HELP minirun_http_handlers_queued Requests waiting for a handler thread.\n"
                 "# TYPE minirun_http_handlers_queued gauge\n"
                 "minirun_http_handlers_queued %u\n"
                 "# HELP minirun_http_handlers_refused_total Requests refused with 503: every "
                 "handler thread busy and the queue full.\n"
                 "# TYPE minirun_http_handlers_refused_total counter\n"
                 "minirun_http_handlers_refused_total %lu\n",
                 atomic_load (&st->handlers_running), atomic_load (&st->handlers_queued),
                 atomic_load (&st->handlers_refused));
}

static void
on_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
              enum MHD_RequestTerminationCode toe)
{
  struct listener *l = cls;
  struct server *s = l->s;
  struct request *r = *con_cls;
  struct timespec now;
  char line[1200];
  unsigned long us;

  struct conn_state *cs = conn_state (conn);

  /* the next request on the connection is decoded afresh */
  if (cs)
    *cs = (struct conn_state){ 0 };
  if (r == NULL)
    return;
  *con_cls = NULL;
  clock_gettime (CLOCK_MONOTONIC, &now);
  us = (unsigned long)((now.tv_sec - r->t0.tv_sec) * 1000000L
                       + (now.tv_nsec - r->t0.tv_nsec) / 1000);
  if (r->status == 0 && toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
    r->status = 408;
  stats_record (&s->api.stats, r->method, r->status, us);
  if (s->opts->log)
    {
      snprintf (line, sizeof line, "%s %.900s %u %zu %.1fms %s", r->method, r->path, r->status,
                r->bytes, (double)us / 1e3, r->client);
      s->opts->log (s->opts->log_data, line);
    }
  request_free (r);
  atomic_fetch_sub (&s->active, 1);
}

extern const char mr_asset_openapi_yaml_end[];
extern const char mr_asset_dashboard_html_end[];

size_t
mr_asset_openapi_yaml_len (void)
{
  return (size_t)(mr_asset_openapi_yaml_end - mr_asset_openapi_yaml);
}

size_t
mr_asset_dashboard_html_len (void)
{
  return (size_t)(mr_asset_dashboard_html_end - mr_asset_dashboard_html);
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
set_group (const char *path, const char *group, struct mr_error *err)
{
  struct group gr, *found = NULL;
  char buf[4096];
  char *end;
  unsigned long gid;

  errno = 0;
  gid = strtoul (group, &end, 10);
  if (*group == '\0' || *end != '\0' || errno != 0 || gid > UINT32_MAX - 1)
    {
      int e = getgrnam_r (group, &gr, buf, sizeof buf, &found);
      if (found == NULL)
        {
          mr_error_set (err, "socket group '%s': %s", group, e ? strerror (e) : "no such group");
          err->errnum = e ? e : ENOENT;
          return -1;
        }
      gid = found->gr_gid;
    }
  if (chown (path, (uid_t)-1, (gid_t)gid) < 0)
    return mr_error_errno (err, errno, "socket '%s': set group '%s'", path, group);
  return 0;
}

static int
listen_unix (const char *path, const char *group, struct mr_error *err)
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
  if (group && set_group (path, group, err) < 0)
    {
      unlink (path);
      return -1;
    }
  return steal_fd (&fd);
}

/* HOST:PORT, [IPV6]:PORT or :PORT (every address).  */
static int
listen_tcp (const char *spec, struct mr_error *err)
{
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
  struct addrinfo *ai = NULL;
  cleanup_free char *host = NULL;
  cleanup_close int fd = -1;
  const char *colon = strrchr (spec, ':');
  const char *port;
  char *end;
  unsigned long n;
  int one = 1;
  int e;

  if (colon == NULL)
    return mr_error_set (err, "invalid --listen '%s': expected HOST:PORT", spec);
  port = colon + 1;
  errno = 0;
  n = strtoul (port, &end, 10);
  if (*port < '0' || *port > '9' || *end != '\0' || errno != 0 || n > 65535)
    return mr_error_set (err, "invalid --listen '%s': the port must be 0 to 65535", spec);
  if (spec[0] == '[')
    {
      if (colon == spec || colon[-1] != ']')
        return mr_error_set (err, "invalid --listen '%s': expected [ADDRESS]:PORT", spec);
      host = strndup (spec + 1, (size_t)(colon - spec - 2));
      hints.ai_flags |= AI_NUMERICHOST;
    }
  else
    host = strndup (spec, (size_t)(colon - spec));
  if (host == NULL)
    return mr_error_errno (err, ENOMEM, "--listen '%s'", spec);
  e = getaddrinfo (*host ? host : NULL, port, &hints, &ai);
  if (e != 0)
    {
      mr_error_set (err, "invalid --listen '%s': %s", spec, gai_strerror (e));
      err->errnum = EINVAL;
      return -1;
    }
  fd = socket (ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    {
      freeaddrinfo (ai);
      return mr_error_errno (err, errno, "listen on '%s': socket", spec);
    }
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind (fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen (fd, 128) < 0)
    {
      e = errno;
      freeaddrinfo (ai);
      return mr_error_errno (err, e, "listen on '%s'", spec);
    }
  freeaddrinfo (ai);
  return steal_fd (&fd);
}

/* "unix:PATH", "http://ADDRESS:PORT" or "https://...", for the log.  */
static void
describe_listener (int fd, bool tls, char *buf, size_t size)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;

  if (getsockname (fd, (struct sockaddr *)&ss, &len) < 0)
    {
      snprintf (buf, size, "fd %d", fd);
      return;
    }
  if (ss.ss_family == AF_UNIX)
    {
      const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
      snprintf (buf, size, "unix:%.108s", len > sizeof (sa_family_t) ? un->sun_path : "(unnamed)");
      return;
    }
  if (ss.ss_family == AF_INET)
    {
      const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
      inet_ntop (AF_INET, &in->sin_addr, host, sizeof host);
      port = ntohs (in->sin_port);
      snprintf (buf, size, "%s://%s:%u", tls ? "https" : "http", host, port);
    }
  else
    {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
      inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof host);
      port = ntohs (in6->sin6_port);
      snprintf (buf, size, "%s://[%s]:%u", tls ? "https" : "http", host, port);
    }
}

static bool
is_unix_socket (int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;

  return getsockname (fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_UNIX;
}

/* The token of the TCP listeners: read from path, or made there (0600,
 * 32 random bytes in hex) when absent.  A file others can read is refused,
 * as ssh refuses a readable private key.  */
static int
load_token (const char *path, char **out, struct mr_error *err)
{
  cleanup_free char *data = NULL;
  cleanup_close int fd = -1;
  unsigned char raw[32];
  char hex[2 * sizeof raw + 2];
  struct stat st;
  size_t len = 0;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    {
      cleanup_free char *dir = strdup (path);
      char *slash = dir ? strrchr (dir, '/') : NULL;

      if (dir == NULL)
        return mr_error_errno (err, ENOMEM, "token file '%s'", path);
      if (slash && slash != dir)
        {
          *slash = '\0';
          if (mr_mkdir_p (dir, 0700, err) < 0)
            return -1;
        }
      if (getrandom (raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return mr_error_errno (err, errno, "token file '%s': getrandom", path);
      for (size_t i = 0; i < sizeof raw; i++)
        snprintf (hex + 2 * i, 3, "%02x", raw[i]);
      explicit_bzero (raw, sizeof raw);
      fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        return mr_error_errno (err, errno, "create token file '%s'", path);
      strcat (hex, "\n");
      if (mr_write_all (fd, hex, strlen (hex)) < 0 || fsync (fd) < 0)
        {
          int e = errno;
          unlink (path);
          return mr_error_errno (err, e, "write token file '%s'", path);
        }
      hex[2 * sizeof raw] = '\0';
      *out = strdup (hex);
      explicit_bzero (hex, sizeof hex);
      if (*out == NULL)
        return mr_error_errno (err, ENOMEM, "token file '%s'", path);
      return 0;
    }
  if (fd < 0)
    return mr_error_errno (err, errno, "open token file '%s'", path);
  if (fstat (fd, &st) < 0)
    return mr_error_errno (err, errno, "stat token file '%s'", path);
  if (!S_ISREG (st.st_mode))
    return mr_error_set (err, "token file '%s' is not a regular file", path);
  if (st.st_mode & 077)
    {
      mr_error_set (err, "token file '%s' is open to others (mode %04o): chmod 600 it", path,
                    (unsigned)(st.st_mode & 07777));
      err->errnum = EPERM;
      return -1;
    }
  close (steal_fd (&fd));
  if (mr_read_file (path, &data, &len, err) < 0)
    return -1;
  while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
    data[--len] = '\0';
  if (len < 16 || strlen (data) != len || strpbrk (data, " \t\r\n"))
    return mr_error_set (
        err, "token file '%s': the token must be one line of 16 or more characters", path);
  *out = steal_pointer (&data);
  return 0;
}

/* Waits for the requests under way, at most timeout seconds.  */
static bool
drain (struct server *s, unsigned timeout)
{
  for (unsigned i = 0; i < timeout * 20; i++)
    {
      if (atomic_load (&s->active) == 0 && atomic_load (&s->workers) == 0)
        return true;
      poll (NULL, 0, 50);
    }
  return false;
}

/* The connection limit, counted over the whole listener: libmicrohttpd
 * splits its own limit between its threads.  */
static enum MHD_Result
on_accept (void *cls, const struct sockaddr *addr, socklen_t len)
{
  struct listener *l = cls;

  (void)addr;
  (void)len;
  return atomic_load (&l->connections) < l->limit ? MHD_YES : MHD_NO;
}

static void
on_connection (void *cls, struct MHD_Connection *conn, void **socket_context,
               enum MHD_ConnectionNotificationCode code)
{
  struct listener *l = cls;

  (void)conn;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    {
      atomic_fetch_add (&l->connections, 1);
      *socket_context = calloc (1, sizeof (struct conn_state));
    }
  else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
    {
      atomic_fetch_sub (&l->connections, 1);
      free (*socket_context);
      *socket_context = NULL;
    }
}

/* The backend as mr_system_info names it, once: /health must be cheap.  */
static char *
cgroup_backend (struct mr_context *ctx)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };
  json_t *doc;
  char *backend = NULL;

  if (mr_system_info (ctx, &info, &err) < 0)
    return NULL;
  doc = json_loads (info, 0, NULL);
  if (doc && json_is_string (json_object_get (doc, "cgroup_backend")))
    backend = strdup (json_string_value (json_object_get (doc, "cgroup_backend")));
  json_decref (doc);
  return backend;
}

struct stopper
{
  struct mr_context *ctx;
  char *name;
  int timeout;
  pthread_t thread;
  bool started;
};

static void *
stop_one (void *arg)
{
  struct stopper *st = arg;
  struct mr_error err = { 0 };

  mr_container_stop (st->ctx, st->name, st->timeout, &err);
  return NULL;
}

/* --stop-containers-on-exit: every running managed container is stopped,
 * all at once (each with its stop signal, grace period and SIGKILL).  */
static void
stop_containers (struct server *s)
{
  struct mr_container_info *list = NULL;
  struct stopper *st;
  struct mr_error err = { 0 };
  char line[320];
  size_t n = 0;

  if (mr_container_list (s->api.ctx, &list, &n, &err) < 0)
    {
      if (s->opts->log)
        {
          snprintf (line, sizeof line, "cannot list the containers to stop: %.250s", err.msg);
          s->opts->log (s->opts->log_data, line);
        }
      return;
    }
  st = calloc (n ? n : 1, sizeof *st);
  for (size_t i = 0; st && i < n; i++)
    {
      if (!list[i].managed || list[i].status != MR_STATUS_RUNNING)
        continue;
      st[i] = (struct stopper){ .ctx = s->api.ctx,
                                .name = list[i].id,
                                .timeout = s->opts->stop_timeout };
      if (s->opts->log)
        {
          snprintf (line, sizeof line, "stopping %s", list[i].id);
          s->opts->log (s->opts->log_data, line);
        }
      st[i].started = pthread_create (&st[i].thread, NULL, stop_one, &st[i]) == 0;
      if (!st[i].started)
        stop_one (&st[i]);
    }
  for (size_t i = 0; st && i < n; i++)
    if (st[i].started)
      pthread_join (st[i].thread, NULL);
  free (st);
  mr_container_info_free (list, n);
}

int
mr_serve (struct mr_context *ctx, const struct mr_serve_opts *opts, struct mr_error *err)
{
  cleanup_free char *default_path = NULL;
  cleanup_free char *token_path = NULL;
  cleanup_free char *cert = NULL;
  cleanup_free char *key = NULL;
  cleanup_free struct listener *ls = NULL;
  struct server s = { .opts = opts };
  unsigned max_requests = opts->max_requests ? opts->max_requests : DEFAULT_MAX_REQUESTS;
  const char *path = opts->socket_path;
  unsigned timeout = opts->timeout ? opts->timeout : DEFAULT_TIMEOUT;
  struct pollfd pfd = { .fd = opts->stop_fd, .events = POLLIN };
  size_t n = 0, max;
  char line[320];
  bool drained = true;
  void *watcher = NULL;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  int ret = -1;

  if (opts->stop_fd < 0)
    return mr_error_set (err, "serve: no stop descriptor");
  if ((opts->tls_cert == NULL) != (opts->tls_key == NULL))
    return mr_error_set (err, "TLS needs both a certificate and a key (--tls-cert and --tls-key)");
  if (opts->tls_cert)
    {
      size_t len;
      if (mr_read_file (opts->tls_cert, &cert, &len, err) < 0
          || mr_read_file (opts->tls_key, &key, &len, err) < 0)
        return -1;
    }
  if (path == NULL && opts->n_listen_fds == 0)
    {
      if (mr_asprintf (err, &default_path, "%s/minirun.sock", ctx->root) < 0)
        return -1;
      path = default_path;
    }
  /* opened here, once, so that the request threads never race to open it */
  if (mr_context_rootfd (ctx, err) < 0)
    return -1;

  max = opts->n_listen_fds + opts->n_listen + 1;
  ls = calloc (max, sizeof *ls);
  if (ls == NULL)
    return mr_error_errno (err, ENOMEM, "serve");
  s.api.ctx = ctx;
  s.api.cors_origin = opts->cors_origin;
  s.max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
  clock_gettime (CLOCK_MONOTONIC, &s.api.started);
  atomic_init (&s.active, 0);
  atomic_init (&s.workers, 0);
  pthread_mutex_init (&s.slots_lock, NULL);
  s.max_running = max_requests;
  s.max_queued = max_requests / 4 ? max_requests / 4 : 1;
  atomic_init (&s.api.stopping, false);
  atomic_init (&s.api.generation, 0);
  pthread_mutex_init (&s.api.lock, NULL);
  pthread_mutex_init (&s.api.cache_lock, NULL);
  pthread_cond_init (&s.api.cache_read, NULL);
  s.api.cgroup_backend = cgroup_backend (ctx);

  /* every listener is made before any serves: a bad one fails the start */
  for (size_t i = 0; i < opts->n_listen_fds; i++)
    {
      int fd = opts->listen_fds[i];
      ls[n++] = (struct listener){ .s = &s, .fd = fd, .auth = !is_unix_socket (fd) };
      fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
      fcntl (fd, F_SETFD, FD_CLOEXEC);
    }
  if (path)
    {
      int fd = listen_unix (path, opts->socket_group, err);
      if (fd < 0)
        goto out;
      ls[n++] = (struct listener){ .s = &s, .fd = fd, .unlink_path = (char *)path };
    }
  for (size_t i = 0; i < opts->n_listen; i++)
    {
      int fd = listen_tcp (opts->listen[i], err);
      if (fd < 0)
        goto out;
      ls[n++] = (struct listener){ .s = &s, .fd = fd, .auth = true };
    }
  for (size_t i = 0; i < n; i++)
    {
      ls[i].tls = ls[i].auth && cert != NULL;
      if (opts->insecure_no_auth)
        ls[i].auth = false;
      if (ls[i].auth && s.token == NULL)
        {
          if (opts->token_file == NULL
              && mr_asprintf (err, &token_path, "%s/api-token", mr_context_data_dir (ctx)) < 0)
            goto out;
          if (load_token (opts->token_file ? opts->token_file : token_path, &s.token, err) < 0)
            goto out;
          s.api.auth = true;
        }
    }

  for (size_t i = 0; i < n; i++)
    {
      unsigned pool = cpus < 2 ? 2u : cpus > 8 ? 8u : (unsigned)cpus;

      ls[i].limit = opts->max_connections ? opts->max_connections : DEFAULT_MAX_CONNECTIONS;
      atomic_init (&ls[i].connections, 0);
      unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO
                       | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE;
      if (ls[i].tls)
        flags |= MHD_USE_TLS;
      describe_listener (ls[i].fd, ls[i].tls, ls[i].name, sizeof ls[i].name);
      ls[i].d = MHD_start_daemon (
          flags, 0, on_accept, &ls[i], on_request, &ls[i], MHD_OPTION_LISTEN_SOCKET,
          (MHD_socket)ls[i].fd, MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_CONNECTION_LIMIT,
          ls[i].limit * pool, MHD_OPTION_NOTIFY_CONNECTION, on_connection, &ls[i],
          MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
          (size_t)CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &ls[i],
          MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL, MHD_OPTION_HTTPS_MEM_CERT,
          ls[i].tls ? cert : NULL, MHD_OPTION_HTTPS_MEM_KEY, ls[i].tls ? key : NULL,
          MHD_OPTION_END);
      if (ls[i].d == NULL)
        {
          mr_error_set (err, "cannot start the HTTP server on %s%s", ls[i].name,
                        ls[i].tls ? " (is the TLS certificate and key a valid PEM pair?)" : "");
          goto out;
        }
    }
  /* said once every listener is up: a start that fails says nothing */
  for (size_t i = 0; i < n && opts->log; i++)
    {
      snprintf (line, sizeof line, "listening on %s%s", ls[i].name,
                ls[i].auth ? " (token required)" : "");
      opts->log (opts->log_data, line);
    }

  watcher = mr_api_watch_start (&s.api);
  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
  /* stop accepting, let the requests under way finish, then stop */
  atomic_store (&s.api.stopping, true);
  for (size_t i = 0; i < n; i++)
    if (ls[i].d)
      {
        int fd = MHD_quiesce_daemon (ls[i].d);
        if (ls[i].unlink_path)
          unlink (ls[i].unlink_path);
        ls[i].unlink_path = NULL;
        if (fd >= 0)
          close (fd);
        ls[i].fd = -1;
      }
  drained = drain (&s, timeout);
  if (opts->stop_containers_on_exit)
    stop_containers (&s);
  ret = 0;

out:
  for (size_t i = 0; i < n; i++)
    {
      /* a daemon with a parked connection cannot be stopped safely: a
       * handler that outlived the grace period is left to the exit */
      if (ls[i].d && drained)
        MHD_stop_daemon (ls[i].d);
      else if (ls[i].d)
        ;
      else if (ls[i].fd >= 0)
        close (ls[i].fd);
      if (ls[i].unlink_path)
        unlink (ls[i].unlink_path);
    }
  if (s.token)
    explicit_bzero (s.token, strlen (s.token));
  free (s.token);
  if (key)
    explicit_bzero (key, strlen (key));
  if (drained)
    {
      mr_api_watch_stop (&s.api, watcher);
      pthread_mutex_destroy (&s.api.cache_lock);
      pthread_cond_destroy (&s.api.cache_read);
      pthread_mutex_destroy (&s.api.lock);
      pthread_mutex_destroy (&s.slots_lock);
    }
  free (s.api.cgroup_backend);
  return ret;
}
