//! [`Findings`]: what the checks found, per hunk and kind, phrased at the end
//! as one sentence per badge (`deletes fn a, fn b and fn c`).

use std::collections::BTreeMap;

use super::placement::Place;
use super::{Badge, BadgeKind, FileBadges};

/// Findings gathered per place and kind, as `(verb, object)` phrases, turned
/// into one sentence per badge at the end: `deletes fn a, fn b and fn c`.
pub(crate) struct Findings {
    file: Vec<Badge>,
    phrases: BTreeMap<(usize, BadgeKind), Vec<(&'static str, String)>>,
    hunk_count: usize,
}

/// The index [`Findings`] uses for the file in `phrases`.
const FILE_SLOT: usize = usize::MAX;

/// How many objects a sentence names before "and N more".
const LIST_MAX: usize = 3;

impl Findings {
    pub(super) fn new(hunk_count: usize) -> Self {
        Self {
            file: Vec::new(),
            phrases: BTreeMap::new(),
            hunk_count,
        }
    }

    pub(super) fn file_badge(&mut self, badge: Badge) {
        self.file.push(badge);
    }

    /// Records `verb object` (`"deletes"`, `"fn land"`) for a kind at a place.
    pub(crate) fn add(
        &mut self,
        place: Place,
        kind: BadgeKind,
        verb: &'static str,
        object: String,
    ) {
        let slot = match place {
            Place::Hunk(i) if i < self.hunk_count => i,
            _ => FILE_SLOT,
        };
        self.phrases
            .entry((slot, kind))
            .or_default()
            .push((verb, object));
    }

    pub(super) fn finish(self) -> FileBadges {
        let mut out = FileBadges {
            file: self.file,
            hunks: vec![Vec::new(); self.hunk_count],
        };
        for ((slot, kind), phrases) in self.phrases {
            let badge = Badge {
                kind,
                why: sentence(&phrases),
            };
            match out.hunks.get_mut(slot) {
                Some(list) => list.push(badge),
                None => out.file.push(badge),
            }
        }
        out.file.sort_by_key(|b| b.kind);
        for list in &mut out.hunks {
            list.sort_by_key(|b| b.kind);
        }
        out
    }
}

/// Groups phrases by verb (in first-seen order) and lists each verb's objects:
/// `removes test fn a and 2 assertions; adds 1 skip marker`.
fn sentence(phrases: &[(&'static str, String)]) -> String {
    let mut verbs: Vec<(&str, Vec<&str>)> = Vec::new();
    for (verb, object) in phrases {
        match verbs.iter_mut().find(|(v, _)| v == verb) {
            Some((_, objects)) => objects.push(object),
            None => verbs.push((verb, vec![object])),
        }
    }
    verbs
        .iter()
        .map(|(verb, objects)| format!("{verb} {}", list(objects)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `a`, `a and b`, `a, b and c`, `a, b, c and 2 more`.
pub(crate) fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        _ if items.len() <= LIST_MAX => {
            let (last, rest) = items.split_last().map_or((&"", &[][..]), |(l, r)| (l, r));
            format!("{} and {last}", rest.join(", "))
        }
        _ => format!(
            "{} and {} more",
            items.get(..LIST_MAX).unwrap_or(items).join(", "),
            items.len() - LIST_MAX
        ),
    }
}

/// `1 assertion`, `2 assertions`.
pub(crate) fn count_noun(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_group_by_verb() {
        let phrases = [
            ("removes", "test fn a".to_owned()),
            ("adds", "1 skip marker".to_owned()),
            ("removes", "2 assertions".to_owned()),
        ];
        assert_eq!(
            sentence(&phrases),
            "removes test fn a and 2 assertions; adds 1 skip marker"
        );
    }

    #[test]
    fn lists_cap_at_three() {
        assert_eq!(list(&["a"]), "a");
        assert_eq!(list(&["a", "b"]), "a and b");
        assert_eq!(list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(list(&["a", "b", "c", "d", "e"]), "a, b, c and 2 more");
    }
}
