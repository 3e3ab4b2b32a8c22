//! The lattice laws, twice: as proptests over full-width sets and points, and exhaustively
//! over every set (and every pair and triple of sets) of a 6-feature universe.
//!
//! Test names state the law they check.
use cpucompat_lattice::{
    combine, compare, Bit, FeatureSet, Flat, Level, MeetError, Point, Relation, Requirement, Tag,
};
use proptest::prelude::*;

fn set_from_mask(mask: u64) -> FeatureSet {
    (0..64)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| Bit::new(i).unwrap())
        .collect()
}

fn arb_set() -> impl Strategy<Value = FeatureSet> {
    // Mix sparse and dense sets across all words.
    prop_oneof![
        prop::collection::vec(0usize..FeatureSet::CAPACITY, 0..40)
            .prop_map(|v| v.into_iter().map(|b| Bit::new(b).unwrap()).collect()),
        prop::array::uniform8(any::<u64>()).prop_map(FeatureSet::from_words),
        prop::collection::vec(0usize..12, 0..12)
            .prop_map(|v| v.into_iter().map(|b| Bit::new(b).unwrap()).collect()),
    ]
}

fn arb_point() -> impl Strategy<Value = Point> {
    (
        0u32..2,
        prop_oneof![Just(Flat::Any), (0u32..2).prop_map(|v| Flat::Is(Tag(v)))],
        0u32..4,
        arb_set(),
    )
        .prop_map(|(a, vendor, l, features)| Point {
            arch: Tag(a),
            vendor,
            level: Level::new(l),
            features,
        })
}

