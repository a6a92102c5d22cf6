/* The container list, read once and shared by the requests that follow
 * until something changes.  Reading it means a directory walk and a few
 * files per container; a dashboard or a monitoring system polling it many
 * times a second would otherwise spend the machine on it.
 *
 * The list is read again when it is older than CACHE_TTL_MS, or when the
 * generation moved: every request that may change containers moves it, and
 * so does a thread that watches (inotify) the state directory, the managed
 * records and each container's own directory, where every verb, the CLI's
 * as much as ours, and every monitor writes.  The age bound covers what
 * leaves no file behind: a process that died, a freezer changed by hand.  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "http/server.h"
#include "util/cleanup.h"
#include "util/error.h"

#define CACHE_TTL_MS 1000

/* The envelope, shared by the responses that send it: freed by the last.  */
struct mr_api_body
{
  atomic_int refs;
  size_t len;
  char data[];
};

static void
body_release (void *cls)
{
  struct mr_api_body *b = cls;

  if (b && atomic_fetch_sub (&b->refs, 1) == 1)
    free (b);
}
#define WATCH_DIR_EVENTS                                                                           \
  (IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB)

static long long
now_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void
mr_api_changed (struct mr_api *api)
{
  atomic_fetch_add (&api->generation, 1);
}

static char *
dup_or_null (const char *s, bool *failed)
{
  char *d;

  if (s == NULL)
    return NULL;
  d = strdup (s);
  if (d == NULL)
    *failed = true;
  return d;
}

static int
copy_list (const struct mr_container_info *src, size_t n, struct mr_container_info **out)
{
  struct mr_container_info *dst = calloc (n ? n : 1, sizeof *dst);
  bool failed = false;

  if (dst == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      dst[i] = src[i];
      dst[i].id = dup_or_null (src[i].id, &failed);
      dst[i].bundle = dup_or_null (src[i].bundle, &failed);
      dst[i].created = dup_or_null (src[i].created, &failed);
      dst[i].owner = dup_or_null (src[i].owner, &failed);
      dst[i].state = dup_or_null (src[i].state, &failed);
      dst[i].image = dup_or_null (src[i].image, &failed);
      dst[i].command = dup_or_null (src[i].command, &failed);
      dst[i].finished = dup_or_null (src[i].finished, &failed);
      dst[i].rootfs = dup_or_null (src[i].rootfs, &failed);
      dst[i].annotations = dup_or_null (src[i].annotations, &failed);
    }
  if (failed)
    {
      mr_container_info_free (dst, n);
      return -1;
    }
  *out = dst;
  return 0;
}

/* Makes the cached list fresh enough; called with api->cache_lock held,
 * returns with it held.  The list is read with the lock released, by one
 * thread at a time.  While it is read, the others keep the old list if
 * only its age is up (nothing they could know of changed), and wait for
 * the new one if a change came after the old one was read.  */
static int
refresh (struct mr_api *api, struct mr_error *err)
{
  struct mr_container_info *list = NULL;
  cleanup_free char *json = NULL;
  struct mr_api_body *body;
  unsigned long gen;
  long long t;
  size_t n = 0, len;
  int ret = 0;

  for (;;)
    {
      gen = atomic_load (&api->generation);
      t = now_ms ();
      if (api->cache_body && api->cache_generation == gen)
        {
          if (t - api->cache_time < CACHE_TTL_MS || api->cache_reading)
            return 0;
          break;
        }
      if (!api->cache_reading)
        break;
      pthread_cond_wait (&api->cache_read, &api->cache_lock);
    }
  api->cache_reading = true;
  pthread_mutex_unlock (&api->cache_lock);

  /* gen was taken before the read: a change during it moves the
   * generation again, and the next caller reads once more */
  if (mr_container_list (api->ctx, &list, &n, err) < 0
      || mr_container_info_json (list, n, &json, err) < 0)
    ret = -1;
  else
    {
      len = strlen (json);
      body = malloc (sizeof *body + len + 32);
      if (body == NULL)
        ret = mr_error_errno (err, ENOMEM, "container list");
      else
        {
          atomic_init (&body->refs, 1);
          body->len
              = (size_t)snprintf (body->data, len + 32, "{\"success\":true,\"data\":%s}", json);
        }
    }

  pthread_mutex_lock (&api->cache_lock);
  api->cache_reading = false;
  pthread_cond_broadcast (&api->cache_read);
  if (ret < 0)
    {
      mr_container_info_free (list, n);
      return -1;
    }
  mr_container_info_free (api->cache_list, api->cache_n);
  body_release (api->cache_body);
  api->cache_list = list;
  api->cache_n = n;
  api->cache_body = body;
  api->cache_generation = gen;
  api->cache_time = t;
  return 0;
}

int
mr_api_list (struct mr_api *api, struct mr_container_info **list, size_t *n, struct mr_error *err)
{
  int ret;

  pthread_mutex_lock (&api->cache_lock);
  ret = refresh (api, err);
  if (ret == 0)
    {
      ret = copy_list (api->cache_list, api->cache_n, list);
      if (ret < 0)
        mr_error_errno (err, ENOMEM, "container list");
      else
        *n = api->cache_n;
    }
  pthread_mutex_unlock (&api->cache_lock);
  return ret;
}

