//! The open-file limit: every connection is a file descriptor, and the default soft limit
//! (1024 on most systems) is far below the 10,000 connections a spike test may ask for.

use nix::sys::resource::{Resource, getrlimit, setrlimit};

use super::LoadError;

/// Descriptors beyond the connections: standard streams, the runtime's epoll and wake-up
/// descriptors, a memory-sampling command, the store.
const SPARE: u64 = 64;

/// Makes room for `connections` sockets: raises the soft limit to the hard one when that is
/// needed (as any process may), and says what to run when even that is too low.
pub(crate) fn open_files_for(connections: usize) -> Result<(), LoadError> {
    let need = connections as u64 + SPARE;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        // No limit to read: let the connects say what happens.
        return Ok(());
    };
    if soft >= need {
        return Ok(());
    }
    if hard > soft && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() && hard >= need {
        return Ok(());
    }
    let allowed = soft.max(hard);
    Err(LoadError::Invalid(format!(
        "{connections} connections need about {need} open files, but this process may open at most {allowed}: \
         run `ulimit -n {need}` in this shell first (a hard limit of {hard} needs root, \
         /etc/security/limits.conf, or LimitNOFILE= for a service), or use fewer connections"
    )))
}
