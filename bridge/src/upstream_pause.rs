//! When Zendesk or SunCo answers 429 with a `Retry-After` longer than a call waits out, the
//! limit is the account's, not the batch's: every batch of this process would meet it too.
//! The inbox worker then takes nothing until the time asked for has passed, and then lets one
//! batch through first (a probe); the others follow once it did not meet the limit again. A
//! minute of 429s costs this process a call or two, not one per batch per retry, and its end
//! brings no burst.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// The process's pause, shared by its worker loops.
#[derive(Debug, Default)]
pub(crate) struct UpstreamPause {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// No batch starts before this; `Some` also after it, until a probe has passed.
    until: Option<SystemTime>,
    /// A probe batch is running.
    probing: bool,
}

/// Whether a worker loop may take a batch now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Go ahead; `probe` when this batch is the first after a pause.
    Go { probe: bool },
    /// Take nothing yet.
    Wait,
}

/// What a batch let through found out about the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finding {
    /// It was asked to wait this long.
    RateLimited(Duration),
    /// It reached the vendors without being asked to wait.
    Passed,
    /// It did not get as far (nothing to take, the store failed).
    Inconclusive,
}

impl UpstreamPause {
    /// Whether a batch may start at `now`.
    pub(crate) fn admit(&self, now: SystemTime) -> Admission {
        let mut state = self.state();
        match state.until {
            None => Admission::Go { probe: false },
            Some(until) if now < until => Admission::Wait,
            Some(_) if state.probing => Admission::Wait,
            Some(_) => {
                state.probing = true;
                Admission::Go { probe: true }
            }
        }
    }

    /// Records what a batch admitted by [`admit`](Self::admit) found, at `now`.
    pub(crate) fn settle(&self, probe: bool, now: SystemTime, finding: Finding) {
        let mut state = self.state();
        match finding {
            Finding::RateLimited(wait) => {
                let until = now + wait;
                if state.until.is_none_or(|current| current < until) {
                    tracing::warn!(
                        wait = ?wait,
                        "an upstream API asked to wait: the inbox worker pauses"
                    );
                    state.until = Some(until);
                }
            }
            Finding::Passed if probe => {
                tracing::info!("the upstream API answers again: the inbox worker resumes");
                state.until = None;
            }
            Finding::Passed | Finding::Inconclusive => {}
        }
        if probe {
            state.probing = false;
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_holds_everyone_then_lets_one_probe_through() {
        let pause = UpstreamPause::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(pause.admit(start), Admission::Go { probe: false });
        pause.settle(false, start, Finding::RateLimited(Duration::from_secs(60)));
        assert_eq!(
            pause.admit(start + Duration::from_secs(59)),
            Admission::Wait
        );
        let after = start + Duration::from_secs(60);
        assert_eq!(pause.admit(after), Admission::Go { probe: true });
        assert_eq!(pause.admit(after), Admission::Wait, "one probe at a time");
        // Limited again: another minute.
        pause.settle(true, after, Finding::RateLimited(Duration::from_secs(60)));
        assert_eq!(
            pause.admit(after + Duration::from_secs(30)),
            Admission::Wait
        );
        let later = after + Duration::from_secs(60);
        assert_eq!(pause.admit(later), Admission::Go { probe: true });
        // A probe that took nothing proves nothing: the next one probes again.
        pause.settle(true, later, Finding::Inconclusive);
        assert_eq!(pause.admit(later), Admission::Go { probe: true });
        pause.settle(true, later, Finding::Passed);
        assert_eq!(pause.admit(later), Admission::Go { probe: false });
        assert_eq!(pause.admit(later), Admission::Go { probe: false });
    }

    #[test]
    fn a_shorter_wait_never_shortens_a_longer_one() {
        let pause = UpstreamPause::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        pause.settle(false, start, Finding::RateLimited(Duration::from_secs(60)));
        pause.settle(false, start, Finding::RateLimited(Duration::from_secs(5)));
        // A batch that started before the pause and passed does not lift it.
        pause.settle(false, start, Finding::Passed);
        assert_eq!(
            pause.admit(start + Duration::from_secs(30)),
            Admission::Wait
        );
    }
}
