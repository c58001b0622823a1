//! The Landlock ruleset of one confined process, built in the parent (opening paths and
//! adding rules allocates); the child only calls `landlock_restrict_self` on its fd.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd,
    Ruleset, RulesetAttr, RulesetCreatedAttr, Scope,
};

/// Read-only parts of the system a Python process needs. `/proc` is whole because a
/// script's subprocesses need their own `/proc/self`; what matters in another process's
/// `/proc` (environ, mem, fd, maps) is guarded by ptrace access checks, which a script
/// without capabilities fails against the non-dumpable agent (and Landlock's own
/// ptrace scoping fails against anything outside its domain).
pub const SYSTEM_READ_ONLY: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys", "/proc",
];
/// Devices a script may open for reading and writing.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
];
/// Shared memory (PyTorch data loaders, NCCL): read-write.
const SHM: &str = "/dev/shm";

/// What one process may reach; everything else is denied.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub read_only: Vec<PathBuf>,
    pub read_write: Vec<PathBuf>,
}

/// Kernel features the ruleset uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Features {
    pub abi: i32,
    pub block_network: bool,
    /// Read-write devices, `/dev/shm` and the GPUs (a script); else only read access to
    /// the harmless devices (the syntax checker).
    pub devices: bool,
}

pub(super) fn build(layout: &Layout, features: Features) -> Result<OwnedFd, String> {
    let abi = ABI::from(features.abi);
    let fs_all = AccessFs::from_all(abi);
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(fs_all)
        .map_err(|e| e.to_string())?;
    if features.block_network {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(|e| e.to_string())?;
    }
    let scopes = Scope::from_all(abi);
    if !scopes.is_empty() {
        ruleset = ruleset.scope(scopes).map_err(|e| e.to_string())?;
    }
    let mut created = ruleset.create().map_err(|e| e.to_string())?;
    let read = AccessFs::from_read(abi);
    let file_rw = AccessFs::from_file(abi) & !AccessFs::Execute;
    let mut add = |path: &Path, dir_access: BitFlags<AccessFs>| -> Result<(), String> {
        // Paths that do not exist here (no /lib32, no GPU) grant nothing.
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let access = if meta.is_dir() {
            dir_access
        } else {
            dir_access & AccessFs::from_file(abi)
        };
        let fd = PathFd::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
        (&mut created)
            .add_rule(PathBeneath::new(fd, access))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(())
    };
    for path in SYSTEM_READ_ONLY {
        add(Path::new(path), read)?;
    }
    for path in &layout.read_only {
        add(path, read)?;
    }
    for path in &layout.read_write {
        add(path, fs_all)?;
    }
    if !features.devices {
        for path in DEVICES {
            add(Path::new(path), read)?;
        }
        let fd: Option<OwnedFd> = created.into();
        return fd.ok_or_else(|| "Landlock is not supported by this kernel".to_string());
    }
    for path in DEVICES {
        add(Path::new(path), file_rw)?;
    }
    add(Path::new(SHM), fs_all & !AccessFs::Execute)?;
    for gpu in nvidia_devices() {
        add(&gpu, fs_all & !AccessFs::Execute)?;
    }
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or_else(|| "Landlock is not supported by this kernel".to_string())
}

/// `/dev/nvidia0`, `/dev/nvidiactl`, `/dev/nvidia-uvm`, `/dev/nvidia-caps/`, ...
fn nvidia_devices() -> Vec<PathBuf> {
    std::fs::read_dir("/dev")
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("nvidia"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// `landlock_restrict_self(2)` on a ruleset fd: the one call the child makes.
/// Async-signal-safe.
pub(super) fn restrict_self(ruleset: &OwnedFd) -> std::io::Result<()> {
    // SAFETY: a valid ruleset fd and no flags.
    let rc = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The kernel's Landlock ABI version; 0 when it has none (or it is disabled).
pub(super) fn kernel_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
    // SAFETY: the documented version query: no attribute, size 0.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    i32::try_from(rc).unwrap_or(0).max(0)
}
