//! Interruptions: SIGINT, SIGTERM and SIGHUP remove the temporary files of outputs not yet put
//! in place (`measure_lib::outputs`), then end the process with the same signal, as if it had
//! not been caught. A set of outputs being put in place is finished first.

/// Blocks the signals in every thread (call in `main` before any other thread starts: threads
/// inherit the mask) and starts the thread that waits for them. Commands that write no file run
/// without it (`Command::writes_outputs`).
pub fn install() {
    // SAFETY: plain libc calls on a locally owned, initialised signal set.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        set
    };
    let started = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || wait_and_clean_up(set));
    if started.is_err() {
        // No thread: leave the signals as they were (they end the process at once).
        // SAFETY: as above.
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

fn wait_and_clean_up(set: libc::sigset_t) {
    let mut sig: libc::c_int = 0;
    // SAFETY: `set` is initialised and `sig` a valid out-pointer.
    while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
    // Held until the process ends: nothing is committed after the clean-up.
    let _pending = measure_lib::outputs::remove_pending_on_signal();
    // SAFETY: restore the default action for `sig`, unblock it in this thread and raise it here:
    // the process ends as it would have without the handler (status "killed by signal").
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut only: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut only);
        libc::sigaddset(&mut only, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &only, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig);
}
