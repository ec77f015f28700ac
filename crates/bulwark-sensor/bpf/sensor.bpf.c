// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bulwark's runtime sensor: kernel side.
 *
 * Hooks (see docs/sensor.md):
 *   sched_process_exec, sched_process_exit, sched_process_fork  tp_btf, or raw_tp as a fallback
 *   syscalls:sys_exit_<name> of each watched system call         tracepoint (one program attached
 *                                                                to each); raw_syscalls sys_exit
 *                                                                as raw_tp without tracefs. A
 *                                                                per-syscall table set by user
 *                                                                space says what to capture
 * Records go to one ring buffer; every record starts with `struct hdr`. Layouts are mirrored in
 * src/record.rs (offsets asserted by unit tests there): change both together.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_COMM_LEN 16
#define CGROUP_LEAF_LEN 128
#define FILENAME_LEN 256
#define ARGV_LEN 1024
#define CWD_LEN 512
#define CWD_COMPONENT_LEN 64
#define CWD_MAX_DEPTH 24
#define STR_LEN 256
#define PREFIX_LEN 128
#define MAX_SYSCALLS 512
#define TTY_NAME_LEN 32
#define FD_NAME_LEN 16
#define S_IFMT 0170000
#define S_IFSOCK 0140000

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define TS_COMPAT 0x0002
#define AF_INET 2
#define AF_INET6 10
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000

enum kind { K_EXEC = 1, K_EXIT = 2, K_FORK = 3, K_SYSCALL = 4 };

/* exec.exe_flags */
#define EXE_OVERLAY (1 << 0)
#define EXE_UPPER_LAYER (1 << 1)
#define EXE_MEMFD (1 << 2)
#define EXE_UNLINKED (1 << 3)
/* exec.trunc */
#define TRUNC_ARGV (1 << 0)
#define TRUNC_CWD (1 << 1)

/* counters (per-CPU array slots) */
enum counter { C_LOST = 0, C_PATH_UNREADABLE = 1, C_SUBMITTED = 2, C_COMPAT_SKIPPED = 3, C_NCOUNTERS = 4 };

/* syscall spec flags (byte 0 of struct spec) */
#define SP_ENABLED (1 << 0)
#define SP_PATH_FILTER (1 << 1)  /* str0 is a path matched against the `prefixes` trie */
#define SP_SOCK_RET (1 << 2)     /* the return value is a socket fd: read its addresses */
#define SP_SOCK_ARG0 (1 << 3)    /* arg0 is a socket fd: read its addresses */
#define SP_OPEN_HOW (1 << 4)     /* arg2 is struct open_how *: flags and mode into extra[] */
#define SP_CAP_DATA (1 << 5)     /* arg1 is struct __user_cap_data_struct[2]: into extra[] */

/* prefix rule flags (value of the `prefixes` trie) */
#define PF_ANY 1   /* report every open under the prefix */
#define PF_WRITE 2 /* report opens for writing (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC) */

struct hdr {
	__u32 kind;
	__u32 cpu;
	__u64 ts;        /* bpf_ktime_get_boot_ns */
	__u64 cgroup_id; /* cgroup v2 id of the task */
	__u64 mntns;     /* mount namespace inode number */
	__u32 pid;       /* thread id */
	__u32 tgid;      /* process id */
	__u32 ppid;      /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 _pad;
	char comm[TASK_COMM_LEN];
};

struct sock_info {
	__u16 family;
	__u16 lport;
	__u16 rport;
	__u16 _pad;
	__u8 laddr[16];
	__u8 raddr[16];
};

/* One of fds 0, 1, 2 of an exec'd process. */
struct stdio_fd {
	__u32 mode;  /* the inode's i_mode (file type and permissions) */
	__u32 flags; /* FD_OPEN, FD_SOCK */
	__u32 rdev;  /* device number of a character or block device (kernel encoding) */
	__u32 _pad;
	struct sock_info sock;   /* a socket's family and addresses (FD_SOCK) */
	char name[FD_NAME_LEN];  /* the dentry name's start: "[eventfd]", "memfd:x", "pipe:" */
};

