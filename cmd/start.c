#include "config.h"

#include "cmd.h"

int
cmd_start (struct mr_global *g, int argc, char **argv)
{
  const char *id;
  int ret;

  ret = parse_id ("start", argc, argv, &id);
  if (id == NULL)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_start (g->ctx, id, &g->err), &g->err);
}
