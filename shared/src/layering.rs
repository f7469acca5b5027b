//! The layers, checked on the source: the services (`src/app/`) see the ports and the domain
//! only — never an adapter, the HTTP layer or the message drivers — and their modules import
//! each other without a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The code of `path` without comments and without its `#[cfg(test)]` part (tests may reach
/// anywhere).
fn product_code(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap();
    let code = s.split("#[cfg(test)]").next().unwrap();
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn app_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app")
}

#[test]
fn services_import_no_adapter_and_no_inbound_layer() {
    for path in sources(&app_dir()) {
        let code = product_code(&path);
        for layer in [
            "crate::aws",
            "crate::local",
            "crate::api",
            "crate::events",
            "crate::wiring",
        ] {
            assert!(!code.contains(layer), "{} uses {layer}", path.display());
        }
    }
}

/// The `app` module a file belongs to (`repo/layout.rs` → `repo`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(app_dir()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The sibling modules `code` names as `super::x` or `crate::app::x`.
fn named_modules(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for prefix in ["super::", "crate::app::"] {
        for (i, _) in code.match_indices(prefix) {
            let rest = &code[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn service_modules_form_no_import_cycle() {
    let files = sources(&app_dir());
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| module_of(p))
        .filter(|m| m != "mod")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let m = module_of(path);
        if m == "mod" {
            continue;
        }
        let mut deps = named_modules(&product_code(path), &modules);
        deps.remove(&m);
        graph.entry(m).or_default().extend(deps);
    }
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == m) {
            panic!("import cycle: {} -> {m}", path[i..].join(" -> "));
        }
        if done.contains(m) {
            return;
        }
        path.push(m.to_string());
        for d in &graph[m] {
            visit(d, graph, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
    assert!(graph.len() > 10, "found the service modules: {graph:?}");
}
