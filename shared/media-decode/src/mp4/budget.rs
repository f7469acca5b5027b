//! The file's bytes as a reader that gives up after a bounded amount of work. `re_mp4` walks
//! nested boxes by seeking back to a box's start plus its size, so a nested box of size 0 sends
//! it back to the same header forever (found by the property tests); more such loops may exist.
//! Every parse of a well-formed file reads its metadata a few times at most, so a budget of
//! four times the file (plus a margin) ends any loop without refusing a real file.

use std::io::{self, Cursor, Read, Seek, SeekFrom};

/// Budget units one seek costs (the walk asks for its position before every box).
const SEEK_COST: u64 = 16;

/// A [`Cursor`] over `bytes` that fails with [`io::ErrorKind::Other`] once its budget is spent.
pub(crate) struct Budgeted<'a> {
    inner: Cursor<&'a [u8]>,
    left: u64,
}

impl<'a> Budgeted<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            inner: Cursor::new(bytes),
            left: 4 * bytes.len() as u64 + (1 << 20),
        }
    }

    fn spend(&mut self, units: u64) -> io::Result<()> {
        self.left = self.left.checked_sub(units).ok_or_else(|| {
            io::Error::other("the box walk did not end (a box that never advances)")
        })?;
        Ok(())
    }
}

impl Read for Budgeted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.spend(buf.len() as u64)?;
        self.inner.read(buf)
    }
}

impl Seek for Budgeted<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.spend(SEEK_COST)?;
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_that_never_advances_runs_out() {
        let bytes = [0u8; 64];
        let mut r = Budgeted::new(&bytes);
        let mut header = [0u8; 8];
        let ended = (0..10_000_000).find_map(|_| {
            r.seek(SeekFrom::Start(0))
                .and_then(|_| r.read_exact(&mut header))
                .err()
        });
        assert!(ended.is_some());
    }
}
