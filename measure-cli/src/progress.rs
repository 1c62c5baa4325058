//! A progress bar on standard error for trusted-file hashing, when it is a terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Result;
use measure_lib::hashing::{FileHasher, Progress};

/// An indicatif bar, created when a run starts.
#[derive(Default)]
struct Bar(Mutex<Option<indicatif::ProgressBar>>);

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        let bar = indicatif::ProgressBar::new(total_bytes);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "hashing {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, bytes: u64) {
        if let Ok(slot) = self.0.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(bytes);
        }
    }

    fn found(&self, bytes: u64) {
        if let Ok(slot) = self.0.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc_length(bytes);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// A file hasher with an optional cache, drawing a progress bar when standard error is a
/// terminal and `quiet` is not set.
pub fn file_hasher(cache: Option<&Path>, quiet: bool) -> Result<FileHasher> {
    let hasher = FileHasher::new(cache)?;
    Ok(if !quiet && std::io::stderr().is_terminal() {
        hasher.with_progress(Box::new(Bar::default()))
    } else {
        hasher
    })
}