/* stdio_fd.flags */
#define FD_OPEN (1 << 0)
#define FD_SOCK (1 << 1)

struct exec_ev {
	struct hdr h;
	__u32 euid;
	__u32 egid;
	__u64 exe_ino;
	__u32 exe_dev;
	__u32 exe_flags;
	__u32 exe_magic;
	__u32 tty_major; /* 0 without a controlling tty */
	__u32 tty_minor;
	__u32 argv_len;
	__u64 parent_cgroup_id;
	__u32 cwd_len;
	__u32 trunc;
	char pcomm[TASK_COMM_LEN];
	char tty[TTY_NAME_LEN];
	char cgroup_leaf[CGROUP_LEAF_LEN];
	char filename[FILENAME_LEN];
	char argv[ARGV_LEN];
	char cwd[CWD_LEN]; /* components leaf first, each NUL-terminated */
	struct stdio_fd stdio[3];
};

struct exit_ev {
	struct hdr h;
	__s32 exit_code;
	__u32 _pad;
};

struct fork_ev {
	struct hdr h; /* the parent */
	__u32 child_pid;
	__u32 child_tgid;
};

struct sys_ev {
	struct hdr h;
	__u32 nr;
	__u32 have; /* bit i: str[i] read; bit 3: addr read; bit 4: sock read; bit 5: extra[0..3]
		     * read; bit 6: extra[3] holds the effective capabilities */
	__s64 ret;
	__u64 args[6];
	__u8 addr[28]; /* struct sockaddr_in / sockaddr_in6 as passed by the caller */
	__u32 addr_len;
	struct sock_info sock;
	__u64 extra[4]; /* call-specific words; extra[3]: the caller's effective capabilities */
	char str[3][STR_LEN];
};

/* The layout src/record.rs decodes. */
#define AT(t, f, o) _Static_assert(__builtin_offsetof(struct t, f) == o, #t "." #f)
AT(hdr, ts, 8); AT(hdr, cgroup_id, 16); AT(hdr, mntns, 24); AT(hdr, pid, 32); AT(hdr, tgid, 36);
AT(hdr, ppid, 40); AT(hdr, uid, 44); AT(hdr, gid, 48); AT(hdr, comm, 56);
_Static_assert(sizeof(struct hdr) == 72, "hdr");
AT(exec_ev, euid, 72); AT(exec_ev, egid, 76); AT(exec_ev, exe_ino, 80); AT(exec_ev, exe_dev, 88);
AT(exec_ev, exe_flags, 92); AT(exec_ev, exe_magic, 96); AT(exec_ev, tty_major, 100);
AT(exec_ev, tty_minor, 104); AT(exec_ev, argv_len, 108); AT(exec_ev, parent_cgroup_id, 112);
AT(exec_ev, cwd_len, 120); AT(exec_ev, trunc, 124); AT(exec_ev, pcomm, 128); AT(exec_ev, tty, 144);
AT(exec_ev, cgroup_leaf, 176); AT(exec_ev, filename, 304); AT(exec_ev, argv, 560);
AT(exec_ev, cwd, 1584); AT(exec_ev, stdio, 2096);
AT(stdio_fd, flags, 4); AT(stdio_fd, rdev, 8); AT(stdio_fd, sock, 16); AT(stdio_fd, name, 56);
_Static_assert(sizeof(struct stdio_fd) == 72, "stdio_fd");
_Static_assert(sizeof(struct exec_ev) == 2312, "exec_ev");
AT(exit_ev, exit_code, 72); _Static_assert(sizeof(struct exit_ev) == 80, "exit_ev");
AT(fork_ev, child_pid, 72); AT(fork_ev, child_tgid, 76);
_Static_assert(sizeof(struct fork_ev) == 80, "fork_ev");
AT(sys_ev, nr, 72); AT(sys_ev, have, 76); AT(sys_ev, ret, 80); AT(sys_ev, args, 88);
AT(sys_ev, addr, 136); AT(sys_ev, addr_len, 164); AT(sys_ev, sock, 168); AT(sys_ev, extra, 208);
AT(sys_ev, str, 240);
AT(sock_info, lport, 2); AT(sock_info, rport, 4); AT(sock_info, laddr, 8); AT(sock_info, raddr, 24);
_Static_assert(sizeof(struct sys_ev) == 1008, "sys_ev");

