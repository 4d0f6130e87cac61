//! What approving, rejecting or editing some of a proposal's hunks writes:
//! plans of [`Write`]s, computed before any file is touched.

use std::collections::HashSet;

use super::*;

impl Proposal {
    /// True when `id` is one of this proposal's hunks.
    pub fn has_hunk(&self, id: &str) -> bool {
        self.change.hunks.iter().any(|h| h.id == id)
    }

    /// The ids of every hunk.
    pub fn all_ids(&self) -> HashSet<String> {
        self.change.hunks.iter().map(|h| h.id.clone()).collect()
    }

    /// The ids of hunks in conflict.
    pub fn conflicts(&self) -> Vec<&str> {
        self.change
            .hunks
            .iter()
            .filter(|h| h.conflict)
            .map(|h| h.id.as_str())
            .collect()
    }

    fn line_hunks_taken(&self, take: &HashSet<&str>) -> usize {
        self.hunks
            .iter()
            .filter(|h| take.contains(h.id.as_str()))
            .count()
    }

    /// The file the hunks in `take` make of `from` toward `to` (`take` all = `to`).
    fn blend(&self, take: &HashSet<&str>, toward_proposed: bool) -> FileState {
        if let Some(w) = &self.whole_hunk {
            return if take.contains(w.as_str()) == toward_proposed {
                self.proposed.clone()
            } else {
                self.base.clone()
            };
        }
        let taken = self.line_hunks_taken(take);
        let all_lines = taken == self.hunks.len();
        let no_lines = taken == 0;
        let mode_taken = self.mode_hunk.as_deref().is_some_and(|m| take.contains(m));
        // Which side each part comes from.
        let lines_from_proposed = if toward_proposed { all_lines } else { no_lines };
        let lines_from_base = if toward_proposed { no_lines } else { all_lines };
        let mode_from_proposed = mode_taken == toward_proposed;
        let (base_text, new_text) = (
            text_of(&self.base).unwrap_or(b""),
            text_of(&self.proposed).unwrap_or(b""),
        );
        // A file that does not exist on one side: all lines from that side = missing.
        if lines_from_proposed && matches!(self.proposed, FileState::Missing) {
            return FileState::Missing;
        }
        if lines_from_base && matches!(self.base, FileState::Missing) {
            return FileState::Missing;
        }
        let bytes = if lines_from_proposed {
            new_text.to_vec()
        } else if lines_from_base {
            base_text.to_vec()
        } else {
            let keep: HashSet<&str> = if toward_proposed {
                take.clone()
            } else {
                self.hunks
                    .iter()
                    .map(|h| h.id.as_str())
                    .filter(|id| !take.contains(id))
                    .collect()
            };
            let key = diff_key(&self.change.session, &self.change.path);
            self.memo.decide(
                &key,
                base_text,
                new_text,
                &self.hunks,
                &keep,
                toward_proposed,
            )
        };
        let mode = if mode_from_proposed {
            self.proposed.mode().or(self.base.mode())
        } else {
            self.base.mode().or(self.proposed.mode())
        }
        .unwrap_or(0o644);
        FileState::File {
            bytes: bytes.into(),
            mode,
        }
    }

    /// The project writes that land the hunks in `take`.
    pub fn plan_approve(&self, take: &HashSet<&str>) -> Vec<Write> {
        let after = self.blend(take, true);
        let mut writes = Vec::new();
        if let Some(old) = &self.change.old_path {
            // Any part of a rename that lands moves the file.
            if take.is_empty() {
                return writes;
            }
            let after = match after {
                FileState::Missing => self.base.clone(),
                other => other,
            };
            writes.push(Write {
                path: self.change.path.clone(),
                before: FileState::Missing,
                after,
            });
            writes.push(Write {
                path: old.clone(),
                before: self.base.clone(),
                after: FileState::Missing,
            });
            return writes;
        }
        if after != self.base {
            writes.push(Write {
                path: self.change.path.clone(),
                before: self.base.clone(),
                after,
            });
        }
        writes
    }

    /// The stage writes that revert the hunks in `drop`.
    pub fn plan_reject(&self, drop: &HashSet<&str>) -> Vec<Write> {
        let all = self.all_ids();
        let everything = all.iter().all(|id| drop.contains(id.as_str()));
        if let (Some(old), true) = (&self.change.old_path, everything) {
            return vec![
                Write {
                    path: self.change.path.clone(),
                    before: self.proposed.clone(),
                    after: FileState::Missing,
                },
                Write {
                    path: old.clone(),
                    before: FileState::Missing,
                    after: self.base.clone(),
                },
            ];
        }
        let after = self.blend(drop, false);
        let after = match (&self.change.old_path, after) {
            (Some(_), FileState::Missing) => self.proposed.clone(),
            (_, a) => a,
        };
        if after == self.proposed {
            return Vec::new();
        }
        vec![Write {
            path: self.change.path.clone(),
            before: self.proposed.clone(),
            after,
        }]
    }

