//! The algebra of virtual-CPU compatibility, and nothing else.
//!
//! A CPU is a point of a product lattice `Arch × Vendor × Level × FeatureSet`:
//!
//! * [`FeatureSet`]: subsets of a fixed universe of at most [`FeatureSet::CAPACITY`]
//!   features, ordered by inclusion; meet is intersection (`&`), join is union (`|`).
//! * [`Level`]: a chain (a total order); meet is `min`, join is `max`.
//! * [`Flat`]: arch and vendor; two known values are equal or incompatible, and an
//!   unconstrained value ([`Flat::Any`]) fits every other.
//!
//! The product order is component-wise, so [`Point::meet`] (the baseline of a pool) is the
//! component-wise meet and [`compare`] is the component-wise order test, combined the way
//! QEMU combines its generation and feature verdicts:
//!
//! ```text
//! combine(a, b) = a              if a = b
//!               = b              if a = identical
//!               = a              if b = identical
//!               = incompatible   otherwise
//! ```
//!
//! Laws (checked by proptests and by exhaustive enumeration of a 6-feature universe in
//! `tests/laws.rs`): meet and join are commutative, associative, idempotent and absorb each
//! other; inclusion is reflexive, antisymmetric and transitive; `a & b` is the greatest lower
//! bound of `a` and `b`.
//!
//! This crate does no I/O, knows no architecture and holds no names: adapters map feature
//! names to [`Bit`]s and back.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod compare;
mod level;
mod point;
mod set;

pub use compare::{combine, compare, Comparison, Reason, Relation, Requirement};
pub use level::Level;
pub use point::{Flat, MeetError, Point, Tag};
pub use set::{Bit, Bits, CapacityError, FeatureSet};
