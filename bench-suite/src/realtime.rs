//! Real-time scheduling for the streaming measurements.
//!
//! A real-time audio thread runs under a real-time scheduling policy — JACK, PipeWire and
//! Core Audio all run their processing threads that way — so that an ordinary process
//! cannot take its core in the middle of a callback. Measured as an ordinary process instead,
//! a streaming processor's p99 and p99.9 mostly time the OS scheduler: on the lab's VM the
//! timing-noise probe's p99 was 75 µs for 23 µs of fixed work under the normal policy and
//! 27 µs under `SCHED_FIFO`, and its worst call 876 µs against 110 µs.
//!
//! So the lab times each streaming chunk size (and the noise probe) inside a
//! [`RealTimeSection`]: the thread switches to `SCHED_FIFO` if the OS permits and back to its
//! previous policy when the section ends. Which policy the figures were measured under is
//! recorded in the report ([`crate::report::RunInfo::stream_scheduling`]) — a run without
//! the privilege says so, and its tails are not comparable with one that had it. What is
//! left under `SCHED_FIFO` is the hypervisor and interrupts, which no policy removes.
//!
//! Each section is shorter than Linux's real-time throttling budget (950 ms of every
//! second by default): a section that overran it would be suspended for the rest of the
//! second, and that pause would show up as a false worst case.
//!
//! Written against `libc` directly rather than a thread-priority crate: the lab must restore
//! the thread's exact previous policy and parameters, and the crate available
//! (`thread-priority` 3) also rewrites the thread's nice value when setting a normal policy.

/// Real-time priority used (1 = lowest, 99 = highest on Linux): above every normal thread,
/// below the kernel's own real-time threads.
pub const FIFO_PRIORITY: i32 = 50;

/// While alive, the current thread runs under `SCHED_FIFO` (if it could switch).
#[derive(Debug)]
pub struct RealTimeSection {
    #[cfg(target_os = "linux")]
    previous: Option<(libc::c_int, libc::sched_param)>,
    scheduling: String,
}

impl RealTimeSection {
    /// Switches the current thread to `SCHED_FIFO` at [`FIFO_PRIORITY`], or leaves it as it
    /// is and records why.
    pub fn enter() -> Self {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: plain libc calls on the current thread with valid, initialised
            // arguments; the results are checked.
            unsafe {
                let thread = libc::pthread_self();
                let mut policy: libc::c_int = 0;
                let mut param: libc::sched_param = std::mem::zeroed();
                if libc::pthread_getschedparam(thread, &mut policy, &mut param) != 0 {
                    return Self::unchanged("normal (could not read the thread's policy)");
                }
                let fifo = libc::sched_param {
                    sched_priority: FIFO_PRIORITY,
                };
                match libc::pthread_setschedparam(thread, libc::SCHED_FIFO, &fifo) {
                    0 => RealTimeSection {
                        previous: Some((policy, param)),
                        scheduling: format!("SCHED_FIFO, priority {FIFO_PRIORITY}"),
                    },
                    error => Self::unchanged(&format!(
                        "normal (SCHED_FIFO refused: {})",
                        std::io::Error::from_raw_os_error(error)
                    )),
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        Self::unchanged("normal (real-time scheduling is only requested on Linux)")
    }

    fn unchanged(why: &str) -> Self {
        RealTimeSection {
            #[cfg(target_os = "linux")]
            previous: None,
            scheduling: why.to_string(),
        }
    }

    /// The policy the section runs under, for the report.
    pub fn scheduling(&self) -> &str {
        &self.scheduling
    }
}

impl Drop for RealTimeSection {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some((policy, param)) = self.previous.take() {
            // SAFETY: restores the policy and parameters read from this thread in `enter`.
            unsafe {
                libc::pthread_setschedparam(libc::pthread_self(), policy, &param);
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn current() -> (libc::c_int, libc::c_int) {
        // SAFETY: as in `enter`.
        unsafe {
            let mut policy = 0;
            let mut param: libc::sched_param = std::mem::zeroed();
            assert_eq!(
                libc::pthread_getschedparam(libc::pthread_self(), &mut policy, &mut param),
                0
            );
            (policy, param.sched_priority)
        }
    }

    #[test]
    fn a_section_runs_under_fifo_if_permitted_and_restores_the_previous_policy() {
        let before = current();
        {
            let section = RealTimeSection::enter();
            if section.scheduling().starts_with("SCHED_FIFO") {
                assert_eq!(current(), (libc::SCHED_FIFO, FIFO_PRIORITY));
            } else {
                assert!(section.scheduling().starts_with("normal"));
                assert_eq!(current(), before);
            }
        }
        assert_eq!(current(), before);
    }
}