    /// `text` (typed in a browser, so `\n` line ends) with the file's own line
    /// ends: CRLF where the hunk's lines have CRLF, and no final line end
    /// where the hunk ends a file that has none.
    fn match_line_endings(&self, h: &LineHunk, text: &[u8]) -> Vec<u8> {
        let new_text = text_of(&self.proposed).unwrap_or(b"");
        let base_text = text_of(&self.base).unwrap_or(b"");
        let (new_lines, base_lines) = (diff::lines(new_text), diff::lines(base_text));

        // The hunk's own lines decide; a hunk of one unterminated line asks the file.
        let around = new_lines[h.after.start as usize..h.after.end as usize]
            .iter()
            .chain(&base_lines[h.before.start as usize..h.before.end as usize]);
        let crlf = match around.clone().find(|l| l.ends_with(b"\n")) {
            Some(l) => l.ends_with(b"\r\n"),
            None => new_lines
                .iter()
                .chain(&base_lines)
                .any(|l| l.ends_with(b"\r\n")),
        };
        let mut out = Vec::with_capacity(text.len() + text.len() / 16);
        for (i, &b) in text.iter().enumerate() {
            if crlf && b == b'\n' && (i == 0 || text[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        let ends_file = h.after.end as usize == new_lines.len();
        let last_unterminated = new_lines.last().is_some_and(|l| !l.ends_with(b"\n"));
        if ends_file && last_unterminated && out.last() == Some(&b'\n') {
            out.pop();
            if out.last() == Some(&b'\r') {
                out.pop();
            }
        }
        out
    }

    /// Project and stage writes that land `text` in place of one line hunk.
    pub fn plan_edit(&self, hunk: &str, text: &[u8]) -> Result<(Vec<Write>, Vec<Write>)> {
        let h = self.hunks.iter().find(|h| h.id == hunk).ok_or_else(|| {
            EngineError::BadRequest(format!(
                "{hunk} is not a run of lines; approve or reject it as it is"
            ))
        })?;
        let text = &self.match_line_endings(h, text);
        let splice = |side: &[u8], range: &Range<u32>| {
            let lines = diff::lines(side);
            let mut out = Vec::with_capacity(side.len() + text.len());
            for l in &lines[..range.start as usize] {
                out.extend_from_slice(l);
            }
            out.extend_from_slice(text);
            for l in &lines[range.end as usize..] {
                out.extend_from_slice(l);
            }
            out
        };
        let base_text = text_of(&self.base).unwrap_or(b"");
        let new_text = text_of(&self.proposed).unwrap_or(b"");
        let mode = self.base.mode().or(self.proposed.mode()).unwrap_or(0o644);
        let project_after = FileState::File {
            bytes: splice(base_text, &h.before).into(),
            mode,
        };
        let stage_after = FileState::File {
            bytes: splice(new_text, &h.after).into(),
            mode: self.proposed.mode().unwrap_or(mode),
        };
        let mut project = vec![Write {
            path: self.change.path.clone(),
            before: if self.change.old_path.is_some() {
                FileState::Missing
            } else {
                self.base.clone()
            },
            after: project_after,
        }];
        if let Some(old) = &self.change.old_path {
            project.push(Write {
                path: old.clone(),
                before: self.base.clone(),
                after: FileState::Missing,
            });
        }
        let stage = vec![Write {
            path: self.change.path.clone(),
            before: self.proposed.clone(),
            after: stage_after,
        }];
        Ok((project, stage))
    }

    /// The text for approving some lines of a hunk: removed lines not chosen
    /// stay, then the chosen added lines.
    pub fn lines_text(&self, hunk: &str, removed: &[u32], added: &[u32]) -> Result<Vec<u8>> {
        let h = self
            .hunks
            .iter()
            .find(|h| h.id == hunk)
            .ok_or_else(|| EngineError::BadRequest(format!("{hunk} is not a run of lines")))?;
        let base_lines = diff::lines(text_of(&self.base).unwrap_or(b""));
        let new_lines = diff::lines(text_of(&self.proposed).unwrap_or(b""));
        let (nb, na) = (h.before.len() as u32, h.after.len() as u32);
        if let Some(bad) = removed
            .iter()
            .find(|i| **i >= nb)
            .or(added.iter().find(|i| **i >= na))
        {
            return Err(EngineError::BadRequest(format!(
                "line {bad} is not in hunk {hunk} ({nb} removed, {na} added lines)"
            )));
        }
        let mut out = Vec::new();
        for i in 0..nb {
            if !removed.contains(&i) {
                out.extend_from_slice(base_lines[(h.before.start + i) as usize]);
            }
        }
        for i in 0..na {
            if added.contains(&i) {
                out.extend_from_slice(new_lines[(h.after.start + i) as usize]);
            }
        }
        Ok(out)
    }
}
