//! Compare: the order test between a host point and a guest requirement, with reasons.
//!
//! A guest is a [`Requirement`]: the features it needs (`required`), those it must not see
//! (`forbidden`), those it neither needs nor counts as extra (`ignored`: libvirt's force,
//! optional and disable policies), a level, a vendor, and whether extra host features are an
//! error (`strict`). With `host` the host's features:
//!
//! ```text
//! missing   = required - host
//! forbidden = forbidden ∩ host
//! extra     = host - required - ignored
//! features  = identical if missing = extra = ∅, superset if missing = ∅,
//!             subset if extra = ∅, incompatible otherwise
//! level     = host.level vs guest.level on the chain
//! relation  = combine(level, features)
//! ```
//!
//! The guest runs on the host iff no [`Reason`] is recorded: nothing missing, nothing
//! forbidden present, arch and vendor fit, level not newer than the host's, and (strict)
//! no extra feature.
use crate::{FeatureSet, Flat, Level, Point, Tag};

/// How a host relates to a guest in the product order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// Host and guest are the same point.
    Identical,
    /// The host offers everything the guest needs and more.
    Superset,
    /// The guest needs more than the host offers, and the host offers nothing extra.
    Subset,
    /// Neither is below the other, or arch/vendor differ.
    Incompatible,
}

impl Relation {
    /// The lowercase name used by libvirt and QEMU output.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Identical => "identical",
            Relation::Superset => "superset",
            Relation::Subset => "subset",
            Relation::Incompatible => "incompatible",
        }
    }

    /// The same relation seen from the other side.
    pub fn flip(self) -> Relation {
        match self {
            Relation::Superset => Relation::Subset,
            Relation::Subset => Relation::Superset,
            r => r,
        }
    }
}

/// Combines two component relations of a product order.
pub fn combine(a: Relation, b: Relation) -> Relation {
    if a == b || b == Relation::Identical {
        a
    } else if a == Relation::Identical {
        b
    } else {
        Relation::Incompatible
    }
}

/// What a guest needs from a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// Required architecture.
    pub arch: Tag,
    /// Required vendor, or any.
    pub vendor: Flat<Tag>,
    /// Required level: the host's must not be older.
    pub level: Level,
    /// Features the host must offer.
    pub required: FeatureSet,
    /// Features the host must not offer.
    pub forbidden: FeatureSet,
    /// Features neither required nor counted as extra.
    pub ignored: FeatureSet,
    /// Whether extra host features make the guest incompatible.
    pub strict: bool,
}

impl Requirement {
    /// The requirement that exactly matches a point: reflexivity's witness.
    pub fn exactly(p: &Point) -> Requirement {
        Requirement {
            arch: p.arch,
            vendor: p.vendor,
            level: p.level,
            required: p.features,
            forbidden: FeatureSet::EMPTY,
            ignored: FeatureSet::EMPTY,
            strict: false,
        }
    }
}

/// One reason a guest does not run on a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Different architectures.
    Arch {
        /// The host's.
        host: Tag,
        /// The guest's.
        guest: Tag,
    },
    /// The guest names a vendor the host does not have.
    Vendor {
        /// The host's, if known.
        host: Option<Tag>,
        /// The guest's.
        guest: Tag,
    },
    /// The guest's level is newer than the host's.
    LevelTooNew {
        /// The host's.
        host: Level,
        /// The guest's.
        guest: Level,
    },
    /// Required features the host lacks.
    Missing(FeatureSet),
    /// Forbidden features the host offers.
    Forbidden(FeatureSet),
    /// Extra host features a strict guest does not accept.
    Extra(FeatureSet),
}

/// The outcome of [`compare`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// The product-order relation of host to guest.
    pub relation: Relation,
    /// Why the guest cannot run; empty when it can.
    pub reasons: Vec<Reason>,
    /// Required features the host lacks.
    pub missing: FeatureSet,
    /// Forbidden features the host offers.
    pub forbidden: FeatureSet,
    /// Host features the guest neither requires nor ignores.
    pub extra: FeatureSet,
}

impl Comparison {
    /// Whether the guest runs on the host.
    pub fn is_compatible(&self) -> bool {
        self.reasons.is_empty()
    }

    /// libvirt's three-valued verdict: identical, superset, or incompatible.
    pub fn verdict(&self) -> Relation {
        if !self.is_compatible() {
            Relation::Incompatible
        } else if self.extra.is_empty() && self.relation == Relation::Identical {
            Relation::Identical
        } else {
            Relation::Superset
        }
    }
}

/// The order test of a host against a guest requirement, with every reason it fails.
pub fn compare(host: &Point, guest: &Requirement) -> Comparison {
    let mut reasons = Vec::new();
    if host.arch != guest.arch {
        reasons.push(Reason::Arch {
            host: host.arch,
            guest: guest.arch,
        });
    }
    if !guest.vendor.fits(&host.vendor) {
        if let Flat::Is(g) = guest.vendor {
            reasons.push(Reason::Vendor {
                host: host.vendor.known(),
                guest: g,
            });
        }
    }
    let level = host.level.relation(guest.level);
    if level == Relation::Subset {
        reasons.push(Reason::LevelTooNew {
            host: host.level,
            guest: guest.level,
        });
    }
    let forbidden = host.features & guest.forbidden;
    if !forbidden.is_empty() {
        reasons.push(Reason::Forbidden(forbidden));
    }
    let missing = guest.required - host.features;
    if !missing.is_empty() {
        reasons.push(Reason::Missing(missing));
    }
    let extra = host.features - guest.required - guest.ignored;
    if guest.strict && !extra.is_empty() && missing.is_empty() {
        reasons.push(Reason::Extra(extra));
    }
    let features = match (missing.is_empty(), extra.is_empty()) {
        (true, true) => Relation::Identical,
        (true, false) => Relation::Superset,
        (false, true) => Relation::Subset,
        (false, false) => Relation::Incompatible,
    };
    let flat_ok = host.arch == guest.arch && guest.vendor.fits(&host.vendor);
    let relation = if flat_ok {
        combine(level, features)
    } else {
        Relation::Incompatible
    };
    Comparison {
        relation,
        reasons,
        missing,
        forbidden,
        extra,
    }
}
