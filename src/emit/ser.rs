//! A serde serializer writing block-style YAML straight from k8s-openapi values.
//!
//! Going through `serde_json::Value` first would build a second tree of every
//! object; writing as serde walks the object is faster and uses less memory. Layout
//! rules: a mapping's entries on their own lines, `key:` then a scalar on the same
//! line or a nested collection on the next lines; sequence items at their key's
//! indentation (`- `), a mapping item's first key on the dash's line; empty
//! collections as `{}` and `[]`. Strings are written by [`super::yaml`]'s rules.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

use super::yaml;

/// Appends `value` as one YAML document (without the `---` separator).
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer {
        out,
        indent: 0,
        pos: Pos::Top,
    })
}

/// What a YAML document cannot hold, or serde's own error.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Where the writer stands when a value starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pos {
    /// At the start of the document.
    Top,
    /// Just after `key:`.
    AfterKey,
    /// Just after `-`.
    AfterDash,
}

struct Writer<'a> {
    out: &'a mut String,
    /// The column of the key or dash that owns the value being written.
    indent: usize,
    pos: Pos,
}

impl Writer<'_> {
    /// A scalar: on the line of its key or dash.
    fn scalar(&mut self, text: impl fmt::Display) {
        if self.pos != Pos::Top {
            self.out.push(' ');
        }
        // Writing to a String cannot fail; an integer is written without a String of
        // its own.
        let _ = write!(self.out, "{text}");
        self.out.push('\n');
    }

    fn string(&mut self, s: &str) {
        if self.pos != Pos::Top {
            self.out.push(' ');
        }
        let content = if self.pos == Pos::Top {
            0
        } else {
            self.indent + 2
        };
        yaml::write_string(self.out, s, content, false);
        self.out.push('\n');
    }
}

/// A collection starting where `writer` stands; its keys go one level in.
fn nested<'b>(writer: &'b mut Writer<'_>) -> Collection<'b> {
    let column = match writer.pos {
        Pos::Top => 0,
        Pos::AfterKey | Pos::AfterDash => writer.indent + 2,
    };
    Collection {
        writer: Writer {
            out: &mut *writer.out,
            indent: writer.indent,
            pos: writer.pos,
        },
        column,
        started: false,
    }
}

/// A mapping or sequence being written. Nothing is written until the first entry:
/// an empty one becomes `{}` or `[]` at its end.
struct Collection<'a> {
    writer: Writer<'a>,
    /// The column of this collection's keys (mappings).
    column: usize,
    started: bool,
}

impl Collection<'_> {
    fn key(&mut self, key: &str) {
        self.start_entry();
        yaml::write_string(self.writer.out, key, self.column, true);
        self.writer.out.push(':');
    }

    /// A struct's field name as a key.
    fn field_name(&mut self, name: &'static str) {
        self.start_entry();
        yaml::write_field_name(self.writer.out, name, self.column);
        self.writer.out.push(':');
    }

    /// Where a key starts: after the dash or key before it, or on a line of its own.
    fn start_entry(&mut self) {
        let first = !self.started;
        self.started = true;
        match (first, self.writer.pos) {
            (true, Pos::AfterDash) => self.writer.out.push(' '),
            (true, Pos::AfterKey) => {
                self.writer.out.push('\n');
                yaml::spaces(self.writer.out, self.column);
            }
            _ => yaml::spaces(self.writer.out, self.column),
        }
    }

    fn map_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut Writer {
            out: self.writer.out,
            indent: self.column,
            pos: Pos::AfterKey,
        })
    }

    /// The column of this sequence's dashes: a sequence under a key sits at the
    /// key's column; one in a sequence item, two further.
    fn dash_column(&self) -> usize {
        match self.writer.pos {
            Pos::Top => 0,
            Pos::AfterKey => self.writer.indent,
            Pos::AfterDash => self.writer.indent + 2,
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.started && self.writer.pos != Pos::Top {
            self.writer.out.push('\n');
        }
        self.started = true;
        let column = self.dash_column();
        yaml::spaces(self.writer.out, column);
        self.writer.out.push('-');
        value.serialize(&mut Writer {
            out: self.writer.out,
            indent: column,
            pos: Pos::AfterDash,
        })
    }

    fn end(self, empty: &str) -> Result<(), Error> {
        if !self.started {
            let mut writer = self.writer;
            writer.scalar(empty);
        }
        Ok(())
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Collection<'b>;
    type SerializeTuple = Collection<'b>;
    type SerializeTupleStruct = Collection<'b>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = MapWriter<'b>;
    type SerializeStruct = Collection<'b>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.scalar(v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.scalar(v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        let text = serde_json::to_string(&v).map_err(|e| Error(e.to_string()))?;
        self.scalar(&text);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = ser::Serializer::serialize_seq(self, Some(v.len()))?;
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        ser::SerializeSeq::end(seq)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut map = nested(self);
        map.key(variant);
        map.map_value(value)?;
        map.end("{}")
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Collection<'b>, Error> {
        Ok(nested(self))
    }

    fn serialize_tuple(self, len: usize) -> Result<Collection<'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Collection<'b>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error(format!(
            "{name}::{variant}: tuple variants have no YAML form here"
        )))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapWriter<'b>, Error> {
        Ok(MapWriter {
            collection: nested(self),
            key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Collection<'b>, Error> {
        Ok(nested(self))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error(format!(
            "{name}::{variant}: struct variants have no YAML form here"
        )))
    }
}

impl ser::SerializeSeq for Collection<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }

    fn end(self) -> Result<(), Error> {
        Collection::end(self, "[]")
    }
}

impl ser::SerializeTuple for Collection<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }

    fn end(self) -> Result<(), Error> {
        Collection::end(self, "[]")
    }
}

impl ser::SerializeTupleStruct for Collection<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }

    fn end(self) -> Result<(), Error> {
        Collection::end(self, "[]")
    }
}

impl ser::SerializeStruct for Collection<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field_name(key);
        self.map_value(value)
    }

    fn end(self) -> Result<(), Error> {
        Collection::end(self, "{}")
    }
}

/// A mapping with keys of any serializable type, written as strings.
pub struct MapWriter<'a> {
    collection: Collection<'a>,
    key: Option<String>,
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(KeyWriter)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.key.take().unwrap_or_default();
        self.collection.key(&key);
        self.collection.map_value(value)
    }

    fn end(self) -> Result<(), Error> {
        self.collection.end("{}")
    }
}

/// Turns a mapping key into its text.
struct KeyWriter;

impl ser::Serializer for KeyWriter {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_f32(self, v: f32) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_f64(self, v: f64) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        Err(Error("a byte string cannot be a key".into()))
    }

    fn serialize_none(self) -> Result<String, Error> {
        Ok("null".into())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, Error> {
        Ok("null".into())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        Ok("null".into())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_string())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(Error("a variant cannot be a key".into()))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Error("a sequence cannot be a key".into()))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(Error("a tuple cannot be a key".into()))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(Error("a tuple cannot be a key".into()))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error("a variant cannot be a key".into()))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Error("a mapping cannot be a key".into()))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(Error("a mapping cannot be a key".into()))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error("a variant cannot be a key".into()))
    }
}
