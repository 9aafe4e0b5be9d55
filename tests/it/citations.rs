//! Every citation of the notes resolves: each `§N(.M)*`, `R§N(.M)*`,
//! `SPEC §N` and `seed §6.N` written anywhere in the sources, tests, benches, examples,
//! fuzz targets, adapter crates or the README names a section heading of
//! `imagestream::docs` (`src/docs/`), so a maintainer with only this
//! repository can look it up. Citations of files that are not in the
//! repository (a section sign after a `.md` file name) are refused too.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;

/// Where citations may appear, relative to the crate root.
const SCANNED: &[&str] = &[
    "src",
    "tests",
    "benches",
    "examples",
    "fuzz",
    "adapters",
    "README.md",
];

/// Directories that hold generated or binary data, not prose.
const SKIPPED: &[&str] = &["target", "corpus", "artifacts", "coverage"];

/// A citation: `§9.3`, `R§1.5`, `SPEC §13`, `seed §6.6`.
const CITATION: &str = r"(?:SPEC |seed |R)?§\d+(?:\.\d+)*";

/// A section heading of the notes, in markdown or in a `//!` comment:
/// `# §9.3 …`, `## R§1.5 …`, `# SPEC §13 …`.
const HEADING: &str = r"^(?://!\s?)?#+\s+((?:SPEC |seed |R)?§\d+(?:\.\d+)*)\s";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every text file under `path` (a file or a directory), in a fixed order.
fn text_files(path: &Path, out: &mut Vec<(PathBuf, String)>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            let skipped = entry
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| SKIPPED.contains(&n) || n.starts_with('.'));
            if !skipped {
                text_files(&entry, out);
            }
        }
    } else if let Ok(text) = fs::read_to_string(path) {
        out.push((path.to_owned(), text));
    }
}

fn scanned_files() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for p in SCANNED {
        text_files(&root().join(p), &mut files);
    }
    files
}

/// The section names the notes define: headings such as `# §9.3 …` or
/// `## R§1.5 …` in `src/docs/*.md` and `src/docs/mod.rs`.
fn sections() -> BTreeSet<String> {
    let heading = Regex::new(HEADING).expect("valid regex");
    let mut files = Vec::new();
    text_files(&root().join("src/docs"), &mut files);
    let mut out = BTreeSet::new();
    for (path, text) in &files {
        for line in text.lines() {
            if let Some(c) = heading.captures(line) {
                let name = c[1].to_owned();
                assert!(
                    out.insert(name.clone()),
                    "{name} is defined twice (again in {})",
                    path.display()
                );
            }
        }
    }
    out
}