fn runs(host: &Point, guest: &Point) -> bool {
    compare(host, &Requirement::exactly(guest)).is_compatible()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn meet_is_commutative(a in arb_set(), b in arb_set()) {
        prop_assert_eq!(a & b, b & a);
    }

    #[test]
    fn join_is_commutative(a in arb_set(), b in arb_set()) {
        prop_assert_eq!(a | b, b | a);
    }

    #[test]
    fn meet_is_associative(a in arb_set(), b in arb_set(), c in arb_set()) {
        prop_assert_eq!((a & b) & c, a & (b & c));
    }

    #[test]
    fn join_is_associative(a in arb_set(), b in arb_set(), c in arb_set()) {
        prop_assert_eq!((a | b) | c, a | (b | c));
    }

    #[test]
    fn meet_and_join_are_idempotent(a in arb_set()) {
        prop_assert_eq!(a & a, a);
        prop_assert_eq!(a | a, a);
    }

    #[test]
    fn meet_and_join_absorb_each_other(a in arb_set(), b in arb_set()) {
        prop_assert_eq!(a & (a | b), a);
        prop_assert_eq!(a | (a & b), a);
    }

    #[test]
    fn order_is_reflexive(a in arb_set()) {
        prop_assert!(a.is_subset(&a));
    }

    #[test]
    fn order_is_antisymmetric(a in arb_set(), b in arb_set()) {
        prop_assert_eq!(a.is_subset(&b) && b.is_subset(&a), a == b);
    }

    #[test]
    fn order_is_transitive(a in arb_set(), b in arb_set(), c in arb_set()) {
        let (ab, bc) = (a & b, (a & b) & c);
        // bc ⊆ ab ⊆ a always holds; and for arbitrary triples the implication.
        prop_assert!(bc.is_subset(&ab) && ab.is_subset(&a) && bc.is_subset(&a));
        if a.is_subset(&b) && b.is_subset(&c) {
            prop_assert!(a.is_subset(&c));
        }
    }

    #[test]
    fn order_agrees_with_meet_and_join(a in arb_set(), b in arb_set()) {
        let le = a.is_subset(&b);
        prop_assert_eq!(le, (a & b) == a);
        prop_assert_eq!(le, (a | b) == b);
        prop_assert_eq!(le, (a - b).is_empty());
    }

    #[test]
    fn meet_is_the_greatest_lower_bound(a in arb_set(), b in arb_set(), x in arb_set()) {
        let m = a & b;
        prop_assert!(m.is_subset(&a) && m.is_subset(&b));
        let lower = x & a & b; // an arbitrary lower bound of a and b
        prop_assert!(lower.is_subset(&m));
        if x.is_subset(&a) && x.is_subset(&b) {
            prop_assert!(x.is_subset(&m));
        }
    }

    #[test]
    fn iteration_and_len_agree(a in arb_set()) {
        let v: Vec<Bit> = a.iter().collect();
        prop_assert_eq!(v.len(), a.len());
        prop_assert!(v.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(v.into_iter().collect::<FeatureSet>(), a);
    }

    #[test]
    fn compare_is_reflexive(p in arb_point()) {
        let c = compare(&p, &Requirement::exactly(&p));
        prop_assert!(c.is_compatible());
        prop_assert_eq!(c.relation, Relation::Identical);
        prop_assert_eq!(c.verdict(), Relation::Identical);
    }

    #[test]
    fn compatibility_is_transitive(a in arb_point(), b in arb_point(), c in arb_point()) {
        // b below a, c below b (forced, so the premise holds often).
        let b = Point { arch: a.arch, vendor: a.vendor, level: b.level.meet(a.level), features: b.features & a.features };
        let c = Point { arch: b.arch, vendor: b.vendor, level: c.level.meet(b.level), features: c.features & b.features };
        prop_assert!(runs(&a, &b) && runs(&b, &c));
        prop_assert!(runs(&a, &c));
    }

    #[test]
    fn superset_one_way_means_incompatible_the_other_way(a in arb_point(), b in arb_point()) {
        let ab = compare(&a, &Requirement::exactly(&b));
        if ab.is_compatible() && ab.verdict() == Relation::Superset && a.vendor == b.vendor {
            prop_assert!(!runs(&b, &a));
            prop_assert_eq!(compare(&b, &Requirement::exactly(&a)).relation, Relation::Subset);
        }
    }

    #[test]
    fn baseline_is_always_compatible(pool in prop::collection::vec(arb_point(), 1..6)) {
        let pool: Vec<Point> = pool.into_iter().map(|p| Point { arch: Tag(0), vendor: Flat::Is(Tag(0)), ..p }).collect();
        let base = Point::meet_all(&pool).unwrap();
        for host in &pool {
            prop_assert!(runs(host, &base));
        }
    }

    #[test]
    fn baseline_is_monotone(pool in prop::collection::vec(arb_point(), 1..6), extra in arb_point()) {
        let mut pool: Vec<Point> = pool.into_iter().map(|p| Point { arch: Tag(0), vendor: Flat::Any, ..p }).collect();
        let before = Point::meet_all(&pool).unwrap();
        pool.push(Point { arch: Tag(0), vendor: Flat::Any, ..extra });
        let after = Point::meet_all(&pool).unwrap();
        prop_assert!(after.features.is_subset(&before.features));
        prop_assert!(after.level <= before.level);
    }

    #[test]
    fn baseline_is_commutative_and_associative(a in arb_point(), b in arb_point(), c in arb_point()) {
        let (a, b, c) = [a, b, c].map(|p| Point { arch: Tag(0), vendor: Flat::Any, ..p }).into();
        prop_assert_eq!(a.meet(&b), b.meet(&a));
        prop_assert_eq!(a.meet(&b).and_then(|ab| ab.meet(&c)), b.meet(&c).and_then(|bc| a.meet(&bc)));
        prop_assert_eq!(a.meet(&a), Ok(a));
    }

    #[test]
    fn baseline_is_the_greatest_lower_bound(pool in prop::collection::vec(arb_point(), 1..5), g in arb_point()) {
        let pool: Vec<Point> = pool.into_iter().map(|p| Point { arch: Tag(0), vendor: Flat::Any, ..p }).collect();
        let guest = Point { arch: Tag(0), vendor: Flat::Any, ..g };
        let base = Point::meet_all(&pool).unwrap();
        if pool.iter().all(|h| runs(h, &guest)) {
            prop_assert!(runs(&base, &guest));
        }
    }
}

#[test]
fn meet_of_no_points_is_an_error() {
    assert_eq!(Point::meet_all(std::iter::empty()), Err(MeetError::Empty));
    assert_eq!(MeetError::Empty.to_string(), "no CPUs given");
}

#[test]
fn meet_of_different_vendors_is_an_error() {
    let p = |v| Point {
        arch: Tag(0),
        vendor: Flat::Is(Tag(v)),
        level: Level::BOTTOM,
        features: FeatureSet::EMPTY,
    };
    assert_eq!(p(1).meet(&p(2)), Err(MeetError::Vendor));
    assert_eq!(MeetError::Vendor.to_string(), "CPU vendors do not match");
    let any = Point {
        vendor: Flat::Any,
        ..p(1)
    };
    assert_eq!(p(1).meet(&any).map(|m| m.vendor), Ok(Flat::Any));
}

#[test]
fn combine_follows_qemu_table() {
    use Relation::*;
    let all = [Identical, Superset, Subset, Incompatible];
    for a in all {
        assert_eq!(combine(a, a), a);
        assert_eq!(combine(Identical, a), a);
        assert_eq!(combine(a, Identical), a);
    }
    assert_eq!(combine(Superset, Subset), Incompatible);
    assert_eq!(combine(Subset, Superset), Incompatible);
    assert_eq!(combine(Superset, Incompatible), Incompatible);
}

#[test]
fn compare_reports_every_reason() {
    let host = Point {
        arch: Tag(0),
        vendor: Flat::Is(Tag(1)),
        level: Level::new(2),
        features: set_from_mask(0b0111),
    };
    let guest = Requirement {
        arch: Tag(0),
        vendor: Flat::Is(Tag(2)),
        level: Level::new(3),
        required: set_from_mask(0b1001),
        forbidden: set_from_mask(0b0010),
        ignored: FeatureSet::EMPTY,
        strict: false,
    };
    let c = compare(&host, &guest);
    assert_eq!(c.verdict(), Relation::Incompatible);
    assert_eq!(c.reasons.len(), 4, "{:?}", c.reasons);
    assert_eq!(c.missing, set_from_mask(0b1000));
    assert_eq!(c.forbidden, set_from_mask(0b0010));
    assert_eq!(c.extra, set_from_mask(0b0110));
}

#[test]
fn strict_guest_rejects_extra_features() {
    let host = Point {
        arch: Tag(0),
        vendor: Flat::Any,
        level: Level::BOTTOM,
        features: set_from_mask(0b11),
    };
    let mut guest = Requirement::exactly(&Point {
        features: set_from_mask(0b01),
        ..host
    });
    assert_eq!(compare(&host, &guest).verdict(), Relation::Superset);
    guest.strict = true;
    assert_eq!(compare(&host, &guest).verdict(), Relation::Incompatible);
    guest.ignored = set_from_mask(0b10);
    assert_eq!(compare(&host, &guest).verdict(), Relation::Identical);
}

// ---- bounded exhaustive checks: every set of a 6-feature universe ----

const N: u64 = 1 << 6;

fn all_sets() -> Vec<FeatureSet> {
    (0..N).map(set_from_mask).collect()
}

#[test]
fn exhaustive_meet_and_join_laws_over_six_features() {
    let sets = all_sets();
    for a in &sets {
        assert_eq!(a & a, *a, "meet idempotent");
        assert_eq!(a | a, *a, "join idempotent");
        for b in &sets {
            assert_eq!(a & b, b & a, "meet commutative");
            assert_eq!(a | b, b | a, "join commutative");
            assert_eq!(a & (a | b), *a, "absorption");
            assert_eq!(a | (a & b), *a, "absorption");
            let le = a.is_subset(b);
            assert_eq!(le, (a & b) == *a, "order = meet");
            assert_eq!(le && b.is_subset(a), a == b, "antisymmetry");
            for c in &sets {
                assert_eq!((a & b) & c, a & (b & c), "meet associative");
                assert_eq!((a | b) | c, a | (b | c), "join associative");
                if le && b.is_subset(c) {
                    assert!(a.is_subset(c), "transitivity");
                }
                if c.is_subset(a) && c.is_subset(b) {
                    assert!(c.is_subset(&(a & b)), "meet is the greatest lower bound");
                }
            }
        }
    }
}

#[test]
fn exhaustive_compare_laws_over_six_features() {
    let sets = all_sets();
    let point = |f: FeatureSet| Point {
        arch: Tag(0),
        vendor: Flat::Any,
        level: Level::BOTTOM,
        features: f,
    };
    for a in &sets {
        assert_eq!(
            compare(&point(*a), &Requirement::exactly(&point(*a))).relation,
            Relation::Identical
        );
        for b in &sets {
            let ab = runs(&point(*a), &point(*b));
            assert_eq!(
                ab,
                b.is_subset(a),
                "runs iff guest features ⊆ host features"
            );
            let base = point(*a).meet(&point(*b)).unwrap();
            assert!(
                runs(&point(*a), &base) && runs(&point(*b), &base),
                "baseline runs everywhere"
            );
            for c in &sets {
                if runs(&point(*a), &point(*b)) && runs(&point(*b), &point(*c)) {
                    assert!(runs(&point(*a), &point(*c)), "compatibility is transitive");
                }
                if runs(&point(*a), &point(*c)) && runs(&point(*b), &point(*c)) {
                    assert!(
                        runs(&base, &point(*c)),
                        "baseline is the greatest lower bound"
                    );
                }
            }
        }
    }
}
