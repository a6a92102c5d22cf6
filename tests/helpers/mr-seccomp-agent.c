/* mr-seccomp-agent [--timeout SECS] SOCKET LOG: a seccomp agent for the
 * SCMP_ACT_NOTIFY tests.  It listens on SOCKET for the runtime's
 * containerProcessState (the JSON, the listener fd in SCM_RIGHTS), checks
 * the document, and appends "state JSON" (or "bad REASON") to LOG.  Then it
 * answers the notifications of every listener it holds, appending
 * "call NAME" for each:
 *   mkdir, mkdirat              success, without making anything
 *   chmod, fchmod, fchmodat     ENOMEDIUM
 *   anything else               carried out as asked
 * It exits after SECS seconds (default 60), or on SIGTERM.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAX_LISTENERS 16
#define MAX_STATE (64 * 1024)

static FILE *log_file;

static void
log_line (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vfprintf (log_file, fmt, ap);
  va_end (ap);
  fputc ('\n', log_file);
  fflush (log_file);
}

static const char *
syscall_name (int nr)
{
  switch (nr)
    {
#ifdef SYS_mkdir
    case SYS_mkdir:
      return "mkdir";
#endif
    case SYS_mkdirat:
      return "mkdirat";
#ifdef SYS_chmod
    case SYS_chmod:
      return "chmod";
#endif
    case SYS_fchmod:
      return "fchmod";
    case SYS_fchmodat:
      return "fchmodat";
    default:
      return NULL;
    }
}

/* What is wrong with the containerProcessState doc, or NULL.  */
static const char *
check_state (json_t *doc)
{
  json_t *fds = json_object_get (doc, "fds");
  json_t *state = json_object_get (doc, "state");
  json_t *meta = json_object_get (doc, "metadata");

  if (!json_is_string (json_object_get (doc, "ociVersion")))
    return "ociVersion is not a string";
  if (!json_is_array (fds) || json_array_size (fds) != 1
      || !json_is_string (json_array_get (fds, 0))
      || strcmp (json_string_value (json_array_get (fds, 0)), "seccompFd") != 0)
    return "fds is not [\"seccompFd\"]";
  if (!json_is_integer (json_object_get (doc, "pid"))
      || json_integer_value (json_object_get (doc, "pid")) <= 0)
    return "pid is not a positive integer";
  if (meta && !json_is_string (meta))
    return "metadata is not a string";
  if (!json_is_object (state))
    return "state is not an object";
  if (!json_is_string (json_object_get (state, "ociVersion"))
      || !json_is_string (json_object_get (state, "id"))
      || !json_is_string (json_object_get (state, "status"))
      || !json_is_string (json_object_get (state, "bundle"))
      || !json_is_integer (json_object_get (state, "pid")))
    return "state lacks ociVersion, id, status, bundle or pid";
  return NULL;
}

/* One connection: the document, the fd riding on it.  Returns the
   listener, or -1.  */
static int
receive_state (int conn)
{
  static char buf[MAX_STATE + 1];
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = buf, .iov_len = MAX_STATE };
  struct msghdr m
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  size_t len = 0;
  int fd = -1;
  ssize_t n;
  json_t *doc;
  json_error_t jerr;
  const char *bad;

  n = recvmsg (conn, &m, MSG_CMSG_CLOEXEC);
  if (n < 0)
    {
      log_line ("bad recvmsg: %s", strerror (errno));
      return -1;
    }
  c = CMSG_FIRSTHDR (&m);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
      && c->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (&fd, CMSG_DATA (c), sizeof fd);
  /* until the document is whole: a runtime need not close the connection
     at once (runc 1.1 keeps it until it exits) */
  len = (size_t)n;
  while ((doc = json_loadb (buf, len, 0, &jerr)) == NULL && n > 0 && len < MAX_STATE)
    {
      struct pollfd p = { .fd = conn, .events = POLLIN };

      if (poll (&p, 1, 5000) <= 0)
        break;
      n = read (conn, buf + len, MAX_STATE - len);
      if (n > 0)
        len += (size_t)n;
    }
  buf[len] = '\0';
  if (fd < 0)
    {
      json_decref (doc);
      log_line ("bad no fd with the state");
      return -1;
    }
  bad = doc ? check_state (doc) : jerr.text;
  json_decref (doc);
  if (bad)
    {
      log_line ("bad %s: %s", bad, buf);
      close (fd);
      return -1;
    }
  log_line ("state %s", buf);
  return fd;
}

