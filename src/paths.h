/* paths.h - folders a sweep writes next to its database.
 *
 * Owns: the rule that experiments/NAME.db keeps its charts in
 * experiments/NAME/plots and its checkpoints in experiments/NAME/runs, and
 * making folders. Used by plot.c and main.c. */
#ifndef SWEEP_PATHS_H
#define SWEEP_PATHS_H

#include <stddef.h>

/* experiments/lr_grid.db + "plots" -> experiments/lr_grid/plots; -1 if it
 * does not fit in size. */
int paths_beside_db(char *out, size_t size, const char *db, const char *sub);
/* mkdir -p; 0 or -1 with errno. */
int paths_mkdirs(const char *path);

#endif
