//! Parser for ros2msg schema text as rosbag2 stores it in MCAP: the root type's `.msg`
//! definition followed by each dependency, separated by a line of `=` and a `MSG: pkg/Type`
//! line. Handles primitive, string/wstring (bounded or not), nested and `Header` types, fixed
//! arrays `T[N]`, bounded `T[<=N]` and unbounded `T[]` sequences, constants (`T NAME=value`,
//! also with spaces around `=`), default values and comments.

use crate::error::SchemaError;
use std::collections::BTreeMap;

/// A ROS 2 primitive type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    /// `bool`, one byte.
    Bool,
    /// `byte` (octet), one byte.
    Byte,
    /// `char` (uint8 in ROS 2), one byte.
    Char,
    /// `int8`.
    Int8,
    /// `uint8`.
    UInt8,
    /// `int16`.
    Int16,
    /// `uint16`.
    UInt16,
    /// `int32`.
    Int32,
    /// `uint32`.
    UInt32,
    /// `int64`.
    Int64,
    /// `uint64`.
    UInt64,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `string`, optionally bounded `string<=N`.
    String(Option<usize>),
    /// `wstring`, optionally bounded.
    WString(Option<usize>),
}

impl Primitive {
    fn parse(token: &str) -> Option<Self> {
        let (base, bound) = match token.split_once("<=") {
            Some((b, n)) => (b, Some(n.parse::<usize>().ok()?)),
            None => (token, None),
        };
        Some(match (base, bound) {
            ("string", b) => Primitive::String(b),
            ("wstring", b) => Primitive::WString(b),
            (_, Some(_)) => return None,
            ("bool", _) => Primitive::Bool,
            ("byte", _) => Primitive::Byte,
            ("char", _) => Primitive::Char,
            ("int8", _) => Primitive::Int8,
            ("uint8", _) => Primitive::UInt8,
            ("int16", _) => Primitive::Int16,
            ("uint16", _) => Primitive::UInt16,
            ("int32", _) => Primitive::Int32,
            ("uint32", _) => Primitive::UInt32,
            ("int64", _) => Primitive::Int64,
            ("uint64", _) => Primitive::UInt64,
            ("float32", _) => Primitive::Float32,
            ("float64", _) => Primitive::Float64,
            _ => return None,
        })
    }

    /// Encoded size of a fixed-size primitive (strings: the minimum, their 4-byte length).
    pub fn size(self) -> usize {
        match self {
            Primitive::Bool | Primitive::Byte | Primitive::Char => 1,
            Primitive::Int8 | Primitive::UInt8 => 1,
            Primitive::Int16 | Primitive::UInt16 => 2,
            Primitive::Int32 | Primitive::UInt32 | Primitive::Float32 => 4,
            Primitive::Int64 | Primitive::UInt64 | Primitive::Float64 => 8,
            Primitive::String(_) | Primitive::WString(_) => 4,
        }
    }
}

/// The element type of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// A primitive.
    Primitive(Primitive),
    /// A nested message, by normalised name `package/Type`.
    Message(String),
}

/// How many elements a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// One value.
    Single,
    /// `T[N]`: exactly N, no length prefix.
    Fixed(usize),
    /// `T[<=N]`: a `u32` count of at most N, then the elements.
    Bounded(usize),
    /// `T[]`: a `u32` count, then the elements.
    Unbounded,
}

/// One field of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Field name.
    pub name: String,
    /// Element type.
    pub ty: FieldType,
    /// Arity.
    pub arity: Arity,
    /// Default value text, if the definition gives one.
    pub default: Option<String>,
}

/// A constant of a message (not serialised).
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    /// Constant name.
    pub name: String,
    /// Its type.
    pub ty: Primitive,
    /// Value text.
    pub value: String,
}

/// One message type's definition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessageSchema {
    /// Fields, in wire order.
    pub fields: Vec<Field>,
    /// Constants.
    pub constants: Vec<Constant>,
}

/// A parsed schema: the root type and every type it references, by normalised name.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Normalised name of the root type (`package/Type`).
    pub root: String,
    /// All definitions, including the root.
    pub types: BTreeMap<String, MessageSchema>,
}

/// `package/msg/Type` -> `package/Type`.
pub fn normalize_type_name(name: &str) -> String {
    name.trim().replacen("/msg/", "/", 1)
}

fn package_of(name: &str) -> &str {
    name.split_once('/').map_or("", |(p, _)| p)
}

/// Strips a `#` comment that is not inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..i],
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.bytes().all(|b| b == b'=')
}

impl Schema {
    /// Parses rosbag2 schema text for the type `type_name` (`pkg/msg/Type` or `pkg/Type`) and
    /// checks that every nested type is defined.
    pub fn parse(type_name: &str, text: &str) -> Result<Self, SchemaError> {
        let root = normalize_type_name(type_name);
        let mut types = BTreeMap::new();
        let mut current = root.clone();
        let mut section: Vec<&str> = Vec::new();
        let mut expect_msg_line = false;
        let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
        for line in text.lines() {
            if is_separator(line) {
                sections.push((std::mem::take(&mut current), std::mem::take(&mut section)));
                expect_msg_line = true;
            } else if expect_msg_line {
                if line.trim().is_empty() {
                    continue;
                }
                let Some(name) = line.trim().strip_prefix("MSG:") else {
                    return Err(SchemaError {
                        schema: root,
                        line: 0,
                        reason: format!("expected `MSG: <type>` after a separator, got `{line}`"),
                    });
                };
                current = normalize_type_name(name);
                expect_msg_line = false;
            } else {
                section.push(line);
            }
        }
        sections.push((current, section));
        for (name, lines) in sections {
            // Old rosbag2 versions repeat dependencies; the first definition wins.
            if let std::collections::btree_map::Entry::Vacant(slot) = types.entry(name) {
                let def = parse_definition(slot.key(), &lines)?;
                slot.insert(def);
            }
        }
        let schema = Schema { root, types };
        schema.check_resolved()?;
        Ok(schema)
    }

