/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eBPF ELF objects (the only file that uses libelf). The writer makes the
 * relocatable object `clang -target bpf -c` would: EM_BPF, the program in
 * a named executable section ("socket", "xdp"), a "license" section and a
 * symbol table with a global function symbol, which bpftool and libbpf
 * load. The reader takes such objects apart again, checking every size and
 * offset itself before trusting libelf's view of a hostile file, and
 * resolves the one kind of relocation a filter needs without maps: calls
 * from the program's section into functions in .text.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pfcap/ebpf_io.h>

#define INSN_SIZE sizeof(struct pf_ebpf_insn)

static const char *const elf_msgs[] = {
    "",
#define PF_EBPF_ELF_MSG(name, msg) msg,
    PF_EBPF_ELF_CODES(PF_EBPF_ELF_MSG)
#undef PF_EBPF_ELF_MSG
};

/* Records error @code (its template filled from the arguments) at byte
 * @off of the object (PF_NO_OFFSET: none); returns @rc. */
static int elf_err(struct pf_error *err, int rc, int code, uint64_t off, ...)
{
    char msg[PF_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, off);
    vsnprintf(msg, sizeof(msg), elf_msgs[code], ap);
    va_end(ap);
    if (off == PF_NO_OFFSET)
        return pf_error_set(err, rc, PF_STAGE_ELF, code, "%s", msg);
    return pf_error_set_offset(err, rc, PF_STAGE_ELF, code, off, "%s", msg);
}

/* ---- writer ------------------------------------------------------------- */

/* Section header string table: "\0.strtab\0.symtab\0license\0<sec>\0" */
struct strtab {
    char buf[512];
    size_t len;
};

static size_t str_add(struct strtab *t, const char *s)
{
    size_t at = t->len, n = strlen(s) + 1;

    if (at + n > sizeof(t->buf))
        return 0;
    memcpy(t->buf + at, s, n);
    t->len += n;
    return at;
}

struct elf_out {
    Elf *elf;
    struct strtab shstr, str;
    Elf64_Sym syms[3];
    char license[128];
};

static int elf_fail(struct pf_error *err, const char *what)
{
    return elf_err(err, -EIO, PF_EBPF_ELF_ERR_LIBELF, PF_NO_OFFSET, what,
                   elf_errmsg(-1));
}

/* Adds a section with @data; returns its index or 0. */
static size_t add_section(Elf *elf, size_t name, Elf64_Word type,
                          Elf64_Xword flags, const void *data, size_t size,
                          size_t align, Elf64_Xword entsize)
{
    Elf_Scn *scn = elf_newscn(elf);
    Elf_Data *d = scn ? elf_newdata(scn) : NULL;
    Elf64_Shdr *sh = scn ? elf64_getshdr(scn) : NULL;

    if (!d || !sh)
        return 0;
    d->d_buf = (void *)data;
    d->d_size = size;
    d->d_align = align;
    d->d_type = ELF_T_BYTE;
    d->d_version = EV_CURRENT;
    sh->sh_name = (Elf64_Word)name;
    sh->sh_type = type;
    sh->sh_flags = flags;
    sh->sh_addralign = align;
    sh->sh_entsize = entsize;
    return elf_ndxscn(scn);
}

static int write_ehdr(Elf *elf)
{
    Elf64_Ehdr *eh = elf64_newehdr(elf);

    if (!eh)
        return -1;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_type = ET_REL;
    eh->e_machine = EM_BPF;
    eh->e_version = EV_CURRENT;
    return 0;
}

/* The symbol table: null, the function, the license object. */
static void fill_syms(struct elf_out *o, const char *name, size_t prog_idx,
                      size_t lic_idx, size_t prog_size)
{
    memset(o->syms, 0, sizeof(o->syms));
    o->syms[1].st_name = (Elf64_Word)str_add(&o->str, name);
    o->syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    o->syms[1].st_shndx = (Elf64_Section)prog_idx;
    o->syms[1].st_size = prog_size;
    o->syms[2].st_name = (Elf64_Word)str_add(&o->str, "_license");
    o->syms[2].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
    o->syms[2].st_shndx = (Elf64_Section)lic_idx;
    o->syms[2].st_size = strlen(o->license) + 1;
}

