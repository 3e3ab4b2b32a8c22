//! Laws of the s390x model algebra, checked over random models of both releases.
//!
//! A random model is a definition and a feature set: its base or default set, or a random
//! subset of its full set (what props can reach), so that comparisons hit every relation.
use cpucompat_lattice::{FeatureSet, Relation};
use cpucompat_s390x::{CpuModel, Engine, Release};
use proptest::prelude::*;

fn engine(newest: bool) -> Engine<'static> {
    Engine::tcg(if newest {
        Release::Newest
    } else {
        Release::Qemu72
    })
}

/// (release, definition pick, which set, random words).
type Raw = (bool, usize, u8, [u64; 8]);

fn raw() -> impl Strategy<Value = Raw> {
    (any::<bool>(), any::<usize>(), 0u8..4, any::<[u64; 8]>())
}

fn build(e: &Engine<'_>, (_, pick, kind, words): &Raw) -> CpuModel {
    let defs = e.catalog().definitions();
    let i = pick % defs.len();
    let d = &defs[i];
    let features = match kind {
        0 => d.base,
        1 => d.default,
        // Random subsets of the full set, biased towards the default set.
        2 => {
            d.default
                ^ (FeatureSet::from_words(*words) & FeatureSet::from_words([words[0]; 8]) & d.full)
        }
        _ => FeatureSet::from_words(*words) & d.full,
    };
    e.model(i, features).expect("a definition of this catalog")
}

fn runs_on(r: Relation) -> bool {
    matches!(r, Relation::Identical | Relation::Subset)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]



    #[test]
    fn baseline_ibc_never_exceeds_either_input(a in raw(), b in raw()) {
        let e = engine(a.0);
        let (ma, mb) = (build(&e, &a), build(&e, &b));
        if let Ok(base) = e.baseline(&ma, &mb) {
            prop_assert!(e.ibc(&base) <= e.ibc(&ma));
            prop_assert!(e.ibc(&base) <= e.ibc(&mb));
            prop_assert!(e.level(&base) <= e.level(&ma).min(e.level(&mb)));
        }
    }

    #[test]
    fn baseline_keeps_only_common_features(a in raw(), b in raw()) {
        let e = engine(a.0);
        let (ma, mb) = (build(&e, &a), build(&e, &b));
        if let Ok(base) = e.baseline(&ma, &mb) {
            prop_assert!(base.features().is_subset(&(*ma.features() & *mb.features())));
        }
    }


    #[test]
    fn comparison_is_antisymmetric(a in raw(), b in raw()) {
        let e = engine(a.0);
        let (ma, mb) = (build(&e, &a), build(&e, &b));
        prop_assert_eq!(e.compare(&ma, &mb).result, e.compare(&mb, &ma).result.flip());
    }

    #[test]
    fn runnable_on_host_agrees_with_comparison(h in raw(), g in raw()) {
        let tcg = engine(h.0);
        let host = build(&tcg, &h);
        let e = tcg.with_host(host);
        let guest = build(&e, &g);
        let by_compare = runs_on(e.compare(&guest, &host).result);
        prop_assert_eq!(e.runnable(&guest), by_compare);
        prop_assert_eq!(e.unavailable(&host, &guest).is_empty(), by_compare);
    }

    #[test]
    fn static_expansion_round_trips(a in raw()) {
        // Rebuilding the static expansion gives the same model back.
        let e = engine(a.0);
        let m = build(&e, &a);
        let x = e.expand_static(&m);
        let props: Vec<cpucompat_s390x::Prop> = x
            .props
            .iter()
            .map(|(n, v)| cpucompat_s390x::Prop { name: n.to_string(), value: (*v).into() })
            .collect();
        prop_assert_eq!(e.build(&x.name, &props), Ok(m));
    }
}

#[test]
fn ibc_follows_generation_and_ga() {
    let e = engine(true);
    let cat = e.catalog();
    let ibc = |n: &str| cat.definition(cat.definition_index(n).expect(n)).ibc();
    assert_eq!(ibc("z900"), 0);
    assert_eq!(ibc("z10EC"), 0x01);
    assert_eq!(ibc("z13"), 0x31);
    assert_eq!(ibc("z13s"), 0x32);
    assert_eq!(ibc("z14.2"), 0x42);
    assert_eq!(ibc("gen16b"), 0x61);
    assert_eq!(ibc("gen17a"), 0x71);
}

/// A QMP line built from JSON fragments, so that most lines parse and reach the engine.
fn qmp_line() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("z13".to_string()),
        Just("gen15a-base".to_string()),
        Just("max".to_string()),
        Just("host".to_string()),
        "[a-z0-9.-]{0,8}",
    ];
    let prop = prop_oneof![
        Just("vx".to_string()),
        Just("msa4".to_string()),
        Just("type".to_string()),
        Just("core-id".to_string()),
        "[a-z_-]{1,6}",
    ];
    let value = prop_oneof![
        Just("true".to_string()),
        Just("false".to_string()),
        Just("1".to_string()),
        Just("\"x\"".to_string()),
        Just("null".to_string()),
        Just("[]".to_string()),
    ];
    let props = prop::collection::vec((prop, value), 0..4).prop_map(|v| {
        let inner: Vec<String> = v.iter().map(|(k, x)| format!("\"{k}\": {x}")).collect();
        format!("{{{}}}", inner.join(", "))
    });
    let model = (name, props).prop_map(|(n, p)| format!("{{\"name\": \"{n}\", \"props\": {p}}}"));
    let cmd = prop_oneof![
        Just("query-cpu-model-expansion"),
        Just("query-cpu-model-comparison"),
        Just("query-cpu-model-baseline"),
        Just("query-cpu-definitions"),
        Just("nosuch"),
    ];
    let ty = prop_oneof![Just("static"), Just("full"), Just("other")];
    let wellformed = (cmd, ty, model.clone(), model).prop_map(|(c, t, a, b)| {
        format!(
            "{{\"execute\": \"{c}\", \"arguments\": {{\"type\": \"{t}\", \"model\": {a}, \"modela\": {a}, \"modelb\": {b}}}}}"
        )
    });
    prop_oneof![
        wellformed.clone(),
        wellformed.prop_map(|l| l.replace('"', "'")),
        ".{0,40}"
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn qmp_answers_lines_with_json_replies(lines in prop::collection::vec(qmp_line(), 1..4)) {
        let mut s = cpucompat_s390x::session(engine(true));
        s.line("{\"execute\": \"qmp_capabilities\"}");
        for l in &lines {
            // QMP is a byte stream: a line may hold no request yet, or several.
            let Some(replies) = s.line(l) else {
                continue;
            };
            for reply in replies.split("\r\n") {
                let v: serde_json::Value = serde_json::from_str(reply).expect("a JSON reply");
                prop_assert!(v.get("return").is_some() != v.get("error").is_some(), "{}", reply);
            }
        }
    }
}
