//! Name lookups from bytes: the catalog's feature, model and vendor names in tables made
//! for the hot path of reading CPUs (a name is looked up once per `<feature>` read).
//!
//! Each table is open addressing over a power of two of slots, at most half full. A name
//! is keyed by its length and its first 16 bytes as two little-endian words (zero
//! padded); the slot index is the top bits of one multiplication of their mix. A hit
//! compares the key (three words) and, for a name longer than 16 bytes only, the rest of
//! the bytes. So a lookup is exact (the same answer as the catalog's own index, which
//! the tests check for every name), costs a few dozen instructions and allocates nothing.
use cpucompat_catalog::Compiled;
use cpucompat_lattice::Bit;

/// A name's key: its length and first 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Key {
    len: u64,
    w0: u64,
    w1: u64,
}

/// Up to 8 bytes as a little-endian word (zero padded): two overlapping loads of 4 bytes
/// for 4 to 8 bytes (their common bytes agree, so OR-ing them is exact), three byte
/// loads for 1 to 3.
#[inline]
fn word(b: &[u8]) -> u64 {
    let n = b.len();
    let u32_at = |i: usize| -> u64 {
        let w: [u8; 4] = b
            .get(i..i + 4)
            .and_then(|s| s.try_into().ok())
            .unwrap_or_default();
        u64::from(u32::from_le_bytes(w))
    };
    match n {
        0 => 0,
        1..=3 => {
            u64::from(b[0])
                | u64::from(b[n / 2]) << (8 * (n / 2))
                | u64::from(b[n - 1]) << (8 * (n - 1))
        }
        4..=7 => u32_at(0) | u32_at(n - 4) << (8 * (n - 4)),
        _ => {
            let w: [u8; 8] = b
                .get(..8)
                .and_then(|s| s.try_into().ok())
                .unwrap_or_default();
            u64::from_le_bytes(w)
        }
    }
}

impl Key {
    #[inline]
    fn of(b: &[u8]) -> Key {
        let (w0, w1) = if b.len() >= 16 {
            (word(&b[..8]), word(&b[8..16]))
        } else if b.len() >= 8 {
            (word(&b[..8]), word(&b[8..]))
        } else {
            (word(b), 0)
        };
        Key {
            len: b.len() as u64,
            w0,
            w1,
        }
    }

    #[inline]
    fn hash(&self) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        (self.w0 ^ self.w1.rotate_left(23) ^ self.len.rotate_left(47)).wrapping_mul(K)
    }
}

/// One table: names to indices. Built only by [`Table::new`] (no `Default`), which gives it
/// at least 16 slots, so a lookup's mask `slots.len() - 1` is always valid.
#[derive(Clone, Debug)]
struct Table {
    /// `(key, index + 1)`; index 0 marks a free slot.
    slots: Vec<(Key, u32)>,
    /// `64 - log2(slots)`.
    shift: u32,
    /// The bytes after the 16th of every name, one after another (one allocation).
    tails: Vec<u8>,
    /// Where name `i`'s tail is in `tails`: `offs[i]..offs[i + 1]`.
    offs: Vec<u32>,
}

