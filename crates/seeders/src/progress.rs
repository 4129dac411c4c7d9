//! How a long seed shows it is alive: a progress bar per table on a
//! terminal, a plain line every few seconds otherwise (CI logs, pipes), or
//! nothing (tests).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Where progress goes.
pub struct Progress {
    mode: Mode,
}

enum Mode {
    Bars { multi: MultiProgress, bars: Vec<ProgressBar> },
    Lines { started: Instant, last: Instant },
    Silent,
}

/// How often plain lines report.
const LINE_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Bars when stderr is a terminal, plain lines otherwise.
    pub fn auto() -> Progress {
        if std::io::stderr().is_terminal() { Progress::bars() } else { Progress::lines() }
    }

    pub fn bars() -> Progress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        Progress { mode: Mode::Bars { multi, bars: Vec::new() } }
    }

    pub fn lines() -> Progress {
        let now = Instant::now();
        Progress { mode: Mode::Lines { started: now, last: now } }
    }

    pub fn silent() -> Progress {
        Progress { mode: Mode::Silent }
    }

    /// A message line (above the bars on a terminal).
    pub fn note(&self, message: &str) {
        match &self.mode {
            Mode::Bars { multi, .. } => {
                // The message still reaches a terminal that stopped drawing.
                if multi.println(message).is_err() {
                    eprintln!("{message}");
                }
            }
            Mode::Lines { .. } => eprintln!("seed: {message}"),
            Mode::Silent => {}
        }
    }

    /// Starts the per-table display; `expected` are estimates, corrected as rows arrive.
    pub(crate) fn start(&mut self, expected: &[(&str, u64)]) {
        match &mut self.mode {
            Mode::Bars { multi, bars } => {
                let style =
                    ProgressStyle::with_template("{prefix:>24} [{bar:32}] {human_pos:>9}/{human_len:<9} {elapsed:>4}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                for (table, n) in expected {
                    let bar = multi.add(ProgressBar::new(*n));
                    bar.set_style(style.clone());
                    bar.set_prefix(table.to_string());
                    bars.push(bar);
                }
            }
            Mode::Lines { started, last } => {
                *started = Instant::now();
                *last = *started;
            }
            Mode::Silent => {}
        }
    }

    /// Rows loaded so far per table (totals), with `done` of `of` distributors generated.
    pub(crate) fn advance(&mut self, totals: &[u64], done: usize, of: usize) {
        match &mut self.mode {
            Mode::Bars { bars, .. } => {
                for (bar, &n) in bars.iter().zip(totals) {
                    if n > bar.length().unwrap_or(0) {
                        bar.set_length(n);
                    }
                    bar.set_position(n);
                }
            }
            Mode::Lines { last, .. } => {
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    self.line(totals, done, of);
                }
            }
            Mode::Silent => {}
        }
    }

    /// Every row is loaded: the bars end at their true counts.
    pub(crate) fn finish(&mut self, totals: &[u64], of: usize) {
        match &mut self.mode {
            Mode::Bars { bars, .. } => {
                for (bar, &n) in bars.iter().zip(totals) {
                    bar.set_length(n.max(1));
                    bar.set_position(n);
                    bar.finish();
                }
            }
            Mode::Lines { .. } => self.line(totals, of, of),
            Mode::Silent => {}
        }
    }

    fn line(&self, totals: &[u64], done: usize, of: usize) {
        if let Mode::Lines { started, .. } = &self.mode {
            let rows: u64 = totals.iter().sum();
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            eprintln!(
                "seed: {done}/{of} distributors generated, {} rows loaded, {} rows/s",
                thousands(rows),
                thousands((rows as f64 / secs) as u64)
            );
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_000), "1,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
