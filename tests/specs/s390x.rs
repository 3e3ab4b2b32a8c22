//! Spec checker for `specs/cases/s390x`: one QMP command and the exact reply.
//!
//! A case names the QEMU release whose data answers (`"7.2"` or `"newest"`), an optional
//! KVM host model (a `CpuModelInfo` JSON text; without it the answer is QEMU's under TCG),
//! the command line and the expected reply line. The reply must match byte for byte (key
//! order included: cpucompat reproduces QEMU's dictionary order), except for the JSON
//! paths listed in `ignore` (e.g. `return.package` of `query-version`), which are dropped
//! from both sides before comparing them as JSON values.
use crate::common::{expect_text, Case};
use cpucompat::{Arch, Engine, Input, Qemu};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QmpCase {
    qemu_version: String,
    host_model: Option<String>,
    command: String,
    reply: String,
    #[serde(default)]
    ignore: Vec<String>,
}

fn drop_path(v: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = v;
    for p in parts {
        match cur.get_mut(p) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
}

/// Checks one `s390x` case.
pub fn check(case: &Case) -> Result<(), String> {
    let c: QmpCase = case.ron()?;
    let qemu = Qemu::from_name(&c.qemu_version)
        .ok_or_else(|| format!("unknown qemu_version '{}'", c.qemu_version))?;
    let mut engine = Engine::builder(Arch::S390x)
        .qemu(qemu)
        .build()
        .map_err(|e| e.to_string())?;
    if let Some(h) = &c.host_model {
        let ext = engine.s390x().ok_or("not an s390x engine")?;
        engine = ext
            .with_host_model(Input::from_text("host_model", h.as_str()))
            .map_err(|e| e.to_string())?;
    }
    let input = format!("{{\"execute\":\"qmp_capabilities\"}}\n{}\n", c.command);
    let mut out = Vec::new();
    engine
        .s390x()
        .ok_or("not an s390x engine")?
        .serve_qmp(input.as_bytes(), &mut out)
        .map_err(|e| e.to_string())?;
    let out = String::from_utf8_lossy(&out);
    // Greeting, then the qmp_capabilities reply, then the command's reply.
    let actual = out
        .split("\r\n")
        .nth(2)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| "no reply to the command".to_string())?
        .to_string();
    if c.ignore.is_empty() {
        return expect_text(case, &c.reply, &actual);
    }
    let mut want: Value = serde_json::from_str(&c.reply).map_err(|e| e.to_string())?;
    let mut got: Value = serde_json::from_str(&actual).map_err(|e| e.to_string())?;
    for p in &c.ignore {
        drop_path(&mut want, p);
        drop_path(&mut got, p);
    }
    if want == got {
        Ok(())
    } else {
        Err(format!("expected {want}\n  actual {got}"))
    }
}
