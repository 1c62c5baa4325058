//! Measuring both inputs and finding the first record where they part, through SHA-256 midstate
//! checkpoints (`measure_core::diff`): nothing of either enclave is held in memory.

use std::fmt::Write as _;

use measure_core::diff::{self as core_diff, Divergence, Interval, PassResult, ScratchBuf, Stream};
use measure_core::engine::SliceSource;
use measure_core::sha256::Midstate;

use super::inputs::{Measurable, Side};
use crate::error::{Error, Result};

/// Checkpoints kept per pass: the hash state every `records / 4096` records.
const CHECKPOINTS: usize = 4096;
/// Records replayed and compared one by one once the divergence is narrowed down.
const WINDOW: usize = 4096;

/// A whole-stream checkpoint pass: the checkpoints and the result.
fn whole_pass(m: &Measurable, stride: u64) -> Result<(PassResult, Vec<Midstate>)> {
    let mut cps = vec![Midstate::INITIAL; CHECKPOINTS];
    let mut src = SliceSource::new(&m.bytes);
    let r = Stream::new(m.layout, &mut src, &m.pal).checkpoint_pass(
        Interval::whole(u64::MAX),
        stride,
        &mut cps,
        None,
    )?;
    cps.truncate(r.checkpoints);
    Ok((r, cps))
}

/// What measuring both sides found.
pub(super) struct Measurement {
    pub(super) mrenclave: [Option<[u8; 32]>; 2],
    pub(super) records: [Option<u64>; 2],
    pub(super) divergence: Option<Divergence>,
    pub(super) method: String,
}

pub(super) fn measure_sides(a: &Side, b: &Side) -> Result<Measurement> {
    match (&a.measurable, &b.measurable) {
        (Some(ma), Some(mb)) => measure_pair(ma, mb),
        (ma, mb) => {
            let one = |m: &Option<Measurable>| -> Result<(Option<[u8; 32]>, Option<u64>)> {
                match m {
                    None => Ok((None, None)),
                    Some(m) => {
                        let total = core_diff::total_records(&m.layout, &m.pal);
                        let (r, _) = whole_pass(m, total)?;
                        Ok((Some(r.end_state.finalize()), Some(r.records)))
                    }
                }
            };
            let (ea, ra) = one(ma)?;
            let (eb, rb) = one(mb)?;
            Ok(Measurement {
                mrenclave: [ea, eb],
                records: [ra, rb],
                divergence: None,
                method: "one measurement of each measurable input".into(),
            })
        }
    }
}

fn measure_pair(a: &Measurable, b: &Measurable) -> Result<Measurement> {
    let ta = core_diff::total_records(&a.layout, &a.pal);
    let tb = core_diff::total_records(&b.layout, &b.pal);
    if a.params == b.params && a.bytes == b.bytes && a.pal == b.pal {
        // The record stream is a function of these three inputs alone.
        let (r, _) = whole_pass(a, ta)?;
        let m = r.end_state.finalize();
        return Ok(Measurement {
            mrenclave: [Some(m), Some(m)],
            records: [Some(ta), Some(tb)],
            divergence: None,
            method: "identical layout, manifest bytes and PAL: measured once".into(),
        });
    }
    let total = ta.max(tb);
    let stride = core_diff::stride_for(total, CHECKPOINTS);
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| whole_pass(a, stride));
        let rb = whole_pass(b, stride);
        (
            ha.join()
                .unwrap_or_else(|_| Err(Error::Internal("measuring A failed".into()))),
            rb,
        )
    });
    let ((pa, ca), (mut pb, cb)) = (ra?, rb?);
    let (ea, eb) = (pa.end_state.finalize(), pb.end_state.finalize());
    let mut method = format!(
        "both measured once in parallel with a checkpoint every {stride} records ({} and {} checkpoints)",
        ca.len(),
        cb.len()
    );
    let divergence = if ea == eb {
        None
    } else {
        pb.diverged = ca.iter().zip(&cb).position(|(x, y)| x != y);
        match core_diff::narrow(Interval::whole(total), stride, &ca, &pa, &pb) {
            None => None,
            Some(iv) => {
                let _ = write!(
                    method,
                    "; records {}..{} narrowed down and compared one by one",
                    iv.start, iv.end
                );
                let mut scratch = ScratchBuf::new(CHECKPOINTS, WINDOW);
                let (mut sa, mut sb) = (SliceSource::new(&a.bytes), SliceSource::new(&b.bytes));
                let mut stream_a = Stream::new(a.layout, &mut sa, &a.pal);
                let mut stream_b = Stream::new(b.layout, &mut sb, &b.pal);
                core_diff::find_divergence_in(
                    &mut stream_a,
                    &mut stream_b,
                    iv,
                    &mut scratch.scratch(),
                )?
            }
        }
    };
    Ok(Measurement {
        mrenclave: [Some(ea), Some(eb)],
        records: [Some(pa.records), Some(pb.records)],
        divergence,
        method,
    })
}