struct spec {
	__u8 flags;
	__u8 str_arg[3]; /* argument index + 1 of a user string, 0 for none */
	__u8 addr_arg;   /* argument index + 1 of a user sockaddr */
	__u8 addrlen_arg;/* argument index + 1 of its length (by value; 0x80 | idx+1 if a pointer) */
	__u8 flags_arg;  /* argument index + 1 of open flags, for the prefix filter */
	__u8 nargs;      /* how many arguments the call takes (the rest are not reported) */
};

_Static_assert(sizeof(struct spec) == 8, "spec");

struct prefix_key {
	__u32 prefixlen; /* in bits */
	__u8 data[PREFIX_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, C_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct spec);
} syscall_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_key);
	__type(value, __u32);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prefix_key);
} scratch_key SEC(".maps");

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;      /* the sensor's own process: never reported */
const volatile __u32 report_all_opens = 0;
const volatile __u64 wakeup_bytes = 0;   /* wake the reader once this much is waiting */

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);
	if (v)
		*v += 1;
}

static __always_inline void *reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		count(C_LOST);
	return e;
}

/* Records are submitted without waking the reader, which polls on a short timer, until a
 * quarter of the ring buffer is waiting: one wakeup per batch rather than per event. */
static __always_inline void submit(void *e)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes
			      ? BPF_RB_FORCE_WAKEUP
			      : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	count(C_SUBMITTED);
}

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline void fill_hdr(struct hdr *h, __u32 kind, struct task_struct *t)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->mntns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
	h->pid = (__u32)pt;
	h->tgid = pt >> 32;
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->uid = (__u32)ug;
	h->gid = ug >> 32;
	h->_pad = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline int is_self(void)
{
	return self_tgid != 0 && (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/* ---------- file descriptors ---------- */

/* The file at descriptor `fd` of the current task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	__u32 max = BPF_CORE_READ(fdt, max_fds);
	if (fd >= max)
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* A socket file's family and addresses; 0 unless `f` is an inet or inet6 socket whose addresses
 * were read (other families get their family only). */
static __always_inline int file_sock(struct file *f, struct sock_info *si)
{
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	si->family = family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	si->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	si->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		/* laddr/raddr sit at 4-byte-aligned offsets (asserted above) */
		*(__u32 *)si->laddr = l;
		*(__u32 *)si->raddr = r;
	} else {
		BPF_CORE_READ_INTO(&si->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&si->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	return 1;
}

/* Fds 0, 1 and 2 as the new program starts (close-on-exec already applied): the file type, and
 * for sockets their family and addresses, so a shell whose stdin is a TCP connection shows. */
static __always_inline void read_stdio(struct exec_ev *e, struct task_struct *t)
{
	__builtin_memset(e->stdio, 0, sizeof(e->stdio));
#pragma unroll
	for (int i = 0; i < 3; i++) {
		struct file *f = fd_file(t, i);
		if (!f)
			continue;
		struct stdio_fd *s = &e->stdio[i];
		struct inode *inode = BPF_CORE_READ(f, f_inode);
		__u32 mode = BPF_CORE_READ(inode, i_mode);
		s->mode = mode;
		s->flags = FD_OPEN;
		if (file_sock(f, &s->sock) || s->sock.family)
			s->flags |= FD_SOCK;
		else
			s->rdev = BPF_CORE_READ(inode, i_rdev);
		if ((mode & S_IFMT) != S_IFSOCK)
			bpf_probe_read_kernel_str(s->name, sizeof(s->name),
						  BPF_CORE_READ(f, f_path.dentry, d_name.name));
	}
}

/* ---------- process lifecycle ---------- */

static __always_inline __u32 exe_flags(struct file *f)
{
	__u32 flags = 0;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	if (BPF_CORE_READ(inode, __i_nlink) == 0)
		flags |= EXE_UNLINKED;
	char name[8] = {};
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
	    name[5] == ':')
		flags |= EXE_MEMFD;
	if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		flags |= EXE_OVERLAY;
		/* the VFS inode is embedded in struct ovl_inode; __upperdentry is set once the file
		 * has been copied up or created in the writable layer */
		struct ovl_inode *oi =
			(void *)((char *)inode - bpf_core_field_offset(struct ovl_inode, vfs_inode));
		if (BPF_CORE_READ(oi, __upperdentry))
			flags |= EXE_UPPER_LAYER;
	}
	return flags;
}

/* The working directory, leaf first: "bin\0usr\0" for /usr/bin. Stops at the task's root, so a
 * containerised process's cwd is the path it sees. */
static __always_inline __u32 read_cwd(struct exec_ev *e, struct task_struct *t)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	struct dentry *root_dentry = BPF_CORE_READ(fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(fs, root.mnt);
	struct dentry *d = BPF_CORE_READ(fs, pwd.dentry);
	struct vfsmount *vmnt = BPF_CORE_READ(fs, pwd.mnt);
	struct mount *mnt = (void *)((char *)vmnt - bpf_core_field_offset(struct mount, mnt));
	__u32 off = 0;
	e->trunc &= ~TRUNC_CWD;
#pragma unroll
	for (int i = 0; i < CWD_MAX_DEPTH; i++) {
		if (d == root_dentry && vmnt == root_mnt)
			return off;
		struct dentry *mnt_root = BPF_CORE_READ(vmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (d == mnt_root || d == parent) {
			struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
			if (mp == mnt) /* the top of the mount tree */
				return off;
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
			vmnt = (void *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		if (off > CWD_LEN - CWD_COMPONENT_LEN)
			break;
		int n = bpf_probe_read_kernel_str(&e->cwd[off], CWD_COMPONENT_LEN,
						  BPF_CORE_READ(d, d_name.name));
		if (n <= 0)
			break;
		off += n;
		d = parent;
	}
	e->trunc |= TRUNC_CWD;
	return off;
}

static __always_inline int on_exec(struct task_struct *t, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	struct exec_ev *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, K_EXEC, t);
	const struct cred *cred = BPF_CORE_READ(t, real_cred);
	e->euid = BPF_CORE_READ(cred, euid.val);
	e->egid = BPF_CORE_READ(cred, egid.val);
	struct file *f = BPF_CORE_READ(bprm, file);
	e->exe_ino = BPF_CORE_READ(f, f_inode, i_ino);
	e->exe_dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	e->exe_magic = (__u32)BPF_CORE_READ(f, f_inode, i_sb, s_magic);
	e->exe_flags = exe_flags(f);
	e->trunc = 0;

	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	e->tty[0] = 0;
	e->tty_major = 0;
	e->tty_minor = 0;
	if (tty) {
		e->tty_major = BPF_CORE_READ(tty, driver, major);
		e->tty_minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		bpf_probe_read_kernel_str(e->tty, sizeof(e->tty), &tty->name);
	}

	struct task_struct *parent = BPF_CORE_READ(t, real_parent);
	e->parent_cgroup_id = BPF_CORE_READ(parent, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&e->pcomm, parent, comm);
	bpf_probe_read_kernel_str(e->cgroup_leaf, sizeof(e->cgroup_leaf),
				  BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, name));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));

	unsigned long start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long end = BPF_CORE_READ(t, mm, arg_end);
	__u32 len = 0;
	if (end > start) {
		unsigned long span = end - start;
		if (span > ARGV_LEN) {
			span = ARGV_LEN;
			e->trunc |= TRUNC_ARGV;
		}
		len = span;
		if (bpf_probe_read_user(e->argv, len, (void *)start) != 0)
			len = 0;
	}
	e->argv_len = len;
	e->cwd_len = read_cwd(e, t);
	read_stdio(e, t);
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(current_task(), bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(current_task(), bprm);
}

static __always_inline int on_exit(void)
{
	if (is_self())
		return 0;
	__u64 pt = bpf_get_current_pid_tgid();
	if ((__u32)pt != (__u32)(pt >> 32)) /* a thread, not the process */
		return 0;
	struct task_struct *t = current_task();
	struct exit_ev *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, K_EXIT, t);
	e->exit_code = BPF_CORE_READ(t, exit_code);
	e->_pad = 0;
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf)
{
	return on_exit();
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw)
{
	return on_exit();
}

