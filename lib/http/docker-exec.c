/* Docker's exec: instances live in a small table: created, then started
 * once, over a hijacked connection or not; their exit code stays readable
 * until the table needs the room.  */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

#define EXEC_MAX 64

struct exec_entry
{
  bool used;
  char id[65];
  char *container;
  json_t *cmd, *env; /* arrays of strings */
  char *user, *workdir;
  bool attach_stdout, attach_stderr;
  bool started, running;
  int exit_code;
  uint64_t seq;
};

static struct exec_entry exec_table[EXEC_MAX];
static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t exec_seq;

static void
exec_entry_clear (struct exec_entry *e)
{
  free (e->container);
  json_decref (e->cmd);
  json_decref (e->env);
  free (e->user);
  free (e->workdir);
  memset (e, 0, sizeof *e);
}

/* A free slot, or the oldest finished one; NULL when every one is in use.
 * Called with exec_lock held.  */
static struct exec_entry *
exec_slot (void)
{
  struct exec_entry *oldest = NULL;

  for (size_t i = 0; i < EXEC_MAX; i++)
    {
      struct exec_entry *e = &exec_table[i];
      if (!e->used)
        return e;
      if (!e->running && (oldest == NULL || e->seq < oldest->seq))
        oldest = e;
    }
  if (oldest)
    exec_entry_clear (oldest);
  return oldest;
}

static struct exec_entry *
exec_find (const char *id)
{
  for (size_t i = 0; i < EXEC_MAX; i++)
    if (exec_table[i].used && strcmp (exec_table[i].id, id) == 0)
      return &exec_table[i];
  return NULL;
}

/* Cmd, a string or a non-empty array of strings, as an array (a new
   reference); NULL: refused.  */
static json_t *
exec_command (struct dreq *d, const json_t *body)
{
  json_t *cmd = json_object_get (body, "Cmd");
  json_t *v;
  size_t i;

  if (json_is_string (cmd))
    cmd = json_pack ("[O]", cmd);
  else if (json_is_array (cmd) && json_array_size (cmd) > 0)
    json_incref (cmd);
  else
    return docker_fail (d, 400, "No exec command specified"), NULL;
  json_array_foreach (cmd, i, v) if (!json_is_string (v))
  {
    json_decref (cmd);
    return docker_fail (d, 400, "invalid Cmd: expected an array of strings"), NULL;
  }
  return cmd;
}

/* Env, and no terminal, input or privileges asked for.  */
static bool
exec_options_valid (struct dreq *d, const json_t *body)
{
  json_t *env = json_object_get (body, "Env");
  json_t *v;
  size_t i;

  if (env && !json_is_null (env) && !json_is_array (env))
    return docker_fail (d, 400, "invalid Env: expected an array of strings"), false;
  json_array_foreach (env, i, v) if (!json_is_string (v)) return docker_fail (
      d, 400, "invalid Env: expected an array of strings"),
      false;
  if (json_is_true (json_object_get (body, "Tty"))
      || json_is_true (json_object_get (body, "AttachStdin")))
    return docker_fail (d, 400,
                        "an exec with a terminal or standard input is not supported by minirun "
                        "serve: its output is captured"),
           false;
  if (json_is_true (json_object_get (body, "Privileged")))
    return docker_fail (d, 400, "a privileged exec is not supported by minirun serve"), false;
  return true;
}

/* Whether the container runs; rnd filled for the instance's id.  */
static bool
exec_can_start (struct dreq *d, const char *name, unsigned char *rnd, size_t len)
{
  if (!docker_container_running (d->api, name))
    return docker_fail (d, 409, "container %s is not running", name), false;
  if (getrandom (rnd, len, 0) != (ssize_t)len)
    return docker_fail (d, 500, "getrandom: %s", strerror (errno)), false;
  return true;
}

