//! The embedded catalogs hold what QEMU's tables hold, and a broken catalog is refused
//! with a message naming file, line and column, word for word.
use cpucompat_s390x::{Catalog, CatalogError, Kind, Release};

#[test]
fn embedded_catalogs_have_qemus_counts() {
    let newest = Catalog::embedded(Release::Newest);
    assert_eq!(newest.features().len(), 394);
    assert_eq!(newest.groups().len(), 27);
    assert_eq!(newest.definitions().len(), 40);
    let q72 = Catalog::embedded(Release::Qemu72);
    assert_eq!(q72.features().len(), 312);
    assert_eq!(q72.groups().len(), 17);
    assert_eq!(q72.definitions().len(), 38);
    assert_eq!(q72.listing().len(), 78);
    let stfl = q72
        .features()
        .iter()
        .filter(|f| f.kind == Kind::Stfl)
        .count();
    assert_eq!(stfl, 95);
    // Facility numbering: bit 0 is the most significant bit of byte 0.
    let vx = q72.feature(q72.feature_bit("vx").unwrap());
    assert_eq!((vx.kind, vx.bit), (Kind::Stfl, Some(129)));
    let d = q72.definition(q72.definition_index("z13").unwrap());
    assert_eq!(
        (d.cpu_type, d.gen, d.ga, d.mha_pow, d.hmfai),
        (0x2964, 13, 1, 47, 0x0800_0000)
    );
    assert_eq!(
        (d.base.len(), d.default.len(), d.full.len()),
        (86, 201, 221)
    );
}

const GOOD: &str = r#"(
    qemu: "test",
    source: "a tiny catalog",
    features: [
        (name: "esan3", kind: Stfl, bit: Some(0), desc: "a"),
        (name: "zarch", kind: Stfl, bit: Some(1), desc: "b"),
        (name: "cmm", kind: Misc, bit: None, desc: "c"),
    ],
    groups: [(name: "g", desc: "d", members: ["esan3", "zarch"])],
    ignored_base: [],
    deprecated: [],
    max: (type: 0x2064, gen: 7, ga: 1, features: ["g"]),
    models: [
        (
            name: "z900", type: 0x2064, gen: 7, ga: 1, mha_pow: 38, hmfai: 0, desc: "e",
            base: ["g"], default: ["g"], full: ["g", "cmm"],
        ),
    ],
)"#;

fn err(text: &str) -> String {
    Catalog::parse("t.ron", text).unwrap_err().to_string()
}

#[test]
fn a_small_catalog_compiles() {
    let c = Catalog::parse("t.ron", GOOD).unwrap();
    assert_eq!(c.definition(0).full.len(), 3);
    assert_eq!(c.group("g").unwrap().members.len(), 2);
}

#[test]
fn unknown_names_are_located() {
    let bad = GOOD.replace(r#"full: ["g", "cmm"]"#, r#"full: ["g", "cmma"]"#);
    assert_eq!(err(&bad), "t.ron:16:54: unknown feature or group 'cmma'");
}

#[test]
fn duplicates_are_refused() {
    let bad = GOOD.replace(r#"(name: "cmm""#, r#"(name: "zarch""#);
    assert_eq!(err(&bad), "t.ron:7:16: duplicate feature 'zarch'");
}

#[test]
fn inconsistent_sets_are_refused() {
    let bad = GOOD.replace(r#"default: ["g"]"#, r#"default: ["esan3"]"#);
    assert_eq!(
        err(&bad),
        "t.ron:15:19: model 'z900': base must be within default, default within full"
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let bad = GOOD.replace("kind: Misc", "kind: Miscellaneous");
    assert!(matches!(
        Catalog::parse("t.ron", &bad),
        Err(CatalogError::Input { line: 7, .. })
    ));
    assert_eq!(
        err(&bad),
        "t.ron:7:29: unknown variant 'Miscellaneous', expected one of Stfl, SclpConfChar, \
         SclpConfCharExt, SclpFac134, SclpCpu, Misc, Plo, Ptff, Kmac, Kmc, Km, Kimd, Klmd, \
         Pckmo, Kmctr, Kmf, Kmo, Pcc, Ppno, Kma, Kdsa, Sortl, Dfltcc, UvFeatGuest, Pfcr"
    );
    let bad = GOOD.replace("mha_pow: 38", "mha_pow: 300");
    assert_eq!(err(&bad), "t.ron:15:65: 300 does not fit a u8");
}

#[test]
fn build_time_catalogs_equal_the_parsed_ron() {
    for (release, text) in [
        (
            Release::Newest,
            include_str!("../../../specs/catalog/s390x.ron"),
        ),
        (
            Release::Qemu72,
            include_str!("../../../specs/catalog/s390x-7.2.ron"),
        ),
    ] {
        let parsed = Catalog::parse("x.ron", text).unwrap();
        let built = Catalog::embedded(release);
        assert_eq!(parsed.features(), built.features());
        assert_eq!(parsed.groups(), built.groups());
        assert_eq!(parsed.definitions(), built.definitions());
        assert_eq!(parsed.max_model(), built.max_model());
        assert_eq!(parsed.listing(), built.listing());
        assert_eq!(parsed.ignored_base(), built.ignored_base());
        assert_eq!(parsed.deprecated(), built.deprecated());
        assert_eq!(parsed.release(), built.release());
    }
}
