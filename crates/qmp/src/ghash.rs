//! GLib's `GHashTable` of strings (GLib 2.74, the one QEMU 7.2 links here), reduced to
//! what decides its iteration order: QEMU's input visitor keeps the members of an
//! arguments object not yet read in one, and "Parameter 'X' is unexpected" names the
//! first member left in it.
//!
//! The rules (GLib's documented data structure, checked against QEMU's replies):
//!
//! ```text
//! hash(key)    h = 5381; for each byte c (signed char): h = h * 33 + c   (32-bit); 0 or 1 → 2
//! size         2^shift (shift ≥ 3), mod = the prime below it (7, 13, 31, 61, 127, 251, …)
//! home slot    (hash * 11) mod `mod`; probe i: slot += i, wrapping at size (triangular steps)
//! insert       into the first tombstone met on the probe, else the empty slot that ends it
//! remove       leaves a tombstone
//! resize       after an insert into an empty slot or any remove, when
//!              size > 4 * live && size > 8, or size ≤ used + used / 16 (used: live + tombstones);
//!              new shift = bit length of trunc(live * 1.333), at least 3; entries are placed
//!              again in place, slot by slot (an entry met in a slot that is already final in
//!              the new layout is skipped; one standing where another lands is moved on)
//! iteration    slots ascending
//! ```
use crate::utf8;

const UNUSED: u32 = 0;
const TOMBSTONE: u32 = 1;

/// The primes below each power of two, by shift.
const PRIME_MOD: [u32; 32] = [
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
    262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689,
    268435399, 536870909, 1073741789, 2147483647,
];

/// GLib's `g_str_hash` over the key's bytes as QEMU stores them (modified UTF-8).
pub fn str_hash(key: &str) -> u32 {
    let h = utf8::modified_bytes(key).fold(5381u32, |h, c| {
        h.wrapping_mul(33).wrapping_add(c as i8 as u32)
    });
    if h <= TOMBSTONE {
        2
    } else {
        h
    }
}

/// A set of strings laid out as a `GHashTable`.
#[derive(Clone, Debug)]
pub struct StrSet {
    hashes: Vec<u32>,
    keys: Vec<Option<String>>,
    shift: u32,
    live: usize,
    used: usize,
}

impl Default for StrSet {
    fn default() -> Self {
        StrSet::new()
    }
}

impl StrSet {
    /// An empty table (8 slots).
    pub fn new() -> StrSet {
        StrSet {
            hashes: vec![UNUSED; 8],
            keys: vec![None; 8],
            shift: 3,
            live: 0,
            used: 0,
        }
    }

    fn size(&self) -> usize {
        1 << self.shift
    }

    fn mask(&self) -> usize {
        self.size() - 1
    }

    fn home(&self, hash: u32) -> usize {
        (hash.wrapping_mul(11) % PRIME_MOD[self.shift as usize]) as usize
    }

    /// The slot holding `key`, else the slot an insertion would take.
    fn lookup(&self, key: &str, hash: u32) -> usize {
        let mut i = self.home(hash);
        let mut step = 0;
        let mut tombstone = None;
        while self.hashes[i] != UNUSED {
            if self.hashes[i] == hash && self.keys[i].as_deref() == Some(key) {
                return i;
            }
            if self.hashes[i] == TOMBSTONE && tombstone.is_none() {
                tombstone = Some(i);
            }
            step += 1;
            i = (i + step) & self.mask();
        }
        tombstone.unwrap_or(i)
    }

    /// Adds a key (no effect when it is there).
    pub fn insert(&mut self, key: &str) {
        let hash = str_hash(key);
        let i = self.lookup(key, hash);
        if self.hashes[i] > TOMBSTONE {
            return;
        }
        let was_unused = self.hashes[i] == UNUSED;
        self.hashes[i] = hash;
        self.keys[i] = Some(key.to_string());
        self.live += 1;
        if was_unused {
            self.used += 1;
            self.maybe_resize();
        }
    }

