//! The typed-message side of CDR: a trait every wire type implements, its implementations for
//! ROS 2 primitive, string, sequence and array types, and the macro that declares message
//! structs field by field (field order = wire order = definition order).

use super::definitions::{MsgDef, full_definition};
use crate::cdr::{CdrReader, CdrWriter};
use crate::error::CdrError;

/// A value with a CDR wire form.
pub trait CdrCodec: Sized {
    /// Smallest possible encoded size of one value, bytes (used to reject impossible sequence
    /// lengths before allocating).
    const MIN_SIZE: usize = 1;

    /// Appends the value.
    fn encode(&self, w: &mut CdrWriter) -> Result<(), CdrError>;

    /// Reads one value.
    fn decode(r: &mut CdrReader<'_>) -> Result<Self, CdrError>;

    /// Appends the elements of an array or sequence (overridden for `u8` to copy in bulk).
    fn encode_slice(items: &[Self], w: &mut CdrWriter) -> Result<(), CdrError> {
        items.iter().try_for_each(|v| v.encode(w))
    }

    /// Reads `n` elements (overridden for `u8` to copy in bulk).
    fn decode_vec(r: &mut CdrReader<'_>, n: usize) -> Result<Vec<Self>, CdrError> {
        (0..n).map(|_| Self::decode(r)).collect()
    }
}

macro_rules! primitive_codec {
    ($($t:ty => $m:ident),*) => {$(
        impl CdrCodec for $t {
            const MIN_SIZE: usize = std::mem::size_of::<$t>();
            fn encode(&self, w: &mut CdrWriter) -> Result<(), CdrError> {
                w.$m(*self);
                Ok(())
            }
            fn decode(r: &mut CdrReader<'_>) -> Result<Self, CdrError> {
                r.$m()
            }
        }
    )*};
}
primitive_codec!(bool => bool, i8 => i8, u16 => u16, i16 => i16, u32 => u32, i32 => i32,
    u64 => u64, i64 => i64, f32 => f32, f64 => f64);

impl CdrCodec for u8 {
    fn encode(&self, w: &mut CdrWriter) -> Result<(), CdrError> {
        w.u8(*self);
        Ok(())
    }
    fn decode(r: &mut CdrReader<'_>) -> Result<Self, CdrError> {
        r.u8()
    }
    fn encode_slice(items: &[Self], w: &mut CdrWriter) -> Result<(), CdrError> {
        w.bytes(items);
        Ok(())
    }
    fn decode_vec(r: &mut CdrReader<'_>, n: usize) -> Result<Vec<Self>, CdrError> {
        Ok(r.take("uint8 array", n)?.to_vec())
    }
}

impl CdrCodec for String {
    const MIN_SIZE: usize = 4;
    fn encode(&self, w: &mut CdrWriter) -> Result<(), CdrError> {
        w.string(self)
    }
    fn decode(r: &mut CdrReader<'_>) -> Result<Self, CdrError> {
        r.string()
    }
}

/// Unbounded sequences `T[]`: a `u32` count, then the elements.
impl<T: CdrCodec> CdrCodec for Vec<T> {
    const MIN_SIZE: usize = 4;
    fn encode(&self, w: &mut CdrWriter) -> Result<(), CdrError> {
        w.length("sequence", self.len())?;
        T::encode_slice(self, w)
    }
    fn decode(r: &mut CdrReader<'_>) -> Result<Self, CdrError> {
        let n = r.length(T::MIN_SIZE)?;
        T::decode_vec(r, n)
    }
}

/// Fixed arrays `T[N]`: the elements only.
impl<T: CdrCodec, const N: usize> CdrCodec for [T; N] {
    const MIN_SIZE: usize = N * T::MIN_SIZE;
    fn encode(&self, w: &mut CdrWriter) -> Result<(), CdrError> {
        T::encode_slice(self, w)
    }
    fn decode(r: &mut CdrReader<'_>) -> Result<Self, CdrError> {
        let offset = r.position();
        T::decode_vec(r, N)?
            .try_into()
            .map_err(|_| CdrError::InvalidValue {
                offset,
                reason: format!("array of {N} elements"),
            })
    }
}

/// A top-level ROS 2 message type with a ros2msg definition.
pub trait RosMessage: CdrCodec {
    /// The type's definition and direct dependencies.
    const DEF: &'static MsgDef;

    /// The full ROS 2 type name, e.g. `sensor_msgs/msg/Image`.
    fn type_name() -> &'static str {
        Self::DEF.name
    }

    /// The schema text rosbag2 writes for this type: its definition followed by every
    /// dependency's definition.
    fn schema_text() -> String {
        full_definition(Self::DEF)
    }

    /// The serialised message: encapsulation header (little-endian CDR) and body.
    fn to_cdr(&self) -> Result<Vec<u8>, CdrError> {
        let mut w = CdrWriter::new();
        self.encode(&mut w)?;
        Ok(w.finish())
    }

    /// Decodes a serialised message, checking that it consumes the payload.
    fn from_cdr(payload: &[u8]) -> Result<Self, CdrError> {
        let mut r = CdrReader::new(payload)?;
        let v = Self::decode(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

/// Declares a wire struct: fields in definition order, each encoded and decoded in turn.
/// `=> DEF` also makes it a top-level [`RosMessage`] with that definition.
macro_rules! ros_struct {
    (
        $(#[$m:meta])*
        pub struct $name:ident $(=> $def:path)? {
            $( $(#[$fm:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )*
        }

        impl $crate::ros2_msg::CdrCodec for $name {
            fn encode(
                &self,
                w: &mut $crate::cdr::CdrWriter,
            ) -> Result<(), $crate::error::CdrError> {
                $( $crate::ros2_msg::CdrCodec::encode(&self.$field, w)?; )*
                Ok(())
            }
            fn decode(
                r: &mut $crate::cdr::CdrReader<'_>,
            ) -> Result<Self, $crate::error::CdrError> {
                Ok(Self { $( $field: <$ty as $crate::ros2_msg::CdrCodec>::decode(r)?, )* })
            }
        }

        $(impl $crate::ros2_msg::RosMessage for $name {
            const DEF: &'static $crate::ros2_msg::MsgDef = &$def;
        })?
    };
}
pub(crate) use ros_struct;
