//! The snapshot file format: a fixed header around the postcard-encoded engine state.
//!
//! ```text
//! offset  size  field
//!      0     8  magic, b"CRENGSNP"
//!      8     4  format version, u32 little-endian (VERSION)
//!     12     8  body length in bytes, u64 little-endian
//!     20     4  CRC-32 of the body (IEEE 802.3, reflected, as zlib's crc32), little-endian
//!     24     -  body: the engine state, postcard
//! ```
//!
//! Reading checks, in order: the magic (snapshots of the format before this header, which
//! began `CRENG\0\0` and their version byte, are recognized and refused by that version),
//! the version, that exactly the announced body follows (nothing missing, nothing after),
//! the checksum, and that decoding consumes the whole body. CRC-32 finds every error of up
//! to 32 consecutive bits (so every single-bit flip), and all but one in 2³² of the others.
//! It is zlib's, so any tool can check a snapshot (`zlib.crc32` in Python); written here
//! (table-driven, eight bytes a step) rather than taken as a dependency for 40 lines.
//!
//! Decoding is bounded: every element of a sequence or map and every string decoded is
//! charged its in-memory size against an allowance of [`EXPANSION`] bytes per body byte
//! (plus [`SLACK`]), so a crafted length or a run of tiny elements cannot make a small
//! snapshot allocate much more than it could legitimately describe. Sequences are also
//! given no size hint, so nothing is reserved ahead of what was decoded and charged (a
//! vector growing by doubling may still hold up to about three times what it was charged,
//! old and new buffers together, at the moment a crafted snapshot is refused).

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// The first eight bytes of every snapshot.
pub(crate) const MAGIC: &[u8; 8] = b"CRENGSNP";

/// The format this build writes and reads. Bump it with every change to the encoded
/// state (fields, their order or types, an enum's tags), and regenerate the golden
/// snapshot (`rust/core/tests/snapshot_format.rs`).
pub(crate) const VERSION: u32 = 4;

/// Bytes before the body.
pub(crate) const HEADER: usize = 24;

/// Snapshots before this header began with these seven bytes and their version byte.
const LEGACY_MAGIC: &[u8; 7] = b"CRENG\0\0";

/// Decoded bytes allowed per body byte. The largest legitimate ratio is a call slot freed
/// long ago (its room is kept for the next call): ~280 bytes restored from 3 or 4 (its
/// marker and its entry in the free list, for slot numbers from 128 on); every other
/// structure restores to at most ~40 bytes per byte.
pub(crate) const EXPANSION: usize = 96;

/// Decoded bytes allowed on top: a margin for small snapshots (the first 128 freed slots
/// take 2 bytes each, but no real snapshot with them is smaller than its queue's settings).
pub(crate) const SLACK: usize = 16 * 1024;

/// Header and body, sealed.
pub(crate) fn seal(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The body of a sealed snapshot, checked; `Err` says what is wrong.
pub(crate) fn open(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.len() >= 8 && bytes.starts_with(LEGACY_MAGIC) {
        return Err(unsupported(u32::from(bytes[7])));
    }
    if bytes.len() < 12 || !bytes.starts_with(MAGIC) {
        return Err("not a callroute engine snapshot".into());
    }
    let version = u32::from_le_bytes(field(bytes, 8));
    if version != VERSION {
        return Err(unsupported(version));
    }
    if bytes.len() < HEADER {
        return Err(format!(
            "truncated engine snapshot: {} bytes, shorter than its {HEADER}-byte header",
            bytes.len()
        ));
    }
    let announced = u64::from_le_bytes(field(bytes, 12));
    let body = &bytes[HEADER..];
    let got = body.len() as u64;
    if got < announced {
        return Err(format!(
            "truncated engine snapshot: its header announces {announced} bytes of state, \
             {got} follow"
        ));
    }
    if got > announced {
        return Err(format!(
            "engine snapshot followed by {} bytes that are not part of it",
            got - announced
        ));
    }
    let stored = u32::from_le_bytes(field(bytes, 20));
    let computed = crc32(body);
    if stored != computed {
        return Err(format!(
            "corrupt engine snapshot: checksum mismatch (stored {stored:08x}, \
             computed {computed:08x})"
        ));
    }
    Ok(body)
}

fn unsupported(version: u32) -> String {
    format!("unsupported snapshot version {version} (this build reads {VERSION})")
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

/// Decode a whole body within the allowance; `Err` says what is wrong.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let limit = body.len().saturating_mul(EXPANSION).saturating_add(SLACK);
    let budget = Budget {
        left: Cell::new(limit),
        exceeded: Cell::new(false),
    };
    let mut inner = postcard::Deserializer::from_bytes(body);
    let outcome = T::deserialize(Bounded {
        inner: &mut inner,
        budget: &budget,
    });
    if budget.exceeded.get() {
        return Err(format!(
            "corrupt engine snapshot: its {} bytes would decode to more than {limit} bytes \
             ({EXPANSION} per byte, plus {SLACK})",
            body.len()
        ));
    }
    let value = outcome.map_err(|e| format!("corrupt engine snapshot: {e}"))?;
    let rest = inner
        .finalize()
        .map_err(|e| format!("corrupt engine snapshot: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "corrupt engine snapshot: {} bytes left over after the state",
            rest.len()
        ));
    }
    Ok(value)
}

