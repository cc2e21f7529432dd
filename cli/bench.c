/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder until `pfcap bench` lands (owned by the benchmark work). */
#include "cli.h"

int pf_cli_bench_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    pf_cli_warn("'bench' is not available in this build yet");
    return PF_EXIT_RUNTIME;
}