/* Answers one notification; -1 when the listener is done (its processes
   are gone).  */
static int
answer (int fd, const struct seccomp_notif_sizes *sz)
{
  struct seccomp_notif *req = calloc (1, sz->seccomp_notif);
  struct seccomp_notif_resp *resp = calloc (1, sz->seccomp_notif_resp);
  const char *name;
  int r = 0;

  if (req == NULL || resp == NULL)
    abort ();
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
    {
      /* ENOENT: the caller was killed before we read it */
      r = errno == ENOENT || errno == EINTR ? 0 : -1;
      goto out;
    }
  name = syscall_name (req->data.nr);
  resp->id = req->id;
  if (name == NULL)
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else if (strncmp (name, "mkdir", 5) == 0)
    resp->val = 0;
  else
    resp->error = -ENOMEDIUM;
  log_line ("call %s", name ? name : "other");
  /* ENOENT: the caller is gone meanwhile */
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
    log_line ("bad NOTIF_SEND: %s", strerror (errno));
out:
  free (req);
  free (resp);
  return r;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct seccomp_notif_sizes sz;
  struct pollfd p[1 + MAX_LISTENERS];
  char tmp[sizeof addr.sun_path + 8];
  int timeout = 60, argi = 1, ls;
  size_t nl = 0;
  time_t deadline;

  if (argc > 2 && strcmp (argv[1], "--timeout") == 0)
    {
      timeout = atoi (argv[2]);
      argi = 3;
    }
  if (argc - argi != 2 || strlen (argv[argi]) >= sizeof addr.sun_path - 5)
    {
      fputs ("usage: mr-seccomp-agent [--timeout SECS] SOCKET LOG\n", stderr);
      return 2;
    }
  log_file = fopen (argv[argi + 1], "a");
  if (log_file == NULL)
    {
      perror (argv[argi + 1]);
      return 1;
    }
  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
    {
      perror ("SECCOMP_GET_NOTIF_SIZES");
      return 1;
    }
  /* bound under another name and renamed once listening, so that a test
     seeing the socket can connect at once */
  snprintf (tmp, sizeof tmp, "%s.new", argv[argi]);
  if (strlen (tmp) >= sizeof addr.sun_path)
    return 2;
  strcpy (addr.sun_path, tmp);
  unlink (tmp);
  ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0 || bind (ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen (ls, 8) < 0
      || rename (tmp, argv[argi]) < 0)
    {
      perror (argv[argi]);
      return 1;
    }

  deadline = time (NULL) + timeout;
  p[0] = (struct pollfd){ .fd = ls, .events = POLLIN };
  for (;;)
    {
      time_t now = time (NULL);
      int n;

      if (now >= deadline)
        break;
      n = poll (p, 1 + nl, (int)(deadline - now) * 1000);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          perror ("poll");
          return 1;
        }
      if (p[0].revents & POLLIN)
        {
          int conn = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
          int fd = conn >= 0 ? receive_state (conn) : -1;

          if (conn >= 0)
            close (conn);
          if (fd >= 0 && nl < MAX_LISTENERS)
            p[1 + nl++] = (struct pollfd){ .fd = fd, .events = POLLIN };
          else if (fd >= 0)
            close (fd);
        }
      for (size_t i = 1; i <= nl; i++)
        {
          int done = 0;

          if (p[i].revents & POLLIN)
            done = answer (p[i].fd, &sz) < 0;
          else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL))
            done = 1;
          if (!done)
            continue;
          /* every process of this filter has exited */
          close (p[i].fd);
          p[i] = p[nl--];
          i--;
        }
    }
  unlink (argv[argi]);
  return 0;
}
