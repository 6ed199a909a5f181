/* SPDX-License-Identifier: GPL-2.0-only */
/* Output helpers of the forkmirror command. */
#ifndef FORKMIRROR_TOOL_OUT_H
#define FORKMIRROR_TOOL_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* @o, pretty-printed, and a newline on stdout. */
void fm_print_json(json_object *o);

/* A Unix time as "YYYY-MM-DD HH:MM:SS" (local time), "-" when <= 0. */
void fm_format_time(int64_t t, char *buf, size_t len);

struct fm_dm_target;
struct fm_log;

/* The --json objects of status (one device) and log. */
json_object *fm_status_json(const struct fm_dm_target *t);
json_object *fm_log_json(const struct fm_dm_target *t, const struct fm_log *log);

#endif /* FORKMIRROR_TOOL_OUT_H */
