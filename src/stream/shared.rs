//! A sorted map from tag name to value whose copies share their parts: the
//! representation behind a stream's spec tags, histories and followers.
//!
//! Entries live in sorted chunks of at most [`CHUNK`] entries, each chunk
//! behind an `Arc`, each entry (name and value) behind its own `Arc`, and
//! the chunk list behind one more. Cloning a map is one reference count;
//! changing one entry copies the chunk list (pointers, about n / 32 of
//! them), the one chunk (at most [`CHUNK`] pointers, no allocation per
//! entry) and the one entry, and leaves every other chunk and entry
//! shared with the copies. Two maps
//! compare chunk by chunk and value by value with pointer checks first, so
//! comparing two versions of a stream costs what differs between them.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::reference::TagName;

/// Most entries in one chunk: a change copies at most this many pointers.
const CHUNK: usize = 64;

type Entry<V> = Arc<(TagName, V)>;
type Chunk<V> = Vec<Entry<V>>;

/// A sorted map `TagName -> V` with shared, copy-on-write parts.
pub(crate) struct TagMap<V> {
    chunks: Arc<Vec<Arc<Chunk<V>>>>,
    len: usize,
}

impl<V> Clone for TagMap<V> {
    fn clone(&self) -> Self {
        Self {
            chunks: Arc::clone(&self.chunks),
            len: self.len,
        }
    }
}

impl<V> Default for TagMap<V> {
    fn default() -> Self {
        Self {
            chunks: Arc::new(Vec::new()),
            len: 0,
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for TagMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: PartialEq> PartialEq for TagMap<V> {
    fn eq(&self, other: &Self) -> bool {
        if self.len != other.len {
            return false;
        }
        if Arc::ptr_eq(&self.chunks, &other.chunks) {
            return true;
        }
        // Chunk by chunk while the chunks line up (versions of one map
        // share most of them), then entry by entry.
        let (mut a, mut b) = (self.chunks.iter(), other.chunks.iter());
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if Arc::ptr_eq(x, y) => {}
                (Some(x), Some(y)) if x.len() == y.len() => {
                    if !x.iter().zip(y.iter()).all(same) {
                        return false;
                    }
                }
                (x, y) => {
                    // Chunk boundaries differ: compare the rest entry by entry.
                    let rest_a = x.into_iter().chain(a).flat_map(|c| c.iter());
                    let rest_b = y.into_iter().chain(b).flat_map(|c| c.iter());
                    // Equal total lengths and equal-length prefixes: the
                    // rests are as long as each other.
                    return rest_a.zip(rest_b).all(same);
                }
            }
        }
    }
}

/// Whether two entries are equal, by pointer first.
#[allow(clippy::trivially_copy_pass_by_ref)] // the shape `zip` hands over
fn same<V: PartialEq>((a, b): (&Entry<V>, &Entry<V>)) -> bool {
    Arc::ptr_eq(a, b) || **a == **b
}

impl<V: Eq> Eq for TagMap<V> {}

impl<V> TagMap<V> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// How many entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The chunk that holds `key` or would hold it: the first whose last
    /// key is not below it, else the last chunk. `None` when empty.
    fn chunk_of<Q: Ord + ?Sized>(&self, key: &Q) -> Option<usize>
    where
        TagName: Borrow<Q>,
    {
        if self.chunks.is_empty() {
            return None;
        }
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|e| e.0.borrow() < key));
        Some(i.min(self.chunks.len() - 1))
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(usize, Result<usize, usize>)>
    where
        TagName: Borrow<Q>,
    {
        let c = self.chunk_of(key)?;
        Some((
            c,
            self.chunks[c].binary_search_by(|e| e.0.borrow().cmp(key)),
        ))
    }

    /// The value at `key`.
    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        TagName: Borrow<Q>,
    {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The stored key and value at `key`.
    pub(crate) fn get_key_value<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&TagName, &V)>
    where
        TagName: Borrow<Q>,
    {
        match self.find(key)? {
            (c, Ok(i)) => {
                let (k, v) = &*self.chunks[c][i];
                Some((k, v))
            }
            (_, Err(_)) => None,
        }
    }

    /// Whether `key` has a value.
    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        TagName: Borrow<Q>,
    {
        self.get(key).is_some()
    }

    /// The entries in key order.
    pub(crate) fn iter(&self) -> Iter<'_, V> {
        Iter {
            chunks: &self.chunks,
            front: (0, 0),
            back: (self.chunks.len(), 0),
            remaining: self.len,
        }
    }

    /// The keys in order.
    pub(crate) fn keys(&self) -> impl DoubleEndedIterator<Item = &TagName> + ExactSizeIterator {
        self.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub(crate) fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.iter().map(|(_, v)| v)
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        *self = Self::new();
    }

    /// The values of `self` that `other` does not share, with their keys:
    /// what a copy of `other` changed into `self` costs beyond it. Chunks
    /// are matched by position first (versions of one map keep their
    /// layout but where a chunk split), so this is O(chunks + entries of
    /// the unshared chunks).
    pub(crate) fn unshared_with<'a>(&'a self, other: &'a Self) -> Vec<(&'a TagName, &'a V)> {
        let mut out = Vec::new();
        if Arc::ptr_eq(&self.chunks, &other.chunks) {
            return out;
        }
        // How far `other`'s layout is shifted from this one's, as last seen.
        let mut shift: isize = 0;
        for (i, c) in self.chunks.iter().enumerate() {
            let at = |d: isize| {
                i.checked_add_signed(d)
                    .and_then(|j| other.chunks.get(j))
                    .is_some_and(|o| Arc::ptr_eq(c, o))
            };
            if at(shift) {
                continue;
            }
            if let Some(d) = [shift - 1, shift + 1].into_iter().find(|&d| at(d)) {
                shift = d;
                continue;
            }
            let Some(first) = c.first().map(|e| &e.0) else {
                continue;
            };
            // Shared elsewhere (a layout change further away)?
            if let Some(o) = other.chunk_of(first.as_str())
                && Arc::ptr_eq(c, &other.chunks[o])
            {
                shift = o.cast_signed() - i.cast_signed();
                continue;
            }
            // Entry by entry, walking `other` from this chunk's first key.
            let mut theirs = other.iter_from(first.as_str()).peekable();
            for e in c.iter() {
                while theirs.next_if(|o| o.0 < e.0).is_some() {}
                let shared = theirs.peek().is_some_and(|o| Arc::ptr_eq(o, e));
                if !shared {
                    out.push((&e.0, &e.1));
                }
            }
        }
        out
    }

    /// The entries from `key` on, as shared pointers.
    fn iter_from<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a Entry<V>> + 'a {
        let (c, i) = match self.find(key) {
            Some((c, Ok(i) | Err(i))) => (c, i),
            None => (0, 0),
        };
        self.chunks
            .iter()
            .skip(c)
            .enumerate()
            .flat_map(move |(n, chunk)| chunk.iter().skip(if n == 0 { i } else { 0 }))
    }
}

