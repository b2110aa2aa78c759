//! A message's contents, for people to read.
//!
//! The step-through lets a student click a message in flight and read what it says (a Raft
//! AppendEntries' term, prevLogIndex/prevLogTerm, its entries and leaderCommit; a Paxos
//! ballot and slot; a client's key and value), as Maelstrom's Lamport diagrams do. A message
//! type lists its fields through [`crate::sim::Message::contents`]; the kernel asks only for
//! messages the recorder keeps (those of the recorded window), so a run that is not
//! recorded, or a message outside the window, costs nothing.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::NodeId;

/// The value of one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// A number (a term, an index, a count).
    Num(u64),
    /// Yes or no (granted, success).
    Flag(bool),
    /// Anything else, already in words (a range of entries, a key and value).
    Text(String),
    /// A node, by id (`{"node": 3}`): the report writes its name, which the protocol does
    /// not know.
    Node {
        /// The node's index.
        node: u32,
    },
}

/// One named field of a message's contents (`["term", 3]` in `recording.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field(pub Cow<'static, str>, pub FieldValue);

/// The fields of one message, in the order its type lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Contents(pub Vec<Field>);

impl Contents {
    /// Adds a number.
    pub fn num(&mut self, name: &'static str, v: u64) -> &mut Self {
        self.0.push(Field(Cow::Borrowed(name), FieldValue::Num(v)));
        self
    }

    /// Adds a yes/no.
    pub fn flag(&mut self, name: &'static str, v: bool) -> &mut Self {
        self.0.push(Field(Cow::Borrowed(name), FieldValue::Flag(v)));
        self
    }

    /// Adds a value in words.
    pub fn text(&mut self, name: &'static str, v: impl fmt::Display) -> &mut Self {
        self.0.push(Field(Cow::Borrowed(name), FieldValue::Text(v.to_string())));
        self
    }

    /// Adds a node (a leader hint, a replica a write is held for).
    pub fn node(&mut self, name: &'static str, n: NodeId) -> &mut Self {
        self.0.push(Field(Cow::Borrowed(name), FieldValue::Node { node: n.0 }));
        self
    }

    /// True when the message listed nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`, if listed.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|f| f.0 == name).map(|f| &f.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_written_as_compact_pairs_and_read_back() {
        let mut c = Contents::default();
        c.num("term", 3).flag("granted", true).text("entries", "4-6 (t3)").node("leader", NodeId(2));
        let json = serde_json::to_string(&c).expect("serialises");
        assert_eq!(json, r#"[["term",3],["granted",true],["entries","4-6 (t3)"],["leader",{"node":2}]]"#);
        let back: Contents = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, c);
        assert_eq!(back.get("term"), Some(&FieldValue::Num(3)));
        assert_eq!(back.get("commit"), None);
    }
}
