//! The eviction order of a bounded store: an exact least-recently-used list whose every
//! operation is O(1), and the per-thread record of hits that feeds it.
//!
//! # What was chosen, and why
//!
//! A bounded store must know which entry was used least recently, and a hit is a use. Recording
//! the use where it happens (a shared counter, a shared list) would make every hit write shared
//! memory, which is what keeps two threads' hits from scaling. So a hit only notes *which entry*
//! it used, in its thread's front (see [`super::front`]): a small buffer that no other thread
//! reads. The buffer is replayed into the list, under the store's eviction lock, when the thread
//! stores a value (before anything is evicted) or when the buffer fills up. This is the scheme of
//! Caffeine's read buffers, with one buffer per thread and store rather than striped shared ones,
//! and with no use ever dropped: a full buffer is replayed, not discarded.
//!
//! The list is a doubly linked list in a slab (`Vec` of nodes linked by index, freed nodes
//! reused), so moving an entry to the front, unlinking it and finding the least recently used
//! one each take constant time, and a store with 100k entries evicts as fast as one with 100.
//!
//! # The stamps
//!
//! The memory budget compares entries of different stores (see [`crate::budget`]), so every
//! entry also carries a stamp of its last use, from a clock per thread: a hit takes the
//! thread's next tick with no shared write, and a store takes a tick past every tick that
//! reached a list so far (a Lamport clock). One thread's uses are so stamped in the order it
//! made them, whatever the stores; another thread's stamps are ordered with them only as of
//! their last store. A list keeps its stamps growing from tail to head (a use replayed late
//! takes the head's stamp if that is later), so its tail is its oldest.
//!
//! What order this gives:
//! - **One thread's calls: exact LRU.** Its hits are replayed, in order, before its next store
//!   evicts.
//! - **Several threads: LRU up to the uses not replayed yet.** A thread's recent hits count once
//!   it stores a value or its buffer fills, so another thread's eviction may see them late, as
//!   with Caffeine's buffers. A buffered use names an entry by its node; if that node was freed
//!   and reused meanwhile, the use lands on the newer entry. Either way only the order of
//!   eviction is affected, never which value a key has.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::key::Key;

/// No node: the end of the list, or the end of the free list.
pub(crate) const NIL: u32 = u32::MAX;

/// The id a free node carries, which no entry has.
const FREE: u64 = u64::MAX;

/// How many uses a thread notes before it replays them into the list.
pub(crate) const BUFFERED_USES: usize = 64;

/// The LRU list of one store, kept under its eviction lock.
pub(crate) struct Recency {
    nodes: Vec<Node>,
    /// The most recently used entry.
    head: u32,
    /// The least recently used entry, the next to go.
    tail: u32,
    /// The first free node, linked through `next`.
    free: u32,
    len: usize,
    weight: u64,
}

thread_local! {
    /// This thread's clock of uses: one tick per use (a hit noted, a value stored).
    static CLOCK: Cell<u64> = const { Cell::new(0) };
}

/// The latest tick that reached a store's list, from any thread.
static LATEST: AtomicU64 = AtomicU64::new(0);

/// The tick of a hit: this thread's next one, with no shared write.
#[inline]
pub(crate) fn tick() -> u64 {
    CLOCK
        .try_with(|clock| {
            let tick = clock.get() + 1;
            clock.set(tick);
            tick
        })
        .unwrap_or_else(|_| LATEST.load(Ordering::Relaxed))
}

/// The tick of a value stored: past every tick that reached a list so far, and past this
/// thread's own.
fn tick_past_all() -> u64 {
    let latest = LATEST.load(Ordering::Relaxed);
    let tick = CLOCK
        .try_with(|clock| {
            let tick = clock.get().max(latest) + 1;
            clock.set(tick);
            tick
        })
        .unwrap_or(latest + 1);
    LATEST.fetch_max(tick, Ordering::Relaxed);
    tick
}

/// A hit noted by a thread: which entry, and when on the thread's clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Use {
    pub(crate) node: u32,
    pub(crate) tick: u64,
}

