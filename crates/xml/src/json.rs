//! A stable JSON shape for CPU definitions and dumps.
//!
//! The JSON is of the normalized definition ([`CpuDef::normalized`]), so it shows the
//! effective values libvirt would write. Every key is always present (`null` when absent):
//!
//! ```json
//! {"kind": "guest", "mode": "custom", "match": "exact", "check": null, "arch": null,
//!  "model": {"name": "Haswell", "fallback": "allow", "vendor_id": null},
//!  "vendor": "Intel", "signature": null, "microcode": null,
//!  "topology": {"sockets": 1, "dies": null, "clusters": null, "cores": 2, "threads": 2},
//!  "features": [{"name": "rtm", "policy": "disable"}]}
//! ```
//! Hosts have `"policy": null` on every feature; `model.name` is `null` for a `<model>`
//! without a name.
use crate::model::{Check, CpuData, CpuDataItem, CpuDef, CpuKind, Fallback, Match, Mode};
use serde_json::{json, Value};

/// The JSON form of a CPU definition (normalized).
pub fn cpu_to_json(cpu: &CpuDef) -> Value {
    let c = cpu.normalized();
    let kind = match c.kind {
        CpuKind::Host => "host",
        CpuKind::Guest => "guest",
    };
    let mode = match c.mode {
        Mode::Custom => "custom",
        Mode::HostModel => "host-model",
        Mode::HostPassthrough => "host-passthrough",
        Mode::Maximum => "maximum",
    };
    let match_ = c.match_.map(|m| match m {
        Match::Minimum => "minimum",
        Match::Exact => "exact",
        Match::Strict => "strict",
    });
    let check = c.check.map(|m| match m {
        Check::None => "none",
        Check::Partial => "partial",
        Check::Full => "full",
    });
    let model = c.model.as_ref().map(|m| {
        json!({
            "name": (!m.name.is_empty()).then_some(m.name.as_str()),
            "fallback": m.fallback.map(|f| match f {
                Fallback::Allow => "allow",
                Fallback::Forbid => "forbid",
            }),
            "vendor_id": m.vendor_id,
        })
    });
    let signature = c
        .signature
        .map(|s| json!({"family": s.family, "model": s.model, "stepping": s.stepping}));
    let topology = c.topology.map(|t| {
        json!({"sockets": t.sockets, "dies": t.dies, "clusters": t.clusters,
               "cores": t.cores, "threads": t.threads})
    });
    let features: Vec<Value> = c
        .features
        .iter()
        .map(|f| json!({"name": f.name, "policy": f.policy.map(|p| p.as_str())}))
        .collect();
    json!({
        "kind": kind,
        "mode": mode,
        "match": match_,
        "check": check,
        "arch": c.arch,
        "model": model,
        "vendor": c.vendor,
        "signature": signature,
        "microcode": c.microcode,
        "topology": topology,
        "features": features,
    })
}

/// The JSON form of a dump: `{"arch": "x86", "items": [{"cpuid": {"eax_in": "0x00000001",
/// "ecx_in": "0x00", "eax": ..., "ebx": ..., "ecx": ..., "edx": ...}}, {"msr": {"index":
/// "0x10a", "eax": ..., "edx": ...}}, {"pvr": {"value": "0x004e1202"}}]}` (hex strings,
/// as in the XML).
pub fn cpudata_to_json(d: &CpuData) -> Value {
    let items: Vec<Value> = d
        .items
        .iter()
        .map(|i| match *i {
            CpuDataItem::Cpuid {
                leaf,
                subleaf,
                regs,
            } => json!({"cpuid": {
                "eax_in": format!("0x{leaf:08x}"), "ecx_in": format!("0x{subleaf:02x}"),
                "eax": format!("0x{:08x}", regs[0]), "ebx": format!("0x{:08x}", regs[1]),
                "ecx": format!("0x{:08x}", regs[2]), "edx": format!("0x{:08x}", regs[3])}}),
            CpuDataItem::Msr { index, eax, edx } => json!({"msr": {
                "index": format!("0x{index:x}"), "eax": format!("0x{eax:08x}"),
                "edx": format!("0x{edx:08x}")}}),
            CpuDataItem::Pvr { value } => json!({"pvr": {"value": format!("0x{value:08x}")}}),
        })
        .collect();
    json!({"arch": d.arch, "items": items})
}