static __always_inline int on_fork(struct task_struct *child)
{
	if (is_self())
		return 0;
	__u32 cpid = BPF_CORE_READ(child, pid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (cpid != ctgid) /* a new thread */
		return 0;
	struct fork_ev *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, K_FORK, current_task());
	e->child_pid = cpid;
	e->child_tgid = ctgid;
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(child);
}

/* ---------- syscalls ---------- */

static __always_inline struct spec *spec_of(__u32 nr)
{
	if (nr >= MAX_SYSCALLS)
		return 0;
	struct spec *s = bpf_map_lookup_elem(&syscall_specs, &nr);
	if (!s || !(s->flags & SP_ENABLED))
		return 0;
	return s;
}

static __always_inline __u64 arg_at(const __u64 *args, __u8 idx1)
{
	/* idx1 is an argument index + 1 */
	switch (idx1) {
	case 1: return args[0];
	case 2: return args[1];
	case 3: return args[2];
	case 4: return args[3];
	case 5: return args[4];
	case 6: return args[5];
	default: return 0;
	}
}

/* Whether an open-like call passes the prefix filter: 1 report, 0 filtered out, -1 its path
 * could not be read. The key's length is the path's, so nothing needs clearing. */
static __always_inline int open_filter(struct spec *s, const __u64 *args)
{
	if (report_all_opens)
		return 1;
	__u32 zero = 0;
	struct prefix_key *k = bpf_map_lookup_elem(&scratch_key, &zero);
	if (!k)
		return 0;
	long n = bpf_probe_read_user_str(k->data, PREFIX_LEN, (void *)arg_at(args, s->str_arg[0]));
	if (n <= 0)
		return -1;
	k->prefixlen = (__u32)(n - 1) * 8;
	__u32 *rule = bpf_map_lookup_elem(&prefixes, k);
	if (!rule)
		return 0;
	if (*rule & PF_ANY)
		return 1;
	if (*rule & PF_WRITE) {
		__u64 flags;
		if (s->flags & SP_OPEN_HOW) {
			if (bpf_probe_read_user(&flags, sizeof(flags), (void *)args[2]) != 0)
				return 1; /* unreadable: report rather than hide */
		} else if (s->flags_arg) {
			flags = arg_at(args, s->flags_arg);
		} else {
			return 1;
		}
		return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
	}
	return 0;
}

