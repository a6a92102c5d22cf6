/* The "ports" of a native create body, in either spelling clients send:
 * an array of docker -p specs (["8080:80", "127.0.0.1:8081:80/tcp", "80"])
 * or an object of host side to container port ({"8080": "80",
 * "127.0.0.1:8081": "80/udp", "8082": 80}).  */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "net/net.h"

/* spec, checked as -p checks it: 0, or -1 with msg naming the entry.  */
static int
add_spec (struct strv *out, char *spec, const char *entry, char *msg, size_t len)
{
  struct mr_port_mapping m;
  struct mr_error err = { 0 };

  if (spec == NULL)
    return snprintf (msg, len, "out of memory"), -ENOMEM;
  if (mr_port_parse (spec, &m, &err) < 0)
    {
      snprintf (msg, len, "invalid field 'ports': entry %s: %s", entry, err.msg);
      free (spec);
      return -1;
    }
  if (api_strv_add (out, spec) < 0)
    return snprintf (msg, len, "out of memory"), -ENOMEM;
  return 0;
}

/* "80" or "80/udp": the container side of an object entry (caller
   frees), NULL when it is not a string.  */
static char *
container_side (const json_t *v)
{
  return json_is_string (v) && *json_string_value (v)
                 && strlen (json_string_value (v)) == json_string_length (v)
             ? strdup (json_string_value (v))
             : NULL;
}

int
api_ports_parse (const json_t *v, struct strv *out, char *msg, size_t len)
{
  char entry[320];
  const char *key;
  json_t *item;
  size_t i;

  if (v == NULL || json_is_null (v))
    return 0;
  if (json_is_array (v))
    {
      json_array_foreach (v, i, item)
      {
        snprintf (entry, sizeof entry, "%zu", i);
        if (!json_is_string (item)
            || strlen (json_string_value (item)) != json_string_length (item))
          {
            snprintf (msg, len, "invalid field 'ports': entry %zu is not a string like \"8080:80\"",
                      i);
            return -1;
          }
        snprintf (entry, sizeof entry, "'%.300s'", json_string_value (item));
        if (add_spec (out, strdup (json_string_value (item)), entry, msg, len) < 0)
          return -1;
      }
      return 0;
    }
  if (!json_is_object (v))
    {
      snprintf (msg, len,
                "invalid field 'ports': expected an array like [\"8080:80\"] or an object "
                "like {\"8080\": \"80\"}");
      return -1;
    }
  json_object_foreach ((json_t *)v, key, item)
  {
    char *ctr = NULL, *spec = NULL;
    char num[16];

    snprintf (entry, sizeof entry, "'%.150s'", key);
    if (json_is_integer (item) && json_integer_value (item) > 0
        && json_integer_value (item) <= 65535)
      {
        snprintf (num, sizeof num, "%lld", (long long)json_integer_value (item));
        ctr = strdup (num);
      }
    else
      ctr = container_side (item);
    if (ctr == NULL || *key == '\0')
      {
        free (ctr);
        snprintf (msg, len,
                  "invalid field 'ports': entry %s: expected a host port (or IP:PORT) and a "
                  "container port, like \"8080\": \"80\" or \"80/udp\"",
                  entry);
        return -1;
      }
    snprintf (entry, sizeof entry, "'%.150s': '%.150s'", key, ctr);
    if (asprintf (&spec, "%s:%s", key, ctr) < 0)
      spec = NULL;
    free (ctr);
    if (add_spec (out, spec, entry, msg, len) < 0)
      return -1;
  }
  return 0;
}
