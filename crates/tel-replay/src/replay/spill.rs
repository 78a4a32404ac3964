//! The per-event values behind a replay's medians and percentiles, in flat memory at any number of events:
//! kept in memory up to a budget, then spilled to an anonymous temporary file as one sorted run per list,
//! and merged (k-way, in [`f64::total_cmp`] order) only up to the ranks the statistics need.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use tel_core::OrderStats;

/// Values held in memory before a spill by default (8 bytes each).
pub const DEFAULT_VALUE_BUDGET: usize = 1 << 20;
/// Values read from a spilled run at a time during a merge.
const READ_CHUNK: usize = 256;
/// Bytes of one stored value.
const VALUE_BYTES: u64 = 8;

/// The temporary file of spilled values could not be created, written or read.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} the replay's temporary file of per-event values: {source}")]
pub struct SpillError {
    action: &'static str,
    #[source]
    source: std::io::Error,
}

impl SpillError {
    fn of(action: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self { action, source }
    }
}

/// A sorted run in the temporary file: its first value's position and its length, in values.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    len: u64,
}

/// One list of values (one quantity of one estimator in one stratum).
#[derive(Debug, Default)]
struct List {
    buffer: Vec<f64>,
    runs: Vec<Run>,
    n: u64,
}

/// Lists of f64 values, numbered from 0, with exact order statistics over any union of lists.
#[derive(Debug)]
pub struct SpilledValues {
    budget: usize,
    lists: Vec<List>,
    buffered: usize,
    file: Option<BufWriter<File>>,
    written: u64,
}

impl SpilledValues {
    /// No lists yet; at most `budget` values (at least 1) are held in memory between spills.
    pub fn new(budget: usize) -> Self {
        Self {
            budget: budget.max(1),
            lists: Vec::new(),
            buffered: 0,
            file: None,
            written: 0,
        }
    }

    /// Adds `count` empty lists; returns the number of the first.
    pub fn add_lists(&mut self, count: usize) -> usize {
        let first = self.lists.len();
        self.lists.resize_with(first + count, List::default);
        first
    }

