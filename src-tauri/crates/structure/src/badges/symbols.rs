//! Deleted, renamed and re-signed items: the old and new outlines' items
//! compared by their label chains (`impl Engine › fn land`).

use std::collections::{HashMap, HashSet};

use super::{count_noun, overlapping, place_for, BadgeKind, Findings, HunkLines, Place};
use crate::items::{Item, ItemKind};
use crate::Outline;

/// One side's API-level items (not declared inside a function body), by key.
struct Side<'a> {
    outline: Option<&'a Outline>,
    items: &'a [Item],
    keys: Vec<Option<String>>,
    by_key: HashMap<String, Vec<usize>>,
}

impl<'a> Side<'a> {
    fn new(outline: Option<&'a Outline>) -> Self {
        let items = outline.map_or(&[][..], Outline::items);
        let mut keys = Vec::with_capacity(items.len());
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let key = match outline {
                Some(o) if !item.in_callable => Some(o.item_key(i)),
                _ => None,
            };
            if let Some(k) = &key {
                by_key.entry(k.clone()).or_default().push(i);
            }
            keys.push(key);
        }
        Self {
            outline,
            items,
            keys,
            by_key,
        }
    }

    fn item(&self, i: usize) -> Option<&'a Item> {
        self.items.get(i)
    }

    /// The key of the item's parent (`""` at top level): renames stay in one container.
    fn parent_key(&self, i: usize) -> String {
        match self.item(i).and_then(|it| it.parent) {
            Some(p) => self
                .keys
                .get(p as usize)
                .cloned()
                .flatten()
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    /// The item's text with its name and all whitespace taken out: equal shapes
    /// mean the same body under another name.
    fn shape(&self, i: usize) -> Vec<char> {
        let (Some(outline), Some(item)) = (self.outline, self.item(i)) else {
            return Vec::new();
        };
        let text = outline.text();
        let before = text
            .get(item.bytes.start..item.name_bytes.start)
            .unwrap_or("");
        let after = text.get(item.name_bytes.end..item.bytes.end).unwrap_or("");
        before
            .chars()
            .chain(after.chars())
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    /// Fraction (in 1/1000) of the item's rows inside this side of the hunks:
    /// among same-named duplicates, the one the hunks cover is the one that went.
    fn coverage(&self, i: usize, hunks: &[HunkLines], new: bool) -> u32 {
        let Some(item) = self.item(i) else { return 0 };
        let rows = item.end - item.start + 1;
        let covered: u32 = hunks
            .iter()
            .map(|(o, n)| {
                let side = if new { n } else { o };
                let lo = side.start.max(item.start);
                let hi = side.end.min(item.end + 1);
                hi.saturating_sub(lo)
            })
            .sum();
        covered.saturating_mul(1000) / rows.max(1)
    }
}

/// Records deletions, renames, signature changes and removed tests.
pub(super) fn diff(
    old: Option<&Outline>,
    new: Option<&Outline>,
    hunks: &[HunkLines],
    found: &mut Findings,
) {
    let old = Side::new(old);
    let new = Side::new(new);
    let changes = Changes::between(&old, &new, hunks);

    // Only the outermost removed/added items: a deleted impl implies its fns.
    let removed_top = outermost(&old, &changes.removed);
    let added_top = outermost(&new, &changes.added);

    let renames = pair_renames(&old, &new, &removed_top, &added_top);
    report_renames(&old, &new, &renames, hunks, found);
    let renamed: HashSet<usize> = renames.iter().map(|&(o, _)| o).collect();
    report_removals(&old, &removed_top, &renamed, hunks, found);
    report_kept(&old, &new, &changes.kept, hunks, found);
}

/// Items by key: gone from the old side, new on the new side, or kept (an
/// old and a new item paired).
struct Changes {
    removed: HashSet<usize>,
    added: HashSet<usize>,
    kept: Vec<(usize, usize)>,
}

impl Changes {
    /// Pairs items with equal keys; where one side has more of a key, the
    /// extras the hunks cover most are the ones removed or added.
    fn between(old: &Side, new: &Side, hunks: &[HunkLines]) -> Self {
        let mut changes = Self {
            removed: HashSet::new(),
            added: HashSet::new(),
            kept: Vec::new(),
        };
        for (key, olds) in &old.by_key {
            let news = new.by_key.get(key).map_or(&[][..], Vec::as_slice);
            let (olds, news) = pick_unmatched(
                olds,
                news,
                |i| old.coverage(i, hunks, false),
                |i| new.coverage(i, hunks, true),
            );
            changes.removed.extend(olds.gone);
            changes.added.extend(news.gone);
            changes.kept.extend(olds.kept.into_iter().zip(news.kept));
        }
        for (key, news) in &new.by_key {
            if !old.by_key.contains_key(key) {
                changes.added.extend(news);
            }
        }
        changes.kept.sort_unstable();
        changes
    }
}

/// The items of `set` whose parent is not in it, in order.
fn outermost(side: &Side, set: &HashSet<usize>) -> Vec<usize> {
    let mut v: Vec<usize> = set
        .iter()
        .copied()
        .filter(|&i| {
            side.item(i)
                .and_then(|it| it.parent)
                .is_none_or(|p| !set.contains(&(p as usize)))
        })
        .collect();
    v.sort_unstable();
    v
}

/// `renames fn a to fn b`, on the hunk that removed the old item, else the one
/// that added the new.
fn report_renames(
    old: &Side,
    new: &Side,
    renames: &[(usize, usize)],
    hunks: &[HunkLines],
    found: &mut Findings,
) {
    for &(o, n) in renames {
        let (Some(before), Some(after)) = (old.item(o), new.item(n)) else {
            continue;
        };
        let place = match overlapping(hunks, false, before.start, before.end) {
            Some(h) => Place::Hunk(h),
            None => place_for(hunks, true, after.start, after.end),
        };
        found.add(
            place,
            BadgeKind::RenamesSymbol,
            "renames",
            format!("{} to {}", before.label, after.label),
        );
    }
}

/// `deletes fn a` for removed items that were not renamed; a removed test is
/// `removes test fn a`, and tests inside a removed item are counted.
fn report_removals(
    old: &Side,
    removed_top: &[usize],
    renamed: &HashSet<usize>,
    hunks: &[HunkLines],
    found: &mut Findings,
) {
    let tests_within = tests_within(old, removed_top);
    for &o in removed_top {
        if renamed.contains(&o) {
            continue;
        }
        let Some(item) = old.item(o) else { continue };
        let place = place_for(hunks, false, item.start, item.end);
        if item.test {
            let object = if item.kind == ItemKind::TestCall {
                item.label.clone()
            } else {
                format!("test {}", item.label)
            };
            found.add(place, BadgeKind::WeakensTest, "removes", object);
            continue;
        }
        found.add(
            place,
            BadgeKind::DeletesSymbol,
            "deletes",
            item.label.clone(),
        );
        if let Some(&n) = tests_within.get(&o) {
            found.add(
                place,
                BadgeKind::WeakensTest,
                "removes",
                format!("{} in {}", count_noun(n, "test"), item.label),
            );
        }
    }
}

/// For items on both sides: made non-public, a public signature changed, or a
/// test no longer marked as one. Placed on the hunk over the new signature,
/// else the one nearest the old.
fn report_kept(
    old: &Side,
    new: &Side,
    kept: &[(usize, usize)],
    hunks: &[HunkLines],
    found: &mut Findings,
) {
    for &(o, n) in kept {
        let (Some(before), Some(after)) = (old.item(o), new.item(n)) else {
            continue;
        };
        let place = || match overlapping(hunks, true, after.start, after.header_end) {
            Some(h) => Place::Hunk(h),
            None => place_for(hunks, false, before.start, before.header_end),
        };
        if before.public && !after.public {
            found.add(
                place(),
                BadgeKind::ChangesSignature,
                "makes",
                format!("{} non-public", after.label),
            );
        } else if (before.public || after.public) && before.signature != after.signature {
            found.add(
                place(),
                BadgeKind::ChangesSignature,
                "changes the public signature of",
                after.label.clone(),
            );
        }
        if before.test && !after.test {
            found.add(
                place(),
                BadgeKind::WeakensTest,
                "disables",
                format!("test {}", after.label),
            );
        }
    }
}

/// For items sharing a key: which are gone on each side and which pair up.
struct Split {
    gone: Vec<usize>,
    kept: Vec<usize>,
}

fn pick_unmatched(
    olds: &[usize],
    news: &[usize],
    old_cover: impl Fn(usize) -> u32,
    new_cover: impl Fn(usize) -> u32,
) -> (Split, Split) {
    let split = |ids: &[usize], extra: usize, cover: &dyn Fn(usize) -> u32| {
        let mut by_cover: Vec<usize> = ids.to_vec();
        // Most covered first; stable, so ties go to the earlier item.
        by_cover.sort_by_key(|&i| std::cmp::Reverse(cover(i)));
        let gone: HashSet<usize> = by_cover.into_iter().take(extra).collect();
        let kept = ids.iter().copied().filter(|i| !gone.contains(i)).collect();
        let mut gone: Vec<usize> = gone.into_iter().collect();
        gone.sort_unstable();
        Split { gone, kept }
    };
    let olds_split = split(olds, olds.len().saturating_sub(news.len()), &old_cover);
    let news_split = split(news, news.len().saturating_sub(olds.len()), &new_cover);
    (olds_split, news_split)
}

/// Pairs removed with added items of the same kind in the same container
/// whose bodies (name and whitespace aside) are alike, most alike first.
fn pair_renames(old: &Side, new: &Side, removed: &[usize], added: &[usize]) -> Vec<(usize, usize)> {
    let compatible = |o: usize, n: usize| {
        old.item(o).map(|i| i.kind) == new.item(n).map(|i| i.kind)
            && old.parent_key(o) == new.parent_key(n)
    };
    let old_shapes: HashMap<usize, Vec<char>> =
        removed.iter().map(|&o| (o, old.shape(o))).collect();
    let new_shapes: HashMap<usize, Vec<char>> = added.iter().map(|&n| (n, new.shape(n))).collect();
    // A rewrite of a whole file would compare every pair; past this many pairs
    // only identical bodies count as renames.
    let fuzzy = removed.len().saturating_mul(added.len()) <= FUZZY_PAIR_LIMIT;
    let mut candidates: Vec<(u32, usize, usize)> = Vec::new();
    for &o in removed {
        for &n in added {
            if !compatible(o, n) {
                continue;
            }
            let (Some(a), Some(b)) = (old_shapes.get(&o), new_shapes.get(&n)) else {
                continue;
            };
            let score = if a == b {
                1000
            } else if fuzzy {
                similarity(a, b)
            } else {
                0
            };
            if score >= RENAME_MIN_SIMILARITY {
                candidates.push((score, o, n));
            }
        }
    }
    candidates.sort_by_key(|&(score, o, n)| (std::cmp::Reverse(score), o, n));
    let mut taken_old: HashSet<usize> = HashSet::new();
    let mut taken_new: HashSet<usize> = HashSet::new();
    let mut pairs = Vec::new();
    for (_, o, n) in candidates {
        if !taken_old.contains(&o) && !taken_new.contains(&n) {
            taken_old.insert(o);
            taken_new.insert(n);
            pairs.push((o, n));
        }
    }
    pairs.sort_unstable();
    pairs
}

/// Pairs of removed and added items beyond which renames must be exact.
const FUZZY_PAIR_LIMIT: usize = 10_000;

/// Similarity (in 1/1000) at or above which a removed and an added item are a rename.
const RENAME_MIN_SIMILARITY: u32 = 500;

/// Dice coefficient of the two texts' character bigrams, in 1/1000.
fn similarity(a: &[char], b: &[char]) -> u32 {
    if a.len() < 2 || b.len() < 2 {
        return u32::from(a == b) * 1000;
    }
    let mut counts: HashMap<(char, char), i32> = HashMap::new();
    for w in a.windows(2) {
        if let [x, y] = w {
            *counts.entry((*x, *y)).or_default() += 1;
        }
    }
    let mut common = 0usize;
    for w in b.windows(2) {
        if let [x, y] = w {
            if let Some(c) = counts.get_mut(&(*x, *y)) {
                if *c > 0 {
                    *c -= 1;
                    common += 1;
                }
            }
        }
    }
    let total = a.len() + b.len() - 2;
    u32::try_from(common * 2000 / total.max(1)).unwrap_or(0)
}

/// For removed non-test items, how many test items were inside them.
fn tests_within(old: &Side, removed_top: &[usize]) -> HashMap<usize, usize> {
    let roots: HashSet<usize> = removed_top.iter().copied().collect();
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for item in old
        .items
        .iter()
        .filter(|i| i.test && i.kind != ItemKind::Module)
    {
        let mut next = item.parent;
        while let Some(p) = next {
            let p = p as usize;
            if roots.contains(&p) {
                if old.item(p).is_some_and(|it| !it.test) {
                    *counts.entry(p).or_default() += 1;
                }
                break;
            }
            next = old.item(p).and_then(|it| it.parent);
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_is_dice_over_bigrams() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(similarity(&chars("abcd"), &chars("abcd")), 1000);
        assert_eq!(similarity(&chars("abcd"), &chars("wxyz")), 0);
        assert_eq!(similarity(&chars("abcd"), &chars("abcx")), 666);
        assert_eq!(similarity(&chars("a"), &chars("a")), 1000);
    }
}
