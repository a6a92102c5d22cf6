/* The container list, read once and shared by the requests that follow
 * until something changes.  Reading it means a directory walk and a few
 * files per container; a dashboard or a monitoring system polling it many
 * times a second would otherwise spend the machine on it.
 *
 * The list is read again when it is older than its time to live, or when the
 * generation moved: every request that may change containers moves it, and
 * so does a thread that watches (inotify) the state directory, the managed
 * records and each container's own directory, where every verb, the CLI's
 * as much as ours, and every monitor writes.  The age bound covers what
 * leaves no file behind: a process that died, a freezer changed by hand.
 *
 * A reading is published whole, as an immutable snapshot that requests
 * take a reference to without a lock; after a change they wait for the
 * next reading, but when only the age is up the watcher's thread reads it
 * and they go on with the old one meanwhile.  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
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

/* A list lives CACHE_TTL_MS, or CACHE_TTL_COST times what reading it took
 * when that is longer: at 500 containers a read takes over 100 ms of CPU,
 * and a dashboard polling all the time would otherwise spend a tenth of a
 * core every second reading what has not changed.  Changes that leave a file are
 * seen at once whatever the age.  */
#define CACHE_TTL_MS 1000
#define CACHE_TTL_COST 20
/* past this many lifetimes a request reads the list itself, whatever the
 * watcher does */
#define CACHE_STALE_TTLS 10

/* One reading of the list, never changed once published: the list and
 * the success envelope of GET /containers made from it.  Shared by the
 * cache and the requests and responses that use it: freed by the last.  */
struct mr_api_snapshot
{
  atomic_int refs;
  unsigned long generation; /* api->generation before the read */
  long long time;           /* when it was read */
  long long ttl;            /* how long it lives, ms */
  struct mr_container_info *list;
  size_t n;
  size_t len;
  char body[];
};

static void
snapshot_release (void *cls)
{
  struct mr_api_snapshot *snap = cls;

  if (snap && atomic_fetch_sub (&snap->refs, 1) == 1)
    {
      mr_container_info_free (snap->list, snap->n);
      free (snap);
    }
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
      dst[i].ports = NULL;
      if (src[i].n_ports)
        {
          dst[i].ports = malloc (src[i].n_ports * sizeof *dst[i].ports);
          if (dst[i].ports)
            memcpy (dst[i].ports, src[i].ports, src[i].n_ports * sizeof *dst[i].ports);
          else
            failed = true;
        }
    }
  if (failed)
    {
      mr_container_info_free (dst, n);
      return -1;
    }
  *out = dst;
  return 0;
}

/* The published snapshot, with a reference, or NULL.  cache_taking tells
 * publish that a request may hold a pointer it has no reference for yet.  */
static struct mr_api_snapshot *
snapshot_take (struct mr_api *api)
{
  struct mr_api_snapshot *snap;

  atomic_fetch_add (&api->cache_taking, 1);
  snap = atomic_load (&api->cache_snap);
  if (snap)
    atomic_fetch_add (&snap->refs, 1);
  atomic_fetch_sub (&api->cache_taking, 1);
  return snap;
}

/* Puts snap in the old one's place.  The old one's reference goes only once
 * no request is between loading the pointer and taking its own: one that
 * loaded the old pointer did so before the exchange, so it is counted until
 * it holds its reference.  Requests never wait here, the reader does.  */
static void
publish (struct mr_api *api, struct mr_api_snapshot *snap)
{
  struct mr_api_snapshot *old = atomic_exchange (&api->cache_snap, snap);

  while (atomic_load (&api->cache_taking) != 0)
    sched_yield ();
  snapshot_release (old);
}

/* Reads the list into a new snapshot.  */
static struct mr_api_snapshot *
snapshot_read (struct mr_api *api, unsigned long gen, struct mr_error *err)
{
  struct mr_container_info *list = NULL;
  cleanup_free char *json = NULL;
  struct mr_api_snapshot *snap;
  long long t = now_ms ();
  size_t n = 0, len;

  if (mr_container_list (api->ctx, &list, &n, err) < 0
      || mr_container_info_json (list, n, &json, err) < 0)
    {
      mr_container_info_free (list, n);
      return NULL;
    }
  len = strlen (json);
  snap = malloc (sizeof *snap + len + 32);
  if (snap == NULL)
    {
      mr_container_info_free (list, n);
      mr_error_errno (err, ENOMEM, "container list");
      return NULL;
    }
  atomic_init (&snap->refs, 1);
  snap->generation = gen;
  snap->time = t;
  snap->ttl = CACHE_TTL_COST * (now_ms () - t);
  if (snap->ttl < CACHE_TTL_MS)
    snap->ttl = CACHE_TTL_MS;
  snap->list = list;
  snap->n = n;
  snap->len = (size_t)snprintf (snap->body, len + 32, "{\"success\":true,\"data\":%s}", json);
  return snap;
}

static bool
is_fresh (const struct mr_api_snapshot *snap, unsigned long gen, bool age)
{
  return snap && snap->generation == gen && (!age || now_ms () - snap->time < snap->ttl);
}

/* Reads the list unless it is fresh, one thread at a time; a thread that finds another reading waits for it and looks
 * again: what it waited for may be enough.  */
