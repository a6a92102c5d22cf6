#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
/* the event log records what the OCI core reports through ctx->event */
#include "managed/events.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"

const char *
mr_version (void)
{
  return PACKAGE_VERSION;
}

int
mr_context_new (const struct mr_context_opts *opts, struct mr_context **out, struct mr_error *err)
{
  cleanup_free struct mr_context *ctx = calloc (1, sizeof *ctx);
  const char *root = opts ? opts->root : NULL;
  int r = 0;

  if (ctx == NULL)
    return mr_error_errno (err, ENOMEM, "context");
  ctx->rootfd = -1;
  ctx->event = mr_event_from_core;
  if (opts != NULL && opts->size >= offsetof (struct mr_context_opts, warn_data) + sizeof (void *))
    {
      ctx->warn = opts->warn;
      ctx->warn_data = opts->warn_data;
    }
  if (opts != NULL)
    {
      ctx->systemd_cgroup = opts->systemd_cgroup;
      ctx->rootless = opts->rootless;
    }
  if (opts != NULL
      && opts->size >= offsetof (struct mr_context_opts, monitor_path) + sizeof (void *)
      && opts->monitor_path != NULL)
    ctx->monitor_path = strdup (opts->monitor_path);
  else
    ctx->monitor_path = strdup (BINDIR "/minirun");
  if (ctx->monitor_path == NULL)
    return mr_error_errno (err, ENOMEM, "context");
  ctx->root_given = root != NULL && *root != '\0';
  if (root == NULL || *root == '\0')
    {
      const char *xdg = getenv ("XDG_RUNTIME_DIR");
      if (geteuid () != 0 && xdg != NULL && *xdg == '/')
        {
          if (mr_asprintf (err, &ctx->root, "%s/minirun", xdg) < 0)
            return -1;
        }
      else
        ctx->root = strdup ("/run/minirun");
    }
  else if (root[0] != '/')
    {
      cleanup_free char *cwd = getcwd (NULL, 0);
      if (cwd == NULL)
        return mr_error_errno (err, errno, "root '%s': getcwd", root);
      if (mr_asprintf (err, &ctx->root, "%s/%s", cwd, root) < 0)
        return -1;
    }
  else
    ctx->root = strdup (root);
  if (ctx->root == NULL)
    return mr_error_errno (err, ENOMEM, "context");
  if ((root == NULL || *root == '\0') && geteuid () == 0)
    ctx->data_dir = strdup ("/var/lib/minirun");
  else
    r = mr_asprintf (err, &ctx->data_dir, "%s/data", ctx->root);
  if (r < 0 || ctx->data_dir == NULL)
    {
      free (ctx->root);
      free (ctx->monitor_path);
      return mr_error_errno (err, ENOMEM, "context");
    }
  *out = steal_pointer (&ctx);
  return 0;
}

void
mr_context_free (struct mr_context *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->rootfd >= 0)
    close (ctx->rootfd);
  free (ctx->root);
  free (ctx->data_dir);
  free (ctx->monitor_path);
  free (ctx);
}

const char *
mr_context_root (const struct mr_context *ctx)
{
  return ctx->root;
}

const char *
mr_context_data_dir (const struct mr_context *ctx)
{
  return ctx->data_dir;
}

int
mr_context_set_port_range (struct mr_context *ctx, const struct mr_port_range *range,
                           struct mr_error *err)
{
  if (range->first == 0 || range->first > range->last)
    return mr_error_set (err,
                         "invalid port range %u-%u: expected LOW-HIGH with 1 <= LOW <= HIGH "
                         "<= 65535",
                         range->first, range->last);
  ctx->port_range = *range;
  ctx->port_range_set = true;
  return 0;
}

int
mr_context_rootfd (struct mr_context *ctx, struct mr_error *err)
{
  if (ctx->rootfd >= 0)
    return ctx->rootfd;
  ctx->rootfd = open (ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ctx->rootfd < 0 && errno == ENOENT)
    {
      if (mr_mkdir_p (ctx->root, 0700, err) < 0)
        return -1;
      ctx->rootfd = open (ctx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (ctx->rootfd < 0)
    return mr_error_errno (err, errno, "open state directory '%s'", ctx->root);
  return ctx->rootfd;
}

void
mr_context_warn (struct mr_context *ctx, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  if (ctx->warn == NULL)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  ctx->warn (ctx->warn_data, msg);
}
