//! How scenario JSON is read, beyond what serde's derive does by itself, so that every bad
//! file gets one line that names the exact JSON path.
//!
//! Two gaps of the derive are closed here:
//!
//! - **Objects only.** A derived struct also accepts an *array* of its fields in order, so
//!   `"cluster": ["raft", 3]` would be a valid cluster and a top-level `[1, 2, 3]` would be
//!   reported as `[0]: expected a string`. Every struct of the model is read through
//!   [`ObjectOnly`], which accepts a JSON object and nothing else (see `object_only!`).
//! - **Paths inside tagged values.** A fault (`"fault": "crash"`), a workload (`"type"`) and
//!   a latency distribution (`"dist"`) carry their kind inside the object, so the object is
//!   read whole before its fields can be; serde then reports an error inside it (a factor
//!   that is a string, an unknown field) at the object's path only (`faults[0]`). These are
//!   read from the buffered value with [`nested`], which tracks the path inside it; the
//!   inner path is handed to the scenario parser (`eightfold::scenario::parse`) through [`take_inner_path`] and
//!   joined to the outer one: `faults[0].factor`.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// A deserializer that accepts only a JSON object where a struct (or a tagged enum) is
/// expected: serde's derive would also read an array of the fields in order.
pub struct ObjectOnly<D>(pub D);

/// The visitor behind [`ObjectOnly`]: a map goes to the derived visitor, anything else is
/// an error that says an object was expected and what was found instead.
struct Expect<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Expect<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _seq: A) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("expected an object, found an array"))
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Expect(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Expect(visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Implements `Deserialize` (through [`ObjectOnly`]) and `Serialize` for structs whose
/// derive is marked `#[serde(remote = "Self")]`, which turns the derived code into inherent
/// functions of the same names for these impls to call.
#[macro_export]
macro_rules! object_only {
    ($($t:ident),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $t::deserialize($crate::spec::json::ObjectOnly(d))
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $t::serialize(self, s)
            }
        }
    )*};
}
pub use crate::object_only;

thread_local! {
    /// The path, inside a value read with [`nested`], of the last error it raised, with the
    /// error's message (to make sure the error that reaches [`take_inner_path`] is that one).
    static INNER: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Forgets any inner path left over (called before each parse).
pub fn reset() {
    INNER.with(|i| *i.borrow_mut() = None);
}

/// The inner path recorded for the error with `message`, if the error came from inside a
/// value read with [`nested`] (or [`fail_at`]).
pub fn take_inner_path(message: &str) -> Option<String> {
    INNER.with(|i| i.borrow_mut().take()).filter(|(_, m)| m == message).map(|(p, _)| p)
}

/// An error at `path` inside the value being read: the message goes up through serde, the
/// path beside it.
pub fn fail_at<E: de::Error>(path: &str, message: impl fmt::Display) -> E {
    let message = message.to_string();
    INNER.with(|i| *i.borrow_mut() = Some((path.to_string(), message.clone())));
    E::custom(message)
}

/// Joins a path and a path inside it: `faults[0]` + `factor` = `faults[0].factor`,
/// `groups` + `[1]` = `groups[1]`; an empty side is left out.
pub fn join(outer: &str, inner: &str) -> String {
    match (outer, inner) {
        ("", i) => i.to_string(),
        (o, "") => o.to_string(),
        (o, i) if i.starts_with('[') => format!("{o}{i}"),
        (o, i) => format!("{o}.{i}"),
    }
}

/// Where in a buffered value an error arose.
pub struct NestedError {
    /// The path inside the value (enum variants left out), empty at its top.
    pub path: String,
    /// Whether the error arose inside an enum variant's fields (a missing field), rather
    /// than while choosing the variant (an unknown one).
    pub in_variant: bool,
    /// serde's message.
    pub message: String,
}

impl NestedError {
    /// The error for the caller's deserializer, with the path recorded.
    pub fn into_error<E: de::Error>(self) -> E {
        fail_at(&self.path, self.message)
    }
}

/// Reads `T` from a buffered JSON value with `read` (normally `T::deserialize`), tracking
/// the path of an error inside it, including one raised by a [`nested`] read deeper down.
pub fn nested<T>(
    value: Value,
    read: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, Value>) -> Result<T, serde_json::Error>,
) -> Result<T, NestedError> {
    reset();
    let mut track = serde_path_to_error::Track::new();
    let result = read(serde_path_to_error::Deserializer::new(value, &mut track));
    result.map_err(|e| {
        let path = track.path();
        let message = e.to_string();
        let mut own = String::new();
        let mut in_variant = false;
        for seg in path.iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => own = join(&own, &format!("[{index}]")),
                serde_path_to_error::Segment::Map { key } => own = join(&own, key),
                serde_path_to_error::Segment::Enum { .. } => in_variant = true,
                serde_path_to_error::Segment::Unknown => own = join(&own, "?"),
            }
        }
        let path = match take_inner_path(&message) {
            Some(inner) => join(&own, &inner),
            None => own,
        };
        NestedError { path, in_variant, message }
    })
}

