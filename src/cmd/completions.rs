//! `sonde completions SHELL` and the hidden `sonde generate DIR`, which
//! writes every completion script and man page from the clap definitions.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use super::Status;
use crate::cli::{Cli, CompletionsArgs, GenerateArgs};
use crate::output::Format;

pub fn print(
    args: &CompletionsArgs,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    if format == Format::Json {
        anyhow::bail!("--format json: a completion script has no JSON form (omit --format)");
    }
    // Generated into memory first: clap_complete panics when its writer
    // fails, and `sonde completions zsh | head -1` closes the pipe early.
    // Our own write reports the broken pipe, which exits 0.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "sonde", &mut script);
    out.write_all(&script)?;
    Ok(Status::Ok)
}

/// The shells we ship scripts for, and their conventional file names.
const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "sonde.bash"),
    (Shell::Zsh, "_sonde"),
    (Shell::Fish, "sonde.fish"),
    (Shell::Elvish, "sonde.elv"),
    (Shell::PowerShell, "_sonde.ps1"),
];

pub fn generate(args: &GenerateArgs) -> anyhow::Result<Status> {
    let completions = args.dir.join("completions");
    let man = args.dir.join("man");
    for dir in [&completions, &man] {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    for (shell, file) in SHELLS {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "sonde", &mut script);
        write(&completions.join(file), &script)?;
    }
    let mut cmd = Cli::command();
    cmd.build();
    man_pages(&cmd, "sonde", &man)?;
    Ok(Status::Ok)
}

/// One page for the command and one per visible subcommand, recursively,
/// named like git's (`sonde-resp-decode.1`).
fn man_pages(cmd: &clap::Command, name: &str, dir: &Path) -> anyhow::Result<()> {
    let page = cmd.clone().name(name.to_owned());
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut text)
        .context("rendering man page")?;
    write(&dir.join(format!("{name}.1")), &text)?;
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        man_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
