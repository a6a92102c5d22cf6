#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"

/* "ID:PATH" names a path in a container.  As with docker cp, a word that
 * starts with '/' or '.' is always a host path, so that host paths with a
 * colon can be given as ./a:b.  */
static bool
container_ref (const char *arg, char **id, const char **path)
{
  const char *colon;

  *id = NULL;
  *path = arg;
  if (arg[0] == '/' || arg[0] == '.')
    return false;
  colon = strchr (arg, ':');
  if (colon == NULL || colon == arg)
    return false;
  *id = strndup (arg, (size_t)(colon - arg));
  *path = colon + 1;
  return true;
}

int
cmd_cp (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "archive", no_argument, NULL, 'a' },
    { "follow-link", no_argument, NULL, 'L' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_cp_opts o = { .size = sizeof o };
  cleanup_free char *src_id = NULL;
  cleanup_free char *dst_id = NULL;
  const char *src, *dst;
  bool src_in, dst_in;
  int c;

  while ((c = getopt_long (argc, argv, ":aLh", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        o.archive = true;
        break;
      case 'L':
        o.follow_link = true;
        break;
      case 'h':
        return verb_help ("cp");
      default:
        return bad_option ("cp", c, argv);
      }
  if (argc - optind < 2)
    return usage_error ("cp", "expected SRC_PATH and DEST_PATH");
  if (argc - optind > 2)
    return usage_error ("cp", "too many arguments");
  src_in = container_ref (argv[optind], &src_id, &src);
  dst_in = container_ref (argv[optind + 1], &dst_id, &dst);
  if ((src_in && src_id == NULL) || (dst_in && dst_id == NULL))
    return cmd_fail ("cp: out of memory");
  if (src_in && dst_in)
    return usage_error ("cp", "copying between containers is not supported");
  if (!src_in && !dst_in)
    return usage_error ("cp", "one of SRC_PATH and DEST_PATH must be ID:PATH");
  if (strcmp (src_in ? dst : src, "-") == 0)
    return usage_error ("cp", "'-' (a tar stream) is not supported");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (dst_in)
    return report (mr_container_copy_to (g->ctx, dst_id, src, dst, &o, &g->err), &g->err);
  return report (mr_container_copy_from (g->ctx, src_id, src, dst, &o, &g->err), &g->err);
}
