//! Property tests of the XML layer's laws over generated CPU definitions and dumps.
use cpucompat_xml::*;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    // Names with the characters that need escaping, spaces, non-ASCII, tab/newline.
    prop_oneof![
        "[A-Za-z][A-Za-z0-9_.-]{0,12}",
        "[ -~\t\n\u{e9}\u{4e2d}]{1,10}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
}

fn pol() -> impl Strategy<Value = Option<Policy>> {
    prop::option::of(prop_oneof![
        Just(Policy::Force),
        Just(Policy::Require),
        Just(Policy::Optional),
        Just(Policy::Disable),
        Just(Policy::Forbid),
    ])
}

prop_compose! {
    fn cpu()(host in any::<bool>(),
             mode in prop_oneof![Just(Mode::Custom), Just(Mode::HostModel),
                                 Just(Mode::HostPassthrough), Just(Mode::Maximum)],
             match_ in prop::option::of(prop_oneof![Just(Match::Minimum), Just(Match::Exact), Just(Match::Strict)]),
             check in prop::option::of(prop_oneof![Just(Check::None), Just(Check::Partial), Just(Check::Full)]),
             arch in name(), model in name(),
             fallback in prop::option::of(prop_oneof![Just(Fallback::Allow), Just(Fallback::Forbid)]),
             vendor in prop::option::of(name()),
             sig in prop::option::of((0u32..300, 0u32..300, prop::option::of(0u32..16))),
             microcode in prop::option::of(any::<u64>()),
             topo in prop::option::of((1u32..9, prop::option::of(1u32..3), prop::option::of(1u32..3), 1u32..9, 1u32..3)),
             feats in prop::collection::btree_map(name(), pol(), 0..6))
        -> CpuDef {
        let kind = if host { CpuKind::Host } else { CpuKind::Guest };
        CpuDef {
            kind,
            mode: if host { Mode::Custom } else { mode },
            match_: if host { None } else { match_ },
            check: if host { None } else { check },
            arch: host.then_some(arch),
            model: Some(ModelRef { name: model, fallback: if host { None } else { fallback },
                                   vendor_id: None, pos: Pos::default() }),
            vendor,
            signature: sig.map(|(family, model, stepping)| Signature { family, model, stepping }),
            microcode,
            topology: topo.map(|(sockets, dies, clusters, cores, threads)|
                Topology { sockets, dies, clusters, cores, threads }),
            features: feats.into_iter().map(|(name, policy)| Feature {
                name, policy: if host { None } else { policy }, pos: Pos::default() }).collect(),
            pos: Pos::default(),
        }
    }
}

fn strip(mut c: CpuDef) -> CpuDef {
    c = c.normalized();
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn print_then_parse_is_normalization(c in cpu()) {
        let w = write_cpu(&c);
        let back = parse_cpus(&w).map_err(|e| TestCaseError::fail(format!("{e}\n{w}")))?;
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(strip(back[0].clone()), c.normalized());
    }

    #[test]
    fn printing_is_idempotent(c in cpu()) {
        let w = write_cpu(&c);
        let back = parse_cpus(&w).map_err(|e| TestCaseError::fail(format!("{e}\n{w}")))?;
        prop_assert_eq!(write_cpu(&back[0]), w);
    }

    #[test]
    fn normalization_is_idempotent_and_invisible_to_the_writer(c in cpu()) {
        prop_assert_eq!(c.normalized().normalized(), c.normalized());
        prop_assert_eq!(write_cpu(&c.normalized()), write_cpu(&c));
    }

    #[test]
    fn streaming_equals_whole_input_parsing(cs in prop::collection::vec(cpu(), 0..5), cap in 1usize..64) {
        let mut text = String::from("<pool>\n");
        for c in &cs { text.push_str(&write_cpu(c)); }
        text.push_str("</pool>\n");
        let whole = parse_cpus(&text);
        let streamed: Result<Vec<_>, _> =
            CpuReader::new(std::io::BufReader::with_capacity(cap, text.as_bytes())).collect();
        prop_assert_eq!(streamed, whole);
    }

    #[test]
    fn cpudata_print_then_parse_is_identity(
        arch in "[a-z0-9_]{1,8}",
        items in prop::collection::vec(prop_oneof![
            (any::<u32>(), any::<u32>(), any::<[u32; 4]>())
                .prop_map(|(leaf, subleaf, regs)| CpuDataItem::Cpuid { leaf, subleaf, regs }),
            (any::<u32>(), any::<u32>(), any::<u32>())
                .prop_map(|(index, eax, edx)| CpuDataItem::Msr { index, eax, edx }),
            any::<u32>().prop_map(|value| CpuDataItem::Pvr { value }),
        ], 0..20)) {
        let d = CpuData { arch, items };
        prop_assert_eq!(parse_cpudata(&write_cpudata(&d)).unwrap(), d);
    }
}
