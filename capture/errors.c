/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The messages of capture/ (expanded from the PF_CAPTURE_MESSAGES list in
 * capture_impl.h) and the small formatter that fills their %u/%d/%x/%s
 * slots from an array of numbers and two strings, so that a wrong
 * argument count can only print "?", never read a missing argument.
 */
#include <inttypes.h>
#include <stdio.h>

#include "capture/capture_impl.h"

static const struct {
    int code;
    int nargs;
    const char *text;
} messages[] = {
#define PF_CAPTURE_MSG_ENTRY(id, code, nargs, text)                            \
    {PF_CAPTURE_E_##code, nargs, text},
    PF_CAPTURE_MESSAGES(PF_CAPTURE_MSG_ENTRY)
#undef PF_CAPTURE_MSG_ENTRY
};

_Static_assert(sizeof(messages) / sizeof(messages[0]) == PF_MSG_COUNT,
               "one table entry per message id");

const char *pf_capture_msg_template(enum pf_capture_msg id)
{
    return (unsigned)id < PF_MSG_COUNT ? messages[id].text : NULL;
}

int pf_capture_msg_nargs(enum pf_capture_msg id)
{
    return (unsigned)id < PF_MSG_COUNT ? messages[id].nargs : -1;
}

/* Appends one conversion of @spec to buf[*pos..len). */
static void put_arg(char *buf, size_t len, size_t *pos, char spec,
                    const uint64_t *v, const char *s)
{
    int k;

    if (spec == 's')
        k = snprintf(buf + *pos, len - *pos, "%s", s ? s : "?");
    else if (!v)
        k = snprintf(buf + *pos, len - *pos, "?");
    else if (spec == 'd')
        k = snprintf(buf + *pos, len - *pos, "%" PRId64, (int64_t)*v);
    else if (spec == 'x')
        k = snprintf(buf + *pos, len - *pos, "0x%08" PRIx64, *v);
    else
        k = snprintf(buf + *pos, len - *pos, "%" PRIu64, *v);
    if (k > 0)
        *pos += (size_t)k < len - *pos ? (size_t)k : len - *pos - 1;
}

/* Expands @text into @buf (always NUL-terminated). */
static void expand(char *buf, size_t len, const char *text, const char *s1,
                   const char *s2, const uint64_t *nums, size_t n)
{
    size_t pos = 0, ni = 0, si = 0;

    for (const char *t = text; *t && pos + 1 < len; t++) {
        if (t[0] != '%' || !t[1]) {
            buf[pos++] = *t;
            continue;
        }
        t++;
        if (*t == 's')
            put_arg(buf, len, &pos, 's', NULL, si++ == 0 ? s1 : s2);
        else if (*t == 'u' || *t == 'd' || *t == 'x') {
            put_arg(buf, len, &pos, *t, ni < n ? &nums[ni] : NULL, NULL);
            ni++;
        } else
            buf[pos++] = *t;
    }
    buf[pos] = '\0';
}

int pf_capture_error(struct pf_error *err, int rc, uint64_t offset,
                     enum pf_capture_msg id, const char *s1, const char *s2,
                     const uint64_t *nums, size_t n)
{
    char msg[PF_ERROR_MSG_MAX];
    int code = (unsigned)id < PF_MSG_COUNT ? messages[id].code : 0;

    expand(msg, sizeof(msg), pf_capture_msg_template(id) ? messages[id].text
                                                         : "unknown error",
           s1, s2, nums, n);
    if (offset == PF_NO_OFFSET)
        return pf_error_set(err, rc, PF_STAGE_FILE, code, "%s", msg);
    return pf_error_set_offset(err, rc, PF_STAGE_FILE, code, offset, "%s",
                               msg);
}
