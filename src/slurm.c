/* slurm.c - writing and submitting a sweep's Slurm batch scripts.
 *
 * Every value that reaches a script's commands is either a number or name we
 * checked or a string written in single quotes (quote(); paths go into
 * variables once and are used as "$VAR"), so paths and overrides with
 * spaces, quotes or $ survive bash; #SBATCH lines take paths in double
 * quotes; paths with line breaks are refused (comments hold paths too). Scripts are written to NAME.tmp and renamed,
 * so a task never reads half a script. */
#include "slurm.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "shards.h"

/* s in single quotes for bash ('it'\''s'). */
static void quote(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

static int only(const char *s, const char *extra) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(extra, *s)) return 0;
    return 1;
}

int slurm_check(const slurm_opts *o, sw_err *err) {
    if (o->tasks < 1)
        return err_set(err, ERR_INPUT, "sweep slurm: --tasks N is required (N >= 1: the array's "
                       "size, one shard per task)");
    if (o->tasks > SHARDS_MAX)
        return err_set(err, ERR_INPUT, "sweep slurm: --tasks %d is more than the %d shards a sweep "
                       "can run in", o->tasks, SHARDS_MAX);
    if (o->cpus < 1 || o->cpus > 64)
        return err_set(err, ERR_INPUT, "sweep slurm: --cpus-per-task needs a number from 1 to 64 (each task runs that many workers)");
    if (o->partition && !only(o->partition, "_-.,"))
        return err_set(err, ERR_INPUT, "sweep slurm: --partition '%s' is not a partition name "
                       "(letters, digits, _ - . and , between names)", o->partition);
    if (o->time && !only(o->time, ":-"))
        return err_set(err, ERR_INPUT, "sweep slurm: --time '%s' is not a Slurm time limit; "
                       "write it as HH:MM:SS, MM or D-HH:MM:SS", o->time);
    if (o->mem && !only(o->mem, ""))
        return err_set(err, ERR_INPUT, "sweep slurm: --mem '%s' is not a Slurm memory size; "
                       "write it as 4000 (MB), 4G or 500M", o->mem);
    return 0;
}

/* Open path.tmp for writing; finish() renames it to path. */
static FILE *start(const char *path, char *tmp, size_t size, sw_err *err) {
    int n = snprintf(tmp, size, "%s.tmp", path);
    if (n < 0 || (size_t)n >= size) {
        err_set(err, ERR_INPUT, "%s: the path is too long", path);
        return NULL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) err_set(err, ERR_INPUT, "%s: cannot write: %s", tmp, strerror(errno));
    return f;
}

