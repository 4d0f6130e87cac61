//! What Claude Code's `NotebookEdit` tool will make of a Jupyter notebook, so
//! a gated notebook edit can be reviewed as a diff like any other edit.
//!
//! The tool addresses a cell by its `id` (or `cell-N`, its index), and
//! replaces its source (a code cell loses its outputs and execution count),
//! inserts a new cell after it (at the top without a `cell_id`), or deletes
//! it. The notebook is written back as JSON with one-space indents, the way
//! Jupyter writes it (keys sorted).

use serde_json::{json, Value};

/// The notebook text after the tool has run with `input` on `current`;
/// `Err` says why the tool would refuse (it then writes nothing).
pub fn apply(current: &str, input: &Value) -> Result<String, String> {
    let mut nb: Value = serde_json::from_str(current)
        .map_err(|e| format!("the notebook is not valid JSON ({e})"))?;
    let source = input
        .get("new_source")
        .and_then(Value::as_str)
        .ok_or("the edit has no new_source")?;
    let mode = input
        .get("edit_mode")
        .and_then(Value::as_str)
        .unwrap_or("replace");
    let cell_type = input.get("cell_type").and_then(Value::as_str);
    let cell_id = input.get("cell_id").and_then(Value::as_str);
    let cells = nb
        .get_mut("cells")
        .and_then(Value::as_array_mut)
        .ok_or("the notebook has no cells array")?;
    let index = match cell_id {
        None => None,
        Some(id) => Some(find(cells, id).ok_or_else(|| format!("no cell with id `{id}`"))?),
    };
    match mode {
        "replace" => {
            let i = index.ok_or("replacing a cell needs its cell_id")?;
            let cell = cells
                .get_mut(i)
                .and_then(Value::as_object_mut)
                .ok_or("the cell is not an object")?;
            cell.insert("source".into(), json!(source));
            if let Some(t) = cell_type {
                cell.insert("cell_type".into(), json!(t));
            }
            if cell.get("cell_type").and_then(Value::as_str) == Some("code") {
                cell.insert("execution_count".into(), Value::Null);
                cell.insert("outputs".into(), json!([]));
            }
        }
        "insert" => {
            let t = cell_type.ok_or("inserting a cell needs its cell_type")?;
            let at = index.map_or(0, |i| i + 1);
            let mut cell = json!({
                "cell_type": t,
                "id": new_cell_id(current, at),
                "metadata": {},
                "source": source,
            });
            if t == "code" {
                cell["execution_count"] = Value::Null;
                cell["outputs"] = json!([]);
            }
            cells.insert(at, cell);
        }
        "delete" => {
            let i = index.ok_or("deleting a cell needs its cell_id")?;
            cells.remove(i);
        }
        other => return Err(format!("unknown edit_mode `{other}`")),
    }
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(&nb, &mut ser).map_err(|e| e.to_string())?;
    let mut text = String::from_utf8(out).map_err(|e| e.to_string())?;
    if current.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// A cell's index by its `id`, else by the `cell-N` form the tool also takes.
fn find(cells: &[Value], id: &str) -> Option<usize> {
    cells
        .iter()
        .position(|c| c.get("id").and_then(Value::as_str) == Some(id))
        .or_else(|| {
            let n: usize = id.strip_prefix("cell-")?.parse().ok()?;
            (n < cells.len()).then_some(n)
        })
}

/// An id for a new cell; the agent picks its own when it writes, so the
/// review shows where the cell goes and what it holds, not its exact id.
fn new_cell_id(current: &str, at: usize) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("{at}\0{current}").as_bytes());
    d.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = r##"{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 3,
   "id": "a1",
   "metadata": {},
   "outputs": [{"output_type": "stream", "name": "stdout", "text": ["2\n"]}],
   "source": ["print(1 + 1)"]
  },
  {
   "cell_type": "markdown",
   "id": "b2",
   "metadata": {},
   "source": ["# Notes"]
  }
 ],
 "metadata": {},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

    fn cells(text: &str) -> Vec<Value> {
        let v: Value = serde_json::from_str(text).expect("json");
        v["cells"].as_array().expect("cells").clone()
    }

    #[test]
    fn replace_sets_the_source_and_clears_a_code_cells_outputs() {
        let out = apply(NB, &json!({"cell_id": "a1", "new_source": "print(2 + 2)"})).expect("ok");
        let c = cells(&out);
        assert_eq!(c[0]["source"], "print(2 + 2)");
        assert_eq!(c[0]["outputs"], json!([]));
        assert_eq!(c[0]["execution_count"], Value::Null);
        assert_eq!(c[1]["source"], json!(["# Notes"]), "other cells untouched");
        assert!(out.ends_with("}\n"), "the final newline is kept");
        assert!(
            out.contains("\n \"cells\": ["),
            "one-space indents, as Jupyter writes"
        );
    }

    #[test]
    fn insert_goes_after_the_cell_or_at_the_top_and_delete_removes() {
        let after = apply(
            NB,
            &json!({"cell_id": "a1", "new_source": "x = 1", "cell_type": "code", "edit_mode": "insert"}),
        )
        .expect("ok");
        let c = cells(&after);
        assert_eq!(c.len(), 3);
        assert_eq!(c[1]["source"], "x = 1");
        assert_eq!(c[1]["outputs"], json!([]));
        let top = apply(
            NB,
            &json!({"new_source": "# Title", "cell_type": "markdown", "edit_mode": "insert"}),
        )
        .expect("ok");
        assert_eq!(cells(&top)[0]["source"], "# Title");
        let gone = apply(
            NB,
            &json!({"cell_id": "cell-1", "new_source": "", "edit_mode": "delete"}),
        )
        .expect("ok");
        let c = cells(&gone);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0]["id"], "a1");
    }

    #[test]
    fn what_the_tool_would_refuse_is_an_error() {
        for input in [
            json!({"cell_id": "zz", "new_source": "x"}),
            json!({"new_source": "x"}),
            json!({"cell_id": "a1"}),
            json!({"cell_id": "a1", "new_source": "x", "edit_mode": "move"}),
            json!({"new_source": "x", "edit_mode": "insert"}),
        ] {
            assert!(apply(NB, &input).is_err(), "{input}");
        }
        assert!(apply("not json", &json!({"cell_id": "a1", "new_source": "x"})).is_err());
    }
}
