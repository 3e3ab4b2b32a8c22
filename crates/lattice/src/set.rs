//! Feature sets: subsets of a fixed universe of [`FeatureSet::CAPACITY`] bits.
//!
//! Stored as `[u64; WORDS]`; every set operation runs word by word, so a meet of two sets is
//! [`WORDS`] AND instructions. The order is inclusion:
//!
//! ```text
//! a ≤ b  ⇔  a & b = a  ⇔  a | b = b  ⇔  a - b = ∅
//! ```
use std::fmt;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, BitXor, BitXorAssign, Sub, SubAssign};

/// Number of 64-bit words in a [`FeatureSet`].
pub const WORDS: usize = 8;

/// A bit position below [`FeatureSet::CAPACITY`]; the only way to address a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bit(u16);

/// A bit position was out of the universe a [`FeatureSet`] can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("feature bit {0} is out of range (capacity {cap})", cap = FeatureSet::CAPACITY)]
pub struct CapacityError(pub usize);

impl Bit {
    /// Checked constructor: `index` must be below [`FeatureSet::CAPACITY`].
    ///
    /// # Errors
    /// [`CapacityError`] when `index` is not below [`FeatureSet::CAPACITY`].
    pub const fn new(index: usize) -> Result<Bit, CapacityError> {
        if index < FeatureSet::CAPACITY {
            Ok(Bit(index as u16))
        } else {
            Err(CapacityError(index))
        }
    }

    /// The position of this bit.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A set of features; `Copy`, fixed size, word-wise operations.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FeatureSet {
    words: [u64; WORDS],
}

impl FeatureSet {
    /// How many distinct features a set can hold.
    pub const CAPACITY: usize = WORDS * 64;
    /// The empty set, bottom of the lattice.
    pub const EMPTY: FeatureSet = FeatureSet { words: [0; WORDS] };

    /// The set of the first `n` bits: the top of a universe of `n` features.
    ///
    /// # Errors
    /// [`CapacityError`] when `n` exceeds [`FeatureSet::CAPACITY`].
    pub fn universe(n: usize) -> Result<FeatureSet, CapacityError> {
        if n > Self::CAPACITY {
            return Err(CapacityError(n));
        }
        let mut words = [0u64; WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            let lo = i * 64;
            if n >= lo + 64 {
                *w = u64::MAX;
            } else if n > lo {
                *w = (1u64 << (n - lo)) - 1;
            }
        }
        Ok(FeatureSet { words })
    }

    /// A set holding exactly `bit`.
    pub fn single(bit: Bit) -> FeatureSet {
        let mut s = FeatureSet::EMPTY;
        s.insert(bit);
        s
    }

    /// Builds a set from raw words (word `i` holds bits `64*i .. 64*i+63`, Lsb0).
    pub const fn from_words(words: [u64; WORDS]) -> FeatureSet {
        FeatureSet { words }
    }

    /// The raw words (word `i` holds bits `64*i .. 64*i+63`, Lsb0).
    pub const fn words(&self) -> &[u64; WORDS] {
        &self.words
    }

    /// Adds `bit`; returns whether it was absent.
    pub fn insert(&mut self, bit: Bit) -> bool {
        let (w, m) = locate(bit);
        let was = self.words[w] & m != 0;
        self.words[w] |= m;
        !was
    }

    /// Removes `bit`; returns whether it was present.
    pub fn remove(&mut self, bit: Bit) -> bool {
        let (w, m) = locate(bit);
        let was = self.words[w] & m != 0;
        self.words[w] &= !m;
        was
    }

    /// Whether `bit` is in the set.
    pub fn contains(&self, bit: Bit) -> bool {
        let (w, m) = locate(bit);
        self.words[w] & m != 0
    }

    /// Number of features in the set.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// Intersection: the lattice meet.
    #[must_use]
    pub fn meet(&self, other: &FeatureSet) -> FeatureSet {
        self.zip(other, |a, b| a & b)
    }

    /// Union: the lattice join.
    #[must_use]
    pub fn join(&self, other: &FeatureSet) -> FeatureSet {
        self.zip(other, |a, b| a | b)
    }

    /// Relative complement `self - other`.
    #[must_use]
    pub fn difference(&self, other: &FeatureSet) -> FeatureSet {
        self.zip(other, |a, b| a & !b)
    }

    /// Symmetric difference.
    #[must_use]
    pub fn symmetric_difference(&self, other: &FeatureSet) -> FeatureSet {
        self.zip(other, |a, b| a ^ b)
    }

    /// The lattice order: `self ⊆ other`.
    pub fn is_subset(&self, other: &FeatureSet) -> bool {
        self.words
            .iter()
            .zip(other.words.iter())
            .all(|(a, b)| a & !b == 0)
    }

    /// `self ⊇ other`.
    pub fn is_superset(&self, other: &FeatureSet) -> bool {
        other.is_subset(self)
    }

    /// Whether the sets share no feature.
    pub fn is_disjoint(&self, other: &FeatureSet) -> bool {
        self.words
            .iter()
            .zip(other.words.iter())
            .all(|(a, b)| a & b == 0)
    }

    /// The features in ascending bit order.
    pub fn iter(&self) -> Bits {
        Bits {
            words: self.words,
            word: 0,
        }
    }

    fn zip(&self, other: &FeatureSet, f: impl Fn(u64, u64) -> u64) -> FeatureSet {
        let mut words = [0u64; WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            *w = f(self.words[i], other.words[i]);
        }
        FeatureSet { words }
    }
}

