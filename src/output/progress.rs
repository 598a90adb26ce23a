//! Progress bars for long work. Shown only when stderr is a terminal and the
//! output format is the human one, so pipes, CI logs and JSON consumers
//! never see bar redraws.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Format;

fn visible(format: Format) -> bool {
    format == Format::Table && std::io::stderr().is_terminal()
}

/// A byte-count bar with rate and ETA (hidden when not visible).
pub fn bytes(total: u64, format: Format, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target(format));
    let style = ProgressStyle::with_template(
        "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(message.to_owned());
    bar
}

/// A spinner with a byte count, for streams of unknown length.
pub fn bytes_unknown(format: Format, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, target(format));
    let style = ProgressStyle::with_template("{spinner} {msg} {bytes} {binary_bytes_per_sec}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_message(message.to_owned());
    if visible(format) {
        bar.enable_steady_tick(Duration::from_millis(200));
    }
    bar
}

/// A group of bars drawn together (a status line under a transfer bar,
/// say), hidden when not visible. Print to the terminal through
/// [`MultiProgress::suspend`] so lines do not tear the bars.
pub fn multi(format: Format) -> MultiProgress {
    MultiProgress::with_draw_target(target(format))
}

/// A one-line status (a message only) for long-running streams; add it to
/// a [`multi`] group to show it. Redrawn when its message changes.
pub fn status() -> ProgressBar {
    let bar = ProgressBar::hidden();
    let style =
        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}

fn target(format: Format) -> ProgressDrawTarget {
    if visible(format) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}
