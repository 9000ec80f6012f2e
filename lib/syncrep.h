/* syncrep.h — reads synchronous_standby_names as the server does, to tell
 * whether every commit waits for a standby of a given application_name.
 * pgcdc-read asks this when pg_stat_replication hides the sync_state of its
 * own walsender (a role without pg_read_all_stats sees only the pid). */
#ifndef DBREPL_SYNCREP_H
#define DBREPL_SYNCREP_H

#include <stdbool.h>

/* True when setting (a valid synchronous_standby_names value) chooses
 * standbys by priority (a plain list, N (...) or FIRST N (...)) and the
 * first entry that matches app (case-insensitively, or "*") is among the
 * first N: such a standby is always one of those commits wait for. False
 * for an empty setting, quorum (ANY N (...)), no match, a match after the
 * first N (whether it is chosen depends on which others are connected), and
 * a setting it cannot read. */
bool syncrep_commits_wait_for(const char *setting, const char *app);

#endif
