//! Zendesk wraps every answer in an object named for what it holds (`{"organization": {..}}`,
//! `{"groups": [..], "meta": {..}, "next_page": ..}`) and every write body the same way:
//! these read and write that one field without a wrapper struct per resource, and name the
//! failing field when an answer does not fit.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::pagination::CursorMeta;

type Result<T, E = Error> = std::result::Result<T, E>;

/// A write body `{"<key>": value}`.
pub(crate) struct Keyed<'a, T: ?Sized>(pub(crate) &'static str, pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for Keyed<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

/// One record of a bulk `update_many` body: its id beside the fields to change.
#[derive(Serialize)]
pub(crate) struct WithId<'a, T> {
    id: i64,
    #[serde(flatten)]
    update: &'a T,
}

/// The `[{"id": .., ..fields}]` list `update_many` takes for a change per record.
pub(crate) fn with_ids<T>(updates: &[(i64, T)]) -> Vec<WithId<'_, T>> {
    updates
        .iter()
        .map(|(id, update)| WithId { id: *id, update })
        .collect()
}

/// What a list answer holds besides its items: whichever of the three paginations the
/// endpoint uses (cursor `meta`, offset `next_page`, incremental `end_of_stream`).
#[derive(Debug, Default)]
pub(crate) struct ListMeta {
    pub(crate) cursor: CursorMeta,
    /// Whether the answer had a `meta` object at all.
    pub(crate) has_meta: bool,
    pub(crate) next_page: Option<String>,
    pub(crate) count: Option<u64>,
    pub(crate) after_cursor: Option<String>,
    pub(crate) end_of_stream: Option<bool>,
    pub(crate) end_time: Option<i64>,
}

/// A list answer: the items under their key, and the rest of the page.
#[derive(Debug)]
pub(crate) struct Listing<T> {
    pub(crate) items: Vec<T>,
    pub(crate) meta: ListMeta,
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

/// Reads `{"<key>": [T], "meta": .., "next_page": .., ...}`; a missing or `null` list is
/// empty.
pub(crate) fn listing<T: DeserializeOwned>(bytes: &[u8], key: &'static str) -> Result<Listing<T>> {
    read(
        bytes,
        ListingSeed::<T> {
            key,
            item: PhantomData,
        },
    )
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
        let mut meta = ListMeta::default();
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == self.key {
                items = map.next_value::<Option<Vec<T>>>()?.unwrap_or_default();
                continue;
            }
            match name.as_ref() {
                "meta" => {
                    let cursor = map.next_value::<Option<CursorMeta>>()?;
                    meta.has_meta = cursor.is_some();
                    meta.cursor = cursor.unwrap_or_default();
                }
                "next_page" => meta.next_page = map.next_value()?,
                "count" => meta.count = map.next_value::<Option<Count>>()?.and_then(Count::value),
                "after_cursor" => meta.after_cursor = map.next_value()?,
                "end_of_stream" => meta.end_of_stream = map.next_value()?,
                "end_time" => meta.end_time = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Listing { items, meta })
    }
}

/// `count` is a number in offset pages and `{"value": n, ...}` in count answers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Count {
    Number(u64),
    Object { value: Option<u64> },
}

impl Count {
    fn value(self) -> Option<u64> {
        match self {
            Count::Number(number) => Some(number),
            Count::Object { value } => value,
        }
    }
}

/// One object, or the first of a list: Zendesk documents some answers (a satisfaction rating,
/// a ticket's metrics) as a list of one.
pub(crate) struct OneOrFirst<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrFirst<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape<T> {
            One(T),
            Many(Vec<T>),
        }
        match Shape::<T>::deserialize(deserializer)? {
            Shape::One(one) => Ok(OneOrFirst(one)),
            Shape::Many(many) => many
                .into_iter()
                .next()
                .map(OneOrFirst)
                .ok_or_else(|| serde::de::Error::custom("an empty list")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Thing {
        id: i64,
    }

    #[test]
    fn a_field_is_read_and_a_failure_named() {
        let thing: Thing = field(br#"{"x":[1],"thing":{"id":3,"more":true}}"#, "thing").unwrap();
        assert_eq!(thing, Thing { id: 3 });
        let Error::Decode { path, .. } =
            field::<Thing>(br#"{"thing":{"id":"three"}}"#, "thing").unwrap_err()
        else {
            panic!("not a decode error")
        };
        assert_eq!(path, "thing.id");
    }

    #[test]
    fn a_listing_reads_each_pagination() {
        let cursor = listing::<Thing>(
            br#"{"things":[{"id":1}],"meta":{"has_more":true,"after_cursor":"a1"},"links":{}}"#,
            "things",
        )
        .unwrap();
        assert!(cursor.meta.cursor.has_more);
        assert_eq!(cursor.meta.cursor.after_cursor.as_deref(), Some("a1"));
        let offset = listing::<Thing>(
            br#"{"things":[],"next_page":"https://x/api/v2/things?page=2","count":7}"#,
            "things",
        )
        .unwrap();
        assert_eq!(offset.meta.count, Some(7));
        assert!(offset.meta.next_page.is_some());
        let incremental = listing::<Thing>(
            br#"{"things":null,"after_cursor":"c2","end_of_stream":false,"end_time":1700}"#,
            "things",
        )
        .unwrap();
        assert!(incremental.items.is_empty());
        assert_eq!(incremental.meta.end_of_stream, Some(false));
        assert_eq!(incremental.meta.end_time, Some(1700));
    }

    #[test]
    fn a_keyed_body_is_one_field() {
        let body = serde_json::to_string(&Keyed("group", &serde_json::json!({"name": "L2"})));
        assert_eq!(body.unwrap(), r#"{"group":{"name":"L2"}}"#);
    }
}
