//! Decodes any CDR message given its parsed ros2msg [`Schema`] into a dynamic value tree.

use crate::cdr::CdrReader;
use crate::error::CdrError;
use crate::msg_schema::{Arity, FieldType, MessageSchema, Primitive, Schema};

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// `int8`, `int16`, `int32`, `int64`.
    Int(i64),
    /// `uint8`, `byte`, `char`, `uint16`, `uint32`, `uint64`.
    UInt(u64),
    /// `float32` (widened exactly) or `float64`.
    Float(f64),
    /// `string` or `wstring`.
    String(String),
    /// An array or sequence of `uint8` / `byte` / `char`, kept as bytes.
    Bytes(Vec<u8>),
    /// Any other array or sequence.
    Array(Vec<Value>),
    /// A nested message: field names and values in wire order.
    Message(Vec<(String, Value)>),
}

impl Value {
    /// The field `name` of a message value.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Message(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Decodes `payload` (encapsulation header + body) as the schema's root type and checks that
/// the message consumes the payload up to at most 3 bytes of final padding.
pub fn decode(schema: &Schema, payload: &[u8]) -> Result<Value, CdrError> {
    let mut r = CdrReader::new(payload)?;
    let v = decode_message(schema, schema.root_schema(), &mut r, 0)?;
    r.finish()?;
    Ok(v)
}

/// Nesting limit: schemas are checked for unresolved names, not for recursion.
const MAX_DEPTH: usize = 64;

fn decode_message(
    schema: &Schema,
    def: &MessageSchema,
    r: &mut CdrReader<'_>,
    depth: usize,
) -> Result<Value, CdrError> {
    if depth > MAX_DEPTH {
        return Err(CdrError::InvalidValue {
            offset: r.position(),
            reason: format!("message nesting deeper than {MAX_DEPTH}"),
        });
    }
    // ROS 2 gives an empty message one placeholder byte on the wire.
    if def.fields.is_empty() {
        r.u8()?;
        return Ok(Value::Message(Vec::new()));
    }
    let mut out = Vec::with_capacity(def.fields.len());
    for f in &def.fields {
        let count = match f.arity {
            Arity::Single => None,
            Arity::Fixed(n) => Some(n),
            Arity::Bounded(bound) => {
                let offset = r.position();
                let n = r.length(min_size(&f.ty))?;
                if n > bound {
                    return Err(CdrError::InvalidValue {
                        offset,
                        reason: format!("field `{}` has {n} elements, bound {bound}", f.name),
                    });
                }
                Some(n)
            }
            Arity::Unbounded => Some(r.length(min_size(&f.ty))?),
        };
        let v = match count {
            None => decode_element(schema, &f.ty, r, depth)?,
            Some(n) => match f.ty {
                FieldType::Primitive(Primitive::UInt8 | Primitive::Byte | Primitive::Char) => {
                    Value::Bytes(r.take("byte array", n)?.to_vec())
                }
                _ => Value::Array(
                    (0..n)
                        .map(|_| decode_element(schema, &f.ty, r, depth))
                        .collect::<Result<_, _>>()?,
                ),
            },
        };
        out.push((f.name.clone(), v));
    }
    Ok(Value::Message(out))
}

fn min_size(ty: &FieldType) -> usize {
    match ty {
        FieldType::Primitive(p) => p.size(),
        FieldType::Message(_) => 1,
    }
}

fn decode_element(
    schema: &Schema,
    ty: &FieldType,
    r: &mut CdrReader<'_>,
    depth: usize,
) -> Result<Value, CdrError> {
    let p = match ty {
        FieldType::Message(name) => {
            let def = schema
                .types
                .get(name)
                .ok_or_else(|| CdrError::InvalidValue {
                    offset: r.position(),
                    reason: format!("type `{name}` is not in the schema"),
                })?;
            return decode_message(schema, def, r, depth + 1);
        }
        FieldType::Primitive(p) => *p,
    };
    Ok(match p {
        Primitive::Bool => Value::Bool(r.bool()?),
        Primitive::Byte | Primitive::Char | Primitive::UInt8 => Value::UInt(r.u8()?.into()),
        Primitive::Int8 => Value::Int(r.i8()?.into()),
        Primitive::Int16 => Value::Int(r.i16()?.into()),
        Primitive::UInt16 => Value::UInt(r.u16()?.into()),
        Primitive::Int32 => Value::Int(r.i32()?.into()),
        Primitive::UInt32 => Value::UInt(r.u32()?.into()),
        Primitive::Int64 => Value::Int(r.i64()?),
        Primitive::UInt64 => Value::UInt(r.u64()?),
        Primitive::Float32 => Value::Float(r.f32()?.into()),
        Primitive::Float64 => Value::Float(r.f64()?),
        Primitive::String(bound) => {
            let offset = r.position();
            let s = r.string()?;
            check_bound(offset, s.len(), bound)?;
            Value::String(s)
        }
        Primitive::WString(bound) => {
            let offset = r.position();
            let s = read_wstring(r)?;
            check_bound(offset, s.chars().count(), bound)?;
            Value::String(s)
        }
    })
}

fn check_bound(offset: usize, len: usize, bound: Option<usize>) -> Result<(), CdrError> {
    match bound {
        Some(b) if len > b => Err(CdrError::InvalidValue {
            offset,
            reason: format!("string of {len} characters exceeds bound {b}"),
        }),
        _ => Ok(()),
    }
}

/// `wstring` as Fast-CDR writes it: a `u32` count of characters, then one `u32` code point
/// per character (a trailing NUL, if present, is dropped).
fn read_wstring(r: &mut CdrReader<'_>) -> Result<String, CdrError> {
    let offset = r.position();
    let n = r.length(4)?;
    let mut s = String::with_capacity(n);
    for i in 0..n {
        let c = r.u32()?;
        if c == 0 && i + 1 == n {
            break;
        }
        s.push(char::from_u32(c).ok_or(CdrError::InvalidString {
            offset,
            reason: "invalid code point in wstring",
        })?);
    }
    Ok(s)
}
