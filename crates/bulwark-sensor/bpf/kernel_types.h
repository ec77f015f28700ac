/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel structures the sensor reads, hand-written with only the fields it uses.
 *
 * Every struct is marked preserve_access_index, so clang emits CO-RE relocations for each field
 * access and the loader (aya) rewrites offsets against the running kernel's BTF
 * (/sys/kernel/btf/vmlinux) at load time. Field order, padding and sizes here do not matter; only
 * names and field types (scalar vs pointer vs struct) must match the kernel's. This replaces a
 * 130,000-line `bpftool btf dump ... format c` vmlinux.h, so the build does not depend on the
 * BTF of the machine that compiles it.
 */
#ifndef BULWARK_KERNEL_TYPES_H
#define BULWARK_KERNEL_TYPES_H

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef int pid_t;
typedef _Bool bool;

#define PAI __attribute__((preserve_access_index))

/* x86-64 register file as saved on syscall entry. */
struct pt_regs {
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
} PAI;

struct qstr {
	const unsigned char *name;
} PAI;

struct super_block {
	unsigned long s_magic;
	__u32 s_dev;
} PAI;

struct inode {
	unsigned short i_mode;
	__u32 i_rdev;
	unsigned long i_ino;
	struct super_block *i_sb;
	unsigned int __i_nlink;
} PAI;

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
} PAI;

struct vfsmount {
	struct dentry *mnt_root;
} PAI;

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
} PAI;

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
} PAI;

struct file {
	struct inode *f_inode;
	struct path f_path;
	void *private_data;
} PAI;

/* overlayfs' in-memory inode: the VFS inode is embedded; __upperdentry is set once the file
 * exists in the upper (writable) layer. */
struct ovl_inode {
	struct inode vfs_inode;
	struct dentry *__upperdentry;
} PAI;

struct linux_binprm {
	struct file *file;
	const char *filename;
} PAI;

struct kernfs_node {
	const char *name;
	__u64 id;
} PAI;

struct cgroup {
	struct kernfs_node *kn;
} PAI;

struct css_set {
	struct cgroup *dfl_cgrp;
} PAI;

struct tty_driver {
	int major;
	int minor_start;
} PAI;

struct tty_struct {
	int index;
	struct tty_driver *driver;
	char name[64];
} PAI;

struct signal_struct {
	struct tty_struct *tty;
} PAI;

typedef struct {
	__u32 val;
} kuid_t;

typedef struct {
	__u32 val;
} kgid_t;

/* Linux 6.3+: one u64. Before, two u32 words of the same size and order. */
typedef struct kernel_cap_struct {
	__u64 val;
} PAI kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kernel_cap_t cap_effective;
} PAI;

struct fs_struct {
	struct path root;
	struct path pwd;
} PAI;

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
} PAI;

struct ns_common {
	unsigned int inum;
} PAI;

struct mnt_namespace {
	struct ns_common ns;
} PAI;

struct nsproxy {
	struct mnt_namespace *mnt_ns;
} PAI;

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} PAI;

struct files_struct {
	struct fdtable *fdt;
} PAI;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} PAI;

struct sock_common {
	__u32 skc_daddr;
	__u32 skc_rcv_saddr;
	__u16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} PAI;

struct sock {
	struct sock_common __sk_common;
} PAI;

struct socket {
	struct sock *sk;
} PAI;

struct thread_info {
	__u32 status;
} PAI;

struct task_struct {
	struct thread_info thread_info;
	pid_t pid;
	pid_t tgid;
	int exit_code;
	struct task_struct *real_parent;
	char comm[16];
	struct css_set *cgroups;
	struct signal_struct *signal;
	const struct cred *real_cred;
	const struct cred *cred;
	struct fs_struct *fs;
	struct mm_struct *mm;
	struct nsproxy *nsproxy;
	struct files_struct *files;
} PAI;

#endif