impl<V: Clone> TagMap<V> {
    /// The chunk `c`, unshared, for writing.
    fn chunk_mut(&mut self, c: usize) -> &mut Chunk<V> {
        Arc::make_mut(&mut Arc::make_mut(&mut self.chunks)[c])
    }

    /// The value at `key`, unshared, for writing.
    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        TagName: Borrow<Q>,
    {
        match self.find(key)? {
            (c, Ok(i)) => Some(&mut Arc::make_mut(&mut self.chunk_mut(c)[i]).1),
            (_, Err(_)) => None,
        }
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub(crate) fn insert(&mut self, key: TagName, value: V) -> Option<V> {
        let Some((c, at)) = self.find(key.as_str()) else {
            Arc::make_mut(&mut self.chunks).push(Arc::new(vec![Arc::new((key, value))]));
            self.len = 1;
            return None;
        };
        match at {
            Ok(i) => {
                let old = std::mem::replace(&mut self.chunk_mut(c)[i], Arc::new((key, value)));
                Some(Arc::unwrap_or_clone(old).1)
            }
            Err(i) => {
                let chunk = self.chunk_mut(c);
                chunk.insert(i, Arc::new((key, value)));
                if chunk.len() > CHUNK {
                    let upper = chunk.split_off(chunk.len() / 2);
                    Arc::make_mut(&mut self.chunks).insert(c + 1, Arc::new(upper));
                }
                self.len += 1;
                None
            }
        }
    }

    /// The value at `key`, inserted as `V::default()` if missing.
    pub(crate) fn get_or_insert_default(&mut self, key: &TagName) -> &mut V
    where
        V: Default,
    {
        if !self.contains_key(key.as_str()) {
            self.insert(key.clone(), V::default());
        }
        // Present: inserted just above if it was missing.
        self.get_mut(key.as_str()).expect("present after insert")
    }

    /// Removes `key`, returning its stored key and value.
    pub(crate) fn remove_entry<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<(TagName, V)>
    where
        TagName: Borrow<Q>,
    {
        let (c, Ok(i)) = self.find(key)? else {
            return None;
        };
        let chunk = self.chunk_mut(c);
        let entry = chunk.remove(i);
        if chunk.is_empty() {
            Arc::make_mut(&mut self.chunks).remove(c);
        }
        self.len -= 1;
        Some(Arc::unwrap_or_clone(entry))
    }

    /// Removes `key`, returning its value.
    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        TagName: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Calls `f` on every entry for which `wants` says so, unsharing only
    /// those (entries left alone stay shared with the copies).
    pub(crate) fn update_where(
        &mut self,
        mut wants: impl FnMut(&TagName, &V) -> bool,
        mut f: impl FnMut(&TagName, &mut V),
    ) {
        for c in 0..self.chunks.len() {
            if !self.chunks[c].iter().any(|e| wants(&e.0, &e.1)) {
                continue;
            }
            for e in self.chunk_mut(c).iter_mut() {
                if wants(&e.0, &e.1) {
                    let (k, v) = Arc::make_mut(e);
                    f(k, v);
                }
            }
        }
    }
}

impl<V> FromIterator<(TagName, V)> for TagMap<V> {
    /// Builds the map; a repeated key keeps the last value.
    fn from_iter<I: IntoIterator<Item = (TagName, V)>>(iter: I) -> Self {
        let mut entries: Vec<(TagName, V)> = iter.into_iter().collect();
        // Stable: among equal keys the last one given is last.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(TagName, V)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match deduped.last_mut() {
                Some((last, slot)) if *last == k => *slot = v,
                _ => deduped.push((k, v)),
            }
        }
        let len = deduped.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK));
        let mut rest = deduped.into_iter().map(Arc::new).peekable();
        while rest.peek().is_some() {
            chunks.push(Arc::new(rest.by_ref().take(CHUNK).collect()));
        }
        Self {
            chunks: Arc::new(chunks),
            len,
        }
    }
}

