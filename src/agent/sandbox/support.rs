//! What this kernel and this process let the sandbox enforce, found by doing it: a
//! throwaway thread drops its capabilities and restricts itself with Landlock exactly as
//! a script's process will (both are per-thread), then ends.

use super::privileges::{self, CapDrop};
use super::rules::{self, Features, Layout};

/// Landlock ABI that can deny truncating read-only files (open with O_TRUNC, truncate(2)).
pub const FILESYSTEM_ABI: i32 = 3;
/// Landlock ABI with TCP bind/connect rules.
pub const NETWORK_ABI: i32 = 4;
/// Landlock ABI that scopes signals and abstract UNIX sockets to the sandbox.
pub const SCOPE_ABI: i32 = 6;

#[derive(Debug, Clone)]
pub(super) struct Support {
    pub abi: i32,
    /// Landlock restricts a thread here (`Err`: why not).
    pub landlock: Result<(), String>,
    pub capabilities: Result<(), String>,
}

pub(super) fn probe(plan: CapDrop) -> Support {
    let run = move || {
        let capabilities = privileges::drop_all(&plan)
            .map_err(|e| format!("dropping capabilities: {e}"))
            .and_then(|()| privileges::verify_dropped(&plan));
        let abi = rules::kernel_abi();
        let landlock = if abi == 0 {
            Err("the kernel has no Landlock (or it is disabled at boot)".to_string())
        } else {
            let features = Features {
                abi,
                block_network: abi >= NETWORK_ABI,
                devices: true,
            };
            rules::build(&Layout::default(), features).and_then(|fd| {
                rules::restrict_self(&fd).map_err(|e| {
                    format!("landlock_restrict_self: {e} (nested too deeply in Landlock domains, or not allowed here)")
                })
            })
        };
        Support {
            abi,
            landlock,
            capabilities,
        }
    };
    // Landlock needs no_new_privs, which drop_all sets first even when it then fails.
    std::thread::spawn(run).join().unwrap_or_else(|_| Support {
        abi: 0,
        landlock: Err("the sandbox probe failed".to_string()),
        capabilities: Err("the sandbox probe failed".to_string()),
    })
}
