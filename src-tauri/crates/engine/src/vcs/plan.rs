//! Which landings wait for a commit: those not undone, not in a commit
//! Airlock made, with a file that still differs from HEAD (a file committed
//! by hand, or put back, drops out), grouped by session.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use airlock_protocol::{CommitFile, CommitSession, FileStatus, LandingInfo};

/// A session's name and a chat's prompts, by session id.
pub type Names = HashMap<String, (String, Vec<String>)>;

/// The sessions whose landings wait for a commit, oldest first; only
/// `only`'s when given. `changed` is every file that differs from HEAD.
pub fn waiting(
    landings: &[LandingInfo],
    committed: &HashSet<i64>,
    names: &Names,
    changed: &[(String, FileStatus)],
    only: Option<&str>,
) -> Vec<CommitSession> {
    let dirty: HashSet<&str> = changed.iter().map(|(p, _)| p.as_str()).collect();
    let mut oldest_first: Vec<&LandingInfo> = landings.iter().collect();
    oldest_first.sort_by_key(|l| l.id);
    let mut groups: Vec<CommitSession> = Vec::new();
    for l in oldest_first {
        let cancelled = l.undone_by.is_some()
            || committed.contains(&l.id)
            // An undo of a landing never committed: the two cancel out.
            || l.undoes.is_some_and(|u| !committed.contains(&u));
        if cancelled || only.is_some_and(|s| s != l.session) {
            continue;
        }
        let paths: Vec<&String> = l
            .paths
            .iter()
            .filter(|p| dirty.contains(p.as_str()))
            .collect();
        if paths.is_empty() {
            continue;
        }
        let at = match groups.iter().position(|g| g.id == l.session) {
            Some(at) => at,
            None => {
                let (name, prompts) = names.get(&l.session).cloned().unwrap_or_else(|| {
                    let name = if l.session == "undo" {
                        "Undo"
                    } else {
                        &l.session
                    };
                    (name.to_string(), Vec::new())
                });
                groups.push(CommitSession {
                    id: l.session.clone(),
                    name,
                    prompts,
                    landings: Vec::new(),
                    paths: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        g.landings.push(l.id);
        g.paths.extend(paths.into_iter().cloned());
    }
    for g in &mut groups {
        g.paths.sort();
        g.paths.dedup();
    }
    groups
}

/// Every changed file, those `sessions` landed first (ticked by default).
pub fn files(sessions: &[CommitSession], changed: &[(String, FileStatus)]) -> Vec<CommitFile> {
    let landed: BTreeSet<&str> = sessions
        .iter()
        .flat_map(|s| s.paths.iter().map(String::as_str))
        .collect();
    let mut out: Vec<CommitFile> = changed
        .iter()
        .map(|(path, status)| CommitFile {
            path: path.clone(),
            status: *status,
            landed: landed.contains(path.as_str()),
        })
        .collect();
    out.sort_by_key(|f| !f.landed);
    out
}

/// The landings a commit of `paths` holds all of: each one's still-changed
/// files were all committed.
pub fn held(sessions: &[CommitSession], landings: &[LandingInfo], paths: &[String]) -> Vec<i64> {
    let chosen: BTreeSet<&str> = paths.iter().map(String::as_str).collect();
    let offered: BTreeSet<&str> = sessions
        .iter()
        .flat_map(|s| s.paths.iter().map(String::as_str))
        .collect();
    let by_id: BTreeMap<i64, &LandingInfo> = landings.iter().map(|l| (l.id, l)).collect();
    sessions
        .iter()
        .flat_map(|s| s.landings.iter())
        .filter(|id| {
            by_id.get(id).is_some_and(|l| {
                l.paths
                    .iter()
                    .filter(|p| offered.contains(p.as_str()))
                    .all(|p| chosen.contains(p.as_str()))
            })
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn landing(id: i64, session: &str, paths: &[&str]) -> LandingInfo {
        LandingInfo {
            id,
            session: session.into(),
            at: id as u64,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            undoes: None,
            undone_by: None,
        }
    }

    fn changed(paths: &[&str]) -> Vec<(String, FileStatus)> {
        paths
            .iter()
            .map(|p| (p.to_string(), FileStatus::Modified))
            .collect()
    }

    #[test]
    fn undone_committed_and_clean_landings_drop_out() {
        let mut undone = landing(3, "s-b", &["c"]);
        undone.undone_by = Some(4);
        let mut undo = landing(4, "undo", &["c"]);
        undo.undoes = Some(3);
        let mut undo_of_committed = landing(6, "undo", &["e"]);
        undo_of_committed.undoes = Some(5);
        let landings = vec![
            undo_of_committed,
            landing(5, "s-a", &["e"]),
            undo,
            undone,
            landing(2, "s-b", &["b", "clean"]),
            landing(1, "s-a", &["a"]),
            landing(0, "s-a", &["clean"]),
        ];
        let committed: HashSet<i64> = [5].into();
        let names: Names = [("s-a".to_string(), ("alpha".to_string(), vec!["p".into()]))].into();
        let dirty = changed(&["a", "b", "c", "e", "mine"]);
        let got = waiting(&landings, &committed, &names, &dirty, None);
        let summary: Vec<(&str, &str, Vec<i64>, Vec<String>)> = got
            .iter()
            .map(|g| {
                (
                    g.id.as_str(),
                    g.name.as_str(),
                    g.landings.clone(),
                    g.paths.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("s-a", "alpha", vec![1], vec!["a".to_string()]),
                ("s-b", "s-b", vec![2], vec!["b".to_string()]),
                ("undo", "Undo", vec![6], vec!["e".to_string()]),
            ]
        );
        let only = waiting(&landings, &committed, &names, &dirty, Some("s-b"));
        assert_eq!(only.len(), 1);
        let files = files(&got, &dirty);
        let ticked: Vec<(&str, bool)> = files.iter().map(|f| (f.path.as_str(), f.landed)).collect();
        assert_eq!(
            ticked,
            vec![
                ("a", true),
                ("b", true),
                ("e", true),
                ("c", false),
                ("mine", false)
            ]
        );
    }

    #[test]
    fn a_landing_is_held_when_all_its_changed_files_are_committed() {
        let landings = vec![
            landing(1, "s", &["a", "b", "clean"]),
            landing(2, "s", &["c"]),
        ];
        let dirty = changed(&["a", "b", "c"]);
        let groups = waiting(&landings, &HashSet::new(), &Names::new(), &dirty, None);
        let paths = |ps: &[&str]| ps.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(
            held(&groups, &landings, &paths(&["a", "b", "c"])),
            vec![1, 2]
        );
        assert_eq!(held(&groups, &landings, &paths(&["a", "c"])), vec![2]);
    }
}
