//! Issue 8: every JSON the binary prints (`--format json`) is documented by a JSON Schema
//! (draft 2020-12) in `schemas/`, and the real output of the spec cases of every
//! architecture validates against it, with no undocumented field.
//!
//! | command | schema |
//! | --- | --- |
//! | `compare HOST GUEST` | `comparison` |
//! | `compare --hypervisor CAPS GUEST` | `hypervisor-comparison` |
//! | `baseline FILES`, `baseline --compat`, `decode DUMP`, `decode --pvr` | `cpu` |
//! | `baseline --hypervisor CAPS FILES` | `hypervisor-baseline` |
//! | `models` | `models` |
//! | `models HOST` | `usability` |
//! | `expand MODEL` | `expansion` |
//! | `host [--view kvm] [--record FILE]` | `host` |
//! | `parse FILE` | `parse` |
//!
//! The inputs are the spec cases' own: every `Compare`, `Baseline`, `Decode` and
//! `CompatBaseline` operation of `specs/cases/{x86,ppc64}/**` (their hosts also through
//! `models HOST`, their guests also against the hypervisor descriptions of
//! `specs/qemu-driver/`), the s390x CPUs of `specs/cases/s390x/data/` (s390x's spec cases
//! are QMP exchanges, whose JSON is QEMU's protocol, not an output of `--format json`),
//! every model of every catalog through `expand`, the recorded hosts of `specs/kvm/`, and
//! every definition file through `parse`.
//!
//! The schemas are read by a small validator of the keywords they use (`type`, `enum`,
//! `const`, `properties`, `required`, `additionalProperties`, `items`, `oneOf`, `minimum`,
//! `$ref` into `$defs`); a schema using any other keyword fails the test, so no keyword is
//! silently ignored. `.ci/tests.sh` checks the schemas against the draft 2020-12
//! meta-schema and re-validates a sample of outputs with Python's `jsonschema`.
mod support;

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::cases::ops;

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Marks, in the set of schema locations seen, an object schema an output had an object at.
const OBJECT: &str = " (object)";

/// The keywords the validator implements; annotations are accepted and not checked.
const KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "oneOf",
    "minimum",
    "$ref",
];
const ANNOTATIONS: &[&str] = &["$schema", "$id", "$defs", "title", "description"];

/// Every schema the binary's outputs are documented by.
const SCHEMAS: &[&str] = &[
    "comparison",
    "hypervisor-comparison",
    "cpu",
    "hypervisor-baseline",
    "models",
    "usability",
    "expansion",
    "host",
    "parse",
];

