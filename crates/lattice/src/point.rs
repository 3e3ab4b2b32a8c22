//! Points of the product lattice `Arch × Vendor × Level × FeatureSet`.
//!
//! Arch and vendor are flat: two known values are either equal or incompatible. A value may
//! be unconstrained ([`Flat::Any`]): a guest that names no vendor fits any host, and a pool
//! whose first CPU names no vendor yields a baseline that names none.
//!
//! ```text
//! meet(Any, x)   = Any        meet(Is a, Is a) = Is a
//! meet(Is a, Is b) = conflict when a ≠ b
//! ```
use crate::{FeatureSet, Level};

/// An opaque interned identifier (arch or vendor); adapters own the names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u32);

/// An element of a flat lattice: unconstrained, or one known value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Flat<T> {
    /// No value named: fits every value.
    #[default]
    Any,
    /// A known value.
    Is(T),
}

impl<T: PartialEq + Copy> Flat<T> {
    /// Whether a requirement `self` is met by `have`.
    pub fn fits(&self, have: &Flat<T>) -> bool {
        match self {
            Flat::Any => true,
            Flat::Is(want) => matches!(have, Flat::Is(h) if h == want),
        }
    }

    /// Flat meet; `None` when the two known values differ.
    pub fn meet(&self, other: &Flat<T>) -> Option<Flat<T>> {
        match (self, other) {
            (Flat::Any, _) | (_, Flat::Any) => Some(Flat::Any),
            (Flat::Is(a), Flat::Is(b)) if a == b => Some(Flat::Is(*a)),
            _ => None,
        }
    }

    /// The known value, if any.
    pub fn known(&self) -> Option<T> {
        match self {
            Flat::Any => None,
            Flat::Is(v) => Some(*v),
        }
    }
}

/// A CPU as a point of the product lattice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    /// The architecture (flat, always known).
    pub arch: Tag,
    /// The vendor (flat).
    pub vendor: Flat<Tag>,
    /// The level on the architecture's chain.
    pub level: Level,
    /// The features offered.
    pub features: FeatureSet,
}

/// Why a meet of points has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeetError {
    /// A meet over no points: the lattice has no top to return.
    #[error("no CPUs given")]
    Empty,
    /// Two points of different architectures.
    #[error("CPU architectures do not match")]
    Arch,
    /// Two points with different known vendors.
    #[error("CPU vendors do not match")]
    Vendor,
}

impl Point {
    /// The component-wise meet: the richest point below both.
    ///
    /// # Errors
    /// [`MeetError::Arch`] when the architectures differ, [`MeetError::Vendor`] when the
    /// vendors have no meet.
    pub fn meet(&self, other: &Point) -> Result<Point, MeetError> {
        if self.arch != other.arch {
            return Err(MeetError::Arch);
        }
        let vendor = self.vendor.meet(&other.vendor).ok_or(MeetError::Vendor)?;
        Ok(Point {
            arch: self.arch,
            vendor,
            level: self.level.meet(other.level),
            features: self.features & other.features,
        })
    }

    /// The meet of every point of a pool, streaming: `O(1)` memory.
    ///
    /// # Errors
    /// As [`Point::meet`], for the first pair that has no meet; [`MeetError::Empty`] for an
    /// empty pool.
    pub fn meet_all<'a, I: IntoIterator<Item = &'a Point>>(pool: I) -> Result<Point, MeetError> {
        let mut it = pool.into_iter();
        let first = *it.next().ok_or(MeetError::Empty)?;
        it.try_fold(first, |acc, p| acc.meet(p))
    }

    /// The product order: `self ≤ other` (every component below or equal).
    pub fn le(&self, other: &Point) -> bool {
        self.arch == other.arch
            && self.vendor.meet(&other.vendor).is_some()
            && (matches!(self.vendor, Flat::Any) || self.vendor == other.vendor)
            && self.level <= other.level
            && self.features.is_subset(&other.features)
    }
}