void
docker_post_exec_create (struct dreq *d, const char *name)
{
  cleanup_json json_t *body = NULL;
  struct exec_entry *e;
  unsigned char rnd[32];
  json_t *cmd, *env, *v;
  const char *user, *workdir;
  json_error_t jerr;
  size_t i;

  body = d->req->body ? json_loads (d->req->body, 0, &jerr) : NULL;
  if (!json_is_object (body))
    return docker_fail (d, 400, "invalid JSON body: %s",
                        d->req->body ? (body ? "expected an object" : jerr.text) : "no body");
  cmd = exec_command (d, body);
  if (cmd == NULL)
    return;
  env = json_object_get (body, "Env");
  if (!exec_options_valid (d, body) || !exec_can_start (d, name, rnd, sizeof rnd))
    {
      json_decref (cmd);
      return;
    }
  user = json_string_value (json_object_get (body, "User"));
  workdir = json_string_value (json_object_get (body, "WorkingDir"));
  pthread_mutex_lock (&exec_lock);
  e = exec_slot ();
  if (e == NULL)
    {
      pthread_mutex_unlock (&exec_lock);
      json_decref (cmd);
      return docker_fail (d, 503, "too many exec instances running (%d)", EXEC_MAX);
    }
  e->used = true;
  for (i = 0; i < sizeof rnd; i++)
    snprintf (e->id + 2 * i, 3, "%02x", rnd[i]);
  e->container = strdup (name);
  e->cmd = cmd;
  e->env = env ? json_incref (env) : NULL;
  e->user = user && *user ? strdup (user) : NULL;
  e->workdir = workdir && *workdir ? strdup (workdir) : NULL;
  v = json_object_get (body, "AttachStdout");
  e->attach_stdout = v == NULL || json_is_true (v);
  v = json_object_get (body, "AttachStderr");
  e->attach_stderr = v == NULL || json_is_true (v);
  e->exit_code = -1;
  e->seq = ++exec_seq;
  docker_reply (d, 201, json_pack ("{s:s}", "Id", e->id));
  pthread_mutex_unlock (&exec_lock);
}

/* What one exec start runs: a copy of its entry.  */
struct exec_run
{
  struct mr_api *api;
  char id[65];
  char *container;
  json_t *cmd, *env;
  char *user, *workdir;
  bool out, err; /* attached */
};

static void
exec_run_free (void *data)
{
  struct exec_run *r = data;

  if (r == NULL)
    return;
  free (r->container);
  json_decref (r->cmd);
  json_decref (r->env);
  free (r->user);
  free (r->workdir);
  free (r);
}

/* A capture's cancel: the client of the request (data) has left.  */
static bool
client_gone (void *data)
{
  return mr_api_client_gone (data);
}

/* Runs the exec, its output captured; the exit code goes to the table.
   req: the request whose response carries the output, which ends the
   process if its client leaves; NULL where none does (detached, or a
   hijacked connection, whose client may shut its side down once its input
   is sent).  */
static int
exec_execute (struct exec_run *r, const struct mr_api_request *req, struct mr_exec_result *res,
              struct mr_error *err)
{
  struct mr_exec_opts o = { .size = sizeof o };
  struct mr_exec_capture_opts co = { .size = sizeof co,
                                     .max_output = 16 * 1024 * 1024,
                                     .cancel = req ? client_gone : NULL,
                                     .cancel_data = (void *)req };
  size_t nargs = json_array_size (r->cmd), nenv = json_array_size (r->env);
  cleanup_free const char **args = calloc (nargs + 1, sizeof *args);
  cleanup_free const char **env = calloc (nenv + 1, sizeof *env);
  struct exec_entry *e;
  int ret;

