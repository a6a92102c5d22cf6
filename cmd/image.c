#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "util/cleanup.h"

#define N_COLUMNS 5
#define SHORT_ID 12

struct subverb
{
  const char *name;
  const char *alias;
  int (*fn) (struct mr_global *g, int argc, char **argv);
  const char *summary;
  const char *synopsis;
  const char *options;
};

static const struct subverb *find_subverb (const char *name);

static int
sub_help (const char *name)
{
  const struct subverb *s = find_subverb (name);

  printf ("Usage: minirun image %s %s\n\n%s\n\nOptions:\n%s", s->name, s->synopsis, s->summary,
          s->options);
  return 0;
}

/* For the subverbs without options: --help, and the positional arguments
   counted.  Returns -1 to go on, else the exit status.  */
static int
parse_plain (const char *name, int argc, char **argv, int min, int max, const char *missing)
{
  static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  char verb[32];
  int c;

  snprintf (verb, sizeof verb, "image %s", name);
  while ((c = getopt_long (argc, argv, ":h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        return sub_help (name);
      default:
        return bad_option (verb, c, argv);
      }
  if (argc - optind < min)
    return usage_error (verb, "%s", missing);
  if (max >= 0 && argc - optind > max)
    return usage_error (verb, "too many arguments");
  return -1;
}

static int
image_add (struct mr_global *g, int argc, char **argv)
{
  struct mr_image_info *info = NULL;
  int ret = parse_plain ("add", argc, argv, 2, 2, "expected NAME[:TAG] and a directory or archive");

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_image_add (g->ctx, argv[optind], argv[optind + 1], &info, &g->err) < 0)
    return report (-1, &g->err);
  puts (info->id);
  mr_image_info_free (info, 1);
  return 0;
}

/* As Docker prints sizes: three significant digits, powers of 1000.  */
static void
human_size (uint64_t bytes, char *buf, size_t len)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
  double v = (double)bytes;
  size_t u = 0;

  while (v >= 999.5 && u + 1 < sizeof units / sizeof units[0])
    {
      v /= 1000;
      u++;
    }
  snprintf (buf, len, "%.3g%s", v, units[u]);
}

/* "3 minutes ago", as Docker words it.  */
static void
human_ago (int64_t then, char *buf, size_t len)
{
  int64_t d = (int64_t)time (NULL) - then, hours;

  if (then <= 0)
    {
      snprintf (buf, len, "unknown");
      return;
    }
  hours = (d + 1800) / 3600;
  if (d < 1)
    snprintf (buf, len, "Less than a second ago");
  else if (d == 1)
    snprintf (buf, len, "1 second ago");
  else if (d < 60)
    snprintf (buf, len, "%" PRId64 " seconds ago", d);
  else if (d / 60 == 1)
    snprintf (buf, len, "About a minute ago");
  else if (d / 60 < 60)
    snprintf (buf, len, "%" PRId64 " minutes ago", d / 60);
  else if (hours == 1)
    snprintf (buf, len, "About an hour ago");
  else if (hours < 48)
    snprintf (buf, len, "%" PRId64 " hours ago", hours);
  else if (hours < 24 * 7 * 2)
    snprintf (buf, len, "%" PRId64 " days ago", hours / 24);
  else if (hours < 24 * 30 * 2)
    snprintf (buf, len, "%" PRId64 " weeks ago", hours / 24 / 7);
  else if (hours < 24 * 365 * 2)
    snprintf (buf, len, "%" PRId64 " months ago", hours / 24 / 30);
  else
    snprintf (buf, len, "%" PRId64 " years ago", hours / 24 / 365);
}

static void
free_cells (char **cells, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (cells[i]);
  free (cells);
}

