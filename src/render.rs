//! Rendering shared by the architecture glue modules: JSON text, and a CPU definition in
//! the format the command line asked for.
use crate::cli::{Common, Format};
use crate::Error;
use cpucompat_xml::model::CpuDef;
use serde_json::Value;

/// Pretty JSON with a final newline.
pub fn json_text(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A CPU definition as libvirt XML (the default) or JSON; text is a usage error, since a
/// definition has no text form other than its XML.
pub fn render_cpu(c: &Common, cpu: &CpuDef) -> Result<String, Error> {
    match c.format {
        None | Some(Format::Xml) => Ok(cpucompat_xml::write_cpu(cpu)),
        Some(Format::Json) => Ok(json_text(&cpucompat_xml::cpu_to_json(cpu))),
        Some(Format::Text) => Err(Error::usage(
            "this command prints a CPU definition: --format xml or json".into(),
        )),
    }
}
