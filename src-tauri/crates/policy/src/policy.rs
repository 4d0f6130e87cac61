//! The rule lists and their TOML file.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml_edit::{Array, Document, DocumentMut, Item, TableLike, Value};

use crate::{Decision, Error, Result, Rule};

/// Where a project keeps its policy, relative to the project root.
pub const PROJECT_POLICY_FILE: &str = ".airlock/policy.toml";

/// The `allow`, `ask` and `deny` lists, and the home directory `~` means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Rules that let an action run without asking.
    pub allow: Vec<Rule>,
    /// Rules that make an action wait for the user.
    pub ask: Vec<Rule>,
    /// Rules that refuse an action.
    pub deny: Vec<Rule>,
    /// The user's home directory, for `~/…` rules and `~` in commands. Set
    /// by [`Policy::load`] from the environment so that `decide` needs none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<PathBuf>,
    /// The hosts a session in network mode `model-only` may reach
    /// (`[network] hosts = ["api.anthropic.com", "*.example.com:443"]`);
    /// empty means Airlock's defaults, the model APIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_hosts: Vec<String>,
}

impl Policy {
    /// Loads and merges the user's global file and the project's file (both
    /// optional; a file that does not exist counts as empty). The lists are
    /// concatenated: since the strictest rule wins, neither file can loosen
    /// what the other restricts.
    pub fn load(project_file: Option<&Path>, global_file: Option<&Path>) -> Result<Policy> {
        let mut policy = Policy {
            home: home_dir(),
            ..Policy::default()
        };
        for file in [global_file, project_file].into_iter().flatten() {
            match fs::read_to_string(file) {
                Ok(text) => policy.merge(Policy::parse(&text, file)?),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(Error::Read {
                        path: file.to_path_buf(),
                        source,
                    })
                }
            }
        }
        Ok(policy)
    }

    /// Parses the text of a policy file; `path` names it in errors. The
    /// result has no home directory.
    pub fn parse(text: &str, path: &Path) -> Result<Policy> {
        let doc = Document::parse(text).map_err(|e| {
            malformed(
                path,
                text,
                e.span().map(|s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        let mut policy = Policy::default();
        if let Some(item) = doc.as_table().get("network") {
            policy.network_hosts = parse_hosts(item, path, text)?;
        }
        let Some(item) = doc.as_table().get("permissions") else {
            return Ok(policy);
        };
        let Some(table) = item.as_table_like() else {
            return Err(malformed(
                path,
                text,
                item.span().map(|s| s.start),
                "`permissions` must be a table: write `[permissions]` above the rule lists"
                    .to_string(),
            ));
        };
        for (key, value) in table.iter() {
            let list = match key {
                "allow" => &mut policy.allow,
                "ask" => &mut policy.ask,
                "deny" => &mut policy.deny,
                other => {
                    let at = key_span(table, other).or_else(|| value.span().map(|s| s.start));
                    return Err(malformed(
                        path,
                        text,
                        at,
                        format!(
                            "unknown key `{other}` in [permissions]; expected allow, ask or deny"
                        ),
                    ));
                }
            };
            let Some(array) = value.as_array() else {
                return Err(malformed(
                    path,
                    text,
                    value.span().map(|s| s.start),
                    format!("`{key}` must be an array of rules, as in {key} = [\"Bash(ls:*)\"]"),
                ));
            };
            for entry in array.iter() {
                let at = entry.span().map(|s| s.start);
                let Some(raw) = entry.as_str() else {
                    return Err(malformed(
                        path,
                        text,
                        at,
                        format!("`{key}` holds strings such as \"Bash(npm run test:*)\""),
                    ));
                };
                let rule =
                    Rule::parse(raw).map_err(|e| malformed(path, text, at, e.to_string()))?;
                list.push(rule);
            }
        }
        Ok(policy)
    }

    /// A policy from rule strings (handy in tests and for built-in defaults).
    pub fn from_rules(allow: &[&str], ask: &[&str], deny: &[&str]) -> Result<Policy> {
        let parse = |rules: &[&str]| {
            rules
                .iter()
                .map(|r| Rule::parse(r))
                .collect::<Result<Vec<_>>>()
        };
        Ok(Policy {
            allow: parse(allow)?,
            ask: parse(ask)?,
            deny: parse(deny)?,
            home: None,
            network_hosts: Vec::new(),
        })
    }

    /// The same policy with `home` as the home directory.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Policy {
        self.home = Some(home.into());
        self
    }

    /// Appends `other`'s rules (keeping this policy's home unless it has none).
    pub fn merge(&mut self, other: Policy) {
        self.allow.extend(other.allow);
        self.ask.extend(other.ask);
        self.deny.extend(other.deny);
        self.network_hosts.extend(other.network_hosts);
        if self.home.is_none() {
            self.home = other.home;
        }
    }

    /// Every rule with the list it is in, strictest list first.
    pub fn rules(&self) -> impl Iterator<Item = (Decision, &Rule)> {
        let deny = self.deny.iter().map(|r| (Decision::Deny, r));
        let ask = self.ask.iter().map(|r| (Decision::Ask, r));
        let allow = self.allow.iter().map(|r| (Decision::Allow, r));
        deny.chain(ask).chain(allow)
    }

    /// Appends `rule` to the `allow` list of the policy file `file` ("Always
    /// allow"), keeping the rest of the file — comments, order, formatting —
    /// as it was. Creates the file and its folder when missing. Returns
    /// `false` when the rule was already there. The file is replaced
    /// atomically (a temporary file renamed over it).
    pub fn add_allow_rule(file: &Path, rule: &str) -> Result<bool> {
        let rule = Rule::parse(rule)?;
        let text = match fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(Error::Read {
                    path: file.to_path_buf(),
                    source,
                })
            }
        };
        // Refuse to add to a file that would not load.
        Policy::parse(&text, file)?;
        let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            malformed(
                file,
                &text,
                e.span().map(|s| s.start),
                e.message().to_string(),
            )
        })?;
        let permissions = doc.entry("permissions").or_insert(toml_edit::table());
        let shape_error = |what: &str| malformed(file, &text, None, what.to_string());
        let table = permissions
            .as_table_like_mut()
            .ok_or_else(|| shape_error("`permissions` must be a table"))?;
        let allow = table
            .entry("allow")
            .or_insert(Item::Value(Value::Array(Array::new())));
        let array = allow
            .as_array_mut()
            .ok_or_else(|| shape_error("`allow` must be an array of rules"))?;
        if array.iter().any(|v| v.as_str() == Some(rule.as_str())) {
            return Ok(false);
        }
        array.push(rule.as_str());
        write_atomically(file, &doc.to_string())?;
        Ok(true)
    }
}

