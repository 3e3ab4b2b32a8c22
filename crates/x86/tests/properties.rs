//! Properties of the x86 adapter beyond the contract's laws (those are in the `cpucompat`
//! package's `tests/conformance.rs`, over real CPUs): decode of arbitrary dumps is
//! lossless whenever it answers, and the text parsers never panic.
mod common;

use common::*;
use cpucompat_x86::{X86Error, X86};
use cpucompat_xml::model::{CpuData, CpuDataItem, CpuKind};
use proptest::prelude::*;

fn arbitrary_item() -> impl Strategy<Value = CpuDataItem> {
    prop_oneof![
        (
            prop_oneof![0u32..0x30, 0x8000_0000u32..0x8000_0030, any::<u32>()],
            0u32..4,
            any::<[u32; 4]>()
        )
            .prop_map(|(leaf, subleaf, regs)| CpuDataItem::Cpuid {
                leaf,
                subleaf,
                regs
            }),
        (
            prop_oneof![Just(0x10au32), 0x480u32..0x492, any::<u32>()],
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(|(index, eax, edx)| CpuDataItem::Msr { index, eax, edx }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any dump decodes without panicking, under both catalogs, and losslessly when it
    /// decodes at all.
    #[test]
    fn decode_is_lossless_on_arbitrary_data(
        items in prop::collection::vec(arbitrary_item(), 0..40),
        default_catalog in any::<bool>(),
    ) {
        let x = if default_catalog { X86::new(cpucompat_catalog::embedded::x86().clone()) } else { x86() };
        let d = CpuData { arch: "x86".into(), items };
        let read = x.read_features(&d).unwrap();
        for kind in [CpuKind::Host, CpuKind::Guest] {
            match x.decode(&d, kind, None) {
                Ok(def) => prop_assert_eq!(x.features_of(&def).unwrap(), read),
                Err(e) => prop_assert_eq!(e, X86Error::NoSuitableModel),
            }
        }
    }

    /// The text parsers answer every input with a value or an error, never a panic.
    #[test]
    fn parsers_never_panic(text in "\\PC{0,200}", lines in prop::collection::vec("[ 0-9a-fxCPU:=abcdex]{0,80}", 0..6)) {
        let _ = cpucompat_x86::parse_cpuid_r(&text);
        let _ = cpucompat_x86::parse_cpuid_r(&lines.join("\n"));
        let _ = cpucompat_x86::HypervisorModels::from_qmp_json(&text);
        let _ = x86().qmp_expansion_data(&text);
    }
}