static __always_inline void read_sock(struct sys_ev *e, __u64 fd)
{
	struct file *f = fd_file(current_task(), fd);
	if (f && file_sock(f, &e->sock))
		e->have |= 1 << 4;
}

/* A watched system call has returned. Its arguments come from the user registers saved at entry,
 * which the call leaves alone, so one hook at exit sees both arguments and result (and user
 * memory the kernel has just read is resident). */
static __always_inline int on_sys_exit(__u32 nr, long ret, struct pt_regs *regs, int typed)
{
	struct spec *s = spec_of(nr);
	if (!s || is_self())
		return 0;
	struct task_struct *t = current_task();
	__u64 args[6];
	if (typed) {
		/* a BTF pointer (bpf_task_pt_regs): plain loads */
		args[0] = regs->di;
		args[1] = regs->si;
		args[2] = regs->dx;
		args[3] = regs->r10;
		args[4] = regs->r8;
		args[5] = regs->r9;
	} else {
		if (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT) {
			/* a 32-bit process: its syscall numbers mean something else (the syscalls
			 * tracepoints never fire for them) */
			count(C_COMPAT_SKIPPED);
			return 0;
		}
		args[0] = BPF_CORE_READ(regs, di);
		args[1] = BPF_CORE_READ(regs, si);
		args[2] = BPF_CORE_READ(regs, dx);
		args[3] = BPF_CORE_READ(regs, r10);
		args[4] = BPF_CORE_READ(regs, r8);
		args[5] = BPF_CORE_READ(regs, r9);
	}
	if (s->flags & SP_PATH_FILTER) {
		int w = open_filter(s, args);
		if (w < 0 && ret >= 0)
			count(C_PATH_UNREADABLE);
		if (w != 1)
			return 0;
	}
	struct sys_ev *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, K_SYSCALL, t);
	e->nr = nr;
	e->have = 0;
	e->ret = ret;
	e->addr_len = 0;
	__builtin_memset(&e->sock, 0, sizeof(e->sock));
	__builtin_memset(e->extra, 0, sizeof(e->extra));
	/* Falco's thread.cap_effective (the credentials in use: task->cred) */
	const struct cred *cred = BPF_CORE_READ(t, cred);
	if (bpf_core_read(&e->extra[3], sizeof(e->extra[3]), &cred->cap_effective) == 0)
		e->have |= 1 << 6;
