#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* `minirun serve` in the multicall binary.  The HTTP server and the
 * libraries it needs (libmicrohttpd, and GnuTLS with everything GnuTLS
 * loads) live in a program of their own, so that no other verb, and no
 * container's monitor, maps them: this executes that program with the same
 * command line.  It is looked for next to this binary first (a build tree,
 * where libtool keeps the real binary in .libs/), then where `make install`
 * puts it.  */

static bool
try_exec (const char *path, char **argv)
{
  if (access (path, X_OK) < 0)
    return false;
  execv (path, argv);
  return false;
}

int
cmd_serve (struct mr_global *g, int argc, char **argv)
{
  char self[PATH_MAX], path[PATH_MAX + 32];
  ssize_t n;
  int e;

  (void)argc;
  (void)argv;
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      char *slash;
      self[n] = '\0';
      /* the monitors of managed containers the server starts are this
         binary, not the server */
      setenv (MR_EXE_ENV, self, 1);
      slash = strrchr (self, '/');
      if (slash)
        {
          *slash = '\0';
          snprintf (path, sizeof path, "%s/minirun-serve", self);
          try_exec (path, g->argv);
          size_t len = strlen (self);
          if (len >= 6 && strcmp (self + len - 6, "/.libs") == 0)
            {
              snprintf (path, sizeof path, "%s/../minirun-serve", self);
              try_exec (path, g->argv);
            }
          *slash = '/';
        }
    }
  snprintf (path, sizeof path, "%s/minirun-serve", PKGLIBEXECDIR);
  try_exec (path, g->argv);
  e = errno;
  return cmd_fail ("serve: cannot run '%s': %s (the server is a program of its own, "
                   "installed with minirun; reinstall minirun)",
                   path, strerror (e));
}
