// SPDX-License-Identifier: GPL-2.0-only
/*
 * The forkmirror command's JSON output (json-c): one builder per
 * subcommand whose --json output forkmirror(8) documents as stable. Keys
 * are only ever added. Unit-tested on the host (tools/tests/).
 */
#include <json-c/json.h>

#include "dm.h"
#include "out.h"

json_object *fm_status_json(const struct fm_dm_target *t)
{
	const struct fm_status *s = &t->status;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "device", json_object_new_string(t->name));
	json_object_object_add(o, "volume", json_object_new_string(t->table.args.volume));
	json_object_object_add(o, "tracker", json_object_new_string(t->table.args.tracker_path));
	json_object_object_add(o, "state", json_object_new_string(s->state));
	json_object_object_add(o, "dirty_regions", json_object_new_uint64(s->dirty));
	json_object_object_add(o, "total_regions", json_object_new_uint64(s->total));
	json_object_object_add(o, "region_sectors",
			       json_object_new_uint64(t->table.args.region_sectors));
	json_object_object_add(o, "resync_done", json_object_new_uint64(s->resync_done));
	json_object_object_add(o, "resync_pass_total",
			       json_object_new_uint64(s->resync_pass_total));
	json_object_object_add(o, "resync_kib_per_s", json_object_new_uint64(s->resync_kib_s));
	json_object_object_add(o, "backup_errors", json_object_new_uint64(s->backup_errors));
	json_object_object_add(o, "primary_errors", json_object_new_uint64(s->primary_errors));
	json_object_object_add(o, "offline_since", s->offline_since < 0 ? NULL :
			       json_object_new_int64(s->offline_since));
	json_object_object_add(o, "full_resync_needed",
			       json_object_new_boolean(s->full_resync_needed));
	return o;
}

json_object *fm_log_json(const struct fm_dm_target *t, const struct fm_log *log)
{
	json_object *o = json_object_new_object(), *ext = json_object_new_array();
	struct fm_extent_s e;
	uint64_t r = 0;

	json_object_object_add(o, "device", json_object_new_string(t->name));
	json_object_object_add(o, "volume", json_object_new_string(t->table.args.volume));
	json_object_object_add(o, "tracker", json_object_new_string(t->table.args.tracker_path));
	json_object_object_add(o, "state", json_object_new_string(t->status.state));
	json_object_object_add(o, "log_version", json_object_new_uint64(log->version));
	json_object_object_add(o, "seq", json_object_new_uint64(log->seq));
	json_object_object_add(o, "region_sectors", json_object_new_uint64(log->region_sectors));
	json_object_object_add(o, "region_count", json_object_new_uint64(log->region_count));
	json_object_object_add(o, "volume_sectors", json_object_new_uint64(log->volume_sectors));
	json_object_object_add(o, "dirty_regions", json_object_new_uint64(log->dirty_count));
	json_object_object_add(o, "slot_flags", json_object_new_uint64(log->flags));
	json_object_object_add(o, "first_dirtied", json_object_new_uint64(log->first_dirtied));
	json_object_object_add(o, "last_dirtied", json_object_new_uint64(log->last_dirtied));
	json_object_object_add(o, "offline_since", json_object_new_uint64(log->offline_since));
	while (fm_log_next_extent(log, &r, &e)) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "start", json_object_new_uint64(e.start));
		json_object_object_add(x, "length", json_object_new_uint64(e.length));
		json_object_array_add(ext, x);
	}
	json_object_object_add(o, "extents", ext);
	return o;
}
