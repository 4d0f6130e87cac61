//! The first state a front end asks for, answered in one go.
//!
//! A page that starts asks for the sessions, the queue, the syntax colours and
//! the first hunks of the diffs in view, one request after another behind its
//! own start-up. `airlock serve` asks them here instead while the page's
//! script loads, and writes the replies into the page (see `ui/src/ipc/boot.ts`).

use airlock_protocol::BadgeKind;
use std::collections::HashSet;

use airlock_protocol::{Change, HunkKind, Request, Response};

use super::{Engine, FIRST_WINDOW_HUNKS};

/// Diffs whose first window goes with the first state, at most.
const FIRST_DIFFS: usize = 6;

impl Engine {
    /// The replies to the requests a front end makes first: `status`,
    /// `listChanges`, `getThemeCss`, and the first window (`from` 0, `count`
    /// [`FIRST_WINDOW_HUNKS`]) of the first changes that open expanded, in
    /// the queue's order and by risk. A request that fails is left out: the
    /// front end asks it itself and shows the error then.
    pub async fn first_replies(&self) -> Vec<(Request, Response)> {
        let mut out = Vec::new();
        let first = [
            Request::Status,
            Request::ListChanges {
                session: None,
                decided: None,
            },
            Request::GetThemeCss,
        ];
        for request in first {
            if let Ok(response) = self.call(request.clone()).await {
                out.push((request, response));
            }
        }
        let changes = out.iter().find_map(|(_, r)| match r {
            Response::Changes { changes } => Some(changes.as_slice()),
            _ => None,
        });
        let windows: Vec<Request> = opened_first(changes.unwrap_or_default())
            .into_iter()
            .map(|change| Request::GetDiff {
                change,
                from: Some(0),
                count: Some(FIRST_WINDOW_HUNKS),
                ignore_whitespace: None,
            })
            .collect();
        // Rendered side by side (the engine renders diffs beside its actor).
        let mut set = tokio::task::JoinSet::new();
        for (i, request) in windows.iter().enumerate() {
            let (engine, request) = (self.clone(), request.clone());
            set.spawn(async move { (i, engine.call(request).await) });
        }
        let mut replies: Vec<(usize, Response)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, Ok(response))) = joined {
                replies.push((i, response));
            }
        }
        replies.sort_by_key(|(i, _)| *i);
        out.extend(
            replies
                .into_iter()
                .filter_map(|(i, r)| windows.get(i).map(|q| (q.clone(), r))),
        );
        out
    }
}

/// The ids of the changes a review pane shows expanded first: the first in the
/// queue's order and the riskiest, each with line hunks and not collapsed by
/// default (lockfiles and generated files start collapsed).
fn opened_first(changes: &[Change]) -> Vec<String> {
    let opens = |c: &&Change| {
        c.hunks.iter().any(|h| h.kind == HunkKind::Lines)
            && !c
                .badges
                .iter()
                .any(|b| BadgeKind::COLLAPSED.contains(&b.kind))
    };
    let mut by_risk: Vec<&Change> = changes.iter().filter(opens).collect();
    by_risk.sort_by(|a, b| b.risk.cmp(&a.risk).then_with(|| a.path.cmp(&b.path)));
    let in_order = changes.iter().filter(opens);
    let mut seen = HashSet::new();
    in_order
        .take(FIRST_DIFFS / 2)
        .chain(by_risk)
        .filter(|c| seen.insert(c.id.as_str()))
        .take(FIRST_DIFFS)
        .map(|c| c.id.clone())
        .collect()
}
