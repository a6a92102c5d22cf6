/* Container events: what happened to which container, and when, appended one
 * JSON object a line to <data dir>/events.log:
 *
 *   {"time":"2026-11-24T10:00:00.123456789Z","timeNano":1795514400123456789,
 *    "type":"container","action":"die","id":"web",
 *    "attributes":{"exitCode":"0","image":"bb:latest"}}
 *
 * (on one line).  Every writer (the CLI verbs, monitors, serve's threads)
 * appends an event with a single write() to the file opened O_APPEND, so
 * lines never interleave.  Past MR_EVENTS_MAX_SIZE the file is renamed to
 * events.log.1 (one old file is kept).  Writers hold a shared flock on the
 * file while they write and the one that rotates holds it exclusively, and a
 * writer that finds the file renamed under it opens the new one: once the
 * rename is visible nobody writes to the old file, which is what lets a
 * follower finish the old file and go on with the new one without losing
 * an event.  A follower that falls more than a whole file behind the
 * writers misses the file that was dropped meanwhile.  mr_events_read
 * (lib/minirun.h) reads them back.  */
#ifndef MR_EVENTS_H
#define MR_EVENTS_H

#include <jansson.h>

#include "minirun.h"

#define MR_EVENTS_FILE "events.log"
#define MR_EVENTS_OLD_FILE "events.log.1"
/* The file is rotated when it reaches this size.  */
#define MR_EVENTS_MAX_SIZE (1024 * 1024)
/* The longest line a reader takes (an id is at most 128 bytes, attributes
   are a few short strings): a bound against a hostile file.  */
#define MR_EVENTS_LINE_MAX (64 * 1024)

/* Appends one event; best effort: a failure is returned but callers may
 * ignore it (err may be NULL).  action: one of the names mr_event_action_valid
 * accepts; id: the container's id or name.  attrs: NULL or a json object of
 * string values, stolen (decref'ed by the call).  */
int mr_event_emit (struct mr_context *ctx, const char *action, const char *id, json_t *attrs,
                   struct mr_error *err);

/* mr_event_emit for an event of the OCI core (struct mr_context's event
 * hook): code is the signal of "kill", the exit code of "die".  */
void mr_event_from_core (struct mr_context *ctx, const char *action, const char *id, int code);

/* A json object from key, value pairs ended by a NULL key; pairs whose
 * value is NULL are left out.  NULL when out of memory.  For
 * mr_event_emit (ctx, "kill", id, mr_event_attrs ("signal", "SIGKILL", NULL), NULL).  */
json_t *mr_event_attrs (const char *key, ...) __attribute__ ((sentinel));

/* {"exitCode": "N"}, for "die" (N: 128+S after signal S).  */
json_t *mr_event_exit_attrs (int exit_code);
/* {"signal": "SIGKILL"}, or the number when the signal has no name.  */
json_t *mr_event_signal_attrs (int signo);

/* true for create start exec die oom kill stop restart pause resume delete.  */
bool mr_event_action_valid (const char *action);

#endif