static int build(struct elf_out *o, const struct pf_ebpf_insn *insns,
                 size_t len, const char *section, const char *name)
{
    size_t prog, lic, symtab, strtab, shstrtab;
    Elf_Scn *scn;

    str_add(&o->shstr, "");
    str_add(&o->str, "");
    if (write_ehdr(o->elf))
        return -1;
    prog = add_section(o->elf, str_add(&o->shstr, section), SHT_PROGBITS,
                       SHF_ALLOC | SHF_EXECINSTR, insns, len * INSN_SIZE, 8,
                       0);
    lic = add_section(o->elf, str_add(&o->shstr, "license"), SHT_PROGBITS,
                      SHF_ALLOC | SHF_WRITE, o->license,
                      strlen(o->license) + 1, 1, 0);
    fill_syms(o, name, prog, lic, len * INSN_SIZE);
    symtab = add_section(o->elf, str_add(&o->shstr, ".symtab"), SHT_SYMTAB, 0,
                         o->syms, sizeof(o->syms), 8, sizeof(Elf64_Sym));
    strtab = add_section(o->elf, str_add(&o->shstr, ".strtab"), SHT_STRTAB, 0,
                         o->str.buf, o->str.len, 1, 0);
    shstrtab = add_section(o->elf, str_add(&o->shstr, ".shstrtab"),
                           SHT_STRTAB, 0, o->shstr.buf, 0, 1, 0);
    if (!prog || !lic || !symtab || !strtab || !shstrtab)
        return -1;
    /* the shstrtab grew while naming itself: set its size last */
    elf_getdata(elf_getscn(o->elf, shstrtab), NULL)->d_size = o->shstr.len;
    scn = elf_getscn(o->elf, symtab);
    elf64_getshdr(scn)->sh_link = (Elf64_Word)strtab;
    elf64_getshdr(scn)->sh_info = 1; /* first global symbol */
    elf64_getehdr(o->elf)->e_shstrndx = (Elf64_Half)shstrtab;
    return elf_update(o->elf, ELF_C_WRITE) < 0 ? -1 : 0;
}

static int check_write_opts(const struct pf_ebpf_insn *insns, size_t len,
                            const struct pf_ebpf_elf_opts *opts,
                            struct pf_ebpf_elf_opts *o, struct pf_error *err)
{
    memset(o, 0, sizeof(*o));
    if (opts)
        memcpy(o, opts, opts->sz < sizeof(*o) ? opts->sz : sizeof(*o));
    o->section = o->section ? o->section : "socket";
    o->name = o->name ? o->name : "pfcap_filter";
    o->license = o->license ? o->license : "GPL";
    if (!insns || len == 0 || len > UINT32_MAX / INSN_SIZE ||
        strlen(o->section) > 200 || strlen(o->name) > 200 ||
        strlen(o->license) > 100 || !o->section[0] || !o->name[0])
        return elf_err(err, -EINVAL, PF_EBPF_ELF_ERR_BAD_ARG, PF_NO_OFFSET,
                       "nothing to write, or a name too long");
    return 0;
}

/* Writes the object to descriptor @fd. */
static int write_fd(int fd, const struct pf_ebpf_insn *insns, size_t len,
                    const struct pf_ebpf_elf_opts *o, struct pf_error *err)
{
    struct elf_out *out = calloc(1, sizeof(*out));
    int rc = 0;

    if (!out)
        return elf_err(err, -ENOMEM, PF_EBPF_ELF_ERR_NOMEM, PF_NO_OFFSET);
    memcpy(out->license, o->license, strlen(o->license) + 1);
    elf_version(EV_CURRENT);
    out->elf = elf_begin(fd, ELF_C_WRITE, NULL);
    if (!out->elf || build(out, insns, len, o->section, o->name))
        rc = elf_fail(err, "writing the object");
    elf_end(out->elf);
    free(out);
    return rc;
}

int pf_ebpf_elf_write_file(const char *path, const struct pf_ebpf_insn *insns,
                           size_t len, const struct pf_ebpf_elf_opts *opts,
                           struct pf_error *err)
{
    struct pf_ebpf_elf_opts o;
    int fd, rc = check_write_opts(insns, len, opts, &o, err);

    if (rc)
        return rc;
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return elf_err(err, -errno, PF_EBPF_ELF_ERR_IO, PF_NO_OFFSET, path,
                       strerror(errno));
    rc = write_fd(fd, insns, len, &o, err);
    if (close(fd) < 0 && !rc)
        rc = elf_err(err, -errno, PF_EBPF_ELF_ERR_IO, PF_NO_OFFSET, path,
                     strerror(errno));
    return rc;
}

