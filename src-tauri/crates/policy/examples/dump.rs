//! temp
fn main() {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_bash::LANGUAGE.into()).unwrap();
    for src in std::env::args().skip(1) {
        let t = p.parse(&src, None).unwrap();
        println!("{src}\n  {}  err={}", t.root_node().to_sexp(), t.root_node().has_error());
    }
}
