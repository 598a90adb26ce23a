//! Every example in README.md and docs/ runs. A fenced ```console block
//! holds commands (lines starting with `$ `) each followed by its expected
//! output, stdout then stderr. The command runs from the repository root
//! through `sh -c` (so pipelines work) with the `sonde` under test first on
//! PATH. In expected lines `[..]` matches any text within the line; a line
//! holding only `...` matches any number of lines; a last line `? N` states
//! a non-zero exit status (without it the status must be 0). Other fence
//! kinds are not run. `SONDE_DOCS_FILTER=serve` runs only pages whose path
//! contains the text.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::repo_root;

/// One `$ command` and what it must print.
#[derive(Debug)]
struct Example {
    file: PathBuf,
    line: usize,
    command: String,
    expected: Vec<String>,
    status: i32,
}

/// The pages whose examples run: README.md and every docs/*.md.
fn pages() -> Vec<PathBuf> {
    let root = repo_root();
    let mut pages = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        pages.extend(docs);
    }
    pages
}

/// The examples of one page, in order.
fn examples(file: &Path, text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut fence = "";
    let mut fence_indent = 0;
    let mut current: Option<Example> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let indent = raw.len() - line.len();
        if let Some(rest) = line.strip_prefix("```") {
            if fence.is_empty() {
                fence = "```";
                fence_indent = indent;
                in_console = rest.trim() == "console";
                continue;
            }
            // A closing fence.
            fence = "";
            if in_console && let Some(example) = current.take() {
                out.push(example);
            }
            in_console = false;
            continue;
        }
        if !in_console {
            continue;
        }
        // Inside a list item the fence is indented: so is its content.
        let line = raw.get(indent.min(fence_indent)..).unwrap_or(raw);
        if let Some(command) = line.strip_prefix("$ ") {
            if let Some(example) = current.take() {
                out.push(example);
            }
            current = Some(Example {
                file: file.to_owned(),
                line: index + 1,
                command: command.to_owned(),
                expected: Vec::new(),
                status: 0,
            });
        } else if let Some(example) = current.as_mut() {
            if let Some(code) = line.strip_prefix("? ")
                && let Ok(code) = code.trim().parse()
            {
                example.status = code;
            } else {
                example.expected.push(line.to_owned());
            }
        }
    }
    out
}

/// Does one actual line match one expected line (with `[..]` wildcards)?
fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Do the actual lines match the expected ones (`...` spans any lines)?
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty() && line_matches(first, actual[0]) && lines_match(rest, &actual[1..])
        }
    }
}

fn run(example: &Example) -> Result<(), String> {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sonde"))
        .parent()
        .expect("binary directory")
        .to_owned();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir];
    dirs.extend(std::env::split_paths(&path));
    // Bounded: an example that starts a server by mistake must fail, not
    // hang the suite.
    let out = Command::new("timeout")
        .args(["-k", "5", "60", "sh", "-c"])
        .arg(&example.command)
        .current_dir(repo_root())
        .env("PATH", std::env::join_paths(dirs).expect("PATH"))
        // Fixed terminal width and no colour, as a reader's copy would have.
        .env("COLUMNS", "100")
        .env_remove("CI")
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let actual: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
    let status = out.status.code().unwrap_or(-1);
    if status == example.status && lines_match(&example.expected, &actual) {
        return Ok(());
    }
    Err(format!(
        "{}:{}: $ {}\n--- expected (status {}) ---\n{}\n--- actual (status {status}) ---\n{}",
        example
            .file
            .strip_prefix(repo_root())
            .unwrap_or(&example.file)
            .display(),
        example.line,
        example.command,
        example.status,
        example.expected.join("\n"),
        actual.join("\n"),
    ))
}

#[test]
fn every_example_in_the_readme_and_docs_runs() {
    let filter = std::env::var("SONDE_DOCS_FILTER").unwrap_or_default();
    let mut failures = Vec::new();
    let mut count = 0;
    for page in pages() {
        if !page.to_string_lossy().contains(&filter) {
            continue;
        }
        let text = std::fs::read_to_string(&page).expect("read page");
        for example in examples(&page, &text) {
            count += 1;
            if let Err(report) = run(&example) {
                failures.push(report);
            }
        }
    }
    assert!(count > 0 || !filter.is_empty(), "no examples found");
    assert!(
        failures.is_empty(),
        "{} of {count} examples failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_sonde_example_is_a_console_block() {
    // A `$ sonde` line in a fence that is not run would drift unseen. The
    // one exception: ```text, kept for sessions that need a live server
    // and labelled as samples in the prose before them.
    let mut stray = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read page");
        let mut kind: Option<String> = None;
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix("```") {
                kind = match kind {
                    None => Some(rest.trim().to_owned()),
                    Some(_) => None,
                };
                continue;
            }
            if let Some(kind) = &kind
                && kind != "console"
                && kind != "text"
                && trimmed.starts_with("$ ")
                && trimmed.contains("sonde ")
            {
                stray.push(format!(
                    "{}:{}: ```{kind}: {trimmed}",
                    page.display(),
                    index + 1
                ));
            }
        }
        assert!(
            kind.is_none(),
            "{}: a code fence is never closed",
            page.display()
        );
    }
    assert!(
        stray.is_empty(),
        "examples that never run:\n{}",
        stray.join("\n")
    );
}

#[test]
fn the_matcher_means_what_the_format_says() {
    assert!(line_matches("a [..] c", "a b b c"));
    assert!(!line_matches("a [..] c", "a b b d"));
    assert!(line_matches("[..]", "anything"));
    assert!(!line_matches("ab[..]ba", "aba"));
    let lines = ["one", "two", "three"];
    let exp = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(lines_match(&exp(&["one", "...", "three"]), &lines));
    assert!(lines_match(&exp(&["..."]), &lines));
    assert!(lines_match(&exp(&["one", "two", "three", "..."]), &lines));
    assert!(!lines_match(&exp(&["one", "three"]), &lines));
    let page = "```console\n$ echo hi\nhi\n? 1\n```\n```text\n$ not run\n```\n";
    let found = examples(Path::new("x.md"), page);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].expected, ["hi"]);
    assert_eq!(found[0].status, 1);
}
