//! `corrupt_disk`: one bit of a server's durable data flipped (latent corruption, found at
//! the next restart), in a file and byte drawn from the server's disk stream.

use super::{FaultType, FaultWorld, Started, with_rng};
use crate::fault::resolve::node;
use crate::fault::{BitFlip, Effect, FaultKind};
use crate::sim::FileId;
use crate::sim::rng::Draw;
use crate::spec::NodeRef;

/// A flipped bit on this server.
#[derive(Clone, Debug)]
pub struct CorruptDisk(pub NodeRef);

impl FaultType for CorruptDisk {
    fn kind(&self) -> FaultKind {
        FaultKind::CorruptDisk
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.0, view, rng));
        let t = w.now();
        let (disk, rng) = w.disk(n);
        let files: Vec<FileId> = disk.files().filter(|&f| disk.durable_len(f) > 0).collect();
        let flipped = if files.is_empty() {
            None
        } else {
            let f = files[rng.below(files.len() as u64) as usize];
            disk.corrupt(t, f, rng).map(|c| BitFlip { file: f.0, offset: c.offset, bit: c.bit })
        };
        Started { effect: Effect::CorruptDisk { node: n, flipped }, window: false }
    }
}