fn key_span(table: &dyn TableLike, key: &str) -> Option<usize> {
    table
        .get_key_value(key)
        .and_then(|(k, _)| k.span())
        .map(|s| s.start)
}

fn malformed(path: &Path, text: &str, offset: Option<usize>, message: String) -> Error {
    let (line, column) = match offset {
        Some(offset) => {
            let before = text.get(..offset).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (1, 1),
    };
    Error::Malformed {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

fn write_atomically(file: &Path, contents: &str) -> Result<()> {
    let write_error = |source| Error::Write {
        path: file.to_path_buf(),
        source,
    };
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(write_error)?;
    }
    let name = file.file_name().map_or_else(
        || "policy.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = file.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&temp, contents).map_err(write_error)?;
    fs::rename(&temp, file).map_err(|e| {
        let _ = fs::remove_file(&temp);
        write_error(e)
    })
}

fn home_dir() -> Option<PathBuf> {
    ["HOME", "USERPROFILE"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `[network] hosts = [...]`: the host rules of network mode `model-only`
/// (checked as host names here; the proxy parses them fully).
fn parse_hosts(item: &toml_edit::Item, path: &Path, text: &str) -> Result<Vec<String>> {
    let Some(table) = item.as_table_like() else {
        return Err(malformed(
            path,
            text,
            item.span().map(|s| s.start),
            "`network` must be a table: write `[network]` above `hosts = [...]`".to_string(),
        ));
    };
    let mut hosts = Vec::new();
    for (key, value) in table.iter() {
        if key != "hosts" {
            let at = key_span(table, key).or_else(|| value.span().map(|s| s.start));
            return Err(malformed(
                path,
                text,
                at,
                format!("unknown key `{key}` in [network]; expected hosts"),
            ));
        }
        let strings = value.as_array().map(|a| {
            a.iter()
                .map(|e| e.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        });
        let Some(Some(list)) = strings else {
            return Err(malformed(
                path,
                text,
                value.span().map(|s| s.start),
                "`hosts` must be an array of host names, as in hosts = [\"api.anthropic.com\"]"
                    .to_string(),
            ));
        };
        hosts.extend(list);
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy> {
        Policy::parse(text, Path::new("/p/.airlock/policy.toml"))
    }

    fn malformed_at(text: &str) -> (usize, usize, String) {
        match parse(text) {
            Err(Error::Malformed {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected a malformed-file error, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_three_lists() {
        let p = parse(
            "# comment\n[permissions]\nallow = [\"Bash(npm run test:*)\", \"Edit(src/**)\"]\nask = []\ndeny = [\"Read(./.env)\"]\n[ui]\ntheme = \"dark\"\n",
        )
        .expect("valid file");
        assert_eq!(p.allow.len(), 2);
        assert!(p.ask.is_empty());
        assert_eq!(p.deny[0].as_str(), "Read(./.env)");
        assert_eq!(parse("").expect("empty file"), Policy::default());
        let inline = parse("permissions = { deny = [\"Bash(rm:*)\"] }").expect("inline table");
        assert_eq!(inline.deny.len(), 1);
    }

    #[test]
    fn errors_name_the_line_and_what_to_do() {
        let (line, _, msg) = malformed_at("[permissions]\nallow = [\"Bash(ls\"]\n");
        assert_eq!(line, 2);
        assert!(msg.contains("invalid rule `Bash(ls`"), "{msg}");
        let (line, col, msg) = malformed_at("[permissions]\nallow = [\n  \"Bash\",\n  3,\n]\n");
        assert_eq!((line, col), (4, 3));
        assert!(msg.contains("strings"), "{msg}");
        let (line, _, msg) = malformed_at("[permissions]\nalow = []\n");
        assert_eq!(line, 2);
        assert!(msg.contains("unknown key `alow`"), "{msg}");
        let (line, _, msg) = malformed_at("[permissions]\nallow = \"Bash\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("must be an array"), "{msg}");
        let (line, _, _) = malformed_at("[permissions]\nallow = [\"Bash\"\n\n");
        assert!(line >= 2);
        let (_, _, msg) = malformed_at("permissions = 3\n");
        assert!(msg.contains("must be a table"), "{msg}");
        let err = parse("[permissions]\nask = [1]\n").expect_err("not a string");
        assert!(
            err.to_string().starts_with("/p/.airlock/policy.toml:2:8: "),
            "{err}"
        );
    }

    #[test]
    fn load_merges_and_tolerates_missing_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let project = dir.path().join("project.toml");
        let global = dir.path().join("global.toml");
        fs::write(&project, "[permissions]\nallow = [\"Bash(ls:*)\"]\n").expect("write");
        fs::write(
            &global,
            "[permissions]\ndeny = [\"Bash(rm:*)\"]\nallow = [\"Read\"]\n",
        )
        .expect("write");
        let p = Policy::load(Some(&project), Some(&global)).expect("loads");
        assert_eq!(p.allow.len(), 2);
        assert_eq!(p.deny.len(), 1);
        let none = Policy::load(Some(&dir.path().join("missing.toml")), None).expect("loads");
        assert!(none.allow.is_empty());
        fs::write(&global, "[permissions]\ndeny = [\"Nope(x)\"]\n").expect("write");
        let err = Policy::load(Some(&project), Some(&global)).expect_err("bad global file");
        assert!(err.to_string().contains("global.toml:2:"), "{err}");
    }

    #[test]
    fn add_allow_rule_round_trips_and_keeps_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join(".airlock/policy.toml");
        assert!(Policy::add_allow_rule(&file, "Bash(npm run test:*)").expect("creates"));
        assert!(!Policy::add_allow_rule(&file, "Bash(npm run test:*)").expect("no duplicate"));
        let p = Policy::load(Some(&file), None).expect("loads");
        assert_eq!(
            p.allow,
            vec![Rule::parse("Bash(npm run test:*)").expect("rule")]
        );

        let original = "# Team policy\n[permissions]\n# never touch secrets\ndeny = [\"Read(./.env)\"]\nallow = [\n  \"Edit(src/**)\", # the code\n]\n\n[other]\nkeep = true\n";
        fs::write(&file, original).expect("write");
        assert!(Policy::add_allow_rule(&file, "Bash(cargo test:*)").expect("appends"));
        let after = fs::read_to_string(&file).expect("read");
        assert!(
            after.starts_with("# Team policy\n[permissions]\n# never touch secrets\n"),
            "{after}"
        );
        assert!(after.contains("# the code"), "{after}");
        assert!(after.contains("[other]\nkeep = true"), "{after}");
        let p = Policy::load(Some(&file), None).expect("loads");
        let allow: Vec<&str> = p.allow.iter().map(Rule::as_str).collect();
        assert_eq!(allow, vec!["Edit(src/**)", "Bash(cargo test:*)"]);
        assert_eq!(p.deny.len(), 1);

        assert!(Policy::add_allow_rule(&file, "Bash(").is_err());
        fs::write(&file, "[permissions\n").expect("write");
        assert!(matches!(
            Policy::add_allow_rule(&file, "Bash(ls)"),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn network_hosts_are_read_merged_and_checked() {
        let p = parse("[network]\nhosts = [\"api.anthropic.com\", \"127.0.0.1:8080\"]\n")
            .expect("hosts");
        assert_eq!(p.network_hosts, vec!["api.anthropic.com", "127.0.0.1:8080"]);
        assert!(p.allow.is_empty());
        let mut merged =
            parse("[network]\nhosts = [\"a.example\"]\n[permissions]\nallow = [\"Bash(ls)\"]\n")
                .expect("both tables");
        assert_eq!(merged.allow.len(), 1);
        merged.merge(p);
        assert_eq!(merged.network_hosts.len(), 3);
        let (_, _, msg) = malformed_at("[network]\nhost = [\"x\"]\n");
        assert!(msg.contains("unknown key `host` in [network]"), "{msg}");
        let (_, _, msg) = malformed_at("[network]\nhosts = [1]\n");
        assert!(msg.contains("array of host names"), "{msg}");
        let (_, _, msg) = malformed_at("network = 3\n");
        assert!(msg.contains("`network` must be a table"), "{msg}");
    }
}
