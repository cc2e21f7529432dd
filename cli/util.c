/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers of the pfcap command: reading a whole file or standard
 * input, and joining expression words as tcpdump does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *pf_cli_slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t cap = 4096, n = 0;
    char *buf = NULL, *bigger;

    if (!f)
        return NULL;
    while ((bigger = realloc(buf, cap))) {
        buf = bigger;
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
    }
    if (!bigger || ferror(f)) {
        free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

char *pf_cli_join_words(int argc, char **argv)
{
    size_t len = 1;
    char *s;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    s = calloc(1, len);
    for (int i = 0; s && i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}
