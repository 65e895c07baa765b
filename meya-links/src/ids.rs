//! The internal identities: [`UserId`] and [`ThreadId`].

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! internal_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(Uuid);

        impl $name {
            /// A new, random, time-ordered id (UUID v7: new rows land at the end of the index).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID, e.g. one read from another system.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| crate::Error::InvalidInput {
                    field: $what,
                    reason: "not a UUID",
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

internal_id!(
    /// An internal user: one person, whatever integrations know them by.
    ///
    /// ```
    /// use meya_links::UserId;
    ///
    /// let id = UserId::new();
    /// let parsed: UserId = id.to_string().parse()?;
    /// assert_eq!(id, parsed);
    /// # Ok::<(), meya_links::Error>(())
    /// ```
    UserId,
    "user_id"
);

internal_id!(
    /// An internal thread: one conversation, whatever integrations call it (a SunCo
    /// conversation, a Zendesk ticket).
    ThreadId,
    "thread_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_garbage_with_a_typed_error() {
        let err = "not-a-uuid".parse::<UserId>().unwrap_err();
        assert!(matches!(
            err,
            crate::Error::InvalidInput {
                field: "user_id",
                ..
            }
        ));
        assert!("".parse::<ThreadId>().is_err());
    }

    #[test]
    fn new_ids_are_distinct_and_round_trip() {
        let a = ThreadId::new();
        let b = ThreadId::new();
        assert_ne!(a, b);
        assert_eq!(a.to_string().parse::<ThreadId>().unwrap(), a);
        assert_eq!(format!("{a:?}"), format!("ThreadId({a})"));
    }
}
