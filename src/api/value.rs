//! A self-describing value for the parts of an object this crate does
//! not model (unknown metadata fields, `managedFields[].fieldsV1`): it
//! reads any JSON or YAML value and writes it back unchanged, so an object
//! read from a cluster and written back keeps what it had. Our own type
//! keeps the core free of a JSON library.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// Any JSON value (YAML values that JSON can express, too).
///
/// Numbers keep their kind: an unsigned or a negative integer is written
/// back as the same integer, a float as the same float. Object keys are
/// kept sorted (as Kubernetes writes them).
///
/// ```
/// use imagestream::api::Value;
///
/// let v: Value = serde_json::from_str(r#"{"a":[1,-2,1.5,"x",true,null]}"#)?;
/// assert_eq!(serde_json::to_string(&v)?, r#"{"a":[1,-2,1.5,"x",true,null]}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer.
    Negative(i64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(BTreeMap<String, Value>),
}

/// Floats compare by their bits (`total_cmp`), so a YAML `.nan` equals
/// itself and equality is an equivalence, as `Eq` requires.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Null, Self::Null) => true,
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Unsigned(a), Self::Unsigned(b)) => a == b,
            (Self::Negative(a), Self::Negative(b)) => a == b,
            (Self::Float(a), Self::Float(b)) => a.total_cmp(b).is_eq(),
            (Self::String(a), Self::String(b)) => a == b,
            (Self::Array(a), Self::Array(b)) => a == b,
            (Self::Object(a), Self::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Unsigned(n) => s.serialize_u64(*n),
            Self::Negative(n) => s.serialize_i64(*n),
            Self::Float(f) => s.serialize_f64(*f),
            Self::String(text) => s.serialize_str(text),
            Self::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(u64::try_from(n).map_or(Value::Negative(n), Value::Unsigned))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Unsigned(n))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

impl Value {
    /// A rough count of the bytes this value holds (for memory budgets).
    #[must_use]
    pub fn approximate_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                Self::String(s) => s.len(),
                Self::Array(items) => items.iter().map(Self::approximate_size).sum(),
                Self::Object(map) => map
                    .iter()
                    .map(|(k, v)| k.len() + std::mem::size_of::<String>() + v.approximate_size())
                    .sum(),
                _ => 0,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_reflexive_for_every_float() {
        for f in [f64::NAN, f64::INFINITY, -0.0, 0.0, 1.5] {
            assert_eq!(Value::Float(f), Value::Float(f));
        }
        assert_ne!(Value::Float(0.0), Value::Float(-0.0));
        assert_ne!(Value::Unsigned(1), Value::Float(1.0));
    }
}
