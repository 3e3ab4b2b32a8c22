/*
 * libvirt's in-process baseline, timed: virConnectBaselineCPU on test:///default over the
 * <cpu> elements of one file, the yardstick of benches/libvirt.rs.
 *
 *   baseline FILE REPS
 *
 * The file is read and cut into its top-level <cpu>...</cpu> elements before any timing
 * (as virsh cuts a file before it calls the API). Then one untimed call, then REPS timed
 * calls. Prints one line, "cpus=N reps=R median_ns=M min_ns=L", and the baseline XML of
 * the last call on standard error (the bench compares it with cpucompat's).
 *
 * Build: cc -O2 -o baseline baseline.c $(pkg-config --cflags --libs libvirt)
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void quiet(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE REPS\n", argv[0]);
        return 2;
    }
    long reps = atol(argv[2]);
    char *text = read_file(argv[1]);
    if (!text || reps < 1) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    /* the top-level <cpu> elements, each as its own string */
    size_t cap = 1024, n = 0;
    const char **cpus = malloc(cap * sizeof *cpus);
    for (char *p = text; (p = strstr(p, "<cpu")) != NULL;) {
        char *end = strstr(p, "</cpu>");
        if (!end)
            break;
        end += strlen("</cpu>");
        char *one = strndup(p, (size_t)(end - p));
        if (n == cap) {
            cap *= 2;
            cpus = realloc(cpus, cap * sizeof *cpus);
        }
        cpus[n++] = one;
        p = end;
    }
    virSetErrorFunc(NULL, quiet);
    virConnectPtr conn = virConnectOpen("test:///default");
    if (!conn) {
        fprintf(stderr, "cannot open test:///default\n");
        return 2;
    }
    char *out = virConnectBaselineCPU(conn, cpus, (unsigned int)n, 0);
    if (!out) {
        virErrorPtr e = virGetLastError();
        fprintf(stderr, "virConnectBaselineCPU failed: %s\n", e ? e->message : "?");
        return 1;
    }
    free(out);
    long *ns = malloc((size_t)reps * sizeof *ns);
    for (long r = 0; r < reps; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        out = virConnectBaselineCPU(conn, cpus, (unsigned int)n, 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (!out)
            return 1;
        ns[r] = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
        if (r + 1 < reps)
            free(out);
    }
    qsort(ns, (size_t)reps, sizeof *ns, cmp_long);
    printf("cpus=%zu reps=%ld median_ns=%ld min_ns=%ld\n", n, reps, ns[reps / 2], ns[0]);
    fputs(out, stderr);
    free(out);
    virConnectClose(conn);
    return 0;
}
