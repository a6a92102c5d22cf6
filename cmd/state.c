#include "config.h"

#include <stdlib.h>

#include "cmd.h"
#include "util/cleanup.h"

int
cmd_state (struct mr_global *g, int argc, char **argv)
{
  cleanup_free char *json = NULL;
  const char *id;
  int ret;

  ret = parse_id ("state", argc, argv, &id);
  if (id == NULL)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_container_state (g->ctx, id, &json, &g->err) < 0)
    return report (-1, &g->err);
  print_json (json);
  return 0;
}