impl Table {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Table {
        let names: Vec<&[u8]> = names.map(str::as_bytes).collect();
        let size = (names.len() * 2).next_power_of_two().max(16);
        let mut tails = Vec::new();
        let mut offs = Vec::with_capacity(names.len() + 1);
        offs.push(0);
        for n in &names {
            tails.extend_from_slice(n.get(16..).unwrap_or_default());
            // Catalogs are far below 4 GiB of names.
            offs.push(u32::try_from(tails.len()).unwrap_or(u32::MAX));
        }
        let mut t = Table {
            slots: vec![(Key::default(), 0); size],
            shift: 64 - size.trailing_zeros(),
            tails,
            offs,
        };
        for (i, n) in names.iter().enumerate() {
            // the first of two equal names wins, as in a map built in order
            if t.get(n).is_none() {
                let mut s = t.start(&Key::of(n));
                while t.slots[s].1 != 0 {
                    s = (s + 1) & (size - 1);
                }
                t.slots[s] = (Key::of(n), u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        t
    }

    #[inline]
    fn start(&self, k: &Key) -> usize {
        (k.hash() >> self.shift) as usize
    }

    /// The bytes after the 16th of name `i`.
    #[inline]
    fn tail(&self, i: usize) -> Option<&[u8]> {
        let a = *self.offs.get(i)? as usize;
        let b = *self.offs.get(i + 1)? as usize;
        self.tails.get(a..b)
    }

    #[inline]
    fn get(&self, name: &[u8]) -> Option<usize> {
        let k = Key::of(name);
        let mask = self.slots.len() - 1;
        let mut s = self.start(&k);
        loop {
            let (key, i) = self.slots[s];
            if i == 0 {
                return None;
            }
            if key == k {
                let i = i as usize - 1;
                if name.len() <= 16 || self.tail(i) == name.get(16..) {
                    return Some(i);
                }
            }
            s = (s + 1) & mask;
        }
    }
}

/// The feature, model and vendor tables of one catalog.
#[derive(Clone, Debug)]
pub(crate) struct Indexes {
    features: Table,
    models: Table,
    vendors: Table,
}

impl Indexes {
    pub(crate) fn new(cat: &Compiled) -> Indexes {
        Indexes {
            features: Table::new(cat.features().iter().map(|f| f.name.as_ref())),
            models: Table::new(cat.models().iter().map(|m| m.name.as_ref())),
            vendors: Table::new(cat.vendors().iter().map(|v| v.name.as_ref())),
        }
    }

    /// The bit of a feature, by exact name.
    #[inline]
    pub(crate) fn feature(&self, name: &[u8]) -> Option<Bit> {
        self.features.get(name).and_then(|i| Bit::new(i).ok())
    }

    /// A model index, by exact name.
    pub(crate) fn model(&self, name: &[u8]) -> Option<usize> {
        self.models.get(name)
    }

    /// A vendor index, by exact name.
    pub(crate) fn vendor(&self, name: &[u8]) -> Option<usize> {
        self.vendors.get(name)
    }
}

fn names_in(cat: &Compiled, set: &cpucompat_lattice::FeatureSet) -> Vec<String> {
    set.iter()
        .map(|b| cat.feature_name(b).to_string())
        .collect()
}

fn names_x86(set: &cpucompat_lattice::FeatureSet) -> Vec<String> {
    names_in(cpucompat_catalog::embedded::x86(), set)
}

fn names_x86_11_3(set: &cpucompat_lattice::FeatureSet) -> Vec<String> {
    names_in(cpucompat_catalog::embedded::x86_libvirt_11_3(), set)
}

/// The names of an embedded catalog's features as a plain function, when `cat` is one.
/// A catalog only this engine holds (read from a directory) is not compared with the
/// embedded ones, so that none of them is built for nothing.
pub(crate) fn static_names(
    cat: &std::sync::Arc<Compiled>,
) -> Option<cpucompat_contract::NameFeatures> {
    use cpucompat_catalog::embedded;
    use std::sync::Arc;
    // an embedded catalog is held by its static cell too
    if Arc::strong_count(cat) < 2 || cat.arch() != cpucompat_catalog::Arch::X86 {
        return None;
    }
    if Arc::ptr_eq(cat, embedded::x86()) {
        Some(names_x86)
    } else if Arc::ptr_eq(cat, embedded::x86_libvirt_11_3()) {
        Some(names_x86_11_3)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_of_every_embedded_catalog_is_found_as_the_catalog_finds_it() {
        for cat in [
            cpucompat_catalog::embedded::x86(),
            cpucompat_catalog::embedded::x86_libvirt_11_3(),
        ] {
            let ix = Indexes::new(cat);
            for f in cat.features() {
                assert_eq!(
                    ix.feature(f.name.as_bytes()),
                    cat.feature(&f.name),
                    "{}",
                    f.name
                );
                // near misses: a byte more, a byte less, the last byte changed
                let mut longer = f.name.as_bytes().to_vec();
                longer.push(b'x');
                assert_eq!(ix.feature(&longer), None);
                let n = f.name.as_bytes();
                assert_eq!(
                    ix.feature(&n[..n.len() - 1]),
                    cat.feature(&f.name[..n.len() - 1])
                );
                let mut changed = n.to_vec();
                *changed.last_mut().unwrap() ^= 0x20;
                let s = String::from_utf8_lossy(&changed).into_owned();
                assert_eq!(ix.feature(&changed), cat.feature(&s));
            }
            for m in cat.models() {
                assert_eq!(
                    ix.model(m.name.as_bytes()),
                    cat.model(&m.name),
                    "{}",
                    m.name
                );
            }
            for v in cat.vendors() {
                assert_eq!(ix.vendor(v.name.as_bytes()), cat.vendor(&v.name));
            }
            assert_eq!(ix.feature(b""), None);
            assert_eq!(ix.model(b"no-such-model-with-a-long-name"), None);
        }
    }

    #[test]
    fn words_are_the_bytes_zero_padded() {
        for n in 0..=8 {
            let b: Vec<u8> = (1..=n as u8).collect();
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(&b);
            assert_eq!(word(&b), u64::from_le_bytes(w), "{n} bytes");
        }
    }

    #[test]
    fn long_names_differing_after_16_bytes_are_told_apart() {
        let t = Table::new(
            [
                "vmx-entry-load-perf-global-ctrl",
                "vmx-entry-load-perf-global-ctrX",
            ]
            .into_iter(),
        );
        assert_eq!(t.get(b"vmx-entry-load-perf-global-ctrl"), Some(0));
        assert_eq!(t.get(b"vmx-entry-load-perf-global-ctrX"), Some(1));
        assert_eq!(t.get(b"vmx-entry-load-perf-global-ctrY"), None);
        assert_eq!(t.get(b"vmx-entry-load-p"), None);
    }
}