static int finish(FILE *f, const char *tmp, const char *path, sw_err *err) {
    int bad = ferror(f);
    if (fclose(f) || bad || chmod(tmp, 0755) || rename(tmp, path)) {
        unlink(tmp);
        return err_set(err, ERR_INPUT, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

/* #SBATCH --opt="path": sbatch reads quotes there; % is its pattern sign. */
static void sbatch_path(FILE *f, const char *opt, const char *dir, const char *file) {
    fprintf(f, "#SBATCH --%s=\"", opt);
    for (const char *p = dir; *p; p++) {
        if (*p == '%') fputc('%', f);
        fputc(*p, f);
    }
    fprintf(f, "/%s\"\n", file);
}

/* The #SBATCH lines both scripts share. */
static void common_lines(FILE *f, const slurm_opts *o) {
    if (o->partition) fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    if (o->mem) fprintf(f, "#SBATCH --mem=%s\n", o->mem);
}

static void write_array(FILE *f, const slurm_opts *o, const char *exe, const char *fetch,
                        const char *exp, const char *dir, const char *cwd) {
    int n = o->tasks;
    fprintf(f, "#!/bin/bash\n"
            "# sweep.sbatch - written by `sweep slurm` for the sweep %s: a job array of %d\n"
            "# task%s; task K trains shard K of %d (sweep run --shard K/%d) into its own\n"
            "# SQLite file, %s/%s.shard-K-of-%d.db\n"
            "# (SQLite must not be shared over a network file system). merge.sbatch joins\n"
            "# them. Resubmit one task alone with: sbatch --array=K %s/sweep.sbatch\n",
            o->name, n, n == 1 ? "" : "s", n, n, exp, o->name, n, dir);
    fprintf(f, "#SBATCH --job-name=sweep-%s\n", o->name);
    fprintf(f, "#SBATCH --array=0-%d\n", n - 1);
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", o->cpus);
    sbatch_path(f, "output", dir, "task-%a.log");
    if (o->time) fprintf(f, "#SBATCH --time=%s\n", o->time);
    common_lines(f, o);
    fprintf(f, "set -u\nSWEEP=");
    quote(f, exe);
    fprintf(f, "\nCONFIG=");
    quote(f, o->config);
    fprintf(f, "\nFETCH=");
    quote(f, fetch);
    fprintf(f, "\nWORKDIR=");
    quote(f, cwd);
    fprintf(f, "\nSCRIPTS=");
    quote(f, dir);
    fprintf(f, "\nK=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}\n");
    fprintf(f, "echo \"sweep %s: task $K of %d on $(hostname) at $(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ)\"\n",
            o->name, n);
    fprintf(f, "cd \"$WORKDIR\" || { echo \"sweep task $K: cannot enter $WORKDIR\" >&2; exit 3; }\n");
    fprintf(f, "# The data, checked before any training.\n"
               "bad_data() {\n"
               "    echo \"sweep task $K: $1; on a login node run: $2 - then resubmit this task: "
               "sbatch --array=$K $SCRIPTS/sweep.sbatch\" >&2\n"
               "    exit 3\n"
               "}\n");
    for (int i = 0; i < o->ndata; i++) {
        const slurm_data *d = &o->data[i];
        fprintf(f, "D=");
        quote(f, d->dir);
        if (!strcmp(d->dataset, "idx"))
            fprintf(f, "\nfor f in train-images-idx3-ubyte train-labels-idx1-ubyte "
                       "t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do\n"
                       "    [ -r \"$D/$f\" ] || [ -r \"$D/$f.gz\" ] || bad_data \"$D/$f is "
                       "missing\" \"put the four IDX files in $D\"\ndone\n");
        else
            fprintf(f, "\n\"$FETCH\" verify \"$D\" %s || bad_data \"the %s data in $D are missing "
                       "or do not verify\" \"$FETCH %s $D\"\n", d->dataset, d->dataset, d->dataset);
    }
    fprintf(f, "exec \"$SWEEP\" run \"$CONFIG\" --shard \"$K/%d\" -j \"${SLURM_CPUS_PER_TASK:-%d}\" \\\n"
               "    --db ", n, o->cpus);
    char db[PATH_MAX + 128];
    snprintf(db, sizeof db, "%s/%s.shard-", exp, o->name);
    quote(f, db);
    fprintf(f, "\"$K\"'-of-%d.db'", n);
    for (int i = 0; i < o->nover; i++) {
        fputc(' ', f);
        quote(f, o->over[i]);
    }
    fputc('\n', f);
}

static void write_merge(FILE *f, const slurm_opts *o, const char *exe, const char *exp,
                        const char *dir) {
    int n = o->tasks;
    fprintf(f, "#!/bin/bash\n"
            "# merge.sbatch - written by `sweep slurm` for the sweep %s: joins the %d shard\n"
            "# databases into %s/%s.db once every task of sweep.sbatch succeeded\n"
            "# (submitted with --dependency=afterok:ARRAY_JOB_ID --kill-on-invalid-dep=yes).\n",
            o->name, n, exp, o->name);
    fprintf(f, "#SBATCH --job-name=sweep-%s-merge\n", o->name);
    fprintf(f, "#SBATCH --cpus-per-task=1\n");
    sbatch_path(f, "output", dir, "merge.log");
    common_lines(f, o);
    fprintf(f, "set -u\nEXP=");
    quote(f, exp);
    fprintf(f, "\nshards=()\nfor ((k = 0; k < %d; k++)); do shards+=(\"$EXP/\"", n);
    quote(f, o->name);
    fprintf(f, "\".shard-$k-of-%d.db\"); done\n", n);
    fprintf(f, "exec ");
    quote(f, exe);
    fprintf(f, " merge \"$EXP/\"");
    quote(f, o->name);
    fprintf(f, "'.db' \"${shards[@]}\"\n");
}

/* Run argv, its standard output into buf; its exit status, or -1. */
static int capture(char *const argv[], char *buf, size_t size) {
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd[0], buf + len, size - 1 - len)) > 0 && len + 1 < size) len += (size_t)r;
    buf[len] = '\0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* sbatch --parsable [extra...] script: the job id in id. */
static int submit(const char *script, const char *dependency, char *id, size_t size, sw_err *err) {
    char dep[128], out[256];
    char *argv[6];
    int a = 0;
    argv[a++] = "sbatch";
    argv[a++] = "--parsable";
    if (dependency) {
        snprintf(dep, sizeof dep, "--dependency=afterok:%s", dependency);
        argv[a++] = dep;
        argv[a++] = "--kill-on-invalid-dep=yes";
    }
    argv[a++] = (char *)script;
    argv[a] = NULL;
    int st = capture(argv, out, sizeof out);
    if (st == 127)
        return err_set(err, ERR_INPUT, "sbatch is not installed here; submit from a Slurm login "
                       "node, or leave out --submit and run the sbatch lines there");
    size_t len = strspn(out, "0123456789");
    if (st != 0 || len == 0 || len >= size)
        return err_set(err, ERR_INPUT, "sbatch %s failed (exit %d): %s", script, st,
                       out[0] ? out : "see its message above");
    memcpy(id, out, len);
    id[len] = '\0';
    return 0;
}

int slurm_write(const slurm_opts *o, const char *experiments, FILE *out, sw_err *err) {
    char exe[PATH_MAX], fetch[PATH_MAX + 64], dir[PATH_MAX + 256], cwd[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return err_set(err, ERR_INTERNAL, "cannot find the sweep binary's path");
    exe[len] = '\0';
    if (!getcwd(cwd, sizeof cwd)) return err_set(err, ERR_INTERNAL, "cannot read the working folder");
    snprintf(fetch, sizeof fetch, "%.*s/scripts/fetch-data.sh", (int)(strrchr(exe, '/') - exe), exe);
    for (int i = 0; i < o->ndata; i++)
        if (strcmp(o->data[i].dataset, "idx") && access(fetch, X_OK))
            return err_set(err, ERR_INPUT, "%s is missing: the tasks verify the %s data with it; "
                           "run sweep slurm with the sweep binary of a source checkout", fetch,
                           o->data[i].dataset);
    snprintf(dir, sizeof dir, "%s/%s/slurm", experiments, o->name);
    const char *paths[] = {exe, o->config, cwd, experiments};
    for (int i = 0; i < 4; i++)
        if (strchr(paths[i], '\n'))
            return err_set(err, ERR_INPUT, "a path with a line break cannot go into a batch script: "
                           "%s", paths[i]);
    for (int i = 0; i < o->ndata; i++)
        if (strchr(o->data[i].dir, '\n'))
            return err_set(err, ERR_INPUT, "a path with a line break cannot go into a batch script: "
                           "%s", o->data[i].dir);
    if (strpbrk(dir, "\"\n"))
        return err_set(err, ERR_INPUT, "%s: Slurm's #SBATCH lines cannot hold a path with a double "
                       "quote or a line break; run sweep slurm from another folder", dir);
    if (paths_mkdirs(dir))
        return err_set(err, ERR_INPUT, "%s: cannot make the folder: %s", dir, strerror(errno));
    char path[2][PATH_MAX + 300], tmp[PATH_MAX + 310];
    snprintf(path[0], sizeof path[0], "%s/sweep.sbatch", dir);
    snprintf(path[1], sizeof path[1], "%s/merge.sbatch", dir);
    for (int i = 0; i < 2; i++) {
        FILE *f = start(path[i], tmp, sizeof tmp, err);
        if (!f) return -1;
        if (i == 0) write_array(f, o, exe, fetch, experiments, dir, cwd);
        else write_merge(f, o, exe, experiments, dir);
        if (finish(f, tmp, path[i], err)) return -1;
    }
    for (int i = 0; i < o->ndata; i++)
        if (access(o->data[i].dir, R_OK))
            fprintf(out, "note: %s is not there yet; fetch it before the tasks start "
                    "(each task checks it and fails with a message if not)\n", o->data[i].dir);
    fprintf(out, "wrote %s (a %d-task array, %d CPU%s per task)\n", path[0], o->tasks, o->cpus,
            o->cpus == 1 ? "" : "s");
    fprintf(out, "wrote %s (joins the shards into %s/%s.db)\n", path[1], experiments, o->name);
    char glob[PATH_MAX + 200];
    snprintf(glob, sizeof glob, "%s/%s.shard-*-of-%d.db", experiments, o->name, o->tasks);
    if (!o->submit) {
        fprintf(out, "submit them with:\n  ARRAY=$(sbatch --parsable %s)\n"
                "  sbatch --dependency=afterok:$ARRAY --kill-on-invalid-dep=yes %s\n"
                "or run sweep slurm again with --submit. Progress: sweep status '%s'\n",
                path[0], path[1], glob);
        return 0;
    }
    char array[64], merge[64];
    if (submit(path[0], NULL, array, sizeof array, err)) return -1;
    if (submit(path[1], array, merge, sizeof merge, err))
        return err_prefix(err, "the array is submitted as job %s (scancel %s to stop it), but",
                          array, array);
    fprintf(out, "submitted: array job %s (%d tasks), merge job %s (runs once every task "
            "succeeded)\n", array, o->tasks, merge);
    fprintf(out, "watch:  squeue -j %s,%s\nstatus: sweep status '%s'\nlogs:   %s/task-*.log, "
            "%s/merge.log\n", array, merge, glob, dir, dir);
    return 0;
}