  res->size = sizeof *res;
  res->exit_code = -1;
  if (args == NULL || env == NULL)
    ret = mr_error_errno (err, ENOMEM, "exec in '%s'", r->container);
  else if (r->user && mr_exec_user_parse (r->user, &o) < 0)
    ret = mr_error_set (err, "exec in '%s': invalid user '%s': give UID[:GID]", r->container,
                        r->user);
  else
    {
      for (size_t i = 0; i < nargs; i++)
        args[i] = json_string_value (json_array_get (r->cmd, i));
      for (size_t i = 0; i < nenv; i++)
        env[i] = json_string_value (json_array_get (r->env, i));
      o.args = args;
      o.env = env;
      o.cwd = r->workdir;
      ret = mr_container_exec_capture (r->api->ctx, r->container, &o, &co, res, err);
      if (ret < 0 && res->exit_code < 0)
        res->exit_code = 126;
    }
  if (ret < 0 && res->exit_code < 0)
    res->exit_code = 126;
  pthread_mutex_lock (&exec_lock);
  e = exec_find (r->id);
  if (e)
    {
      e->running = false;
      e->exit_code = res->exit_code;
    }
  pthread_mutex_unlock (&exec_lock);
  return ret;
}

static void
exec_write (struct exec_run *r, int fd, const struct mr_exec_result *res, int ret,
            const struct mr_error *err)
{
  if (r->out && res->stdout_len)
    docker_send_frame (fd, 1, res->stdout_data, res->stdout_len);
  if (r->err && res->stderr_len)
    docker_send_frame (fd, 2, res->stderr_data, res->stderr_len);
  if (ret < 0)
    {
      char line[MR_ERROR_MSG_MAX + 32];
      int n = snprintf (line, sizeof line, "minirun exec failed: %s\n", err->msg);
      docker_send_frame (fd, 2, line, (size_t)n);
    }
}

static void
exec_upgraded (void *data, int fd)
{
  struct exec_run *r = data;
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };
  int ret = exec_execute (r, NULL, &res, &err);

  exec_write (r, fd, &res, ret, &err);
  mr_exec_result_clear (&res);
}

static void *
exec_detached (void *data)
{
  struct exec_run *r = data;
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };

  exec_execute (r, NULL, &res, &err);
  mr_exec_result_clear (&res);
  exec_run_free (r);
  return NULL;
}

/* A body read whole, for a start without the upgrade: the frames.  */
static int
frames_to_body (struct exec_run *r, struct dreq *d)
{
  struct mr_exec_result res = { .size = sizeof res };
  struct mr_error err = { 0 };
  int ret = exec_execute (r, d->req, &res, &err);
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  f = open_memstream (&buf, &len);
  if (f)
    {
      const struct
      {
        bool on;
        int stream;
        const char *data;
        size_t len;
      } parts[] = { { r->out, 1, res.stdout_data, res.stdout_len },
                    { r->err, 2, res.stderr_data, res.stderr_len } };
      for (size_t i = 0; i < 2; i++)
        if (parts[i].on && parts[i].len)
          {
            unsigned char hdr[8] = { (unsigned char)parts[i].stream,
                                     0,
                                     0,
                                     0,
                                     (unsigned char)(parts[i].len >> 24),
                                     (unsigned char)(parts[i].len >> 16),
                                     (unsigned char)(parts[i].len >> 8),
                                     (unsigned char)parts[i].len };
            fwrite (hdr, 1, sizeof hdr, f);
            fwrite (parts[i].data, 1, parts[i].len, f);
          }
      if (ret < 0)
        {
          char line[MR_ERROR_MSG_MAX + 32];
          int n = snprintf (line, sizeof line, "minirun exec failed: %s\n", err.msg);
          unsigned char hdr[8] = { 2, 0, 0, 0, 0, 0, (unsigned char)(n >> 8), (unsigned char)n };
          fwrite (hdr, 1, sizeof hdr, f);
          fwrite (line, 1, (size_t)n, f);
        }
      fclose (f);
    }
  mr_exec_result_clear (&res);
  if (buf == NULL)
    return docker_fail (d, 500, "out of memory"), -1;
  d->res->status = 200;
  d->res->body = buf;
  d->res->body_len = len;
  d->res->content_type = "application/vnd.docker.raw-stream";
  if (len == 0)
    {
      free (buf);
      d->res->body = NULL;
      d->res->static_body = "";
    }
  return 0;
}

static bool
wants_upgrade (struct dreq *d)
{
  const char *up = d->req->header (d->req->conn, "Upgrade");
  return up && strcasecmp (up, "tcp") == 0;
}