/* Reads all of @fd (from offset 0) into a malloc'd buffer. */
static int slurp(int fd, void **buf, size_t *size, struct pf_error *err)
{
    struct stat st;
    ssize_t got;

    if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return elf_err(err, -errno, PF_EBPF_ELF_ERR_IO, PF_NO_OFFSET, "memfd",
                       strerror(errno));
    *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!*buf)
        return elf_err(err, -ENOMEM, PF_EBPF_ELF_ERR_NOMEM, PF_NO_OFFSET);
    got = read(fd, *buf, (size_t)st.st_size);
    if (got != st.st_size) {
        free(*buf);
        return elf_err(err, -EIO, PF_EBPF_ELF_ERR_IO, PF_NO_OFFSET, "memfd",
                       "short read");
    }
    *size = (size_t)st.st_size;
    return 0;
}

int pf_ebpf_elf_write(const struct pf_ebpf_insn *insns, size_t len,
                      const struct pf_ebpf_elf_opts *opts, void **buf,
                      size_t *size, struct pf_error *err)
{
    struct pf_ebpf_elf_opts o;
    int fd, rc = check_write_opts(insns, len, opts, &o, err);

    if (rc)
        return rc;
    fd = memfd_create("pfcap-elf", MFD_CLOEXEC);
    if (fd < 0)
        return elf_err(err, -errno, PF_EBPF_ELF_ERR_IO, PF_NO_OFFSET,
                       "memfd_create", strerror(errno));
    rc = write_fd(fd, insns, len, &o, err);
    if (!rc)
        rc = slurp(fd, buf, size, err);
    close(fd);
    return rc;
}

/* ---- reader ------------------------------------------------------------- */

struct elf_in {
    Elf *elf;
    size_t size;        /* bytes in the file */
    size_t shstrndx;
    Elf_Scn *scn;       /* the program's section */
    const char *name;
};

static int malformed(struct pf_error *err, uint64_t off, const char *what)
{
    return elf_err(err, -EINVAL, PF_EBPF_ELF_ERR_MALFORMED, off, what);
}

static int check_header(struct elf_in *in, struct pf_error *err)
{
    GElf_Ehdr ehb, *eh;

    /* libelf hands out pointers into the image, which a hostile file can
     * misalign: the reader only uses gelf_* copies */
    if (!in->elf || elf_kind(in->elf) != ELF_K_ELF ||
        gelf_getclass(in->elf) != ELFCLASS64 ||
        !(eh = gelf_getehdr(in->elf, &ehb)) ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_BPF ||
        eh->e_type != ET_REL)
        return elf_err(err, -EINVAL, PF_EBPF_ELF_ERR_NOT_BPF, 0, "");
    if (elf_getshdrstrndx(in->elf, &in->shstrndx) < 0)
        return malformed(err, 0, "no section name table");
    return 0;
}

/* The header of @scn with its data range checked against the file. */
static GElf_Shdr *section_header(struct elf_in *in, Elf_Scn *scn,
                                 GElf_Shdr *buf, struct pf_error *err)
{
    GElf_Shdr *sh = gelf_getshdr(scn, buf);

    if (!sh) {
        malformed(err, PF_NO_OFFSET, "unreadable section header");
        return NULL;
    }
    if (sh->sh_type != SHT_NOBITS &&
        (sh->sh_offset > in->size || sh->sh_size > in->size - sh->sh_offset)) {
        malformed(err, sh->sh_offset, "section data beyond the end of file");
        return NULL;
    }
    return sh;
}

static int is_code(const GElf_Shdr *sh)
{
    return sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR) &&
           sh->sh_size > 0;
}

/* Finds @want, or the first named code section (else .text). */
static int find_section(struct elf_in *in, const char *want,
                        struct pf_error *err)
{
    Elf_Scn *scn = NULL, *text = NULL;

    while ((scn = elf_nextscn(in->elf, scn))) {
        GElf_Shdr shb, *sh = section_header(in, scn, &shb, err);
        const char *name = sh ? elf_strptr(in->elf, in->shstrndx, sh->sh_name)
                              : NULL;

        if (!sh)
            return -EINVAL;
        if (!name)
            return malformed(err, PF_NO_OFFSET, "bad section name");
        if (want ? strcmp(name, want) == 0 : is_code(sh) &&
                                                 strcmp(name, ".text") != 0) {
            in->scn = scn;
            in->name = name;
            return 0;
        }
        if (!want && !text && is_code(sh))
            text = scn;
    }
    if (text) {
        in->scn = text;
        in->name = ".text";
        return 0;
    }
    return elf_err(err, -ENOENT, PF_EBPF_ELF_ERR_NO_SECTION, PF_NO_OFFSET,
                   want ? want : "");
}

