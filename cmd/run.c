#include "config.h"

#include "cmd.h"

int
cmd_run (struct mr_global *g, int argc, char **argv)
{
  struct mr_create_opts o = { .size = sizeof o };
  int status = 0;
  const char *id;
  int ret;

  ret = create_parse ("run", argc, argv, &o, &id);
  if (id == NULL)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_container_run (g->ctx, id, &o, &status, &g->err) < 0)
    return report (-1, &g->err);
  return o.detach ? 0 : status;
}