// ---------------------------------------------------------------------- CRC-32

/// Slicing-by-8 tables of the reflected IEEE polynomial.
const CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut s = 1;
        while s < 8 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            s += 1;
        }
        i += 1;
    }
    t
}

/// CRC-32 (IEEE), the checksum of zlib, gzip and PNG: `crc32(b"123456789") == 0xCBF43926`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut crc = !0u32;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ u32::from(b)) & 0xff) as usize];
    }
    !crc
}

// ---------------------------------------------------------------------- bounded decoding

/// What decoding may still allocate.
struct Budget {
    left: Cell<usize>,
    exceeded: Cell<bool>,
}

impl Budget {
    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.exceeded.set(true);
                Err(E::custom("snapshot too large to decode"))
            }
        }
    }
}

/// A deserializer that charges what its values will hold.
struct Bounded<'b, D> {
    inner: D,
    budget: &'b Budget,
}

/// A visitor handing on bounded accesses; `charge`: its sequence is a collection (its
/// elements are charged), not a tuple or a struct (whose fields are inside their parent).
struct Vis<'b, V> {
    inner: V,
    budget: &'b Budget,
    charge: bool,
}

struct Seed<'b, S> {
    inner: S,
    budget: &'b Budget,
}

struct Seq<'b, A> {
    inner: A,
    budget: &'b Budget,
    charge: bool,
}

struct Map<'b, A> {
    inner: A,
    budget: &'b Budget,
}

struct Enum<'b, A> {
    inner: A,
    budget: &'b Budget,
}

impl<'b, D> Bounded<'b, D> {
    fn vis<V>(&self, inner: V, charge: bool) -> Vis<'b, V> {
        Vis {
            inner,
            budget: self.budget,
            charge,
        }
    }
}