/* The program being assembled: the chosen section, then (when one of its
 * calls needs it) .text appended at @text_base. */
struct elf_prog {
    struct pf_ebpf_insn *insns;
    size_t len, text_base, text_len;
    Elf_Scn *text;
    int uses_text;
};

/* Symbol @sym_idx of the symbol table @symtab_idx, and its name. */
static int reloc_symbol(struct elf_in *in, size_t symtab_idx, size_t sym_idx,
                        GElf_Sym *sym, const char **name)
{
    Elf_Scn *scn = elf_getscn(in->elf, symtab_idx);
    GElf_Shdr shb, *sh = scn ? gelf_getshdr(scn, &shb) : NULL;
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

    *name = "an unreadable symbol";
    if (!sh || !d || sh->sh_type != SHT_SYMTAB || sym_idx > INT32_MAX ||
        !gelf_getsym(d, (int)sym_idx, sym))
        return -1;
    *name = elf_strptr(in->elf, sh->sh_link, sym->st_name);
    if (!*name || !**name)
        *name = "an unnamed symbol";
    return 0;
}

/*
 * Resolves one relocation at instruction @idx of a section copied to
 * @base in @p: only calls (BPF_PSEUDO_CALL) to functions in .text can be
 * resolved, by appending .text and making the call pc-relative the way
 * libbpf does (target = symbol / 8 + imm + 1 within .text).
 */
static int resolve_one(struct elf_in *in, struct elf_prog *p,
                       const GElf_Shdr *rel_sh, const GElf_Rel *rel,
                       size_t base, size_t n, struct pf_error *err)
{
    size_t idx = (size_t)(rel->r_offset / INSN_SIZE), target;
    struct pf_ebpf_insn *insn;
    const char *name;
    GElf_Sym sym;

    if (rel->r_offset % INSN_SIZE || idx >= n)
        return malformed(err, rel_sh->sh_offset, "relocation offset");
    insn = &p->insns[base + idx];
    if (reloc_symbol(in, rel_sh->sh_link, GELF_R_SYM(rel->r_info), &sym,
                     &name) ||
        insn->code != (PF_EBPF_JMP | PF_EBPF_CALL) || insn->src_reg != 1 ||
        !p->text || sym.st_shndx != elf_ndxscn(p->text) ||
        sym.st_value % INSN_SIZE)
        return elf_err(err, -ENOTSUP, PF_EBPF_ELF_ERR_RELOC, rel_sh->sh_offset,
                       in->name, idx, name);
    target = (size_t)(sym.st_value / INSN_SIZE) + (size_t)(int64_t)insn->imm +
             1;
    if (target >= p->text_len)
        return malformed(err, rel_sh->sh_offset, "call outside .text");
    insn->imm = (int32_t)((int64_t)(p->text_base + target) -
                          (int64_t)(base + idx) - 1);
    p->uses_text = 1;
    return 0;
}