#pragma unroll
	for (int i = 0; i < 6; i++)
		e->args[i] = i < s->nargs ? args[i] : 0;
#pragma unroll
	for (int i = 0; i < 3; i++) {
		e->str[i][0] = 0;
		if (s->str_arg[i] &&
		    bpf_probe_read_user_str(e->str[i], STR_LEN, (void *)arg_at(args, s->str_arg[i])) > 0)
			e->have |= 1 << i;
	}
	if (s->addr_arg) {
		__u64 uaddr = arg_at(args, s->addr_arg);
		__u32 len = 0;
		if (s->addrlen_arg & 0x80) {
			bpf_probe_read_user(&len, sizeof(len), (void *)arg_at(args, s->addrlen_arg & 0x7f));
		} else if (s->addrlen_arg) {
			len = arg_at(args, s->addrlen_arg);
		}
		if (len > sizeof(e->addr))
			len = sizeof(e->addr);
		/* hide len's known range from clang so the mask survives for the verifier */
		asm volatile("" : "+r"(len));
		len &= 31;
		if (uaddr && len > 0 && bpf_probe_read_user(e->addr, len, (void *)uaddr) == 0) {
			e->addr_len = len;
			e->have |= 1 << 3;
		}
	}
	if ((s->flags & SP_SOCK_RET) && ret >= 0)
		read_sock(e, ret);
	if (s->flags & SP_SOCK_ARG0)
		read_sock(e, args[0]);
	if (s->flags & SP_OPEN_HOW) {
		if (bpf_probe_read_user(&e->extra, 2 * sizeof(__u64), (void *)args[2]) == 0)
			e->have |= 1 << 5;
	} else if (s->flags & SP_CAP_DATA) {
		if (bpf_probe_read_user(&e->extra, 3 * sizeof(__u64), (void *)args[1]) == 0)
			e->have |= 1 << 5;
	}
	submit(e);
	return 0;
}

/* The context of a syscalls:sys_exit_* tracepoint (its format file). */
struct sys_exit_tp_args {
	__u64 common;
	__s32 nr;
	__u32 _pad;
	__s64 ret;
};

/* Preferred: attached by user space to syscalls:sys_exit_<name> of each watched call, so other
 * system calls run no BPF at all. */
SEC("tracepoint/syscalls/sys_exit")
int sys_exit_tp(struct sys_exit_tp_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return on_sys_exit((__u32)ctx->nr, ctx->ret, regs, 1);
}

/* Fallback without tracefs: every system call's exit, filtered by the spec table. */
SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	return on_sys_exit((__u32)BPF_CORE_READ(regs, orig_ax), ret, regs, 0);
}
