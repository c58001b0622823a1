//! Parsing a YAML document into typed values, and locating fields in it for the errors that
//! only show up after parsing (an unknown task id, a probability above 1).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::YamlError;
use super::yaml_error::prefers_value_location;

/// One YAML document and the file it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct YamlSource<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl<'a> YamlSource<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Self { path, text }
    }

    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, YamlError> {
        let mut field = String::new();
        serde_saphyr::with_deserializer_from_str(self.text, |de| {
            serde_path_to_error::deserialize(de).map_err(|err| {
                field = err.path().to_string();
                err.into_inner()
            })
        })
        .map_err(|err| {
            let mut error = YamlError::from_saphyr(self.path.to_owned(), self.text, &field, &err);
            if prefers_value_location(&err)
                && let Some(location) = self.locate(&error.field).filter(|(_, exact)| *exact)
            {
                (error.line, error.column) = (location.0.line(), location.0.column());
            }
            error
        })
    }

    /// An error about `field` (dotted path as in [`YamlError::field`]), located at its value,
    /// or at the nearest enclosing node that exists when the field itself is absent.
    pub fn error(&self, field: &str, message: impl Into<String>) -> YamlError {
        let (line, column) = self
            .locate(field)
            .map_or((0, 0), |(l, _)| (l.line(), l.column()));
        YamlError {
            path: self.path.to_owned(),
            line,
            column,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The first of `problems` (field relative to `section`, message) as an error.
    pub fn check<F: AsRef<str>>(
        &self,
        section: &str,
        problems: Vec<(F, String)>,
    ) -> Result<(), YamlError> {
        match problems.into_iter().next() {
            None => Ok(()),
            Some((field, message)) => {
                let field = field.as_ref();
                let field = if section.is_empty() {
                    field.to_owned()
                } else {
                    format!("{section}.{field}")
                };
                Err(self.error(&field, format!("`{field}`: {message}")))
            }
        }
    }
}

impl YamlSource<'_> {
    /// Where `field`'s value is, and whether it was found itself rather than an ancestor.
    fn locate(&self, field: &str) -> Option<(Location, bool)> {
        let root = serde_saphyr::from_str::<Spanned<Node>>(self.text).ok()?;
        Some(locate(&root, field))
    }
}

fn locate(root: &Spanned<Node>, field: &str) -> (Location, bool) {
    let mut node = root;
    for segment in segments(field) {
        let next = match (&node.value, segment) {
            (Node::Map(entries), Segment::Key(key)) => {
                entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            (Node::Seq(items), Segment::Index(i)) => items.get(i),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return (node.referenced, false),
        }
    }
    (node.referenced, true)
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into `a`, `b`, `2`, `c`; serde_path_to_error writes paths this way.
fn segments(field: &str) -> impl Iterator<Item = Segment<'_>> {
    field
        .split('.')
        .filter(|part| !part.is_empty())
        .flat_map(|part| {
            let (key, indices) = part.split_once('[').unwrap_or((part, ""));
            let key = (!key.is_empty()).then_some(Segment::Key(key));
            let indices = indices
                .split('[')
                .filter_map(|i| i.trim_end_matches(']').parse().ok())
                .map(Segment::Index);
            key.into_iter().chain(indices)
        })
}

/// The shape of a YAML document with the location of every node.
enum Node {
    Scalar,
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<Key, Spanned<Node>>()? {
            entries.push((key.0, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key as written; asking for a string keeps `y` or `1` from becoming a bool or int.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Key)
    }
}
