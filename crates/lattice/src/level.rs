//! Levels: a chain (total order) of capability levels.
//!
//! POWER compat modes (power6 < power7 < ... < power11) and s390x (generation, GA) pairs in
//! lexicographic order are chains. Meet is `min`, join is `max`; on a chain the order test
//! never yields "incomparable".
use crate::Relation;

/// A point of a chain; larger is newer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Level(u32);

impl Level {
    /// The bottom of every chain: "no level constraint".
    pub const BOTTOM: Level = Level(0);

    /// A level of rank `rank` on its chain.
    pub const fn new(rank: u32) -> Level {
        Level(rank)
    }

    /// A lexicographic pair, e.g. s390x (generation, GA): `(major, minor)`.
    pub const fn pair(major: u16, minor: u16) -> Level {
        Level(((major as u32) << 16) | minor as u32)
    }

    /// The rank on the chain.
    pub const fn rank(self) -> u32 {
        self.0
    }

    /// The two halves of a level made by [`Level::pair`].
    pub const fn unpair(self) -> (u16, u16) {
        ((self.0 >> 16) as u16, (self.0 & 0xffff) as u16)
    }

    /// Chain meet: the older level.
    #[must_use]
    pub fn meet(self, other: Level) -> Level {
        self.min(other)
    }

    /// Chain join: the newer level.
    #[must_use]
    pub fn join(self, other: Level) -> Level {
        self.max(other)
    }

    /// How `self` (a host) relates to `other` (a guest) on the chain.
    pub fn relation(self, other: Level) -> Relation {
        use std::cmp::Ordering::*;
        match self.cmp(&other) {
            Equal => Relation::Identical,
            Greater => Relation::Superset,
            Less => Relation::Subset,
        }
    }
}