/// Properties no spec input can make the binary print, and why.
const UNSEEN_ALLOWED: &[(&str, &str, &str)] = &[(
    "host",
    "#/properties/pvr",
    "the host report of a POWER machine; this test runs on x86 and reads recorded x86 hosts",
)];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Value {
    let path = repo().join("schemas").join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One schema document and what validation has seen of it.
struct Schema {
    name: String,
    root: Value,
}

impl Schema {
    fn new(name: &str) -> Schema {
        Schema {
            name: name.to_string(),
            root: load(name),
        }
    }

    /// The schema at a local reference `#/$defs/NAME`.
    fn resolve(&self, r: &str) -> Result<&Value, String> {
        r.strip_prefix('#')
            .and_then(|p| self.root.pointer(p))
            .ok_or_else(|| format!("{}: unresolvable $ref {r}", self.name))
    }

    /// Validates `v`; the errors say where in the value and which keyword failed.
    /// `seen` collects the schema locations of the properties present in `v`.
    fn validate(&self, v: &Value, seen: &mut BTreeSet<String>) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(&self.root, "#", v, "$", &mut errors, seen);
        errors
    }

    fn check(
        &self,
        s: &Value,
        sptr: &str,
        v: &Value,
        at: &str,
        errors: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) {
        let Some(s) = s.as_object() else {
            errors.push(format!("{sptr}: a schema must be an object"));
            return;
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Ok(target) => self.check(target, r, v, at, errors, seen),
                Err(e) => errors.push(e),
            }
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.iter().any(|t| type_matches(t, v)) {
                errors.push(format!("{at}: {v} is not of type {t}"));
                return;
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                errors.push(format!(
                    "{at}: {v} is not one of {}",
                    Value::from(e.clone())
                ));
            }
        }
        if let Some(c) = s.get("const") {
            if c != v {
                errors.push(format!("{at}: {v} is not {c}"));
            }
        }
        if let (Some(m), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64()) {
            if n < m {
                errors.push(format!("{at}: {n} is below {m}"));
            }
        }
        if let Some(obj) = v.as_object() {
            self.check_object(s, sptr, obj, at, errors, seen);
        }
        if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
            for (i, x) in a.iter().enumerate() {
                self.check(
                    items,
                    &format!("{sptr}/items"),
                    x,
                    &format!("{at}[{i}]"),
                    errors,
                    seen,
                );
            }
        }
        if let Some(branches) = s.get("oneOf").and_then(Value::as_array) {
            let mut passing = Vec::new();
            let mut why = Vec::new();
            for (i, b) in branches.iter().enumerate() {
                let mut errs = Vec::new();
                let mut saw = BTreeSet::new();
                self.check(b, &format!("{sptr}/oneOf/{i}"), v, at, &mut errs, &mut saw);
                if errs.is_empty() {
                    passing.push(saw);
                } else {
                    why.push(errs.join("; "));
                }
            }
            match passing.len() {
                1 => seen.extend(passing.into_iter().flatten()),
                0 => errors.push(format!(
                    "{at}: matches no branch of {sptr}/oneOf ({})",
                    why.join(" | ")
                )),
                n => errors.push(format!("{at}: matches {n} branches of {sptr}/oneOf")),
            }
        }
    }

    fn check_object(
        &self,
        s: &Map<String, Value>,
        sptr: &str,
        obj: &Map<String, Value>,
        at: &str,
        errors: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) {
        let props = s.get("properties").and_then(Value::as_object);
        if props.is_some() {
            seen.insert(format!("{sptr}{OBJECT}"));
        }
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for k in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(k) {
                    errors.push(format!("{at}: required field '{k}' is absent"));
                }
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => {
                    let p = format!("{sptr}/properties/{k}");
                    seen.insert(p.clone());
                    self.check(ps, &p, x, &format!("{at}.{k}"), errors, seen);
                }
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{at}: field '{k}' is not documented by {sptr}"))
                    }
                    Some(extra) if extra.is_object() => self.check(
                        extra,
                        &format!("{sptr}/additionalProperties"),
                        x,
                        &format!("{at}.{k}"),
                        errors,
                        seen,
                    ),
                    _ => {}
                },
            }
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// The lint every schema passes: draft 2020-12, only the keywords the validator knows,
/// every object closed (`additionalProperties: false`) with every property described, and
/// every `required` name a property. Returns the locations of all properties.
fn lint(name: &str, root: &Value) -> (Vec<String>, BTreeSet<String>) {
    let mut problems = Vec::new();
    let mut props = BTreeSet::new();
    if root.get("$schema").and_then(Value::as_str) != Some(DRAFT) {
        problems.push(format!("{name}: $schema is not {DRAFT}"));
    }
    for k in ["$id", "title", "description"] {
        if root.get(k).and_then(Value::as_str).is_none() {
            problems.push(format!("{name}: no {k}"));
        }
    }
    fn walk(
        name: &str,
        s: &Value,
        ptr: &str,
        problems: &mut Vec<String>,
        props: &mut BTreeSet<String>,
    ) {
        let Some(o) = s.as_object() else {
            problems.push(format!("{name} {ptr}: not an object"));
            return;
        };
        for k in o.keys() {
            if !KEYWORDS.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                problems.push(format!("{name} {ptr}: keyword '{k}' is not supported"));
            }
        }
        if let Some(p) = o.get("properties") {
            let Some(p) = p.as_object() else {
                problems.push(format!("{name} {ptr}: properties is not an object"));
                return;
            };
            if o.get("additionalProperties") != Some(&Value::Bool(false)) {
                problems.push(format!(
                    "{name} {ptr}: an object must say additionalProperties: false"
                ));
            }
            if o.get("type") != Some(&Value::from("object")) {
                problems.push(format!("{name} {ptr}: properties without type object"));
            }
            for req in o
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !req.as_str().is_some_and(|r| p.contains_key(r)) {
                    problems.push(format!("{name} {ptr}: required {req} is no property"));
                }
            }
            for (k, ps) in p {
                let pp = format!("{ptr}/properties/{k}");
                if ps.get("description").and_then(Value::as_str).is_none() {
                    problems.push(format!("{name} {pp}: no description"));
                }
                props.insert(pp.clone());
                walk(name, ps, &pp, problems, props);
            }
        } else if o.get("type") == Some(&Value::from("object")) {
            problems.push(format!("{name} {ptr}: an object without properties"));
        }
        if let Some(i) = o.get("items") {
            walk(name, i, &format!("{ptr}/items"), problems, props);
        }
        for (i, b) in o
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            walk(name, b, &format!("{ptr}/oneOf/{i}"), problems, props);
        }
        if let Some(defs) = o.get("$defs").and_then(Value::as_object) {
            for (k, d) in defs {
                walk(name, d, &format!("#/$defs/{k}"), problems, props);
            }
        }
        if let Some(r) = o.get("$ref") {
            let ok = r
                .as_str()
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .is_some();
            if !ok {
                problems.push(format!("{name} {ptr}: $ref {r} is not local to $defs"));
            }
        }
    }
    walk(name, root, "#", &mut problems, &mut props);
    (problems, props)
}

