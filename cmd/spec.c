#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/cleanup.h"

enum
{
  OPT_ROOTLESS = 256,
};

/* O_EXCL: never overwrite a bundle's configuration, nor follow a link.  */
static int
write_config (const char *bundle, const char *json)
{
  cleanup_free char *path = NULL;
  size_t len = strlen (json);
  bool newline = len == 0 || json[len - 1] != '\n';
  int fd;

  if (asprintf (&path, "%s/config.json", bundle) < 0)
    return cmd_fail ("spec: out of memory");
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0 && errno == EEXIST)
    return cmd_fail ("spec: config.json already exists in '%s': remove it first", bundle);
  if (fd < 0)
    return cmd_fail ("spec: create '%s': %s", path, strerror (errno));
  if (write_all (fd, json, len) < 0 || (newline && write_all (fd, "\n", 1) < 0))
    {
      int saved = errno;

      close (fd);
      unlink (path);
      return cmd_fail ("spec: write '%s': %s", path, strerror (saved));
    }
  if (close (fd) < 0)
    {
      int saved = errno;

      unlink (path);
      return cmd_fail ("spec: write '%s': %s", path, strerror (saved));
    }
  return 0;
}

int
cmd_spec (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "rootless", no_argument, NULL, OPT_ROOTLESS },
    { "bundle", required_argument, NULL, 'b' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *json = NULL;
  const char *bundle = ".";
  bool rootless = false;
  int c;

  while ((c = getopt_long (argc, argv, ":b:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOTLESS:
        rootless = true;
        break;
      case 'b':
        bundle = optarg;
        break;
      case 'h':
        return verb_help ("spec");
      default:
        return bad_option ("spec", c, argv);
      }
  if (argc - optind > 0)
    return usage_error ("spec", "too many arguments");
  if (mr_spec_generate (rootless, &json, &g->err) < 0)
    return report (-1, &g->err);
  return write_config (bundle, json);
}