static int
print_images (const struct mr_image_info *list, size_t n, bool quiet)
{
  static const char *const headers[N_COLUMNS]
      = { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" };
  size_t ncells = (n + 1) * N_COLUMNS;
  char **cells;

  if (quiet)
    {
      for (size_t i = 0; i < n; i++)
        printf ("%.*s\n", SHORT_ID, list[i].id);
      return 0;
    }
  cells = calloc (ncells, sizeof *cells);
  if (cells == NULL)
    return cmd_fail ("image ls: out of memory");
  for (size_t c = 0; c < N_COLUMNS; c++)
    cells[c] = strdup (headers[c]);
  for (size_t i = 0; i < n; i++)
    {
      char **row = cells + (i + 1) * N_COLUMNS;
      char buf[64];

      row[0] = strdup (list[i].name);
      row[1] = strdup (list[i].tag);
      row[2] = strndup (list[i].id, SHORT_ID);
      human_ago (list[i].created_unix, buf, sizeof buf);
      row[3] = strdup (buf);
      human_size (list[i].size, buf, sizeof buf);
      row[4] = strdup (buf);
    }
  for (size_t i = 0; i < ncells; i++)
    if (cells[i] == NULL)
      {
        free_cells (cells, ncells);
        return cmd_fail ("image ls: out of memory");
      }
  print_table (cells, n + 1, N_COLUMNS, 12, 3);
  free_cells (cells, ncells);
  return 0;
}

static int
image_ls (struct mr_global *g, int argc, char **argv)
{
  static const struct option long_opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mr_image_info *list = NULL;
  cleanup_free char *json = NULL;
  bool quiet = false, as_json = false;
  size_t n = 0;
  int c, ret;

  while ((c = getopt_long (argc, argv, ":qf:h", long_opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'f':
        if (parse_format ("image ls", optarg, &as_json) < 0)
          return 1;
        break;
      case 'h':
        return sub_help ("ls");
      default:
        return bad_option ("image ls", c, argv);
      }
  if (argc - optind > 0)
    return usage_error ("image ls", "too many arguments");
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (as_json && !quiet)
    {
      if (mr_image_list_json (g->ctx, &json, &g->err) < 0)
        return report (-1, &g->err);
      print_json (json);
      return 0;
    }
  if (mr_image_list (g->ctx, &list, &n, &g->err) < 0)
    return report (-1, &g->err);
  ret = print_images (list, n, quiet);
  mr_image_info_free (list, n);
  return ret;
}

static int
image_rm (struct mr_global *g, int argc, char **argv)
{
  int ret = parse_plain ("rm", argc, argv, 1, -1, "missing image reference");

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  /* Every name is tried; the status says whether one failed.  */
  for (int i = optind; i < argc; i++)
    {
      mr_error_clear (&g->err);
      if (report (mr_image_remove (g->ctx, argv[i], &g->err), &g->err) != 0)
        ret = 1;
    }
  return ret > 0 ? 1 : 0;
}

static int
image_inspect (struct mr_global *g, int argc, char **argv)
{
  cleanup_free char *json = NULL;
  int ret = parse_plain ("inspect", argc, argv, 1, 1, "missing image reference");

  if (ret >= 0)
    return ret;
  if (context_open (g) < 0)
    return report (-1, &g->err);
  if (mr_image_inspect (g->ctx, argv[optind], &json, &g->err) < 0)
    return report (-1, &g->err);
  print_json (json);
  return 0;
}

#define HELP_LINE "  -h, --help                  Show this help\n"

static const struct subverb subverbs[] = {
  {
      "add",
      NULL,
      image_add,
      "Add an image from a directory or a tar archive (plain, gzip, xz, zstd or bzip2),\n"
      "replacing the image of that name if there is one; prints its id",
      "NAME[:TAG] DIR|TARBALL",
      HELP_LINE,
  },
  {
      "ls",
      "list",
      image_ls,
      "List images",
      "[-q|--quiet] [-f|--format table|json]",
      "  -q, --quiet                 Print image ids only\n"
      "  -f, --format table|json     Output format (default: table)\n" HELP_LINE,
  },
  {
      "rm",
      "remove",
      image_rm,
      "Remove images and their files",
      "NAME[:TAG]...",
      HELP_LINE,
  },
  {
      "inspect",
      NULL,
      image_inspect,
      "Print the metadata of an image as JSON",
      "NAME[:TAG]",
      HELP_LINE,
  },
};

static const struct subverb *
find_subverb (const char *name)
{
  for (size_t i = 0; i < sizeof subverbs / sizeof subverbs[0]; i++)
    if (strcmp (subverbs[i].name, name) == 0
        || (subverbs[i].alias && strcmp (subverbs[i].alias, name) == 0))
      return &subverbs[i];
  return NULL;
}

int
cmd_image (struct mr_global *g, int argc, char **argv)
{
  const struct subverb *s;

  if (argc < 2)
    return usage_error ("image", "missing command: add, ls, rm or inspect");
  if (strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "--help") == 0)
    return verb_help ("image");
  s = find_subverb (argv[1]);
  if (s == NULL)
    {
      if (argv[1][0] == '-')
        return usage_error ("image", "invalid option '%s'", argv[1]);
      return usage_error ("image", "unknown command '%s': expected add, ls, rm or inspect",
                          argv[1]);
    }
  return s->fn (g, argc - 1, argv + 1);
}