static int
refresh (struct mr_api *api, struct mr_error *err)
{
  struct mr_api_snapshot *snap, *cur;
  unsigned long gen;
  int ret = 0;

  pthread_mutex_lock (&api->cache_lock);
  for (;;)
    {
      bool fresh;

      /* with a reference: a read under way publishes without the lock */
      gen = atomic_load (&api->generation);
      cur = snapshot_take (api);
      fresh = is_fresh (cur, gen, true);
      snapshot_release (cur);
      if (fresh)
        goto out;
      if (!api->cache_reading)
        break;
      pthread_cond_wait (&api->cache_read, &api->cache_lock);
    }
  api->cache_reading = true;
  pthread_mutex_unlock (&api->cache_lock);

  /* gen was taken before the read: a change during it moves the
   * generation again, and the next caller reads once more */
  snap = snapshot_read (api, gen, err);
  if (snap)
    publish (api, snap);
  else
    ret = -1;

  pthread_mutex_lock (&api->cache_lock);
  api->cache_reading = false;
  pthread_cond_broadcast (&api->cache_read);
out:
  pthread_mutex_unlock (&api->cache_lock);
  return ret;
}

static void watcher_ask (struct mr_api *api);

/* The list, no older than the last change.  One only too old is used as
 * it is while the watcher reads it again: nothing a client could know of
 * changed, and a request that read the list itself would hold up the
 * others on its thread for as long as the read takes.  */
static struct mr_api_snapshot *
snapshot_get (struct mr_api *api, struct mr_error *err)
{
  struct mr_api_snapshot *snap = snapshot_take (api);
  unsigned long gen = atomic_load (&api->generation);

  if (is_fresh (snap, gen, true))
    return snap;
  /* a watcher that cannot read it is not waited for for ever */
  if (is_fresh (snap, gen, false) && atomic_load (&api->cache_watcher)
      && now_ms () - snap->time < CACHE_STALE_TTLS * snap->ttl)
    {
      watcher_ask (api);
      return snap;
    }
  snapshot_release (snap);
  if (refresh (api, err) < 0)
    return NULL;
  snap = snapshot_take (api);
  if (snap == NULL)
    mr_error_set (err, "container list: the list was read and is gone, try again");
  return snap;
}

int
mr_api_list (struct mr_api *api, struct mr_container_info **list, size_t *n, struct mr_error *err)
{
  struct mr_api_snapshot *snap = snapshot_get (api, err);
  int ret;

  if (snap == NULL)
    return -1;
  ret = copy_list (snap->list, snap->n, list);
  if (ret < 0)
    mr_error_errno (err, ENOMEM, "container list");
  else
    *n = snap->n;
  snapshot_release (snap);
  return ret;
}

int
mr_api_list_respond (struct mr_api *api, struct mr_api_response *res, struct mr_error *err)
{
  struct mr_api_snapshot *snap = snapshot_get (api, err);

  if (snap == NULL)
    return -1;
  /* the response keeps the reference: the body is the snapshot's */
  res->status = 200;
  res->static_body = snap->body;
  res->static_len = snap->len;
  res->static_release = snapshot_release;
  res->static_cls = snap;
  return 0;
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
  int refresh_fd; /* a request found the list too old */
  char *root;       /* the state directory: a directory per container */
  char *containers; /* the managed records: the same */
  int root_wd;
  int containers_wd;
  pthread_t thread;
};

/* Reads the list again for the requests that found it too old.  */
static void
reread (struct watcher *w)
{
  struct mr_error err = { 0 };
  uint64_t v;

  if (read (w->refresh_fd, &v, sizeof v) < 0)
    return;
  /* asked again from here on: a request that comes during the read and
   * finds the list old makes one more, which finds it fresh */
  atomic_store (&w->api->cache_asked, false);
  /* a failure leaves the old list, until it is too old (CACHE_STALE_TTLS)
   * and a request reads it itself and reports what failed */
  refresh (w->api, &err);
}

static void
watcher_ask (struct mr_api *api)
{
  struct watcher *w = atomic_load (&api->cache_watcher);
  uint64_t one = 1;

  if (w && !atomic_exchange (&api->cache_asked, true) && write (w->refresh_fd, &one, sizeof one) < 0)
    atomic_store (&api->cache_asked, false);
}

static void *
watch_loop (void *arg)
{
  struct watcher *w = arg;
  char buf[8192] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  struct pollfd p[3] = { { .fd = w->ifd, .events = POLLIN },
                         { .fd = w->stop_fd, .events = POLLIN },
                         { .fd = w->refresh_fd, .events = POLLIN } };
  char path[PATH_MAX];

  for (;;)
    {
      ssize_t n;

      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents)
        break;
      if (p[2].revents)
        reread (w);
      if (!p[0].revents)
        continue;
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
  w->refresh_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  w->root = strdup (mr_context_root (api->ctx));
  if (asprintf (&w->containers, "%s/containers", mr_context_data_dir (api->ctx)) < 0)
    w->containers = NULL;
  if (w->ifd < 0 || w->stop_fd < 0 || w->refresh_fd < 0 || w->root == NULL
      || w->containers == NULL)
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
  atomic_store (&api->cache_watcher, w);
  return w;

fail:
  /* without a watcher the list is only as fresh as its age bound */
  if (w->ifd >= 0)
    close (w->ifd);
  if (w->stop_fd >= 0)
    close (w->stop_fd);
  if (w->refresh_fd >= 0)
    close (w->refresh_fd);
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
      atomic_store (&api->cache_watcher, NULL);
      if (write (w->stop_fd, &one, sizeof one) == sizeof one)
        pthread_join (w->thread, NULL);
      close (w->ifd);
      close (w->stop_fd);
      close (w->refresh_fd);
      free (w->root);
      free (w->containers);
      free (w);
    }
  snapshot_release (atomic_exchange (&api->cache_snap, NULL));
}