int
mr_api_list_respond (struct mr_api *api, struct mr_api_response *res, struct mr_error *err)
{
  int ret;

  pthread_mutex_lock (&api->cache_lock);
  ret = refresh (api, err);
  if (ret == 0)
    {
      atomic_fetch_add (&api->cache_body->refs, 1);
      res->status = 200;
      res->static_body = api->cache_body->data;
      res->static_len = api->cache_body->len;
      res->static_release = body_release;
      res->static_cls = api->cache_body;
    }
  pthread_mutex_unlock (&api->cache_lock);
  return ret;
}

/* --- the watcher -------------------------------------------------------- */

/* Watches dir and, with children, every directory in it.  */
static void
watch_tree (int ifd, const char *dir, bool children)
{
  cleanup_closedir DIR *d = NULL;
  struct dirent *e;
  char path[PATH_MAX];

  if (inotify_add_watch (ifd, dir, WATCH_DIR_EVENTS | IN_ONLYDIR) < 0 || !children)
    return;
  d = opendir (dir);
  if (d == NULL)
    return;
  while ((e = readdir (d)) != NULL)
    {
      if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
        continue;
      if ((size_t)snprintf (path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
        continue;
      inotify_add_watch (ifd, path, WATCH_DIR_EVENTS | IN_ONLYDIR);
    }
}

struct watcher
{
  struct mr_api *api;
  int ifd;
  int stop_fd;
  char *root;       /* the state directory: a directory per container */
  char *containers; /* the managed records: the same */
  int root_wd;
  int containers_wd;
  pthread_t thread;
};

static void *
watch_loop (void *arg)
{
  struct watcher *w = arg;
  char buf[8192] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  struct pollfd p[2]
      = { { .fd = w->ifd, .events = POLLIN }, { .fd = w->stop_fd, .events = POLLIN } };
  char path[PATH_MAX];

  for (;;)
    {
      ssize_t n;

      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents)
        break;
      n = read (w->ifd, buf, sizeof buf);
      if (n <= 0)
        continue;
      mr_api_changed (w->api);
      for (char *q = buf; q < buf + n;)
        {
          const struct inotify_event *ev = (const struct inotify_event *)q;
          const char *parent = ev->wd == w->root_wd         ? w->root
                               : ev->wd == w->containers_wd ? w->containers
                                                            : NULL;

          /* a new container directory is watched from now on */
          if (parent && (ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len
              && (size_t)snprintf (path, sizeof path, "%s/%s", parent, ev->name) < sizeof path)
            inotify_add_watch (w->ifd, path, WATCH_DIR_EVENTS | IN_ONLYDIR);
          /* the records directory appears with the first managed container */
          if (ev->mask & IN_ISDIR && w->containers_wd < 0)
            {
              w->containers_wd
                  = inotify_add_watch (w->ifd, w->containers, WATCH_DIR_EVENTS | IN_ONLYDIR);
              if (w->containers_wd >= 0)
                watch_tree (w->ifd, w->containers, true);
            }
          q += sizeof *ev + ev->len;
        }
    }
  return NULL;
}

void *
mr_api_watch_start (struct mr_api *api)
{
  struct watcher *w = calloc (1, sizeof *w);

  if (w == NULL)
    return NULL;
  w->api = api;
  w->ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  w->stop_fd = eventfd (0, EFD_CLOEXEC);
  w->root = strdup (mr_context_root (api->ctx));
  if (asprintf (&w->containers, "%s/containers", mr_context_data_dir (api->ctx)) < 0)
    w->containers = NULL;
  if (w->ifd < 0 || w->stop_fd < 0 || w->root == NULL || w->containers == NULL)
    goto fail;
  w->root_wd = inotify_add_watch (w->ifd, w->root, WATCH_DIR_EVENTS | IN_ONLYDIR);
  watch_tree (w->ifd, w->root, true);
  w->containers_wd = inotify_add_watch (w->ifd, w->containers, WATCH_DIR_EVENTS | IN_ONLYDIR);
  if (w->containers_wd >= 0)
    watch_tree (w->ifd, w->containers, true);
  /* with the default data directory the records are outside the root: the
   * data directory itself tells when "containers" appears */
  inotify_add_watch (w->ifd, mr_context_data_dir (api->ctx), IN_CREATE | IN_ONLYDIR);
  if (pthread_create (&w->thread, NULL, watch_loop, w) != 0)
    goto fail;
  return w;

fail:
  /* without a watcher the list is only as fresh as its age bound */
  if (w->ifd >= 0)
    close (w->ifd);
  if (w->stop_fd >= 0)
    close (w->stop_fd);
  free (w->root);
  free (w->containers);
  free (w);
  return NULL;
}

void
mr_api_watch_stop (struct mr_api *api, void *handle)
{
  struct watcher *w = handle;
  uint64_t one = 1;

  if (w)
    {
      if (write (w->stop_fd, &one, sizeof one) == sizeof one)
        pthread_join (w->thread, NULL);
      close (w->ifd);
      close (w->stop_fd);
      free (w->root);
      free (w->containers);
      free (w);
    }
  mr_container_info_free (api->cache_list, api->cache_n);
  api->cache_list = NULL;
  api->cache_n = 0;
  body_release (api->cache_body);
  api->cache_body = NULL;
}