/// One entry's place in the list: its key and id, so that it can be taken out of the map, and
/// its weight, so that the list knows the store's size.
struct Node {
    key: Key,
    id: u64,
    weight: u64,
    /// When it was last used (see [the stamps](self#the-stamps)); never less than the stamp
    /// of the node after it towards the tail.
    stamp: u64,
    /// Towards the head (more recently used).
    newer: u32,
    /// Towards the tail (less recently used); the next free node for a free one.
    older: u32,
}

/// The entry the list let go of: what the store must take out of its map.
pub(crate) struct Evicted {
    pub(crate) key: Key,
    pub(crate) id: u64,
}

impl Recency {
    pub(crate) const fn new() -> Self {
        Recency {
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            len: 0,
            weight: 0,
        }
    }

    /// How many entries the list holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The sum of the weights of the entries the list holds.
    pub(crate) fn weight(&self) -> u64 {
        self.weight
    }

    /// Adds an entry as the most recently used one; returns its node.
    pub(crate) fn insert(&mut self, key: Key, id: u64, weight: u64) -> u32 {
        let node = Node {
            key,
            id,
            weight,
            stamp: tick_past_all(),
            newer: NIL,
            older: NIL,
        };
        let index = if self.free == NIL {
            let index = u32::try_from(self.nodes.len()).expect("fewer than 2^32 entries");
            self.nodes.push(node);
            index
        } else {
            let index = self.free;
            self.free = self.nodes[index as usize].older;
            self.nodes[index as usize] = node;
            index
        };
        self.link_first(index);
        self.len += 1;
        self.weight += weight;
        index
    }

    /// Marks the entry at `node` as used at `stamp` (or at the head's, if later), if the node
    /// holds an entry.
    fn touch(&mut self, node: u32, stamp: u64) {
        if self.holds(node) {
            let head = self
                .nodes
                .get(self.head as usize)
                .map_or(0, |head| head.stamp);
            self.nodes[node as usize].stamp = stamp.max(head);
            if self.head != node {
                self.unlink(node);
                self.link_first(node);
            }
        }
    }

    /// Marks the entries of `uses` as used, in that order.
    pub(crate) fn replay(&mut self, uses: &[Use]) {
        let Some(last) = uses.last() else {
            return;
        };
        for used in uses {
            self.touch(used.node, used.tick);
        }
        LATEST.fetch_max(last.tick, Ordering::Relaxed);
    }

    /// When the least recently used entry was last used, in the process's count of uses (what
    /// the memory budget compares across stores), and its key.
    pub(crate) fn oldest(&self) -> Option<(u64, Key)> {
        let node = self.nodes.get(self.tail as usize)?;
        Some((node.stamp, node.key))
    }

    /// Takes out the entry `id` at `node`; does nothing if the node no longer holds it (the
    /// list let go of it already).
    pub(crate) fn remove(&mut self, node: u32, id: u64) {
        if self.holds(node) && self.nodes[node as usize].id == id {
            self.unlink(node);
            self.release(node);
        }
    }

    /// Takes out the least recently used entry.
    pub(crate) fn pop_oldest(&mut self) -> Option<Evicted> {
        let node = self.tail;
        if node == NIL {
            return None;
        }
        let Node { key, id, .. } = self.nodes[node as usize];
        self.unlink(node);
        self.release(node);
        Some(Evicted { key, id })
    }

    fn holds(&self, node: u32) -> bool {
        self.nodes
            .get(node as usize)
            .is_some_and(|node| node.id != FREE)
    }

    fn link_first(&mut self, index: u32) {
        let old_head = self.head;
        {
            let node = &mut self.nodes[index as usize];
            node.newer = NIL;
            node.older = old_head;
        }
        match old_head {
            NIL => self.tail = index,
            old => self.nodes[old as usize].newer = index,
        }
        self.head = index;
    }

    fn unlink(&mut self, index: u32) {
        let Node { newer, older, .. } = self.nodes[index as usize];
        match newer {
            NIL => self.head = older,
            newer => self.nodes[newer as usize].older = older,
        }
        match older {
            NIL => self.tail = newer,
            older => self.nodes[older as usize].newer = newer,
        }
    }

