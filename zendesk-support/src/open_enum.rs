//! Open enums: the values Zendesk documents, plus `Unknown` for any it adds later, so that a
//! new value never breaks decoding.

/// Declares a string enum with an `Unknown(String)` arm, `as_str`, `Display`, and serde.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know yet, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The value as Zendesk spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(match text {
                    $( $text => $name::$variant, )+
                    other => $name::Unknown(other.to_owned()),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                let value: $name = match text.parse() {
                    Ok(value) => value,
                    Err(never) => match never {},
                };
                if let $name::Unknown(other) = &value {
                    tracing::debug!(value = %other, concat!("unknown ", stringify!($name)));
                }
                Ok(value)
            }
        }
    };
}

pub(crate) use open_enum;

/// Deserializes `null` as the type's default (Zendesk sends `"tags": null` at times).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads an id sent as a number or as a string of digits (some Zendesk answers, e.g. a
/// ticket's email CCs, send user ids as strings); anything else reads as `None`.
pub(crate) fn id_or_digits<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::Number(number)) => number.as_i64(),
            Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
            _ => None,
        },
    )
}
