//! `oom-score-adj`: the server sets its own /proc/self/oom_score_adj by
//! role, as redis-server does, so the kernel's OOM killer picks a
//! snapshot child before a replica and a replica before the master.
//! `relative` (or `yes`) adds the configured value to the score the
//! process had when it first adjusted it; `absolute` writes the value;
//! `no` restores that first score if the server ever changed it.

use super::Server;

/// The process classes of `oom-score-adj-values`, in its order.
#[derive(Clone, Copy)]
pub enum Class {
    Master = 0,
    Replica = 1,
    Child = 2,
}

const PATH: &str = "/proc/self/oom_score_adj";

fn read_score() -> Option<i64> {
    std::fs::read_to_string(PATH).ok()?.trim().parse().ok()
}

fn values(srv: &Server) -> [i64; 3] {
    let text = super::config::special::get_oom_values(&srv.config);
    let mut out = [0i64; 3];
    for (slot, word) in out.iter_mut().zip(text.split_whitespace()) {
        *slot = word.parse().unwrap_or(0);
    }
    out
}

/// The class of the running server (master or replica).
pub fn own_class(srv: &Server) -> Class {
    if srv.replication.upstream.is_some() {
        Class::Replica
    } else {
        Class::Master
    }
}

/// Set the score for `class` as the configuration says. An error names
/// what failed (the write is refused to an unprivileged process lowering
/// its score).
pub fn apply(srv: &mut Server, class: Class) -> Result<(), String> {
    let mode = srv.config.oom_score_adj.as_str();
    if mode == "no" {
        CHILD_SCORE.store(i64::MIN, std::sync::atomic::Ordering::Relaxed);
        if let Some(base) = srv.oom_base.take() {
            std::fs::write(PATH, format!("{base}\n"))
                .map_err(|e| format!("Unable to write oom_score_adj: {e}"))?;
        }
        return Ok(());
    }
    let base = match srv.oom_base {
        Some(b) => b,
        None => {
            let b = read_score().ok_or("Unable to read oom_score_adj")?;
            srv.oom_base = Some(b);
            b
        }
    };
    let mut value = values(srv)[class as usize];
    if mode != "absolute" {
        value += base;
    }
    let value = value.clamp(-1000, 1000);
    prepare_child(srv);
    std::fs::write(PATH, format!("{value}\n"))
        .map_err(|e| format!("Unable to write oom_score_adj: {e}"))
}

/// The score a snapshot or rewrite child sets right after fork
/// (i64::MIN: leave the inherited one).
static CHILD_SCORE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);

/// Remember the child's score for the current configuration.
fn prepare_child(srv: &Server) {
    let mode = srv.config.oom_score_adj.as_str();
    let score = match (mode, srv.oom_base) {
        ("no", _) | (_, None) => i64::MIN,
        ("absolute", _) => values(srv)[Class::Child as usize].clamp(-1000, 1000),
        (_, Some(base)) => (values(srv)[Class::Child as usize] + base).clamp(-1000, 1000),
    };
    CHILD_SCORE.store(score, std::sync::atomic::Ordering::Relaxed);
}

/// In a forked child: take the child's score.
pub fn enter_child() {
    let score = CHILD_SCORE.load(std::sync::atomic::Ordering::Relaxed);
    if score != i64::MIN {
        let _ = std::fs::write(PATH, format!("{score}\n"));
    }
}