    /// Appends `value` to list `list`, spilling every buffered value when the budget is reached.
    pub fn push(&mut self, list: usize, value: f64) -> Result<(), SpillError> {
        let target = &mut self.lists[list];
        target.buffer.push(value);
        target.n += 1;
        self.buffered += 1;
        if self.buffered >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Whether any value went to the temporary file.
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Writes every list's buffered values as one sorted run and frees the buffers.
    fn spill(&mut self) -> Result<(), SpillError> {
        if self.file.is_none() {
            let file = tempfile::tempfile().map_err(SpillError::of("create"))?;
            self.file = Some(BufWriter::new(file));
        }
        let Some(out) = self.file.as_mut() else {
            unreachable!("the file was just created")
        };
        for list in &mut self.lists {
            if list.buffer.is_empty() {
                continue;
            }
            let mut buffer = std::mem::take(&mut list.buffer);
            buffer.sort_by(f64::total_cmp);
            for value in &buffer {
                out.write_all(&value.to_le_bytes())
                    .map_err(SpillError::of("write"))?;
            }
            let len = buffer.len() as u64;
            list.runs.push(Run {
                start: self.written,
                len,
            });
            self.written += len;
        }
        self.buffered = 0;
        Ok(())
    }

    /// Number of values in `lists`.
    pub fn len(&self, lists: &[usize]) -> u64 {
        lists.iter().map(|&l| self.lists[l].n).sum()
    }

    /// MED-T and nearest-rank P90 over the values of `lists` together, exactly as
    /// [`OrderStats::of`] over all of them in memory.
    pub fn order_stats(&mut self, lists: &[usize]) -> Result<OrderStats, SpillError> {
        let n = self.len(lists);
        let Some(ranks) = OrderStats::ranks(n) else {
            return Ok(OrderStats::default());
        };
        Ok(OrderStats::from_ranked(n, self.at_ranks(lists, ranks)?))
    }

    /// MED-U (`sorted[⌊n/2⌋]`, as `tel_core::stats::median_upper`) over the values of `lists` together;
    /// `None` when they hold none.
    pub fn upper_median(&mut self, lists: &[usize]) -> Result<Option<f64>, SpillError> {
        let n = self.len(lists);
        if n == 0 {
            return Ok(None);
        }
        let rank = n / 2;
        Ok(Some(self.at_ranks(lists, [rank; 3])?[0]))
    }

    /// The values at the 0-based positions `ranks` (each below the lists' length) of `lists`' values
    /// sorted together by [`f64::total_cmp`].
    fn at_ranks(&mut self, lists: &[usize], ranks: [u64; 3]) -> Result<[f64; 3], SpillError> {
        let n = self.len(lists);
        let mut file = match self.file.as_mut() {
            Some(out) => {
                out.flush().map_err(SpillError::of("write"))?;
                Some(out.get_mut())
            }
            None => None,
        };
        if n <= self.budget as u64 {
            // Fits the budget: gathered and selected in linear time, not merged value by value through a heap
            // (which read the file a chunk at a time and cost a 1M-event replay a third more CPU).
            let mut values = Vec::with_capacity(n as usize);
            for &l in lists {
                let list = &self.lists[l];
                values.extend_from_slice(&list.buffer);
                for run in &list.runs {
                    read_values(&mut file, run.start, run.len, &mut values)?;
                }
            }
            return Ok(ranks.map(|rank| {
                *values
                    .select_nth_unstable_by(rank as usize, f64::total_cmp)
                    .1
            }));
        }
        for &l in lists {
            self.lists[l].buffer.sort_by(f64::total_cmp);
        }
        let mut sources = Vec::new();
        for &l in lists {
            let list = &self.lists[l];
            if !list.buffer.is_empty() {
                sources.push(Source::Memory {
                    values: &list.buffer,
                    next: 0,
                });
            }
            sources.extend(list.runs.iter().map(|&run| Source::Run {
                run,
                read: 0,
                chunk: Vec::new(),
                next: 0,
            }));
        }
        let mut merge = Merge::new(sources, file)?;
        let last = ranks.iter().copied().max().unwrap_or_default();
        let mut at_ranks = [0.0; 3];
        for position in 0..=last {
            let Some(value) = merge.next()? else {
                unreachable!("the lists hold {n} values, more than position {position}")
            };
            for (slot, &rank) in at_ranks.iter_mut().zip(&ranks) {
                if rank == position {
                    *slot = value;
                }
            }
        }
        Ok(at_ranks)
    }
}

/// Appends the `count` values stored from value position `start` of the temporary file to `values`.
fn read_values(
    file: &mut Option<&mut File>,
    start: u64,
    count: u64,
    values: &mut Vec<f64>,
) -> Result<(), SpillError> {
    let Some(file) = file.as_mut() else {
        unreachable!("a run exists only in the temporary file")
    };
    file.seek(SeekFrom::Start(start * VALUE_BYTES))
        .map_err(SpillError::of("read"))?;
    let mut bytes = vec![0u8; (count * VALUE_BYTES) as usize];
    file.read_exact(&mut bytes)
        .map_err(SpillError::of("read"))?;
    values.extend(
        bytes
            .chunks_exact(VALUE_BYTES as usize)
            .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of eight bytes"))),
    );
    Ok(())
}

/// A sorted sequence of values being merged.
enum Source<'a> {
    /// A list's buffer, sorted in place.
    Memory { values: &'a [f64], next: usize },
    /// A run in the temporary file, read a chunk at a time.
    Run {
        run: Run,
        read: u64,
        chunk: Vec<f64>,
        next: usize,
    },
}

impl Source<'_> {
    /// The next value of this source, reading the next chunk of a run when needed.
    fn next(&mut self, file: &mut Option<&mut File>) -> Result<Option<f64>, SpillError> {
        match self {
            Source::Memory { values, next } => {
                let value = values.get(*next).copied();
                *next += 1;
                Ok(value)
            }
            Source::Run {
                run,
                read,
                chunk,
                next,
            } => {
                if *next == chunk.len() {
                    let count = (run.len - *read).min(READ_CHUNK as u64);
                    if count == 0 {
                        return Ok(None);
                    }
                    chunk.clear();
                    read_values(file, run.start + *read, count, chunk)?;
                    *read += count;
                    *next = 0;
                }
                let value = chunk[*next];
                *next += 1;
                Ok(Some(value))
            }
        }
    }
}

