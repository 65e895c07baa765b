//! SunCo wraps every answer in an object named for what it holds (`{"app": {..}}`,
//! `{"switchboards": [..], "meta": {..}}`): these read the one field a call wants without a
//! wrapper struct per answer, and name the failing field when the answer does not fit.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::Error;

type Result<T, E = Error> = std::result::Result<T, E>;

/// Reads `null` as the type's default (an empty list): SunCo sends `null` for some lists.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads a string, or a number as its decimal text: SunCo's examples write some ids as
/// numbers although its schema says string.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::String(text)) => Some(text),
            Some(serde_json::Value::Number(number)) => Some(number.to_string()),
            _ => None,
        },
    )
}

/// The `meta` object of a cursor page.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta {
    #[serde(default)]
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) after_cursor: Option<String>,
    #[serde(default)]
    pub(crate) before_cursor: Option<String>,
}

/// What a list answer holds: the items under their key, and the page's `meta`.
#[derive(Debug)]
pub(crate) struct Listing<T> {
    pub(crate) items: Vec<T>,
    pub(crate) meta: Meta,
}

/// Reads `{"<key>": T, ...}`; other fields are ignored.
pub(crate) fn field<T: DeserializeOwned>(bytes: &[u8], key: &'static str) -> Result<T> {
    read(
        bytes,
        FieldSeed::<T> {
            key,
            item: PhantomData,
        },
    )
}

/// Reads `{"<key>": [T], "meta": {..}}`; a missing or `null` list is empty.
pub(crate) fn listing<T: DeserializeOwned>(bytes: &[u8], key: &'static str) -> Result<Listing<T>> {
    read(
        bytes,
        ListingSeed::<T> {
            key,
            item: PhantomData,
        },
    )
}

/// Reads the answer of a call whose body SunCo documents as `{}` (deletes, control
/// actions): any JSON object, or an empty body, is success.
pub(crate) fn nothing(bytes: &[u8]) -> Result<()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    crate::client::decode_bytes::<IgnoredAny>(bytes).map(|_| ())
}

/// Runs a seed over the bytes; on failure walks them again to name the field, as
/// [`from_json`](crate::client::from_json) does for whole types.
fn read<S, V>(bytes: &[u8], seed: S) -> Result<V>
where
    S: for<'de> DeserializeSeed<'de, Value = V> + Clone,
{
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match seed.clone().deserialize(&mut deserializer) {
        Ok(value) => deserializer
            .end()
            .map(|()| value)
            .map_err(|source| Error::Decode {
                path: ".".into(),
                source,
            }),
        Err(source) => {
            let mut again = serde_json::Deserializer::from_slice(bytes);
            let mut track = serde_path_to_error::Track::new();
            let tracked = serde_path_to_error::Deserializer::new(&mut again, &mut track);
            let path = match seed.deserialize(tracked) {
                Err(_) => track.path().to_string(),
                Ok(_) => ".".to_owned(),
            };
            Err(Error::Decode { path, source })
        }
    }
}

struct FieldSeed<T> {
    key: &'static str,
    item: PhantomData<fn() -> T>,
}

impl<T> Clone for FieldSeed<T> {
    fn clone(&self) -> Self {
        Self {
            key: self.key,
            item: PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for FieldSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for FieldSeed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut found = None;
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == self.key && found.is_none() {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        found.ok_or_else(|| serde::de::Error::missing_field(self.key))
    }
}

struct ListingSeed<T> {
    key: &'static str,
    item: PhantomData<fn() -> T>,
}

impl<T> Clone for ListingSeed<T> {
    fn clone(&self) -> Self {
        Self {
            key: self.key,
            item: PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for ListingSeed<T> {
    type Value = Listing<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Listing<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ListingSeed<T> {
    type Value = Listing<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a `{}` list", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Listing<T>, A::Error> {
        let mut items = Vec::new();
        let mut meta = Meta::default();
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == self.key {
                items = map.next_value::<Option<Vec<T>>>()?.unwrap_or_default();
            } else if name == "meta" {
                meta = map.next_value::<Option<Meta>>()?.unwrap_or_default();
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Listing { items, meta })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Thing {
        id: String,
        size: u32,
    }

    #[test]
    fn a_field_is_read_and_the_rest_ignored() {
        let thing: Thing = field(
            br#"{"other":[1,{"a":2}],"thing":{"id":"t1","size":3,"new":true}}"#,
            "thing",
        )
        .unwrap();
        assert_eq!(
            thing,
            Thing {
                id: "t1".into(),
                size: 3
            }
        );
    }

    #[test]
    fn a_missing_or_wrong_field_is_named() {
        let Error::Decode { source, .. } = field::<Thing>(br#"{"other":{}}"#, "thing").unwrap_err()
        else {
            panic!("not a decode error")
        };
        assert!(source.to_string().contains("`thing`"), "{source}");
        let Error::Decode { path, .. } =
            field::<Thing>(br#"{"thing":{"id":"t1","size":"big"}}"#, "thing").unwrap_err()
        else {
            panic!("not a decode error")
        };
        assert_eq!(path, "thing.size");
    }

    #[test]
    fn a_listing_reads_items_and_meta_and_tolerates_null() {
        let page = listing::<Thing>(
            br#"{"things":[{"id":"a","size":1}],"meta":{"hasMore":true,"afterCursor":"a"},"links":{}}"#,
            "things",
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(page.meta.has_more);
        assert_eq!(page.meta.after_cursor.as_deref(), Some("a"));
        let empty = listing::<Thing>(br#"{"things":null,"meta":null}"#, "things").unwrap();
        assert!(empty.items.is_empty() && !empty.meta.has_more);
        let Error::Decode { path, .. } =
            listing::<Thing>(br#"{"things":[{"id":"a","size":1},{"id":7}]}"#, "things")
                .unwrap_err()
        else {
            panic!("not a decode error")
        };
        assert_eq!(path, "things[1].id");
    }

    #[test]
    fn nothing_accepts_an_empty_body_or_any_object() {
        nothing(b"").unwrap();
        nothing(b"{}").unwrap();
        nothing(br#"{"switchboard":{}}"#).unwrap();
        assert!(nothing(b"{oops").is_err());
    }
}
