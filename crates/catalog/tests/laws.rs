//! Laws of the catalog layer, checked by property tests over generated catalogs and over
//! the committed (embedded) ones.
use cpucompat_catalog::{
    embedded, to_ron, Alias, Arch, Catalog, CatalogError, Compiled, Decode, Feature, FeatureSet,
    Location, Model, Pvr, Reg, Signature, Vendor,
};
use proptest::prelude::*;
use std::collections::HashMap;

fn name() -> impl Strategy<Value = String> {
    // Printable ASCII with quotes and backslashes, non-ASCII, and control characters.
    prop_oneof![
        "[ -~]{0,12}",
        "[a-z]{1,4}[\u{e9}\u{3bb}\u{1f600}]{0,2}",
        "[a\u{0}-\u{1f}\u{7f}\u{85}]{0,3}",
    ]
}

fn reg() -> impl Strategy<Value = Reg> {
    prop_oneof![
        Just(Reg::Eax),
        Just(Reg::Ebx),
        Just(Reg::Ecx),
        Just(Reg::Edx)
    ]
}

fn location() -> impl Strategy<Value = Location> {
    prop_oneof![
        (any::<u32>(), any::<u32>(), reg(), any::<u8>()).prop_map(|(leaf, subleaf, reg, bit)| {
            Location::Cpuid {
                leaf,
                subleaf,
                reg,
                bit,
            }
        }),
        (any::<u32>(), reg(), any::<u8>()).prop_map(|(index, reg, bit)| Location::Msr {
            index,
            reg,
            bit
        }),
    ]
}

fn feature() -> impl Strategy<Value = Feature> {
    (
        name(),
        location(),
        any::<bool>(),
        prop::collection::vec((name(), name()), 0..3),
    )
        .prop_map(|(name, location, migratable, aliases)| Feature {
            name,
            location,
            migratable,
            aliases: aliases
                .into_iter()
                .map(|(name, source)| Alias {
                    name: name.into(),
                    source: source.into(),
                })
                .collect(),
        })
}

fn model() -> impl Strategy<Value = Model> {
    let names = || prop::collection::vec(name(), 0..30);
    (
        (
            name(),
            prop::option::of(name()),
            prop::option::of(name()),
            prop::option::of((any::<bool>(), any::<bool>())),
            any::<bool>(),
        ),
        prop::collection::vec(
            (
                any::<u32>(),
                any::<u32>(),
                prop::collection::vec((any::<u8>(), any::<u8>()), 0..3),
            ),
            0..3,
        ),
        (names(), names(), names()),
        prop::collection::vec((any::<u32>(), any::<u32>()), 0..3),
    )
        .prop_map(
            |(
                (name, parent, vendor, decode, check_compat),
                sigs,
                (features, removed, added),
                pvrs,
            )| {
                Model {
                    name,
                    parent,
                    vendor,
                    decode: decode.map(|(host, guest)| Decode { host, guest }),
                    check_compat,
                    signatures: sigs
                        .into_iter()
                        .map(|(family, model, steppings)| Signature {
                            family,
                            model,
                            steppings: steppings.into(),
                        })
                        .collect(),
                    features,
                    removed,
                    added,
                    pvrs: pvrs
                        .into_iter()
                        .map(|(value, mask)| Pvr { value, mask })
                        .collect(),
                }
            },
        )
}

fn catalog() -> impl Strategy<Value = Catalog> {
    (
        prop_oneof![Just(Arch::X86), Just(Arch::Ppc64), Just(Arch::S390x)],
        name(),
        prop::collection::vec((name(), prop::option::of(name())), 0..4),
        prop::collection::vec(feature(), 0..12),
        prop::collection::vec(model(), 0..6),
    )
        .prop_map(|(arch, source, vendors, features, models)| Catalog {
            arch,
            source,
            vendors: vendors
                .into_iter()
                .map(|(name, string)| Vendor { name, string })
                .collect(),
            features,
            models,
        })
}

