//! Leftovers: every descendant a script started that is still alive when its node ends,
//! found through the agent being a child subreaper (orphans come back to it instead of
//! going to init), whatever process group or session they moved to.

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Rounds of scan-and-kill before giving up on a process that forks faster than it dies.
const MAX_ROUNDS: usize = 200;

/// Clock ticks since boot now, the unit of a process's start time in `/proc/<pid>/stat`.
/// Rounded down, so a process started in this tick counts as started since.
pub fn now_ticks() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    ts.tv_sec as u64 * hz + ts.tv_nsec as u64 * hz / 1_000_000_000
}

struct Stat {
    ppid: i32,
    start: u64,
    zombie: bool,
}

fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn parse_stat(text: &str) -> Option<Stat> {
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let mut fields = text.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    // Field 22 (starttime) is the 20th after the name.
    let start = fields.nth(17)?.parse().ok()?;
    Some(Stat {
        ppid,
        start,
        zombie: state == "Z" || state == "X",
    })
}

/// Children of every thread of `pid` (a child belongs to the thread that forked it).
fn children(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// Leftovers are found through `/proc/<pid>/task/<tid>/children` (CONFIG_PROC_CHILDREN).
pub(super) fn can_find_children() -> std::io::Result<()> {
    let me = std::process::id();
    std::fs::metadata(format!("/proc/{me}/task/{me}/children")).map(|_| ())
}

/// SIGKILLs every live descendant of this process started at or after `since` (see
/// [`now_ticks`]), reaps those that became its children, and repeats until none is left.
/// Older children and their subtrees are not this node's and are left alone.
/// Returns how many processes were killed.
pub fn kill_started_since(since: u64) -> usize {
    let me = std::process::id() as i32;
    let mut killed = 0;
    for _ in 0..MAX_ROUNDS {
        let mut live = Vec::new();
        let mut stack = children(me);
        while let Some(pid) = stack.pop() {
            let Some(s) = stat(pid) else { continue };
            if s.start < since {
                continue;
            }
            stack.extend(children(pid));
            if s.zombie {
                if s.ppid == me {
                    let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
                }
            } else {
                live.push(pid);
            }
        }
        if live.is_empty() {
            break;
        }
        for &pid in &live {
            // ESRCH: it died meanwhile.
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        killed += live.len();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_command_name() {
        let line =
            "4242 (a) b (c) S 17 4242 4242 0 -1 4194560 99 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.ppid, s.start, s.zombie), (17, 123456, false));
        assert!(
            parse_stat("1 (z) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0")
                .unwrap()
                .zombie
        );
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn this_process_started_before_now() {
        let me = stat(std::process::id() as i32).unwrap();
        assert!(me.start <= now_ticks());
    }
}