fn locate(bit: Bit) -> (usize, u64) {
    (bit.index() / 64, 1u64 << (bit.index() % 64))
}

/// Iterator over the bits of a [`FeatureSet`], ascending, one word at a time.
#[derive(Clone, Debug)]
pub struct Bits {
    words: [u64; WORDS],
    word: usize,
}

impl Iterator for Bits {
    type Item = Bit;

    fn next(&mut self) -> Option<Bit> {
        while self.word < WORDS {
            let w = self.words[self.word];
            if w != 0 {
                let tz = w.trailing_zeros() as usize;
                self.words[self.word] = w & (w - 1);
                return Some(Bit((self.word * 64 + tz) as u16));
            }
            self.word += 1;
        }
        None
    }
}

impl IntoIterator for &FeatureSet {
    type Item = Bit;
    type IntoIter = Bits;
    fn into_iter(self) -> Bits {
        self.iter()
    }
}

impl FromIterator<Bit> for FeatureSet {
    fn from_iter<I: IntoIterator<Item = Bit>>(iter: I) -> Self {
        let mut s = FeatureSet::EMPTY;
        for b in iter {
            s.insert(b);
        }
        s
    }
}

impl Extend<Bit> for FeatureSet {
    fn extend<I: IntoIterator<Item = Bit>>(&mut self, iter: I) {
        for b in iter {
            self.insert(b);
        }
    }
}

impl PartialOrd for FeatureSet {
    /// Inclusion, a partial order: `None` when neither set contains the other.
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering::*;
        match (self.is_subset(other), other.is_subset(self)) {
            (true, true) => Some(Equal),
            (true, false) => Some(Less),
            (false, true) => Some(Greater),
            (false, false) => None,
        }
    }
}

impl fmt::Debug for FeatureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Bit::index)).finish()
    }
}

macro_rules! binop {
    ($trait:ident, $method:ident, $assign:ident, $amethod:ident, $f:ident) => {
        impl $trait<&FeatureSet> for &FeatureSet {
            type Output = FeatureSet;
            fn $method(self, rhs: &FeatureSet) -> FeatureSet {
                FeatureSet::$f(self, rhs)
            }
        }
        impl $trait<FeatureSet> for FeatureSet {
            type Output = FeatureSet;
            fn $method(self, rhs: FeatureSet) -> FeatureSet {
                FeatureSet::$f(&self, &rhs)
            }
        }
        impl $trait<&FeatureSet> for FeatureSet {
            type Output = FeatureSet;
            fn $method(self, rhs: &FeatureSet) -> FeatureSet {
                FeatureSet::$f(&self, rhs)
            }
        }
        impl $trait<FeatureSet> for &FeatureSet {
            type Output = FeatureSet;
            fn $method(self, rhs: FeatureSet) -> FeatureSet {
                FeatureSet::$f(self, &rhs)
            }
        }
        impl $assign<&FeatureSet> for FeatureSet {
            fn $amethod(&mut self, rhs: &FeatureSet) {
                *self = FeatureSet::$f(self, rhs);
            }
        }
        impl $assign<FeatureSet> for FeatureSet {
            fn $amethod(&mut self, rhs: FeatureSet) {
                *self = FeatureSet::$f(self, &rhs);
            }
        }
    };
}

binop!(BitAnd, bitand, BitAndAssign, bitand_assign, meet);
binop!(BitOr, bitor, BitOrAssign, bitor_assign, join);
binop!(Sub, sub, SubAssign, sub_assign, difference);
binop!(
    BitXor,
    bitxor,
    BitXorAssign,
    bitxor_assign,
    symmetric_difference
);

#[cfg(test)]
mod tests {
    use super::*;

    fn set(bits: &[usize]) -> FeatureSet {
        bits.iter().map(|&b| Bit::new(b).unwrap()).collect()
    }

    #[test]
    fn bit_constructor_rejects_out_of_range() {
        assert!(Bit::new(FeatureSet::CAPACITY - 1).is_ok());
        let err = Bit::new(FeatureSet::CAPACITY).unwrap_err();
        assert_eq!(
            err.to_string(),
            "feature bit 512 is out of range (capacity 512)"
        );
    }

    #[test]
    fn iteration_crosses_words_in_order() {
        let s = set(&[511, 0, 63, 64, 200]);
        let v: Vec<usize> = s.iter().map(Bit::index).collect();
        assert_eq!(v, vec![0, 63, 64, 200, 511]);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn universe_has_exactly_n_bits() {
        for n in [0, 1, 63, 64, 65, 400, 512] {
            assert_eq!(FeatureSet::universe(n).unwrap().len(), n);
        }
        assert!(FeatureSet::universe(513).is_err());
    }

    #[test]
    fn operators_agree_with_methods() {
        let a = set(&[1, 2, 3, 100]);
        let b = set(&[2, 3, 4, 300]);
        assert_eq!(a & b, set(&[2, 3]));
        assert_eq!(a | b, set(&[1, 2, 3, 4, 100, 300]));
        assert_eq!(a - b, set(&[1, 100]));
        assert_eq!(a ^ b, set(&[1, 4, 100, 300]));
        let mut c = a;
        c &= b;
        assert_eq!(c, a.meet(&b));
        assert_eq!(a.partial_cmp(&b), None);
        assert!(set(&[2]) < a);
    }
}