#[test]
fn schemas_are_draft_2020_12_closed_and_describe_every_field() {
    let dir = repo().join("schemas");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("schemas/")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".schema.json"))
                .map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut named: Vec<String> = SCHEMAS.iter().map(|s| s.to_string()).collect();
    named.sort();
    assert_eq!(
        on_disk, named,
        "every schema file is checked, and only those"
    );
    let mut problems = Vec::new();
    let mut total = 0;
    for name in SCHEMAS {
        let root = load(name);
        let (p, props) = lint(name, &root);
        problems.extend(p);
        total += props.len();
        assert_eq!(
            root.get("$id")
                .and_then(Value::as_str)
                .map(|i| i.ends_with(&format!("/{name}.schema.json"))),
            Some(true),
            "{name}: $id names the file"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    println!("{} schemas, {total} documented properties", SCHEMAS.len());
}

/// The validator fails where it must: an undocumented field, an absent required field, a
/// value outside an enumeration, a wrong type, a value matching no `oneOf` branch.
#[test]
fn the_validator_refuses_undocumented_absent_and_wrong_fields() {
    let x86 = repo().join("specs/cases/x86/data");
    let run = support::cpucompat(
        None,
        &[
            "compare",
            &s(&x86.join("x86_64-host.xml")),
            &s(&x86.join("x86_64-Haswell.xml")),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let good: Value = serde_json::from_str(&run.stdout).expect("json");
    let schema = Schema::new("comparison");
    let mut seen = BTreeSet::new();
    assert_eq!(schema.validate(&good, &mut seen), Vec::<String>::new());
    assert!(seen.contains("#/$defs/reason/properties/position"));

    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        schema.validate(&v, &mut BTreeSet::new())
    };
    assert_eq!(
        mutate(&|v| {
            v["verdict"] = Value::from("incompatible");
        }),
        ["$: field 'verdict' is not documented by #"]
    );
    assert_eq!(
        mutate(&|v| {
            v["reasons"][0]["hint"] = Value::from("x");
        }),
        ["$.reasons[0]: field 'hint' is not documented by #/$defs/reason"]
    );
    assert_eq!(
        mutate(&|v| {
            v.as_object_mut().map(|o| o.remove("extra"));
        }),
        ["$: required field 'extra' is absent"]
    );
    assert_eq!(
        mutate(&|v| {
            v["result"] = Value::from("maybe");
        }),
        [r#"$.result: "maybe" is not one of ["identical","superset","incompatible"]"#]
    );
    assert_eq!(
        mutate(&|v| {
            v["missing"][0] = Value::from(3);
        }),
        ["$.missing[0]: 3 is not of type \"string\""]
    );
    let e = mutate(&|v| {
        v["reasons"][0]["position"] = serde_json::json!({"line": 0, "column": 1});
    });
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("$.reasons[0].position: matches no branch of"),
        "{e:?}"
    );
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The outputs validated, per schema and per architecture.
#[derive(Default)]
struct Tally {
    per_schema: BTreeMap<&'static str, usize>,
    per_arch: BTreeMap<&'static str, usize>,
    /// Runs that ended in an error (exit 2: no JSON to validate), per schema.
    errors: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
    seen: BTreeMap<&'static str, BTreeSet<String>>,
}

struct Validators(BTreeMap<&'static str, Schema>);

impl Tally {
    /// Runs the binary with `--format json` and validates what it prints (exit 0, or 1 for
    /// an incompatible compare) against `schema`.
    fn run(&mut self, v: &Validators, schema: &'static str, arch: &'static str, args: &[String]) {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--format", "json"]);
        let run = support::cpucompat(None, &a, None);
        let ok_code = run.code == 0 || (run.code == 1 && a[0] == "compare");
        if run.code == 2 && run.stdout.is_empty() && run.stderr.starts_with("cpucompat: error: ") {
            *self.errors.entry(schema).or_default() += 1;
            return;
        }
        if !ok_code {
            self.failures.push(format!(
                "{a:?}: exit {}\nstdout: {}\nstderr: {}",
                run.code, run.stdout, run.stderr
            ));
            return;
        }
        let value: Value = match serde_json::from_str(&run.stdout) {
            Ok(x) => x,
            Err(e) => {
                self.failures.push(format!("{a:?}: not JSON ({e})"));
                return;
            }
        };
        let seen = self.seen.entry(schema).or_default();
        let errs = v.0[schema].validate(&value, seen);
        if !errs.is_empty() {
            self.failures
                .push(format!("{a:?} against {schema}:\n  {}", errs.join("\n  ")));
        }
        *self.per_schema.entry(schema).or_default() += 1;
        *self.per_arch.entry(arch).or_default() += 1;
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Every model name in the binary's `models --format json` for these engine options.
fn model_names(engine: &[&str]) -> Vec<String> {
    let mut a = vec!["models"];
    a.extend(engine);
    a.extend(["--format", "json"]);
    let run = support::cpucompat(None, &a, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    v.as_array()
        .expect("a list")
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn every_json_output_of_the_spec_cases_matches_its_schema() {
    let v = Validators(SCHEMAS.iter().map(|n| (*n, Schema::new(n))).collect());
    let mut t = Tally::default();
    let cases = repo().join("specs/cases");
    let qd = repo().join("specs/qemu-driver");
    let x86_caps = [
        qd.join("x86_64-qemu-7.2.qemucaps.xml"),
        qd.join("x86_64-kvm.domcaps.xml"),
        qd.join("x86_64-qemu.domcaps.xml"),
    ];
    let s390x_caps = [
        qd.join("s390x-qemu-7.2.qemucaps.xml"),
        qd.join("s390x-qemu.domcaps.xml"),
    ];
    let mut parse_files = BTreeSet::new();

    // x86: the spec cases (libvirt 11.3's cputest), through the binary.
    let dir = cases.join("x86");
    let eng = strings(&["--arch", "x86_64", "--cpu-map", "libvirt-11.3"]);
    let mut hosts = BTreeSet::new();
    for op in ops(&dir) {
        let f = |i: usize| s(&dir.join(&op.strings[i]));
        match op.name.as_str() {
            "Compare" => {
                let (h, g) = (f(0), f(1));
                t.run(
                    &v,
                    "comparison",
                    "x86_64",
                    &[strings(&["compare", &h, &g]), eng.clone()].concat(),
                );
                for caps in &x86_caps {
                    t.run(
                        &v,
                        "hypervisor-comparison",
                        "x86_64",
                        &strings(&["compare", "--hypervisor", &s(caps), &g]),
                    );
                }
                parse_files.extend([h.clone(), g]);
                hosts.insert(h);
            }
            "Baseline" => {
                let files: Vec<String> = (0..op.strings.len()).map(f).collect();
                let mut a = strings(&["baseline"]);
                a.extend(files.iter().cloned());
                if op.flag("features") {
                    a.push("--features".into());
                }
                if op.flag("migratable") {
                    a.push("--migratable".into());
                }
                t.run(&v, "cpu", "x86_64", &[a.clone(), eng.clone()].concat());
                for caps in &x86_caps {
                    let mut h = strings(&["baseline", "--hypervisor", &s(caps)]);
                    h.extend(a[1..].iter().cloned());
                    t.run(&v, "hypervisor-baseline", "x86_64", &h);
                }
                parse_files.extend(files);
            }
            "Decode" => {
                let mut a = strings(&["decode", &f(0)]);
                if op.line.contains("kind: Guest") {
                    a.extend(strings(&["--as", "guest"]));
                }
                if op.strings.len() > 1 {
                    a.extend(strings(&["--hypervisor-models", &f(1)]));
                }
                t.run(&v, "cpu", "x86_64", &[a, eng.clone()].concat());
                if op.line.contains("kind: Host") {
                    hosts.insert(f(0));
                }
                parse_files.insert(f(0));
            }
            _ => {}
        }
    }
    for h in &hosts {
        t.run(
            &v,
            "usability",
            "x86_64",
            &[strings(&["models", h]), eng.clone()].concat(),
        );
    }

    // ppc64: the spec cases (libvirt's ppc64 tests, QEMU's POWER tables).
    let dir = cases.join("ppc64");
    let eng = strings(&["--arch", "ppc64", "--cpu-map", "libvirt-11.3"]);
    let mut hosts = BTreeSet::new();
    for op in ops(&dir) {
        let f = |i: usize| s(&dir.join(&op.strings[i]));
        match op.name.as_str() {
            "Compare" => {
                t.run(
                    &v,
                    "comparison",
                    "ppc64",
                    &[strings(&["compare", &f(0), &f(1)]), eng.clone()].concat(),
                );
                parse_files.extend([f(0), f(1)]);
                hosts.insert(f(0));
            }
            "Baseline" | "CompatBaseline" => {
                let mut a = strings(&["baseline"]);
                a.extend((0..op.strings.len()).map(f));
                if op.name == "CompatBaseline" {
                    a.push("--compat".into());
                }
                t.run(&v, "cpu", "ppc64", &[a, eng.clone()].concat());
                parse_files.extend((0..op.strings.len()).map(f));
            }
            "Decode" => {
                for kind in ["host", "guest"] {
                    t.run(
                        &v,
                        "cpu",
                        "ppc64",
                        &strings(&["decode", "--pvr", &op.strings[0], "--as", kind]),
                    );
                }
            }
            _ => {}
        }
    }
    for h in &hosts {
        t.run(
            &v,
            "usability",
            "ppc64",
            &[strings(&["models", h]), eng.clone()].concat(),
        );
    }

    // s390x: the CPUs of the spec data, against each other, as a pool, against the
    // recorded hypervisors.
    let dir = cases.join("s390x/data");
    let cpus: Vec<String> = [
        "host-z14.xml",
        "guest-z13.xml",
        "old.xml",
        "host-passthrough.xml",
        "bad-feature.xml",
    ]
    .iter()
    .map(|n| s(&dir.join(n)))
    .collect();
    for h in &cpus {
        t.run(
            &v,
            "usability",
            "s390x",
            &strings(&["models", "--arch", "s390x", h]),
        );
        for g in &cpus {
            t.run(
                &v,
                "comparison",
                "s390x",
                &strings(&["compare", "--arch", "s390x", h, g]),
            );
        }
        for caps in &s390x_caps {
            t.run(
                &v,
                "hypervisor-comparison",
                "s390x",
                &strings(&["compare", "--hypervisor", &s(caps), h]),
            );
        }
        parse_files.insert(h.clone());
    }
    let pool = s(&dir.join("pool.xml"));
    t.run(
        &v,
        "cpu",
        "s390x",
        &strings(&["baseline", "--arch", "s390x", &pool]),
    );
    t.run(
        &v,
        "cpu",
        "s390x",
        &strings(&["baseline", "--arch", "s390x", "--features", &pool]),
    );
    for caps in &s390x_caps {
        t.run(
            &v,
            "hypervisor-baseline",
            "s390x",
            &strings(&["baseline", "--hypervisor", &s(caps), &pool]),
        );
    }
    parse_files.insert(pool);

    // Every model of every catalog, listed and expanded.
    for (arch, engine) in [
        ("x86_64", vec!["--arch", "x86_64"]),
        (
            "x86_64",
            vec!["--arch", "x86_64", "--cpu-map", "libvirt-11.3"],
        ),
        ("ppc64", vec!["--arch", "ppc64"]),
        ("s390x", vec!["--arch", "s390x"]),
        ("s390x", vec!["--arch", "s390x", "--qemu-version", "7.2"]),
    ] {
        t.run(
            &v,
            "models",
            arch,
            &[strings(&["models"]), strings(&engine)].concat(),
        );
        for m in model_names(&engine) {
            t.run(
                &v,
                "expansion",
                arch,
                &[strings(&["expand", &m]), strings(&engine)].concat(),
            );
        }
    }

    // The inputs of the recorded QEMU-driver exchanges (libvirt 11.3's
    // hypervisor-cpu-compare/-baseline; every eighth one, and every one with a
    // `<maxphysaddr>`), against the capabilities caches they were recorded with.
    let tmp = std::env::temp_dir().join(format!("cpucompat-json-schemas-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    for (file, arch, caps) in [
        ("x86_64-compare.jsonl", "x86_64", &x86_caps[0]),
        ("x86_64-baseline.jsonl", "x86_64", &x86_caps[0]),
        ("s390x-baseline.jsonl", "s390x", &s390x_caps[0]),
    ] {
        let text = std::fs::read_to_string(qd.join(file)).expect("recording");
        for (i, line) in text.lines().enumerate() {
            let rec: Value = serde_json::from_str(line).expect("a JSON line");
            let input = rec["input"].as_str().expect("input");
            if i % 8 != 0 && !input.contains("maxphysaddr") {
                continue;
            }
            let path = tmp.join(format!("{file}-{i}.xml"));
            std::fs::write(&path, input).expect("write input");
            let cmd = rec["cmd"].as_str().expect("cmd");
            let runs: Vec<Value> = match rec.get("runs").and_then(Value::as_array) {
                Some(r) => r.clone(),
                None => vec![rec.clone()],
            };
            for run in runs {
                let mut a = strings(&[cmd, "--hypervisor", &s(caps)]);
                if let Some(vt) = run.get("virttype").and_then(Value::as_str) {
                    a.extend(strings(&["--accel", vt]));
                }
                // virsh's `--error` (fail on incompatible) has no counterpart: the
                // exit status already says it.
                for f in run["flags"].as_array().into_iter().flatten() {
                    let f = f.as_str().expect("flag");
                    if f != "--error" {
                        a.push(f.to_string());
                    }
                }
                a.push(s(&path));
                let schema = if cmd == "compare" {
                    "hypervisor-comparison"
                } else {
                    "hypervisor-baseline"
                };
                t.run(&v, schema, arch, &a);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);

    // Hosts: the recorded ones in both views, and this machine when it can be read.
    for rec in ["amd-epyc-pvm", "intel-spr-pvm"] {
        let r = s(&repo().join("specs/kvm").join(rec).join("host.json"));
        for view in ["host", "kvm"] {
            t.run(
                &v,
                "host",
                "x86_64",
                &strings(&["host", "--arch", "x86_64", "--view", view, "--record", &r]),
            );
        }
    }
    for view in ["host", "kvm"] {
        t.run(&v, "host", "x86_64", &strings(&["host", "--view", view]));
    }

    // Every definition file read above, as written.
    for f in &parse_files {
        let arch = if f.contains("/x86/") {
            "x86_64"
        } else if f.contains("/ppc64/") {
            "ppc64"
        } else {
            "s390x"
        };
        t.run(&v, "parse", arch, &strings(&["parse", f]));
    }

    println!("validated outputs per schema: {:?}", t.per_schema);
    println!("validated outputs per architecture: {:?}", t.per_arch);
    println!("runs that ended in an error (no JSON): {:?}", t.errors);
    assert!(
        t.failures.is_empty(),
        "{} failures:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
    for name in SCHEMAS {
        assert!(
            t.per_schema.get(name).copied().unwrap_or(0) > 0,
            "no output validated against {name}"
        );
    }
    for arch in ["x86_64", "ppc64", "s390x"] {
        assert!(
            t.per_arch.get(arch).copied().unwrap_or(0) > 0,
            "no {arch} output"
        );
    }
    // Every documented property of an object printed somewhere appears in some output (or
    // is listed with its reason), so the schemas describe what is printed, not more.
    // Objects only ever printed as `null` are listed.
    let mut unseen = Vec::new();
    let mut never = BTreeSet::new();
    for name in SCHEMAS {
        let (_, props) = lint(name, &v.0[name].root);
        let seen = t.seen.get(name).cloned().unwrap_or_default();
        for p in props.difference(&seen) {
            let (object, _) = p.rsplit_once("/properties/").expect("a property");
            if !seen.contains(&format!("{object}{OBJECT}")) {
                never.insert(format!("{name} {object}"));
            } else if !UNSEEN_ALLOWED.iter().any(|(n, q, _)| n == name && q == p) {
                unseen.push(format!("{name} {p}"));
            }
        }
    }
    assert!(
        unseen.is_empty(),
        "documented but never printed:\n{}",
        unseen.join("\n")
    );
    for o in &never {
        println!("object never printed (null or absent in every output): {o}");
    }
    for (n, p, why) in UNSEEN_ALLOWED {
        println!("not exercised: {n} {p} ({why})");
    }
}
