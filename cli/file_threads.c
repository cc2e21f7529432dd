/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder until parallel file filtering lands: runs single-threaded. */
#include "cli.h"

int pf_cli_file_run_threads(const struct pf_cli_opts *o)
{
    struct pf_cli_opts one = *o;

    one.threads = 1;
    return pf_cli_file_run(&one);
}
