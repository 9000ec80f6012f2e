/* syncrep.h — reads synchronous_standby_names as the server does, to tell
 * which standbys the server waits for, as its SyncRepGetCandidateStandbys
 * chooses them. pgcdc-read asks this of its own walsender from what any role
 * may read (pg_stat_replication shows sync_state only to pg_read_all_stats). */
#ifndef DBREPL_SYNCREP_H
#define DBREPL_SYNCREP_H

#include <stdbool.h>
#include <stddef.h>

/* A walsender as the server ranks it: the application_name it gave (NULL:
 * not known) and whether it is a candidate (streaming with a flush
 * position; true when not known). */
typedef struct syncrep_standby {
	const char *app;
	bool valid;
} syncrep_standby;

/* Whether a commit cannot end without standby me of the n walsenders s (in
 * the order of the server's walsender slots, which breaks ties of
 * priority), under setting (a valid synchronous_standby_names value). By
 * priority (a plain list, N (...) or FIRST N (...)): when fewer than N
 * candidates come before it (a lower priority, the first entry matching a
 * name, ignoring ASCII case, or "*"; or the same and an earlier slot). In
 * a quorum (ANY N (...)): when fewer than N other candidates are members.
 * Standby me counts as a candidate whatever its valid says: until it
 * reports a flush position the commit waits for it to. A standby not known
 * counts against; so the answer may be a false "no" (one counted is not
 * streaming), never a false "yes". False for an empty
 * setting, a standby it does not name, and a setting it cannot read. */
bool syncrep_commits_wait_for(const char *setting, const syncrep_standby *s, size_t n, size_t me);

#endif
