//! `cpucompat parse FILE`: read any CPU XML form, print the definitions found, normalized.
//!
//! A linter for CPU XML: every `<cpu>` of the file (bare, several, in a wrapper, in domain
//! XML, capabilities or domain capabilities) is printed as libvirt formats it
//! (`--format xml`, the default; `text` is the same), or all of them as a JSON array
//! (`--format json`). A file whose top element is `<cpudata>` prints the dump normalized.
//! Any error is one located line and exit status 2; nothing is printed on stdout then.
use crate::cli::{Common, Format, ParseArgs};
use crate::input::{display, read, xml_error};
use crate::{Error, Output};
use cpucompat_xml::{
    cpu_to_json, cpudata_to_json, parse_cpudata, parse_cpus, write_cpu, write_cpudata, ErrorKind,
};

/// `cpucompat parse FILE`.
pub fn parse_command(common: &Common, args: &ParseArgs) -> Result<Output, Error> {
    let name = display(&args.file);
    let text = read(&args.file)?;
    let json = common.format == Some(Format::Json);
    let cpus = match parse_cpus(&text) {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), ErrorKind::NoCpu(_)) => {
            // Not CPU definitions: perhaps a dump.
            let Ok(d) = parse_cpudata(&text) else {
                return Err(xml_error(&name, &e));
            };
            let out = if json {
                pretty(&cpudata_to_json(&d))?
            } else {
                write_cpudata(&d)
            };
            return Ok(Output::ok(out));
        }
        Err(e) => return Err(xml_error(&name, &e)),
    };
    let out = if json {
        pretty(&serde_json::Value::Array(
            cpus.iter().map(cpu_to_json).collect(),
        ))?
    } else {
        cpus.iter().map(write_cpu).collect()
    };
    Ok(Output::ok(out))
}

fn pretty(v: &serde_json::Value) -> Result<String, Error> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::Decision(format!("cannot render JSON: {e}")))
}
