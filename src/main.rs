//! The `cpucompat` binary: parse arguments, run, print the whole result or one error line.
//!
//! Exit status: 0 success (and compare: identical or superset), 1 incompatible, 2 error.
//! Nothing is printed on stdout unless the whole command succeeded; an error is one line
//! on stderr, `cpucompat: error: FILE:LINE:COL: message`.
mod cli;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    let result = cli::run(args).and_then(|out| {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(out.stdout.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(cpucompat::Error::write)?;
        Ok(out.exit)
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("cpucompat: error: {e}");
            ExitCode::from(2)
        }
    }
}
