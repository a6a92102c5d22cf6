/* The HTTP/JSON API server.  It is not part of libminirun: it lives in the
 * minirun-serve program, which `minirun serve` executes, so that no other
 * verb's process maps libmicrohttpd and the TLS stack it pulls in.  */
#ifndef MR_HTTP_SERVE_H
#define MR_HTTP_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "minirun.h"

/* The HTTP/JSON API (`minirun serve`) on a unix socket, served by a pool
 * of threads until stop_fd becomes readable (a signalfd, say): then no new
 * connection is accepted, the requests under way finish, the socket file
 * is removed and the call returns 0.  Containers keep running.  */
struct mr_serve_opts
{
  size_t size;
  /* The unix socket; NULL: <root>/minirun.sock.  Mode 0660, owned by
   * socket_group when given (a group name or number).  No socket is made
   * when listen_fds are given and socket_path is NULL.  */
  const char *socket_path;
  const char *socket_group;
  /* TCP listeners, "HOST:PORT" ("[::1]:PORT" for IPv6).  */
  const char *const *listen;
  size_t n_listen;
  /* Sockets already listening (systemd's LISTEN_FDS), unix or TCP.  */
  const int *listen_fds;
  size_t n_listen_fds;
  /* TCP clients must send "Authorization: Bearer TOKEN"; the token is
   * read from token_file (NULL: <data dir>/api-token), which is made,
   * mode 0600, with a random token when absent.  insecure_no_auth turns
   * this off; unix sockets are guarded by their file mode instead.  */
  const char *token_file;
  bool insecure_no_auth;
  /* HTTPS on the TCP listeners: PEM files; both or neither.  */
  const char *tls_cert;
  const char *tls_key;
  const char *cors_origin;  /* Access-Control-Allow-Origin; NULL: none */
  int stop_fd;              /* required: readable when the server must stop */
  size_t max_body;          /* bytes; larger bodies get 413.  0: 1 MiB */
  unsigned max_connections; /* 0: 64 per listener */
  /* Requests whose handlers run at once, on threads of their own (every
   * request but the cheap reads: exec, wait, streams, changes), over all
   * listeners; a quarter as many more (at least one) wait for a free one,
   * the rest are refused with 503 and Retry-After.  0: 64.  */
  unsigned max_requests;
  unsigned timeout; /* seconds an idle connection is kept; 0: 30 */
  /* On stop, running containers get their stop signal, stop_timeout
   * seconds (-1: each container's own), then SIGKILL.  */
  bool stop_containers_on_exit;
  int stop_timeout;
  /* One line per request: method, path, status, bytes, milliseconds,
   * client.  Called from the serving threads; NULL: none.  */
  void (*log) (void *data, const char *line);
  void *log_data;
};
int mr_serve (struct mr_context *ctx, const struct mr_serve_opts *opts, struct mr_error *err);

#endif