/// Reads a tagged object (`{"fault": "crash", "node": "n1"}`) as `T`, an externally tagged
/// enum to serde (`{"crash": {"node": "n1"}}`): the tag names the variant, the rest of the
/// object holds its fields. Errors carry the path inside the object; a missing, non-string
/// or unknown kind is an error at the tag (`example` shows a valid one).
pub fn read_tagged_map<T>(
    mut map: Map<String, Value>,
    tag: &str,
    example: &str,
    read: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, Value>) -> Result<T, serde_json::Error>,
) -> Result<T, NestedError> {
    let at_tag = |message: String| NestedError { path: tag.to_string(), in_variant: false, message };
    let kind = match map.remove(tag) {
        Some(Value::String(kind)) => kind,
        Some(other) => return Err(at_tag(format!("expected a string like \"{example}\", found {other}"))),
        None => {
            return Err(NestedError {
                path: String::new(),
                in_variant: false,
                message: format!("missing field `{tag}`"),
            });
        }
    };
    let mut outer = Map::new();
    outer.insert(kind, Value::Object(map));
    nested(Value::Object(outer), read).map_err(|e| {
        // Choosing the variant failed: the tag names no known kind.
        if e.path.is_empty() && !e.in_variant { at_tag(e.message) } else { e }
    })
}

/// [`read_tagged_map`] on the object a deserializer holds (refusing anything else).
pub fn read_tagged<'de, D: Deserializer<'de>, T>(
    d: D,
    tag: &str,
    example: &str,
    read: impl FnOnce(serde_path_to_error::Deserializer<'_, '_, Value>) -> Result<T, serde_json::Error>,
) -> Result<T, D::Error> {
    let map = <Map<String, Value> as serde::Deserialize>::deserialize(ObjectOnly(d))?;
    read_tagged_map(map, tag, example, read).map_err(NestedError::into_error)
}

/// Writes a value whose serde form is an externally tagged enum (`{"crash": {"node": "n1"}}`)
/// as a tagged object (`{"fault": "crash", "node": "n1"}`), the form scenario files use.
pub fn write_tagged<S: serde::Serializer>(
    s: S,
    tag: &str,
    external: Result<Value, serde_json::Error>,
) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error, SerializeMap};
    let external = external.map_err(S::Error::custom)?;
    let Value::Object(outer) = external else {
        return Err(S::Error::custom(format!("expected a tagged variant, found {external}")));
    };
    let mut out = s.serialize_map(None)?;
    for (kind, fields) in outer {
        out.serialize_entry(tag, &kind)?;
        match fields {
            Value::Object(fields) => {
                for (k, v) in fields {
                    out.serialize_entry(&k, &v)?;
                }
            }
            Value::Null => {}
            other => return Err(S::Error::custom(format!("expected the fields of {kind}, found {other}"))),
        }
    }
    out.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join() {
        assert_eq!(join("faults[0]", "factor"), "faults[0].factor");
        assert_eq!(join("groups", "[1]"), "groups[1]");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("x", ""), "x");
    }

    #[test]
    fn an_inner_path_is_given_only_to_its_own_error() {
        reset();
        let _: serde_json::Error = fail_at("a.b", "boom");
        assert_eq!(take_inner_path("other"), None);
        let _: serde_json::Error = fail_at("a.b", "boom");
        assert_eq!(take_inner_path("boom"), Some("a.b".to_string()));
        assert_eq!(take_inner_path("boom"), None);
    }
}