void
docker_post_exec_start (struct dreq *d, const char *id)
{
  cleanup_json json_t *body = NULL;
  struct exec_run *r;
  struct exec_entry *e;
  bool detach = false;

  body = d->req->body && d->req->body_len ? json_loads (d->req->body, 0, NULL) : NULL;
  if (d->req->body && d->req->body_len && !json_is_object (body))
    return docker_fail (d, 400, "invalid JSON body: expected an object");
  detach = json_is_true (json_object_get (body, "Detach"));
  if (json_is_true (json_object_get (body, "Tty")))
    return docker_fail (d, 400, "an exec with a terminal is not supported by minirun serve");
  r = calloc (1, sizeof *r);
  if (r == NULL)
    return docker_fail (d, 500, "out of memory");
  r->api = d->api;
  pthread_mutex_lock (&exec_lock);
  e = exec_find (id);
  if (e == NULL || e->started)
    {
      pthread_mutex_unlock (&exec_lock);
      free (r);
      if (e == NULL)
        return docker_fail (d, 404, "No such exec instance: %s", id);
      return docker_fail (d, 409, "exec instance %s has already been started", id);
    }
  e->started = e->running = true;
  snprintf (r->id, sizeof r->id, "%s", e->id);
  r->container = strdup (e->container);
  r->cmd = json_incref (e->cmd);
  r->env = json_incref (e->env);
  r->user = e->user ? strdup (e->user) : NULL;
  r->workdir = e->workdir ? strdup (e->workdir) : NULL;
  r->out = e->attach_stdout;
  r->err = e->attach_stderr;
  pthread_mutex_unlock (&exec_lock);
  if (r->container == NULL)
    {
      exec_run_free (r);
      return docker_fail (d, 500, "out of memory");
    }
  if (detach)
    {
      int ret = mr_http_start_detached (exec_detached, r);
      if (ret != 0)
        {
          exec_run_free (r);
          return docker_fail (d, 500, "cannot start a thread: %s", strerror (ret));
        }
      return docker_reply_empty (d, 200);
    }
  if (wants_upgrade (d))
    {
      d->res->upgrade = exec_upgraded;
      d->res->stream_data = r;
      d->res->stream_free = exec_run_free;
      mr_api_response_header (d->res, "Upgrade", "tcp");
      mr_api_response_header (d->res, "Content-Type", "%s",
                              d->minor >= 42 ? "application/vnd.docker.multiplexed-stream"
                                             : "application/vnd.docker.raw-stream");
      return;
    }
  frames_to_body (r, d);
  exec_run_free (r);
}

void
docker_get_exec (struct dreq *d, const char *id)
{
  struct exec_entry *e;
  json_t *args, *doc;

  pthread_mutex_lock (&exec_lock);
  e = exec_find (id);
  if (e == NULL)
    {
      pthread_mutex_unlock (&exec_lock);
      return docker_fail (d, 404, "No such exec instance: %s", id);
    }
  args = json_array ();
  for (size_t i = 1; i < json_array_size (e->cmd); i++)
    json_array_append (args, json_array_get (e->cmd, i));
  doc = json_pack ("{s:s, s:b, s:o, s:{s:b, s:O, s:o, s:b, s:s}, s:b, s:b, s:b, s:b, s:s, "
                   "s:s, s:i}",
                   "ID", e->id, "Running", e->running, "ExitCode",
                   e->started && !e->running ? json_integer (e->exit_code) : json_null (),
                   "ProcessConfig", "tty", 0, "entrypoint", json_array_get (e->cmd, 0), "arguments",
                   args, "privileged", 0, "user", e->user ? e->user : "", "OpenStdin", 0,
                   "OpenStdout", e->attach_stdout, "OpenStderr", e->attach_stderr, "CanRemove", 0,
                   "ContainerID", e->container, "DetachKeys", "", "Pid", 0);
  pthread_mutex_unlock (&exec_lock);
  docker_reply (d, 200, doc);
}