impl<V> From<std::collections::BTreeMap<TagName, V>> for TagMap<V> {
    fn from(map: std::collections::BTreeMap<TagName, V>) -> Self {
        map.into_iter().collect()
    }
}

impl<'a, V> IntoIterator for &'a TagMap<V> {
    type Item = (&'a TagName, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

/// The entries of a [`TagMap`], in key order.
pub(crate) struct Iter<'a, V> {
    chunks: &'a [Arc<Chunk<V>>],
    /// The next entry from the front: (chunk, position).
    front: (usize, usize),
    /// One past the next entry from the back: (chunk, position), with
    /// position 0 meaning the end of the chunk before.
    back: (usize, usize),
    remaining: usize,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a TagName, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            let (c, i) = self.front;
            let chunk = self.chunks.get(c)?;
            if let Some(e) = chunk.get(i) {
                self.front = (c, i + 1);
                self.remaining -= 1;
                return Some((&e.0, &e.1));
            }
            self.front = (c + 1, 0);
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            let (c, i) = self.back;
            if i == 0 {
                let before = c.checked_sub(1)?;
                self.back = (before, self.chunks.get(before)?.len());
                continue;
            }
            let e = self.chunks.get(c)?.get(i - 1)?;
            self.back = (c, i - 1);
            self.remaining -= 1;
            return Some((&e.0, &e.1));
        }
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn name(n: u16) -> TagName {
        TagName::parse(&format!("t{n:05}")).unwrap()
    }

    /// An edit of the model and the map.
    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
        Bump(u16),
        Clone,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..300u16, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => (0..300u16).prop_map(Op::Remove),
            1 => (0..300u16).prop_map(Op::Bump),
            1 => Just(Op::Clone),
        ]
    }

    proptest! {
        /// The map behaves as a `BTreeMap`, copies are unaffected by later
        /// edits of the original, and equality is value equality.
        #[test]
        fn behaves_as_a_btreemap(ops in proptest::collection::vec(op(), 0..400)) {
            let mut model: BTreeMap<TagName, u32> = BTreeMap::new();
            let mut map: TagMap<u32> = TagMap::new();
            let mut snapshots: Vec<(BTreeMap<TagName, u32>, TagMap<u32>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        prop_assert_eq!(map.insert(name(k), v), model.insert(name(k), v));
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(map.remove(name(k).as_str()), model.remove(name(k).as_str()));
                    }
                    Op::Bump(k) => {
                        *map.get_or_insert_default(&name(k)) += 1;
                        *model.entry(name(k)).or_default() += 1;
                    }
                    Op::Clone => snapshots.push((model.clone(), map.clone())),
                }
                prop_assert_eq!(map.len(), model.len());
            }
            let items: Vec<(&TagName, &u32)> = map.iter().collect();
            prop_assert_eq!(&items, &model.iter().collect::<Vec<_>>());
            let back: Vec<(&TagName, &u32)> = map.iter().rev().collect();
            prop_assert_eq!(back, model.iter().rev().collect::<Vec<_>>());
            prop_assert_eq!(map.iter().len(), model.len());
            let rebuilt: TagMap<u32> = model.clone().into();
            prop_assert!(rebuilt == map);
            for (m, s) in &snapshots {
                prop_assert_eq!(s.iter().collect::<Vec<_>>(), m.iter().collect::<Vec<_>>());
                prop_assert_eq!(*s == map, *m == model);
            }
        }
    }

    #[test]
    fn a_change_shares_every_other_chunk() {
        let map: TagMap<u32> = (0..1_000).map(|n| (name(n), u32::from(n))).collect();
        let mut next = map.clone();
        assert!(next == map);
        *next.get_mut("t00500").unwrap() += 1;
        assert!(next != map);
        let unshared = next.unshared_with(&map);
        assert_eq!(unshared, [(&name(500), &501)]);
        assert_eq!(map.get("t00500"), Some(&500));
        assert!(map.unshared_with(&map).is_empty());
    }
}