    /// The root type's definition.
    pub fn root_schema(&self) -> &MessageSchema {
        &self.types[&self.root]
    }

    fn check_resolved(&self) -> Result<(), SchemaError> {
        for (name, def) in &self.types {
            for f in &def.fields {
                if let FieldType::Message(t) = &f.ty
                    && !self.types.contains_key(t)
                {
                    return Err(SchemaError {
                        schema: name.clone(),
                        line: 0,
                        reason: format!("field `{}` uses type `{t}`, which is not defined", f.name),
                    });
                }
            }
        }
        Ok(())
    }
}

fn parse_definition(name: &str, lines: &[&str]) -> Result<MessageSchema, SchemaError> {
    let err = |line: usize, reason: String| SchemaError {
        schema: name.to_owned(),
        line,
        reason,
    };
    let mut def = MessageSchema::default();
    for (i, raw) in lines.iter().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let (type_token, rest) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err(i + 1, format!("`{line}` has no field name")))?;
        let rest = rest.trim();
        let (elem_token, arity) = parse_arity(type_token)
            .ok_or_else(|| err(i + 1, format!("bad array specifier in `{type_token}`")))?;
        let (field_name, after) = match rest.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (rest, ""),
        };
        let constant = if let Some((n, v)) = field_name.split_once('=') {
            Some((n.trim(), format!("{v} {after}").trim().to_owned()))
        } else {
            after
                .strip_prefix('=')
                .map(|v| (field_name, v.trim().to_owned()))
        };
        if let Some((cname, value)) = constant {
            let ty = Primitive::parse(elem_token)
                .filter(|_| arity == Arity::Single)
                .ok_or_else(|| err(i + 1, format!("constant `{cname}` must be a primitive")))?;
            def.constants.push(Constant {
                name: cname.to_owned(),
                ty,
                value,
            });
            continue;
        }
        if field_name.is_empty() || !field_name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(err(i + 1, format!("bad field name `{field_name}`")));
        }
        let ty = match Primitive::parse(elem_token) {
            Some(p) => FieldType::Primitive(p),
            None => FieldType::Message(resolve_type(name, elem_token)),
        };
        def.fields.push(Field {
            name: field_name.to_owned(),
            ty,
            arity,
            default: (!after.is_empty()).then(|| after.to_owned()),
        });
    }
    Ok(def)
}

/// Resolves a nested type reference inside `owner`'s definition to `package/Type`.
fn resolve_type(owner: &str, token: &str) -> String {
    if token.contains('/') {
        normalize_type_name(token)
    } else if token == "Header" {
        "std_msgs/Header".to_owned()
    } else {
        format!("{}/{token}", package_of(owner))
    }
}

/// Splits `T[N]`, `T[<=N]`, `T[]` into the element type and arity.
fn parse_arity(token: &str) -> Option<(&str, Arity)> {
    let Some(open) = token.find('[') else {
        return Some((token, Arity::Single));
    };
    let inner = token[open + 1..].strip_suffix(']')?;
    let arity = if inner.is_empty() {
        Arity::Unbounded
    } else if let Some(n) = inner.strip_prefix("<=") {
        Arity::Bounded(n.parse().ok()?)
    } else {
        Arity::Fixed(inner.parse().ok()?)
    };
    Some((&token[..open], arity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arrays_constants_defaults_and_nested_types() {
        let text = "uint8 A = 3 # comment\nstring<=5[<=2] names\nint32[4] v [1, 2, 3, 4]\n\
                    string s \"a#b\"\nHeader header\nInner[] inner\n\
                    ================================================================================\n\
                    MSG: pkg/Inner\nfloat64 x\n\
                    ================================================================================\n\
                    MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n\
                    ================================================================================\n\
                    MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n";
        let s = Schema::parse("pkg/msg/Outer", text).unwrap();
        let root = s.root_schema();
        assert_eq!(root.constants[0].name, "A");
        assert_eq!(root.constants[0].value, "3");
        let f = &root.fields;
        assert_eq!(f.len(), 5);
        assert_eq!(f[0].ty, FieldType::Primitive(Primitive::String(Some(5))));
        assert_eq!(f[0].arity, Arity::Bounded(2));
        assert_eq!(f[1].arity, Arity::Fixed(4));
        assert_eq!(f[1].default.as_deref(), Some("[1, 2, 3, 4]"));
        assert_eq!(f[2].default.as_deref(), Some("\"a#b\""));
        assert_eq!(f[3].ty, FieldType::Message("std_msgs/Header".into()));
        assert_eq!(f[4].ty, FieldType::Message("pkg/Inner".into()));
    }

    #[test]
    fn unresolved_types_are_errors() {
        let e = Schema::parse("pkg/msg/A", "Missing m\n").unwrap_err();
        assert!(e.reason.contains("pkg/Missing"), "{e}");
        assert!(Schema::parse("pkg/msg/A", "int32[x] v\n").is_err());
    }
}
