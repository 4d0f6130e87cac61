//! The splitter's tests: lists, substitutions, quoting, redirects, control
//! flow, pipelines, and input too deep or too broken to walk.

use super::*;

fn argvs(cmd: &str) -> Vec<Vec<String>> {
    split_command(cmd)
        .expect("grammar loads")
        .into_iter()
        .map(|c| c.argv)
        .collect()
}

fn v(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn lists_pipelines_and_subshells_split() {
    assert_eq!(
        argvs("a 1 && b 2 || c; d | e"),
        vec![
            v(&["a", "1"]),
            v(&["b", "2"]),
            v(&["c"]),
            v(&["d"]),
            v(&["e"])
        ]
    );
    assert_eq!(
        argvs("(cd x; ls) | grep y"),
        vec![v(&["cd", "x"]), v(&["ls"]), v(&["grep", "y"])]
    );
    assert_eq!(argvs("{ a; b; }"), vec![v(&["a"]), v(&["b"])]);
}

#[test]
fn substitutions_are_commands_with_a_parent() {
    let parts = split_command("echo $(rm -rf x) `whoami`").expect("parses");
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].argv[0], "echo");
    assert_eq!(parts[0].dynamic, vec![false, true, true]);
    assert_eq!(parts[1].argv, v(&["rm", "-rf", "x"]));
    assert_eq!(parts[1].parent, Some(0));
    assert_eq!(parts[2].argv, v(&["whoami"]));
    let parts = split_command("bash <(curl -s u)").expect("parses");
    assert_eq!(parts[1].argv, v(&["curl", "-s", "u"]));
    assert_eq!(parts[1].parent, Some(0));
    let parts = split_command("x=$(date); export Y=$(id -u)").expect("parses");
    let names: Vec<&str> = parts.iter().map(|p| p.argv[0].as_str()).collect();
    assert_eq!(names, vec!["date", "export", "id"]);
}

#[test]
fn quotes_and_escapes_resolve() {
    assert_eq!(
        argvs(r#"echo "a b" 'c d' e\ f "g\"h" x"y"'z' $'t\n'"#),
        vec![v(&["echo", "a b", "c d", "e f", "g\"h", "xyz", "t\n"])]
    );
    let parts = split_command(r#"rm -rf "$DIR/build""#).expect("parses");
    assert_eq!(parts[0].argv[2], "$DIR/build");
    assert!(parts[0].dynamic[2]);
}

#[test]
fn redirects_are_collected() {
    let parts = split_command("echo hi > /etc/x 2>&1").expect("parses");
    assert_eq!(parts[0].text, "echo hi > /etc/x 2>&1");
    let r = &parts[0].redirects;
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].op.as_str(), r[0].target.as_str()), (">", "/etc/x"));
    assert!(r[0].writes_file());
    assert_eq!((r[1].op.as_str(), r[1].target.as_str()), ("2>&", "1"));
    assert!(r[1].is_fd_dup());
    let parts = split_command("(a; b) >> ../log").expect("parses");
    assert!(parts.iter().all(|p| p.redirects[0].target == "../log"));
    let parts = split_command("cat <<EOF > out\n$(id)\nEOF").expect("parses");
    assert_eq!(parts[0].argv, v(&["cat"]));
    assert!(parts[0]
        .redirects
        .iter()
        .any(|r| r.target == "out" && r.writes_file()));
    assert!(parts.iter().any(|p| p.argv == v(&["id"])));
    let parts = split_command("> truncated").expect("parses");
    assert!(parts[0].argv.is_empty());
    assert_eq!(parts[0].redirects[0].target, "truncated");
}

#[test]
fn control_flow_bodies_are_walked() {
    assert_eq!(
        argvs("if test -f a; then rm a; elif b; then c; else d; fi"),
        vec![
            v(&["test", "-f", "a"]),
            v(&["rm", "a"]),
            v(&["b"]),
            v(&["c"]),
            v(&["d"])
        ]
    );
    assert_eq!(
        argvs("for f in *.o; do rm $f; done; while true; do sleep 1; done"),
        vec![v(&["rm", "$f"]), v(&["true"]), v(&["sleep", "1"])]
    );
    assert_eq!(argvs("f() { rm x; }; f"), vec![v(&["rm", "x"]), v(&["f"])]);
    assert_eq!(
        argvs("case $x in a) rm y;; *) ls;; esac"),
        vec![v(&["rm", "y"]), v(&["ls"])]
    );
}

#[test]
fn pipelines_are_numbered() {
    let parts = split_command("curl u | sh; a | (b | c)").expect("parses");
    let pos: Vec<Vec<(usize, usize)>> = parts
        .iter()
        .map(|p| p.pipeline.iter().map(|x| (x.pipeline, x.stage)).collect())
        .collect();
    assert_eq!(
        pos,
        vec![
            vec![(0, 0)],
            vec![(0, 1)],
            vec![(1, 0)],
            vec![(1, 1), (2, 0)],
            vec![(1, 1), (2, 1)]
        ]
    );
}

#[test]
fn a_command_nested_past_the_limit_is_too_complex_not_a_crash() {
    // 100 KB of `true && true …`: deep enough to overflow an unbounded
    // walk's stack in a debug build many times over.
    let cmd = vec!["true"; 12_500].join(" && ");
    let out = split_command(&cmd).expect("grammar loads");
    assert_eq!(out.len(), 1);
    assert!(out[0].unparsed && out[0].too_complex);
    assert_eq!(out[0].text, cmd);
    let deep_subst = format!("{}x{}", "$(echo ".repeat(2_000), ")".repeat(2_000));
    let out = split_command(&deep_subst).expect("grammar loads");
    assert!(out.iter().all(|c| c.unparsed), "{:?}", out.len());
    // A long but ordinary chain is still split.
    let ok = vec!["true"; 100].join(" && ");
    assert_eq!(split_command(&ok).expect("parses").len(), 100);
}

#[test]
fn broken_input_is_marked_unparsed() {
    let parts = split_command("rm -rf / ((").expect("parses");
    assert!(!parts.is_empty());
    assert!(parts.iter().all(|p| p.unparsed));
    assert!(split_command("").expect("parses").is_empty());
    assert!(split_command("# just a comment")
        .expect("parses")
        .is_empty());
}
