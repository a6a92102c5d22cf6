/* The native API's exec: a command run in a container, its output
 * captured whole.  */
#include "config.h"

#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "util/cleanup.h"
#include "util/json.h"

/* A capture's cancel: nobody is left to read its output.  */
static bool
client_gone (void *data)
{
  return mr_api_client_gone (data);
}

HANDLER (post_exec)
{
  static const char *const known[] = { "command", "env", "user", "workdir", "timeout", NULL };
  struct mr_exec_opts o = { .size = sizeof o };
  struct mr_exec_capture_opts co = { .size = sizeof co };
  struct mr_exec_result r = { .size = sizeof r };
  cleanup_json json_t *doc = NULL;
  cleanup_free char *user = NULL;
  struct strv args = { 0 }, env = { 0 };
  struct mr_error err = { 0 };
  json_int_t timeout = 0;
  bool set;
  int ret;

  if (api_body_object (req, res, false, &doc) < 0)
    return;
  if (api_check_fields (doc, known, res) < 0
      || api_field_strings (doc, "command", true, &args, res) < 0
      || api_field_pairs (doc, "env", true, &env, res) < 0 || api_field_user (doc, &user, res) < 0
      || api_field_string (doc, "workdir", &o.cwd, res) < 0
      || api_field_int (doc, "timeout", 0, INT_MAX, &timeout, &set, res) < 0)
    goto out;
  if (args.n == 0)
    {
      api_fail (res, 400, "invalid field 'command': a command is needed");
      goto out;
    }
  if (user && mr_exec_user_parse (user, &o) < 0)
    {
      api_fail (res, 400, "invalid field 'user': '%s' is not a numeric UID[:GID]", user);
      goto out;
    }
  if (o.cwd && o.cwd[0] != '/')
    {
      api_fail (res, 400, "invalid field 'workdir': '%s' is not an absolute path", o.cwd);
      goto out;
    }
  o.args = api_strv_get (&args);
  o.env = api_strv_get (&env);
  co.timeout = (int)timeout;
  co.cancel = client_gone;
  co.cancel_data = (void *)req;

  /* thread-safe, and changes no container: a long command must not hold
   * up every other call */
  ret = mr_container_exec_capture (api->ctx, name, &o, &co, &r, &err);
  if (ret < 0 && (r.exit_code == 126 || r.exit_code == 127))
    /* the command could not run: as a shell says so */
    api_succeed (res, json_pack ("{s:i, s:s, s:s, s:b, s:b, s:b}", "exit_code", r.exit_code,
                                 "stdout", "", "stderr", err.msg, "timed_out", 0,
                                 "stdout_truncated", 0, "stderr_truncated", 0));
  else if (ret < 0)
    api_fail_library (api, res, name, &err);
  else
    api_succeed (
        res, json_pack ("{s:i, s:o, s:o, s:b, s:b, s:b}", "exit_code", r.exit_code, "stdout",
                        api_json_text (r.stdout_data ? r.stdout_data : "", r.stdout_len), "stderr",
                        api_json_text (r.stderr_data ? r.stderr_data : "", r.stderr_len),
                        "timed_out", r.timed_out, "stdout_truncated", r.stdout_truncated,
                        "stderr_truncated", r.stderr_truncated));
  mr_exec_result_clear (&r);
out:
  api_strv_clear (&args);
  api_strv_clear (&env);
}