macro_rules! forward {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                let v = self.vis(visitor, false);
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Bounded<'_, D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, true);
        self.inner.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, true);
        self.inner.deserialize_map(v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, false);
        self.inner.deserialize_tuple(len, v)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, false);
        self.inner.deserialize_unit_struct(name, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, false);
        self.inner.deserialize_newtype_struct(name, v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, false);
        self.inner.deserialize_tuple_struct(name, len, v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, false);
        self.inner.deserialize_struct(name, fields, v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.vis(visitor, false);
        self.inner.deserialize_enum(name, variants, v)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! visit {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

/// The heap bytes a string of `len` bytes takes (an `Arc<str>`'s counts included).
fn text(len: usize) -> usize {
    len + 16
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Vis<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    visit!(
        visit_bool: bool,
        visit_i8: i8,
        visit_i16: i16,
        visit_i32: i32,
        visit_i64: i64,
        visit_i128: i128,
        visit_u8: u8,
        visit_u16: u16,
        visit_u32: u32,
        visit_u64: u64,
        visit_u128: u128,
        visit_f32: f32,
        visit_f64: f64,
        visit_char: char,
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.budget.charge(text(v.len()))?;
        self.inner.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.budget.charge(text(v.len()))?;
        self.inner.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.budget.charge(text(v.len()))?;
        self.inner.visit_string(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        self.budget.charge(text(v.len()))?;
        self.inner.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        self.budget.charge(text(v.len()))?;
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        self.budget.charge(text(v.len()))?;
        self.inner.visit_byte_buf(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(Bounded {
            inner: d,
            budget: self.budget,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(Bounded {
            inner: d,
            budget: self.budget,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_seq(Seq {
            inner: seq,
            budget: self.budget,
            charge: self.charge,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(Map {
            inner: map,
            budget: self.budget,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(Enum {
            inner: data,
            budget: self.budget,
        })
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Bounded {
            inner: d,
            budget: self.budget,
        })
    }
}

/// The size of what a seed makes.
fn size_of_value<'de, S: DeserializeSeed<'de>>(_: &S) -> usize {
    std::mem::size_of::<S::Value>()
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        if self.charge {
            self.budget.charge(size_of_value(&seed))?;
        }
        self.inner.next_element_seed(Seed {
            inner: seed,
            budget: self.budget,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        // a collection reserves nothing it has not been charged for
        if self.charge {
            None
        } else {
            self.inner.size_hint()
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.budget.charge(size_of_value(&seed))?;
        self.inner.next_key_seed(Seed {
            inner: seed,
            budget: self.budget,
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.budget.charge(size_of_value(&seed))?;
        self.inner.next_value_seed(Seed {
            inner: seed,
            budget: self.budget,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        None
    }
}

impl<'de, 'b, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'b, A> {
    type Error = A::Error;
    type Variant = Enum<'b, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(Seed {
            inner: seed,
            budget: self.budget,
        })?;
        Ok((
            value,
            Enum {
                inner: variant,
                budget: self.budget,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Enum<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(Seed {
            inner: seed,
            budget: self.budget,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(
            len,
            Vis {
                inner: visitor,
                budget: self.budget,
                charge: false,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(
            fields,
            Vis {
                inner: visitor,
                budget: self.budget,
                charge: false,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bitwise CRC-32, straight from the definition.
    fn crc32_bitwise(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn crc32_is_the_standard_one() {
        // the check value of CRC-32/ISO-HDLC (zlib.crc32(b"123456789"))
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(crc32(&data[..n]), crc32_bitwise(&data[..n]), "{n} bytes");
        }
    }

    #[test]
    fn a_sealed_body_opens() {
        let body = b"some state";
        let sealed = seal(body);
        assert_eq!(&sealed[..8], MAGIC);
        assert_eq!(open(&sealed), Ok(&body[..]));
    }

    #[test]
    fn every_bounded_value_decodes_as_postcard_does() {
        use std::collections::BTreeMap;
        type T = (
            Vec<Option<(u32, String)>>,
            BTreeMap<i64, Vec<u8>>,
            Option<f64>,
        );
        let value: T = (
            vec![Some((1, "a".into())), None, Some((300, String::new()))],
            [(-5, vec![1, 2]), (7, vec![])].into_iter().collect(),
            Some(2.5),
        );
        let body = postcard::to_allocvec(&value).unwrap();
        assert_eq!(decode::<T>(&body), Ok(value));
        let mut longer = body.clone();
        longer.push(0);
        assert!(decode::<T>(&longer)
            .unwrap_err()
            .contains("1 bytes left over"));
    }

    #[test]
    fn a_freed_call_slot_fits_the_allowance() {
        // a freed slot restores to a call from 3 bytes (from slot 128 to 16,383): its marker
        // and its free-list entry (charged as a `u32`)
        let charged = std::mem::size_of::<Option<super::super::super::model::Call>>() + 4;
        assert!(
            charged <= 3 * EXPANSION,
            "a call slot takes {charged} bytes: raise EXPANSION (real snapshots would be refused)"
        );
    }

    #[test]
    fn a_run_of_tiny_elements_is_refused() {
        // each `None` is one byte and a 72-byte value: 72 per byte is allowed...
        let small = postcard::to_allocvec(&vec![None::<[u64; 8]>; 1000]).unwrap();
        assert!(decode::<Vec<Option<[u64; 8]>>>(&small).is_ok());
        // ...520 per byte is not, beyond the slack
        type Big = Option<([u64; 32], [u64; 32])>;
        let large = postcard::to_allocvec(&vec![None::<([u64; 32], [u64; 32])>; 1000]).unwrap();
        let err = decode::<Vec<Big>>(&large).unwrap_err();
        assert!(err.contains("would decode to more than"), "{err}");
    }
}