/// Reads the JSON form [`cpu_to_json`] writes back into a definition: the inverse, so that
/// `cpu_from_json(&cpu_to_json(c)) == c.normalized()`. Keys may be absent (read as `null`);
/// unknown keys are refused, so a typo is not silently dropped.
///
/// # Errors
/// A value of the wrong type, an unknown enumeration value or key, a number out of
/// range: the message names the JSON path (`features[2].policy: ...`).
pub fn cpu_from_json(v: &Value) -> Result<CpuDef, crate::XmlError> {
    use crate::model::{Feature, ModelRef, Policy, Pos, Signature, Topology};
    let bad = |path: &str, what: &str| {
        crate::XmlError::new(
            Pos::default(),
            crate::ErrorKind::Invalid(format!("{path}: {what}")),
        )
    };
    let obj = v
        .as_object()
        .ok_or_else(|| bad("$", "expected an object"))?;
    const KEYS: [&str; 11] = [
        "kind",
        "mode",
        "match",
        "check",
        "arch",
        "model",
        "vendor",
        "signature",
        "microcode",
        "topology",
        "features",
    ];
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(bad(k, "unknown key"));
    }
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let text = |path: &str, v: Option<&Value>| -> Result<Option<String>, crate::XmlError> {
        match v.filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(path, "expected a string")),
        }
    };
    let number = |path: &str, v: Option<&Value>| -> Result<Option<u32>, crate::XmlError> {
        match v.filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| bad(path, "expected a number from 0 to 4294967295")),
        }
    };
    let pick =
        |path: &str, s: Option<String>, names: &[&str]| -> Result<Option<usize>, crate::XmlError> {
            match s {
                None => Ok(None),
                Some(s) => names
                    .iter()
                    .position(|n| *n == s)
                    .map(Some)
                    .ok_or_else(|| bad(path, &format!("expected one of {}", names.join(", ")))),
            }
        };
    let kind = match pick("kind", text("kind", get("kind"))?, &["host", "guest"])? {
        Some(0) => CpuKind::Host,
        _ => CpuKind::Guest,
    };
    let mode = match pick(
        "mode",
        text("mode", get("mode"))?,
        &["custom", "host-model", "host-passthrough", "maximum"],
    )? {
        Some(1) => Mode::HostModel,
        Some(2) => Mode::HostPassthrough,
        Some(3) => Mode::Maximum,
        _ => Mode::Custom,
    };
    let match_ = pick(
        "match",
        text("match", get("match"))?,
        &["minimum", "exact", "strict"],
    )?
    .map(|i| [Match::Minimum, Match::Exact, Match::Strict][i]);
    let check = pick(
        "check",
        text("check", get("check"))?,
        &["none", "partial", "full"],
    )?
    .map(|i| [Check::None, Check::Partial, Check::Full][i]);
    let model = match get("model") {
        None => None,
        Some(Value::Object(m)) => {
            if let Some(k) = m
                .keys()
                .find(|k| !["name", "fallback", "vendor_id"].contains(&k.as_str()))
            {
                return Err(bad(&format!("model.{k}"), "unknown key"));
            }
            let fallback = pick(
                "model.fallback",
                text("model.fallback", m.get("fallback"))?,
                &["allow", "forbid"],
            )?
            .map(|i| [Fallback::Allow, Fallback::Forbid][i]);
            Some(ModelRef {
                name: text("model.name", m.get("name"))?.unwrap_or_default(),
                fallback,
                vendor_id: text("model.vendor_id", m.get("vendor_id"))?,
                pos: Pos::default(),
            })
        }
        Some(_) => return Err(bad("model", "expected an object or null")),
    };
    let signature = match get("signature") {
        None => None,
        Some(s) => Some(Signature {
            family: number("signature.family", s.get("family"))?
                .ok_or_else(|| bad("signature.family", "expected a number"))?,
            model: number("signature.model", s.get("model"))?
                .ok_or_else(|| bad("signature.model", "expected a number"))?,
            stepping: number("signature.stepping", s.get("stepping"))?,
        }),
    };
    let topology = match get("topology") {
        None => None,
        Some(t) => {
            let need = |k: &str| -> Result<u32, crate::XmlError> {
                let path = format!("topology.{k}");
                number(&path, t.get(k))?.ok_or_else(|| bad(&path, "expected a number"))
            };
            Some(Topology {
                sockets: need("sockets")?,
                dies: number("topology.dies", t.get("dies"))?,
                clusters: number("topology.clusters", t.get("clusters"))?,
                cores: need("cores")?,
                threads: need("threads")?,
            })
        }
    };
    let microcode = match get("microcode") {
        None => None,
        Some(n) => Some(
            n.as_u64()
                .ok_or_else(|| bad("microcode", "expected a number"))?,
        ),
    };
    let mut features = Vec::new();
    if let Some(list) = get("features") {
        let list = list
            .as_array()
            .ok_or_else(|| bad("features", "expected an array"))?;
        for (i, f) in list.iter().enumerate() {
            let path = format!("features[{i}]");
            let name = text(&format!("{path}.name"), f.get("name"))?
                .ok_or_else(|| bad(&format!("{path}.name"), "expected a string"))?;
            let policy = pick(
                &format!("{path}.policy"),
                text(&format!("{path}.policy"), f.get("policy"))?,
                &["force", "require", "optional", "disable", "forbid"],
            )?
            .map(|i| {
                [
                    Policy::Force,
                    Policy::Require,
                    Policy::Optional,
                    Policy::Disable,
                    Policy::Forbid,
                ][i]
            });
            features.push(Feature {
                name,
                policy,
                pos: Pos::default(),
            });
        }
    }
    Ok(CpuDef {
        kind,
        mode,
        match_,
        check,
        arch: text("arch", get("arch"))?,
        model,
        vendor: text("vendor", get("vendor"))?,
        signature,
        microcode,
        topology,
        features,
        pos: Pos::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_reads_back_what_it_writes() {
        let text = "<cpu mode='custom' match='strict' check='partial'>\n  <model fallback='forbid' vendor_id='GenuineIntel'>Haswell</model>\n  <vendor>Intel</vendor>\n  <topology sockets='1' dies='1' clusters='1' cores='2' threads='2'/>\n  <feature policy='disable' name='rtm'/>\n  <feature policy='optional' name='aes'/>\n</cpu>\n";
        let c = crate::parse_cpus(text).unwrap().remove(0);
        assert_eq!(cpu_from_json(&cpu_to_json(&c)).unwrap(), c.normalized());
        let h = "<cpu><arch>x86_64</arch><model>Penryn</model><vendor>Intel</vendor><microcode version='5'/><signature family='6' model='23' stepping='10'/><feature name='vmx'/></cpu>";
        let c = crate::parse_cpus(h).unwrap().remove(0);
        assert_eq!(cpu_from_json(&cpu_to_json(&c)).unwrap(), c.normalized());
    }

    #[test]
    fn bad_json_names_the_path() {
        let e = |v: Value| cpu_from_json(&v).unwrap_err().message();
        assert_eq!(e(json!([])), "$: expected an object");
        assert_eq!(e(json!({"modle": null})), "modle: unknown key");
        assert_eq!(
            e(json!({"features": [{"name": "aes", "policy": "maybe"}]})),
            "features[0].policy: expected one of force, require, optional, disable, forbid"
        );
        assert_eq!(
            e(json!({"topology": {"sockets": -1, "cores": 1, "threads": 1}})),
            "topology.sockets: expected a number from 0 to 4294967295"
        );
    }
}