    fn release(&mut self, index: u32) {
        let node = &mut self.nodes[index as usize];
        self.len -= 1;
        self.weight -= node.weight;
        node.id = FREE;
        node.weight = 0;
        node.older = self.free;
        self.free = index;
    }

    /// The ids from most to least recently used, for tests.
    #[cfg(test)]
    fn order(&self) -> Vec<u64> {
        self.walk().map(|node| node.id).collect()
    }

    /// The stamps from most to least recently used, for tests.
    #[cfg(test)]
    fn stamps(&self) -> Vec<u64> {
        self.walk().map(|node| node.stamp).collect()
    }

    #[cfg(test)]
    fn walk(&self) -> impl Iterator<Item = &Node> {
        let mut at = self.head;
        std::iter::from_fn(move || {
            let node = self.nodes.get(at as usize)?;
            at = node.older;
            Some(node)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;
    use crate::key::KeyWriter;

    fn key(i: u64) -> Key {
        KeyWriter::new().arg(&i).finish()
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u64),
        /// A use of a handle, noted at some tick (late, early: replays come in any order).
        Touch(usize, u64),
        Remove(usize),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (1u64..100).prop_map(Op::Insert),
            3 => (0usize..64, 0u64..1_000).prop_map(|(i, tick)| Op::Touch(i, tick)),
            1 => (0usize..64).prop_map(Op::Remove),
            1 => Just(Op::Pop),
        ]
    }

    proptest! {
        /// The list against a `VecDeque` of ids in use order: the same order, length and weight
        /// after any sequence of operations, and stale handles change nothing.
        #[test]
        fn the_list_keeps_the_order_of_a_plain_queue(ops in proptest::collection::vec(op(), 0..200)) {
            let mut list = Recency::new();
            // Most recent first: (id, node, weight).
            let mut model: VecDeque<(u64, u32, u64)> = VecDeque::new();
            // Every handle ever given out, live or not.
            let mut handles: Vec<(u32, u64)> = Vec::new();
            let mut next_id = 0;
            for op in ops {
                match op {
                    Op::Insert(weight) => {
                        let node = list.insert(key(next_id), next_id, weight);
                        model.push_front((next_id, node, weight));
                        handles.push((node, next_id));
                        next_id += 1;
                    }
                    Op::Touch(i, tick) if !handles.is_empty() => {
                        let (node, _) = handles[i % handles.len()];
                        list.replay(&[Use { node, tick }]);
                        if let Some(at) = model.iter().position(|&(_, n, _)| n == node) {
                            let item = model.remove(at).expect("found");
                            model.push_front(item);
                        }
                    }
                    Op::Remove(i) if !handles.is_empty() => {
                        let (node, id) = handles[i % handles.len()];
                        list.remove(node, id);
                        model.retain(|&(held, _, _)| held != id);
                    }
                    Op::Pop => {
                        let popped = list.pop_oldest().map(|e| e.id);
                        prop_assert_eq!(popped, model.pop_back().map(|(id, _, _)| id));
                    }
                    _ => {}
                }
                let ids: Vec<u64> = model.iter().map(|&(id, _, _)| id).collect();
                prop_assert_eq!(list.order(), ids);
                let stamps = list.stamps();
                prop_assert!(stamps.is_sorted_by(|newer, older| newer >= older), "{:?}", stamps);
                prop_assert_eq!(list.oldest().map(|(stamp, _)| stamp), stamps.last().copied());
                prop_assert_eq!(list.len(), model.len());
                prop_assert_eq!(list.weight(), model.iter().map(|&(_, _, w)| w).sum::<u64>());
            }
        }
    }

    #[test]
    fn freed_nodes_are_reused() {
        let mut list = Recency::new();
        let a = list.insert(key(0), 0, 1);
        list.remove(a, 0);
        let b = list.insert(key(1), 1, 1);
        assert_eq!(a, b);
        assert_eq!(list.nodes.len(), 1);
        list.remove(a, 0);
        assert_eq!(list.len(), 1, "a stale handle takes nothing out");
    }
}
