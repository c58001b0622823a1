//! Privileges: the agent's own (non-dumpable, so that nothing of the same uid without
//! `CAP_SYS_PTRACE` can read its environment, memory or descriptors through `/proc`) and a
//! script's (none at all, and no way back through `execve`).
//!
//! `drop_all` runs in the forked child before `execve`, where only async-signal-safe calls
//! are allowed: it uses raw `prctl`/`capset` system calls and allocates nothing.

use std::io;

use libc::c_ulong;

// <linux/securebits.h>
const SECBIT_NOROOT: c_ulong = 1 << 0;
const SECBIT_NOROOT_LOCKED: c_ulong = 1 << 1;
const SECBIT_NO_SETUID_FIXUP: c_ulong = 1 << 2;
const SECBIT_NO_SETUID_FIXUP_LOCKED: c_ulong = 1 << 3;
const SECBIT_KEEP_CAPS_LOCKED: c_ulong = 1 << 5;
const SECBIT_NO_CAP_AMBIENT_RAISE: c_ulong = 1 << 6;
const SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED: c_ulong = 1 << 7;
/// uid 0 gets no capabilities from `execve`, and none of this can be undone.
const SECBITS: c_ulong = SECBIT_NOROOT
    | SECBIT_NOROOT_LOCKED
    | SECBIT_NO_SETUID_FIXUP
    | SECBIT_NO_SETUID_FIXUP_LOCKED
    | SECBIT_KEEP_CAPS_LOCKED
    | SECBIT_NO_CAP_AMBIENT_RAISE
    | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
const CAP_SETPCAP: u32 = 8;
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn check(rc: libc::c_long) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn prctl(option: libc::c_int, arg: c_ulong) -> libc::c_long {
    // SAFETY: integer-only prctl options; no memory is passed.
    unsafe {
        libc::syscall(
            libc::SYS_prctl,
            option,
            arg,
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        )
    }
}

/// Makes this process non-dumpable: its `/proc/<pid>` files become root-owned and
/// ptrace-mode reads (environ, mem, fd) need `CAP_SYS_PTRACE`, which scripts never hold.
pub fn make_non_dumpable() -> io::Result<()> {
    check(prctl(libc::PR_SET_DUMPABLE, 0))
}

/// Orphans of this process's descendants are re-parented to it instead of to init, so a
/// process that left its script's group or session can still be found and killed.
pub(super) fn become_subreaper() -> io::Result<()> {
    check(prctl(libc::PR_SET_CHILD_SUBREAPER, 1))
}

/// How to drop privileges in a child: decided once, in the parent.
#[derive(Debug, Clone, Copy)]
pub(super) struct CapDrop {
    /// Highest capability number of this kernel (`/proc/sys/kernel/cap_last_cap`).
    pub last_cap: u32,
    /// The agent holds `CAP_SETPCAP`: lock the securebits and clear the bounding set.
    pub privileged: bool,
}

impl CapDrop {
    pub fn for_this_process() -> Self {
        let last_cap = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(40);
        let privileged = current_caps()
            .map(|c| c[0].effective & (1 << CAP_SETPCAP) != 0)
            .unwrap_or(false);
        Self {
            last_cap,
            privileged,
        }
    }
}

/// `no_new_privs`, then (when privileged) locked securebits and an empty bounding set,
/// then no ambient, effective, permitted or inheritable capability. Async-signal-safe.
pub(super) fn drop_all(plan: &CapDrop) -> io::Result<()> {
    check(prctl(libc::PR_SET_NO_NEW_PRIVS, 1))?;
    if plan.privileged {
        check(prctl(libc::PR_SET_SECUREBITS, SECBITS))?;
        for cap in 0..=plan.last_cap {
            if prctl(libc::PR_CAPBSET_READ, c_ulong::from(cap)) == 1 {
                check(prctl(libc::PR_CAPBSET_DROP, c_ulong::from(cap)))?;
            }
        }
    }
    // SAFETY: integer arguments only.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_prctl,
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        )
    };
    check(rc)?;
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: header and two data words, as capset(2) expects for version 3.
    check(unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) })
}

fn current_caps() -> io::Result<[CapData; 2]> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and two data words, as capget(2) expects for version 3.
    check(unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) })?;
    Ok(data)
}

/// Whether the calling thread holds no capability and cannot regain one through `execve`:
/// checked after `drop_all` by the probe.
pub(super) fn verify_dropped(plan: &CapDrop) -> Result<(), String> {
    let caps = current_caps().map_err(|e| format!("capget: {e}"))?;
    if caps
        .iter()
        .any(|c| c.effective | c.permitted | c.inheritable != 0)
    {
        return Err("capabilities remain after capset".to_string());
    }
    if prctl(libc::PR_GET_NO_NEW_PRIVS, 0) != 1 {
        return Err("no_new_privs is not set".to_string());
    }
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        if (0..=plan.last_cap).any(|cap| prctl(libc::PR_CAPBSET_READ, c_ulong::from(cap)) == 1) {
            return Err(
                "the bounding set cannot be cleared (running as root without CAP_SETPCAP)"
                    .to_string(),
            );
        }
        let bits = prctl(libc::PR_GET_SECUREBITS, 0);
        let locked = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED;
        if bits < 0 || (bits as c_ulong) & locked != locked {
            return Err("SECBIT_NOROOT is not locked".to_string());
        }
    }
    Ok(())
}

/// `no_new_privs` alone (Landlock needs it when capabilities are not dropped).
/// Async-signal-safe.
pub(super) fn set_no_new_privs() -> io::Result<()> {
    check(prctl(libc::PR_SET_NO_NEW_PRIVS, 1))
}
