/* paths.c - see paths.h. */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int paths_beside_db(char *out, size_t size, const char *db, const char *sub) {
    size_t len = strlen(db);
    if (len > 3 && !strcmp(db + len - 3, ".db")) len -= 3;
    int n = snprintf(out, size, "%.*s/%s", (int)len, db, sub);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int paths_mkdirs(const char *path) {
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}
