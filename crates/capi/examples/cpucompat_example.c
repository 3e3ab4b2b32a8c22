/* cpucompat's C interface in one short program: compare a guest with a host, baseline
 * every CPU of the files given, list the catalog's models as seen from the host.
 *
 *   cpucompat_example [-a ARCH] [-m CPU_MAP] HOST GUEST [MORE...]
 *
 * prints, one after the other, exactly what these print:
 *   cpucompat compare HOST GUEST --format json
 *   cpucompat baseline HOST GUEST MORE... --format xml
 *   cpucompat models HOST --format json
 * (each with --arch ARCH --cpu-map CPU_MAP when given). Exit status: 0, 1 when the guest
 * does not run on the host (as `compare`), or 2 with the error on stderr ("FILE:LINE:COL: message", as the command line prints it).
 *
 * Build against a checkout (after `cargo build -p cpucompat-capi --release`):
 *   gcc -Wall -Werror -o cpucompat_example crates/capi/examples/cpucompat_example.c \
 *     $(PKG_CONFIG_PATH=target/release/pkgconfig pkg-config --cflags --libs \
 *       cpucompat-uninstalled) -Wl,-rpath,$PWD/target/release
 */
#include <cpucompat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole file in memory, or NULL (errno says why). */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f)
        return NULL;
    do {
        if (n == cap) {
            char *bigger = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!bigger) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Prints a result and frees it; reports a failure. Returns the status. */
static int emit(cpucompat_status status, char *text) {
    if (status != CPUCOMPAT_OK) {
        fprintf(stderr, "cpucompat_example: %s\n", cpucompat_error_message());
        return status;
    }
    fputs(text, stdout);
    cpucompat_string_free(text);
    return status;
}

int main(int argc, char **argv) {
    const char *arch = "x86_64", *cpu_map = NULL;
    cpucompat_engine *engine = NULL;
    cpucompat_input *inputs = NULL;
    cpucompat_status status;
    cpucompat_verdict verdict = CPUCOMPAT_INCOMPATIBLE;
    char *out = NULL;
    int i, first, count, rc = 2;

    for (first = 1; first + 1 < argc && argv[first][0] == '-'; first += 2) {
        if (strcmp(argv[first], "-a") == 0)
            arch = argv[first + 1];
        else if (strcmp(argv[first], "-m") == 0)
            cpu_map = argv[first + 1];
        else
            break;
    }
    count = argc - first;
    if (count < 2) {
        fprintf(stderr, "usage: %s [-a ARCH] [-m CPU_MAP] HOST GUEST [MORE...]\n", argv[0]);
        return 2;
    }
    inputs = calloc((size_t)count, sizeof *inputs);
    if (!inputs)
        return 2;
    for (i = 0; i < count; i++) {
        inputs[i].name = argv[first + i];
        inputs[i].data = read_file(argv[first + i], &inputs[i].len);
        if (!inputs[i].data) {
            perror(argv[first + i]);
            goto done;
        }
    }

    status = cpucompat_engine_new(&engine, arch, cpu_map, NULL);
    if (status != CPUCOMPAT_OK) {
        fprintf(stderr, "cpucompat_example: %s\n", cpucompat_error_message());
        goto done;
    }
    status = cpucompat_compare(&out, &verdict, engine, &inputs[0], &inputs[1]);
    if (emit(status, out) != CPUCOMPAT_OK)
        goto done;
    status = cpucompat_baseline(&out, engine, inputs, (size_t)count, 0, CPUCOMPAT_FORMAT_XML);
    if (emit(status, out) != CPUCOMPAT_OK)
        goto done;
    status = cpucompat_models(&out, engine, &inputs[0]);
    if (emit(status, out) != CPUCOMPAT_OK)
        goto done;
    rc = verdict == CPUCOMPAT_INCOMPATIBLE ? 1 : 0;

done:
    cpucompat_engine_free(engine);
    for (i = 0; i < count; i++)
        free((char *)inputs[i].data);
    free(inputs);
    return rc;
}