/* Applies every relocation of section @scn (copied to @base, @n insns). */
static int resolve_section(struct elf_in *in, struct elf_prog *p,
                           Elf_Scn *target, size_t base, size_t n,
                           struct pf_error *err)
{
    size_t idx = elf_ndxscn(target);
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(in->elf, scn))) {
        GElf_Shdr shb, *sh = section_header(in, scn, &shb, err);
        Elf_Data *d;
        GElf_Rel rel;

        if (!sh)
            return -EINVAL;
        if (sh->sh_type == SHT_RELA && sh->sh_info == idx && sh->sh_size)
            return malformed(err, sh->sh_offset, "RELA relocations");
        if (sh->sh_type != SHT_REL || sh->sh_info != idx)
            continue;
        d = elf_getdata(scn, NULL);
        for (size_t r = 0; r < sh->sh_size / sizeof(Elf64_Rel); r++) {
            int rc;

            if (!d || r > INT32_MAX || !gelf_getrel(d, (int)r, &rel))
                return malformed(err, sh->sh_offset, "unreadable relocation");
            rc = resolve_one(in, p, sh, &rel, base, n, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The instructions of code section @scn, checked. */
static int section_insns(struct elf_in *in, Elf_Scn *scn, const char *name,
                         Elf_Data **out, struct pf_error *err)
{
    GElf_Shdr shb, *sh = gelf_getshdr(scn, &shb);
    Elf_Data *d = elf_getdata(scn, NULL);

    if (!sh || sh->sh_type != SHT_PROGBITS || !d || !d->d_buf ||
        d->d_size != sh->sh_size || d->d_size == 0)
        return malformed(err, sh ? sh->sh_offset : PF_NO_OFFSET,
                         "program section without data");
    if (d->d_size % INSN_SIZE || d->d_size > UINT32_MAX)
        return elf_err(err, -EINVAL, PF_EBPF_ELF_ERR_BAD_SIZE, sh->sh_offset,
                       name, d->d_size);
    *out = d;
    (void)in;
    return 0;
}

/* The .text section, when it holds code and is not the program itself. */
static Elf_Scn *find_text(struct elf_in *in)
{
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(in->elf, scn))) {
        GElf_Shdr shb, *sh = gelf_getshdr(scn, &shb);
        const char *name = sh ? elf_strptr(in->elf, in->shstrndx, sh->sh_name)
                              : NULL;

        if (scn != in->scn && sh && name && strcmp(name, ".text") == 0 &&
            is_code(sh))
            return scn;
    }
    return NULL;
}

static int copy_program(struct elf_in *in, struct pf_ebpf_prog *out,
                        struct pf_error *err)
{
    struct elf_prog p = {0};
    Elf_Data *d, *t = NULL;
    int rc = section_insns(in, in->scn, in->name, &d, err);

    if (rc)
        return rc;
    p.text_base = d->d_size / INSN_SIZE;
    if (strcmp(in->name, ".text") == 0) { /* calls stay inside */
        p.text = in->scn;
        p.text_base = 0;
        p.text_len = d->d_size / INSN_SIZE;
    } else if ((p.text = find_text(in))) {
        rc = section_insns(in, p.text, ".text", &t, err);
        if (rc)
            return rc;
        p.text_len = t->d_size / INSN_SIZE;
    }
    p.insns = malloc(d->d_size + (t ? t->d_size : 0));
    if (!p.insns)
        return elf_err(err, -ENOMEM, PF_EBPF_ELF_ERR_NOMEM, PF_NO_OFFSET);
    memcpy(p.insns, d->d_buf, d->d_size);
    if (t)
        memcpy(p.insns + p.text_base, t->d_buf, t->d_size);
    rc = resolve_section(in, &p, in->scn, 0, d->d_size / INSN_SIZE, err);
    if (!rc && p.uses_text && t)
        rc = resolve_section(in, &p, p.text, p.text_base, p.text_len, err);
    if (rc) {
        free(p.insns);
        return rc;
    }
    out->insns = p.insns;
    out->len = d->d_size / INSN_SIZE + (p.uses_text && t ? p.text_len : 0);
    return 0;
}

int pf_ebpf_elf_read(const void *buf, size_t size, const char *section,
                     struct pf_ebpf_prog *out, struct pf_error *err)
{
    struct elf_in in = {.size = size};
    char *copy;
    int rc;

    if (!buf || size < sizeof(Elf64_Ehdr))
        return elf_err(err, -EINVAL, PF_EBPF_ELF_ERR_NOT_BPF, 0,
                       " (too short)");
    copy = malloc(size); /* libelf wants a writable image */
    if (!copy)
        return elf_err(err, -ENOMEM, PF_EBPF_ELF_ERR_NOMEM, PF_NO_OFFSET);
    memcpy(copy, buf, size);
    elf_version(EV_CURRENT);
    in.elf = elf_memory(copy, size);
    rc = check_header(&in, err);
    if (!rc)
        rc = find_section(&in, section, err);
    if (!rc)
        rc = copy_program(&in, out, err);
    elf_end(in.elf);
    free(copy);
    return rc;
}

int pf_ebpf_elf_read_file(const char *path, const char *section,
                          struct pf_ebpf_prog *out, struct pf_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    void *buf;
    size_t size;
    int rc;

    if (fd < 0)
        return elf_err(err, -errno, PF_EBPF_ELF_ERR_IO, PF_NO_OFFSET, path,
                       strerror(errno));
    rc = slurp(fd, &buf, &size, err);
    close(fd);
    if (rc)
        return rc;
    rc = pf_ebpf_elf_read(buf, size, section, out, err);
    free(buf);
    return rc;
}
