//! Timestamps as SunCo writes them (RFC 3339, e.g. `2026-11-20T09:00:00Z`), typed as
//! [`time::OffsetDateTime`].

use serde::{Deserialize, Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `#[serde(with = ...)]` for an `Option<OffsetDateTime>` field. Reading is lenient, as for
/// any field the API may change: null, a missing field, or a value that is not an RFC 3339
/// text all read as `None` rather than failing the whole answer.
pub(crate) mod optional {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value.map(|at| at.format(&Rfc3339)) {
            Some(Ok(text)) => serializer.serialize_str(&text),
            Some(Err(error)) => Err(serde::ser::Error::custom(error)),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let value = Option::<serde_json::Value>::deserialize(deserializer)?;
        Ok(value
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(|text| OffsetDateTime::parse(text, &Rfc3339).ok()))
    }
}
