/* SPDX-License-Identifier: BSD-2-Clause */
/* The whole public API of libpfcap. */
#ifndef PFCAP_PFCAP_H
#define PFCAP_PFCAP_H

#include <pfcap/capture.h>
#include <pfcap/cbpf.h>
#include <pfcap/compile.h>
#include <pfcap/ebpf.h>
#include <pfcap/ebpf_io.h>
#include <pfcap/error.h>
#include <pfcap/filter.h>
#include <pfcap/live.h>
#include <pfcap/print.h>
#include <pfcap/translate.h>

#endif