/// The committed x86 catalog, read once.
fn x86_catalog() -> Catalog {
    static CAT: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CAT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/catalog/x86.ron");
        Catalog::from_ron(&std::fs::read_to_string(path).unwrap(), "x86.ron").unwrap()
    })
    .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `from_ron ∘ to_ron` is the identity and `to_ron` output is a fixed point.
    #[test]
    fn written_catalog_text_parses_back_to_the_same_catalog(cat in catalog()) {
        let text = to_ron(&cat);
        let back = Catalog::from_ron(&text, "written").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &cat);
        prop_assert_eq!(to_ron(&back), text);
    }

    /// Compiling never panics, whatever the catalog says.
    #[test]
    fn compiling_any_catalog_returns_a_value_or_an_error(cat in catalog()) {
        let _ = Compiled::compile(&cat);
    }

    /// Model order in the file does not change what a model resolves to.
    #[test]
    fn compilation_is_independent_of_model_order(seed in any::<u64>()) {
        let mut cat = x86_catalog();
        let base = embedded::x86();
        // A Fisher-Yates shuffle driven by a small LCG seeded by proptest.
        let mut s = seed | 1;
        for i in (1..cat.models.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (s >> 33) as usize % (i + 1);
            cat.models.swap(i, j);
        }
        let shuffled = Compiled::compile(&cat).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let name = |c: &Compiled, i: Option<usize>| i.map(|i| c.models()[i].name.clone());
        for m in base.models() {
            let other = &shuffled.models()[shuffled.model(&m.name).ok_or_else(|| TestCaseError::fail("model lost"))?];
            prop_assert_eq!(m.features, other.features, "{}", m.name);
            prop_assert_eq!(m.vendor, other.vendor);
            prop_assert_eq!(&m.signatures, &other.signatures);
            prop_assert_eq!(&m.removed, &other.removed);
            prop_assert_eq!(m.added, other.added);
            prop_assert_eq!(name(base, m.alias_of), name(&shuffled, other.alias_of));
            prop_assert_eq!(name(base, m.canonical), name(&shuffled, other.canonical));
        }
    }

    /// Any feature name a model lists that the catalog lacks is reported, by name.
    #[test]
    fn an_unknown_feature_in_any_model_is_reported(model in 0usize..176, slot in 0usize..200, bogus in "[a-z]{3,8}-zz") {
        let mut cat = x86_catalog();
        let n = cat.models.len();
        let m = &mut cat.models[model % n];
        let at = slot % (m.features.len() + 1);
        m.features.insert(at, bogus.clone());
        let model_name = m.name.clone();
        match Compiled::compile(&cat) {
            Err(CatalogError::UnknownFeature { model, feature }) => {
                prop_assert_eq!(model, model_name);
                prop_assert_eq!(feature, bogus);
            }
            other => prop_assert!(false, "expected unknown feature, got {:?}", other.map(|_| ())),
        }
    }
}

/// Names and bits are inverse maps, aliases lead to their feature, locations to theirs.
#[test]
fn feature_names_bits_aliases_and_locations_agree() {
    for c in [embedded::x86(), embedded::x86_libvirt_11_3()] {
        let all = c.all_features();
        assert_eq!(all.len(), c.features().len());
        assert_eq!(c.names(&all).len(), c.features().len());
        for (i, f) in c.features().iter().enumerate() {
            let b = c.feature(&f.name).unwrap();
            assert_eq!(b.index(), i);
            assert_eq!(c.feature_name(b), f.name);
            assert_eq!(c.feature_at(&f.location), Some(b));
            for a in f.aliases.iter() {
                assert_eq!(c.feature_by_alias(&a.name), Some(b));
                assert_eq!(c.feature(&a.name), None, "aliases are not canonical names");
            }
        }
    }
}

/// Facts of the 12.8 and 11.3 maps the adapters rely on.
#[test]
fn committed_catalogs_hold_libvirts_facts() {
    let x = embedded::x86();
    // Only invtsc and xsaves block migration.
    assert_eq!(x.names(&x.migration_blockers()), ["xsaves", "invtsc"]);
    assert_eq!(x.feature_by_alias("sse4_2"), x.feature("sse4.2"));
    let vendors: Vec<&str> = x.vendors().iter().map(|v| &*v.name).collect();
    assert_eq!(vendors, ["Intel", "AMD", "Hygon", "Zhaoxin CentaurHauls"]);
    let models: HashMap<&str, usize> = x
        .models()
        .iter()
        .enumerate()
        .map(|(i, m)| (&*m.name, i))
        .collect();
    assert_eq!(models.len(), 176);
    assert_eq!(x.models()[0].name, "486");
    assert_eq!(x.models()[x.models().len() - 1].name, "YongFeng-v3");
    let aliases = x.models().iter().filter(|m| m.alias_of.is_some()).count();
    assert_eq!(aliases, 63);
    let old = embedded::x86_libvirt_11_3();
    assert_eq!(
        old.models().iter().filter(|m| m.alias_of.is_some()).count(),
        59
    );
    assert_eq!(old.models().iter().filter(|m| m.check_compat).count(), 62);
    assert_eq!(
        old.models()
            .iter()
            .filter(|m| m.decode.is_some_and(|d| d.guest))
            .count(),
        57
    );
    assert!(old.model("EPYC-Turin").is_none());
    assert!(embedded::ppc64_libvirt_11_3().model("POWER11").is_none());
    assert!(embedded::ppc64().model("POWER11").is_some());
    assert_eq!(FeatureSet::EMPTY, x.models()[x.model("486").unwrap()].added);
}