/// `(file:line, citation)` for every citation in the scanned files.
fn citations() -> Vec<(String, String)> {
    let cite = Regex::new(CITATION).expect("valid regex");
    let mut out = Vec::new();
    for (path, text) in scanned_files() {
        let shown = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            for m in cite.find_iter(line) {
                out.push((format!("{shown}:{}", n + 1), m.as_str().to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_cited_section_exists_in_the_notes() {
    let sections = sections();
    let citations = citations();
    // The scan must see the code's citations, or it proves nothing.
    assert!(
        citations.len() > 100,
        "only {} citations found",
        citations.len()
    );
    let dangling: Vec<String> = citations
        .iter()
        .filter(|(_, c)| !sections.contains(c))
        .map(|(at, c)| format!("{at}: {c}"))
        .collect();
    assert!(
        dangling.is_empty(),
        "citations with no section in src/docs/ (add the section, or fix the citation):\n{}",
        dangling.join("\n")
    );
}

#[test]
fn citations_name_the_notes_not_files_outside_the_repository() {
    let foreign = Regex::new(r"(?:\.md|spec notes)\s+R?§").expect("valid regex");
    let mut found = Vec::new();
    for (path, text) in scanned_files() {
        for (n, line) in text.lines().enumerate() {
            if foreign.is_match(line) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "cite the notes as §N, R§N, SPEC §N or seed §6.N (imagestream::docs), not other files:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_notes_cover_every_group_of_sections() {
    let sections = sections();
    // §0 to §23 of the OpenShift notes and R§1 to R§8 of the reference
    // notes, each with a heading of its own.
    for n in 0..=23 {
        assert!(sections.contains(&format!("§{n}")), "§{n} has no section");
    }
    for n in 1..=8 {
        assert!(sections.contains(&format!("R§{n}")), "R§{n} has no section");
    }
    for n in 1..=13 {
        assert!(
            sections.contains(&format!("SPEC §{n}")),
            "SPEC §{n} has no section"
        );
    }
    // A subsection never exists without its parent.
    for s in &sections {
        if let Some((parent, _)) = s.rsplit_once('.') {
            assert!(sections.contains(parent), "{s} has no parent {parent}");
        }
    }
}

#[test]
fn the_scanner_finds_a_dangling_citation() {
    // The same matching the real test uses, on a made-up line.
    let cite = Regex::new(CITATION).expect("valid regex");
    let sections = sections();
    let line = format!("see §{} and R§{}.2", 99, 1);
    let missing: Vec<&str> = cite
        .find_iter(&line)
        .map(|m| m.as_str())
        .filter(|c| !sections.contains(*c))
        .collect();
    assert_eq!(missing, [format!("§{}", 99)]);
}

#[test]
fn links_to_sections_of_the_crate_guide_resolve() {
    // rustdoc checks intra-doc paths but not `#fragment`s: a link such as
    // `crate#deviations-from-openshift` must name a heading of src/lib.rs.
    let heading = Regex::new(r"^//!\s*#+\s+(.+)$").expect("valid regex");
    let guide = fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    let anchors: BTreeSet<String> = guide
        .lines()
        .filter_map(|l| heading.captures(l))
        .map(|c| {
            c[1].to_lowercase()
                .chars()
                .filter_map(|ch| match ch {
                    ' ' => Some('-'),
                    ch if ch.is_alphanumeric() || ch == '-' || ch == '_' => Some(ch),
                    _ => None,
                })
                .collect()
        })
        .collect();
    assert!(anchors.contains("deviations-from-openshift"), "{anchors:?}");
    let link = Regex::new(r"\(crate#([A-Za-z0-9_-]+)\)").expect("valid regex");
    let mut broken = Vec::new();
    for (path, text) in scanned_files() {
        for (n, line) in text.lines().enumerate() {
            for c in link.captures_iter(line) {
                if !anchors.contains(&c[1]) {
                    broken.push(format!("{}:{}: #{}", path.display(), n + 1, &c[1]));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to missing guide sections:\n{}",
        broken.join("\n")
    );
}

/// Each section's text, from its heading to the next heading.
fn section_bodies() -> std::collections::BTreeMap<String, String> {
    let heading = Regex::new(HEADING).expect("valid regex");
    let any_heading = Regex::new(r"^(?://!\s?)?#+\s").expect("valid regex");
    let mut files = Vec::new();
    text_files(&root().join("src/docs"), &mut files);
    let mut out = std::collections::BTreeMap::new();
    for (_, text) in &files {
        let mut current: Option<String> = None;
        for line in text.lines() {
            let line = line.strip_prefix("//! ").unwrap_or(line);
            if let Some(c) = heading.captures(line) {
                current = Some(c[1].to_owned());
                out.insert(c[1].to_owned(), String::new());
            } else if any_heading.is_match(line) {
                current = None;
            } else if let Some(s) = &current {
                let body: &mut String = out.get_mut(s).expect("inserted");
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    out
}

#[test]
fn cited_steps_exist_in_their_sections() {
    // `§10 step 6`, `§9.3 steps 4-8`, `§10 steps 6 to 8d`: every step
    // number is an item of the section's numbered list, every letter a
    // lettered sub-item.
    let bodies = section_bodies();
    let cite = Regex::new(r"(§\d+(?:\.\d+)*) steps? (\d+)([a-z])?(?:(?:-| to )(\d+)([a-z])?)?")
        .expect("valid regex");
    let mut missing = Vec::new();
    let mut seen = 0;
    for (path, text) in scanned_files() {
        for (n, line) in text.lines().enumerate() {
            for c in cite.captures_iter(line) {
                seen += 1;
                let Some(body) = bodies.get(&c[1]) else {
                    continue; // reported by every_cited_section_exists_in_the_notes
                };
                for (num, letter) in [(c.get(2), c.get(3)), (c.get(4), c.get(5))] {
                    let Some(num) = num else { continue };
                    let item = format!("\n{}. ", num.as_str());
                    let mut ok = body.starts_with(&item[1..]) || body.contains(&item);
                    if let Some(letter) = letter {
                        ok &= body.contains(&format!("- ({}) ", letter.as_str()));
                    }
                    if !ok {
                        missing.push(format!(
                            "{}:{}: {} step {}{}",
                            path.display(),
                            n + 1,
                            &c[1],
                            num.as_str(),
                            letter.map_or("", |l| l.as_str())
                        ));
                    }
                }
            }
        }
    }
    assert!(seen >= 5, "only {seen} step citations found");
    assert!(
        missing.is_empty(),
        "cited steps the notes do not number:\n{}",
        missing.join("\n")
    );
}

#[test]
fn image_stream_documents_every_method_in_a_family() {
    // The type's doc lists its methods by family; a new public method must
    // join one, or the list stops being the map of the type.
    let dir = root().join("src/stream");
    let mut methods = BTreeSet::new();
    let mut files = Vec::new();
    text_files(&dir, &mut files);
    let public_fn = Regex::new(r"^    pub fn ([a-z_0-9]+)").expect("valid regex");
    for (_, text) in &files {
        let mut inside = false;
        for line in text.lines() {
            if line.starts_with("impl ImageStream {") {
                inside = true;
            } else if inside && line.starts_with('}') {
                inside = false;
            } else if inside && let Some(c) = public_fn.captures(line) {
                methods.insert(c[1].to_owned());
            }
        }
    }
    assert!(methods.len() > 30, "only {} methods found", methods.len());
    let module = fs::read_to_string(dir.join("mod.rs")).expect("src/stream/mod.rs");
    let doc: String = module
        .split("pub struct ImageStream {")
        .next()
        .expect("the type")
        .rsplit("\n\n")
        .next()
        .expect("its doc")
        .to_owned();
    let missing: Vec<&String> = methods
        .iter()
        .filter(|m| !doc.contains(&format!("(Self::{m})")))
        .collect();
    assert!(
        missing.is_empty(),
        "ImageStream methods missing from the families on its doc: {missing:?}"
    );
}
