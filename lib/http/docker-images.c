/* Docker's images: the image store, listed and inspected.  */
#include "config.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/json.h"

static json_t *
image_entry (const struct mr_image_info *img, json_t *tags)
{
  return json_pack ("{s:i, s:I, s:s++, s:{}, s:s, s:[], s:o, s:i, s:I, s:I}", "Containers", -1,
                    "Created", (json_int_t)img->created_unix, "Id", "sha256:", img->id, "",
                    "Labels", "ParentId", "", "RepoDigests", "RepoTags", tags, "SharedSize", -1,
                    "Size", (json_int_t)img->size, "VirtualSize", (json_int_t)img->size);
}

void
docker_get_images (struct dreq *d)
{
  static const char *const known[] = { "reference", "dangling", NULL };
  cleanup_json json_t *filters = docker_parse_filters (d, known);
  struct mr_image_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *out;
  size_t n = 0;

  if (filters == NULL)
    return;
  if (mr_image_list (d->api->ctx, &list, &n, &err) < 0)
    return docker_fail (d, 500, "%s", err.msg);
  out = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_t *tags = json_array ();
      json_t *refs = json_object_get (filters, "reference");
      bool seen = false, pass = json_array_size (refs) == 0;
      json_t *r;
      size_t k;

      /* one entry per image id, with every reference that names it */
      for (size_t j = 0; j < i; j++)
        seen = seen || strcmp (list[j].id, list[i].id) == 0;
      if (seen)
        {
          json_decref (tags);
          continue;
        }
      for (size_t j = i; j < n; j++)
        if (strcmp (list[j].id, list[i].id) == 0)
          {
            json_array_append_new (tags, json_string (list[j].reference));
            json_array_foreach (refs, k, r)
            {
              const char *want = json_string_value (r);
              if (fnmatch (want, list[j].reference, 0) == 0 || fnmatch (want, list[j].name, 0) == 0)
                pass = true;
            }
          }
      if (pass)
        json_array_append_new (out, image_entry (&list[i], tags));
      else
        json_decref (tags);
    }
  mr_image_info_free (list, n);
  docker_reply (d, 200, out);
}

void
docker_get_image (struct dreq *d, const char *name)
{
  cleanup_free char *ref = docker_image_lookup (d->api, name);
  cleanup_free char *text = NULL;
  cleanup_json json_t *img = NULL;
  struct mr_image_info *list = NULL;
  struct mr_error err = { 0 };
  json_t *tags, *config;
  size_t n = 0;

  if (ref == NULL)
    return docker_fail (d, 404, "No such image: %s", name);
  if (mr_image_inspect (d->api->ctx, ref, &text, &err) < 0)
    return docker_fail (d, 404, "No such image: %s", name);
  img = json_loads (text, 0, NULL);
  if (img == NULL)
    return docker_fail (d, 500, "image '%s': the library returned invalid JSON", name);
  tags = json_array ();
  if (mr_image_list (d->api->ctx, &list, &n, &err) == 0)
    {
      for (size_t i = 0; i < n; i++)
        if (strcmp (list[i].id, docker_jstr (img, "Id")) == 0)
          json_array_append_new (tags, json_string (list[i].reference));
      mr_image_info_free (list, n);
    }
  config = json_deep_copy (json_object_get (img, "Config"));
  if (config == NULL)
    config = json_object ();
  docker_reply (
      d, 200,
      json_pack ("{s:s++, s:o, s:[], s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, "
                 "s:{s:s, s:{s:s}}, s:{s:s, s:[]}, s:{s:s}}",
                 "Id", "sha256:", docker_jstr (img, "Id"), "", "RepoTags", tags, "RepoDigests",
                 "Parent", "", "Comment", "", "Created", docker_jstr (img, "Created"), "Container",
                 "", "DockerVersion", "", "Author", "", "Config", config, "Architecture", "amd64",
                 "Os", "linux", "Size",
                 (json_int_t)json_integer_value (json_object_get (img, "Size")), "VirtualSize",
                 (json_int_t)json_integer_value (json_object_get (img, "Size")), "GraphDriver",
                 "Name", "minirun", "Data", "Dir", docker_jstr (img, "RootFS"), "RootFS", "Type",
                 "layers", "Layers", "Metadata", "LastTagTime", docker_jstr (img, "Created")));
}
