#include "config.h"

#include "cmd.h"

int
cmd_pause (struct mr_global *g, int argc, char **argv)
{
  const char *id;
  int ret;

  ret = parse_id ("pause", argc, argv, &id);
  if (id == NULL)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_pause (g->ctx, id, &g->err), &g->err);
}

int
cmd_resume (struct mr_global *g, int argc, char **argv)
{
  const char *id;
  int ret;

  ret = parse_id ("resume", argc, argv, &id);
  if (id == NULL)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  return report (mr_container_resume (g->ctx, id, &g->err), &g->err);
}