/// A value ordered by [`f64::total_cmp`], the order of [`OrderStats::of`]'s sort.
#[derive(Debug, Clone, Copy)]
struct Total(f64);

impl PartialEq for Total {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}

impl Eq for Total {}

impl PartialOrd for Total {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Total {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The k-way merge of sorted sources: a min-heap of each source's next value.
struct Merge<'a, 'f> {
    sources: Vec<Source<'a>>,
    heap: BinaryHeap<Reverse<(Total, usize)>>,
    file: Option<&'f mut File>,
}

impl<'a, 'f> Merge<'a, 'f> {
    fn new(sources: Vec<Source<'a>>, file: Option<&'f mut File>) -> Result<Self, SpillError> {
        let mut merge = Self {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            file,
        };
        for i in 0..merge.sources.len() {
            merge.refill(i)?;
        }
        Ok(merge)
    }

    fn refill(&mut self, source: usize) -> Result<(), SpillError> {
        if let Some(value) = self.sources[source].next(&mut self.file)? {
            self.heap.push(Reverse((Total(value), source)));
        }
        Ok(())
    }

    /// The smallest value not yet taken.
    fn next(&mut self) -> Result<Option<f64>, SpillError> {
        let Some(Reverse((Total(value), source))) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(source)?;
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values with repeats, both signs of zero and a wide range, in no order.
    fn values(n: u64, seed: u64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let x = (i * 2_654_435_761 + seed * 40_503) % 1_000;
                match x % 11 {
                    0 => 0.0,
                    1 => -0.0,
                    _ => (x as f64 - 300.0) / 7.0,
                }
            })
            .collect()
    }

    #[test]
    fn spilled_order_stats_equal_the_in_memory_ones_over_any_union_of_lists() {
        // A budget of 7 values spills hundreds of runs of every list.
        let mut spilled = SpilledValues::new(7);
        let mut memory = SpilledValues::new(usize::MAX);
        // Spills too, but the smaller unions fit its budget: read back whole and selected, not merged.
        let mut gathered = SpilledValues::new(100);
        assert_eq!(gathered.add_lists(4), 0);
        let lists = [values(1_001, 1), values(64, 2), values(9, 3), values(0, 4)];
        let first = spilled.add_lists(lists.len());
        assert_eq!(memory.add_lists(lists.len()), first);
        // Interleaved pushes, as a replay's strata receive them.
        for i in 0..1_001 {
            for (l, list) in lists.iter().enumerate() {
                if let Some(&value) = list.get(i) {
                    spilled.push(first + l, value).unwrap();
                    memory.push(first + l, value).unwrap();
                    gathered.push(first + l, value).unwrap();
                }
            }
        }
        assert!(spilled.spilled());
        assert!(!memory.spilled());
        assert!(gathered.spilled());
        let unions: [&[usize]; 6] = [&[0], &[1], &[2], &[3], &[0, 1, 2, 3], &[1, 2]];
        for union in unions {
            let all: Vec<f64> = union.iter().flat_map(|&l| lists[l].clone()).collect();
            let expected = OrderStats::of(&all);
            let (from_disk, from_memory) = (
                spilled.order_stats(union).unwrap(),
                memory.order_stats(union).unwrap(),
            );
            // Bit for bit: -0.0 and 0.0 compare equal as f64.
            let bits = |s: OrderStats| (s.median.map(f64::to_bits), s.p90.map(f64::to_bits));
            assert_eq!(bits(from_disk), bits(expected), "lists {union:?}");
            let upper = tel_core::stats::median_upper(&all).map(f64::to_bits);
            assert_eq!(
                spilled.upper_median(union).unwrap().map(f64::to_bits),
                upper
            );
            assert_eq!(bits(from_memory), bits(expected), "lists {union:?}");
            let from_gathered = gathered.order_stats(union).unwrap();
            assert_eq!(bits(from_gathered), bits(expected), "lists {union:?}");
        }
    }
}
