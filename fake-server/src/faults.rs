//! What can go wrong with a call, and which calls it hits.

use std::time::Duration;

use http::Method;

/// A way a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answers this status (e.g. 500, 503) before the call takes effect.
    Status(u16),
    /// Answers 429 with `Retry-After` (whole seconds, rounded up) before the call takes
    /// effect.
    RateLimited {
        /// What the `Retry-After` header says.
        retry_after: Duration,
    },
    /// Lets the call take effect, then holds the answer back this long (past a client's
    /// timeout, the client cannot know the write happened).
    Hang(Duration),
    /// Lets the call take effect, then breaks the connection in the middle of the answer.
    Reset,
}

impl Fault {
    /// Whether the call takes effect before the fault shows.
    pub fn applies_the_call(self) -> bool {
        matches!(self, Self::Hang(_) | Self::Reset)
    }
}

/// A fault for the calls that match, a number of times or until cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub(crate) fault: Fault,
    pub(crate) method: Option<Method>,
    pub(crate) path_prefix: Option<String>,
    pub(crate) times: Option<u32>,
}

impl FaultRule {
    /// `fault` for every call, until [`times`](Self::times) limits it.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            method: None,
            path_prefix: None,
            times: None,
        }
    }

    /// Only calls with this method.
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Only calls whose path starts with `prefix`, e.g. `/api/v2/tickets/4021`.
    #[must_use]
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// The first `times` matching calls, then the rule is spent.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        self.times != Some(0)
            && self.method.as_ref().is_none_or(|wanted| wanted == method)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
    }

    /// Counts one use; answers whether the rule is spent.
    pub(crate) fn spend(&mut self) -> bool {
        match &mut self.times {
            Some(left) => {
                *left = left.saturating_sub(1);
                *left == 0
            }
            None => false,
        }
    }
}

/// Faults at random: each call fails with probability `rate`, as one of the four kinds.
#[derive(Debug)]
pub(crate) struct RandomFaults {
    pub(crate) rate: f64,
    pub(crate) hang: Duration,
    pub(crate) retry_after: Duration,
    pub(crate) rng: fastrand::Rng,
}

impl RandomFaults {
    pub(crate) fn pick(&mut self) -> Option<Fault> {
        if self.rng.f64() >= self.rate {
            return None;
        }
        Some(match self.rng.u8(0..4) {
            0 => Fault::Status(500),
            1 => Fault::RateLimited {
                retry_after: self.retry_after,
            },
            2 => Fault::Hang(self.hang),
            _ => Fault::Reset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_matches_its_method_and_prefix_and_is_spent_after_its_count() {
        let mut rule = FaultRule::new(Fault::Reset)
            .method(Method::PUT)
            .path_prefix("/api/v2/tickets/4021")
            .times(2);
        assert!(rule.matches(&Method::PUT, "/api/v2/tickets/4021/comments"));
        assert!(!rule.matches(&Method::GET, "/api/v2/tickets/4021"));
        assert!(!rule.matches(&Method::PUT, "/api/v2/tickets/4022"));
        assert!(!rule.spend());
        assert!(rule.spend(), "spent after two");
        assert!(
            !FaultRule::new(Fault::Reset)
                .times(0)
                .matches(&Method::GET, "/")
        );
        let mut forever = FaultRule::new(Fault::Status(500));
        assert!((0..100).all(|_| !forever.spend()));
    }

    #[test]
    fn random_faults_come_at_the_rate_asked_and_replay_from_the_seed() {
        let faults = |seed| {
            let mut random = RandomFaults {
                rate: 0.25,
                hang: Duration::from_secs(1),
                retry_after: Duration::from_secs(1),
                rng: fastrand::Rng::with_seed(seed),
            };
            (0..4000).map(|_| random.pick()).collect::<Vec<_>>()
        };
        let first = faults(7);
        assert_eq!(first, faults(7), "the same seed, the same faults");
        let share = first.iter().filter(|f| f.is_some()).count() as f64 / 4000.0;
        assert!((0.2..0.3).contains(&share), "{share}");
        assert!(first.contains(&Some(Fault::Reset)) && first.contains(&Some(Fault::Status(500))));
    }
}
