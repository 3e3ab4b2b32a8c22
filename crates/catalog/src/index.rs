//! The one name index of every catalog: names (features, aliases, vendors, models, QEMU
//! definitions and groups) to entry numbers.
//!
//! An open-addressing table of `u32` slots, a power of two at least twice the number of
//! names, each slot empty (0) or an entry number plus one; a name's home slot is its hash
//! modulo the size, and a lookup walks on from there (linear probing) until it meets the
//! name or an empty slot. The table holds no names: the catalog that owns it gives the
//! name of an entry (`key`), so one representation serves a table built at run time (a
//! `cpu_map` directory, a RON file) and one the build script wrote as a static slice of
//! numbers, which costs nothing at start-up.
//!
//! The hash is FxHash (per 8-byte word `h = (rotl(h, 5) ^ w) · K`) finished by a
//! multiply-xorshift, so the low bits that pick the slot depend on every byte: a name of up
//! to 16 bytes hashes in a few multiplications. The keys are catalog names, never chosen
//! in bulk by an attacker, so a keyed hash would buy nothing; a load of at most one half
//! keeps the expected probes below two even so.
use std::borrow::Cow;

/// A name index; see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameIndex {
    slots: Cow<'static, [u32]>,
}

const K: u64 = 0x517c_c1b7_2722_0a95;

/// The hash of a name.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
    }
    // The product's high bits depend on every input bit; bring them down.
    (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
}

impl NameIndex {
    /// The index of nothing.
    pub const EMPTY: NameIndex = NameIndex {
        slots: Cow::Borrowed(&[]),
    };

    /// An index over a table the build script wrote.
    pub const fn from_static(slots: &'static [u32]) -> NameIndex {
        NameIndex {
            slots: Cow::Borrowed(slots),
        }
    }

    /// The slots, for the build script to write.
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// Indexes `entries` (entry numbers, each below `u32::MAX`) under the names `key`
    /// gives them. A name given twice keeps its first entry.
    pub fn build<'k>(
        entries: impl ExactSizeIterator<Item = u32>,
        key: impl Fn(u32) -> &'k str,
    ) -> NameIndex {
        let mut b = IndexBuilder::new(entries.len());
        for e in entries {
            b.insert(e, &key);
        }
        b.finish()
    }

    /// The entry of `name`, where `key` gives the name of an entry.
    #[inline]
    pub fn get<'k>(&self, name: &str, key: impl Fn(u32) -> &'k str) -> Option<u32> {
        NameIndex::get_in(&self.slots, name, key)
    }

    #[inline]
    fn get_in<'k>(slots: &[u32], name: &str, key: impl Fn(u32) -> &'k str) -> Option<u32> {
        let size = slots.len();
        if size == 0 {
            return None;
        }
        let mask = size - 1;
        let mut i = hash(name.as_bytes()) as usize & mask;
        // At most half the slots are full, so the walk meets an empty one.
        for _ in 0..size {
            match slots[i] {
                0 => return None,
                s if key(s - 1) == name => return Some(s - 1),
                _ => i = (i + 1) & mask,
            }
        }
        None
    }
}

/// A [`NameIndex`] being filled, for at most the number of names it was made for.
pub(crate) struct IndexBuilder {
    slots: Vec<u32>,
}

impl IndexBuilder {
    /// A builder for up to `n` names.
    pub(crate) fn new(n: usize) -> IndexBuilder {
        let size = if n == 0 {
            0
        } else {
            (2 * n).next_power_of_two()
        };
        IndexBuilder {
            slots: vec![0; size],
        }
    }

    /// Adds entry `e` under the name `key(e)`; when an entry of that name is there
    /// already, keeps it and returns it.
    pub(crate) fn insert<'k>(&mut self, e: u32, key: impl Fn(u32) -> &'k str) -> Option<u32> {
        let size = self.slots.len();
        if size == 0 {
            return None;
        }
        let mask = size - 1;
        let name = key(e);
        let mut i = hash(name.as_bytes()) as usize & mask;
        for _ in 0..size {
            match self.slots[i] {
                0 => {
                    self.slots[i] = e.saturating_add(1);
                    return None;
                }
                s if key(s - 1) == name => return Some(s - 1),
                _ => i = (i + 1) & mask,
            }
        }
        // Full: more names than the builder was made for (never, by construction).
        None
    }

    pub(crate) fn finish(self) -> NameIndex {
        NameIndex {
            slots: Cow::Owned(self.slots),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_no_other() {
        let names: Vec<String> = (0..700).map(|i| format!("feature-{i}")).collect();
        let ix = NameIndex::build(0..names.len() as u32, |e| names[e as usize].as_str());
        assert!(ix.slots().len() >= 2 * names.len());
        for (i, n) in names.iter().enumerate() {
            assert_eq!(ix.get(n, |e| names[e as usize].as_str()), Some(i as u32));
        }
        for miss in ["", "feature-700", "feature-", "Feature-1"] {
            assert_eq!(ix.get(miss, |e| names[e as usize].as_str()), None);
        }
        let copy = NameIndex::from_static(Vec::leak(ix.slots().to_vec()));
        assert_eq!(
            copy.get("feature-5", |e| names[e as usize].as_str()),
            Some(5)
        );
    }

    #[test]
    fn a_repeated_name_keeps_its_first_entry_and_empty_finds_nothing() {
        let names = ["a", "b", "a"];
        let ix = NameIndex::build(0..3, |e| names[e as usize]);
        assert_eq!(ix.get("a", |e| names[e as usize]), Some(0));
        assert_eq!(NameIndex::EMPTY.get("a", |e| names[e as usize]), None);
    }
}