    /// Removes a key; whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let i = self.lookup(key, str_hash(key));
        if self.hashes[i] <= TOMBSTONE {
            return false;
        }
        self.hashes[i] = TOMBSTONE;
        self.keys[i] = None;
        self.live -= 1;
        self.maybe_resize();
        true
    }

    /// The keys in iteration order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.hashes
            .iter()
            .zip(&self.keys)
            .filter(|(h, _)| **h > TOMBSTONE)
            .filter_map(|(_, k)| k.as_deref())
    }

    fn maybe_resize(&mut self) {
        let size = self.size();
        if (size > self.live * 4 && size > 8) || size <= self.used + self.used / 16 {
            self.resize();
        }
    }

    fn resize(&mut self) {
        let old_size = self.size();
        let target = (self.live as f64 * 1.333) as u32;
        self.shift = (u32::BITS - target.leading_zeros()).max(3);
        let new_size = self.size();
        if new_size > old_size {
            self.hashes.resize(new_size, UNUSED);
            self.keys.resize(new_size, None);
        }
        let mut placed = vec![false; new_size.max(old_size)];
        for i in 0..old_size {
            if self.hashes[i] <= TOMBSTONE {
                self.hashes[i] = UNUSED;
                continue;
            }
            if placed[i] {
                continue;
            }
            let mut hash = std::mem::replace(&mut self.hashes[i], UNUSED);
            let mut key = self.keys[i].take();
            loop {
                let mut j = self.home(hash);
                let mut step = 0;
                while placed[j] {
                    step += 1;
                    j = (j + step) & self.mask();
                }
                placed[j] = true;
                let replaced = std::mem::replace(&mut self.hashes[j], hash);
                let evicted = std::mem::replace(&mut self.keys[j], key);
                if replaced <= TOMBSTONE {
                    break;
                }
                hash = replaced;
                key = evicted;
            }
        }
        if new_size < old_size {
            self.hashes.truncate(new_size);
            self.keys.truncate(new_size);
        }
        self.used = self.live;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(keys: &[&str]) -> StrSet {
        let mut t = StrSet::new();
        for k in keys {
            t.insert(k);
        }
        t
    }

    #[test]
    fn str_hash_is_djb2_over_signed_bytes() {
        assert_eq!(str_hash(""), 5381);
        assert_eq!(str_hash("a"), 5381 * 33 + 97);
        assert_eq!(str_hash("\u{e9}"), (5381u32 * 33 - 61) * 33 - 87);
    }

    #[test]
    fn every_key_is_kept_through_growth_and_shrinking() {
        let keys: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut t = table(&refs);
        assert_eq!(t.iter().count(), 300);
        for k in &refs[..290] {
            assert!(t.remove(k));
            assert!(!t.remove(k));
        }
        let mut left: Vec<&str> = t.iter().collect();
        left.sort();
        let mut want = refs[290..].to_vec();
        want.sort();
        assert_eq!(left, want);
        // Shrunk while removing: at most 4 slots per key left.
        assert!(t.size() <= 40 && t.size() >= 10, "{}", t.size());
    }

    /// QEMU 7.2 named these members as unexpected: the keys are inserted in QEMU's
    /// dictionary order, the members read are removed, the first left is named.
    #[test]
    fn iteration_order_matches_qemus_unexpected_member() {
        let first = |keys: &[&str], read: &[&str]| {
            let mut t = table(&crate::qdict::order(keys.to_vec()));
            for r in read {
                t.remove(r);
            }
            let first = t.iter().next().map(str::to_string);
            first
        };
        assert_eq!(first(&["a", "b", "c"], &[]).as_deref(), Some("b"));
        assert_eq!(
            first(&["model", "type", "x", "y"], &["type", "model"]).as_deref(),
            Some("y")
        );
        assert_eq!(
            first(&["name", "x", "y"], &["name", "props"]).as_deref(),
            Some("y")
        );
        let m = ["type", "model", "modelb", "modela"];
        assert_eq!(first(&m, &["type", "model"]).as_deref(), Some("modelb"));
    }
}
