//! The generated outputs of the key declarations: the JSON Schema (checked with an independent
//! validator on every shipped and fixture config file), the key reference in docs/, shell
//! completions, and `--quiet`.

use std::path::{Path, PathBuf};

use crate::common::{fixture, root, run, stderr, stdout};

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

/// Compiles the schema `accel-cost schema` prints and returns a checker of TOML text.
fn checker() -> impl Fn(&str) -> Result<(), String> {
    let o = run(&["schema"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let schema: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("schema is JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("accel-cost.schema.json", schema).expect("schema resource");
    let index = compiler
        .compile("accel-cost.schema.json", &mut schemas)
        .expect("the schema compiles");
    move |text: &str| {
        let value: toml::Value = toml::from_str(text).map_err(|e| e.to_string())?;
        let json = serde_json::to_value(value).map_err(|e| e.to_string())?;
        schemas.validate(&json, index).map_err(|e| format!("{e:#}"))
    }
}

#[test]
fn every_shipped_and_fixture_config_file_validates_against_the_schema() {
    let check = checker();
    let mut files = Vec::new();
    toml_files(&root("configs"), &mut files);
    toml_files(&fixture("good"), &mut files);
    toml_files(&fixture("unusual"), &mut files);
    toml_files(&root("src/init"), &mut files);
    let mut prices = Vec::new();
    toml_files(&fixture("prices"), &mut prices);
    // bad_*.toml are malformed on purpose (the loader's located errors are tested on them).
    files.extend(
        prices
            .into_iter()
            .filter(|f| !f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("bad_"))),
    );
    files.push(root("docs/examples/ours.toml"));
    assert!(files.len() >= 10, "found only {} files", files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        if let Err(e) = check(&text) {
            panic!("{} does not validate against the schema:\n{e}", f.display());
        }
    }
}

#[test]
fn schema_rejects_an_unknown_key_and_a_wrong_type() {
    let check = checker();
    let good = "[[accelerator]]\nid = \"x\"\nfamily = \"gpu\"\nyear = 2024\ndense_tflops = { bf16 = 100 }\nmemory_gb = 80\npower_w = 700\n";
    assert!(check(good).is_ok());
    assert!(check(&format!("{good}memroy_gb = 80\n")).is_err(), "a typo must be rejected");
    assert!(check(&good.replace("family = \"gpu\"", "family = \"fpga\"")).is_err());
    assert!(check(&good.replace("power_w = 700", "power_w = \"700\"")).is_err());
    assert!(
        check("[economics]\nbasis = \"owned\"\npue = { low = 1.1, base = 1.2 }\n").is_err(),
        "a range needs low, base and high"
    );
    assert!(check("[report]\nmonte_carlo = { samples = 100, seeds = 1 }\n").is_err());
    // A patch gives only the keys it changes; an entry without `patch` needs its required keys.
    assert!(check("[[accelerator]]\nid = \"x\"\npatch = true\npower_w = 350\n").is_ok());
    assert!(check("[[accelerator]]\nid = \"x\"\npower_w = 350\n").is_err());
    assert!(check("[[accelerator]]\nid = \"x\"\npatch = true\n[[accelerator.offer]]\nprovider = \"Us\"\nprovider_class = \"owned\"\nterm = \"spot\"\n").is_err());
}

#[test]
fn key_reference_in_docs_is_generated_from_the_declarations() {
    let o = run(&["schema", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0));
    let generated = stdout(&o);
    let path = root("docs/config-keys.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/config-keys.md");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == generated,
        "docs/config-keys.md is stale: run `UPDATE_DOCS=1 cargo test --test it key_reference` (or `accel-cost schema --format markdown > docs/config-keys.md`)"
    );
    for key in ["memory_gib", "training_mfu", "reported_chip_hours", "monte_carlo"] {
        assert!(generated.contains(&format!("`{key}`")), "{key} missing from the reference");
    }
}

#[test]
fn completions_are_generated_for_bash() {
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("accel-cost") && s.contains("calibrate"), "{}", &s[..s.len().min(200)]);
}

#[test]
fn quiet_compare_writes_nothing_to_stderr() {
    // On basis committed some chips have no price: a warning each, unless --quiet.
    // One Monte Carlo draw: the test is about stderr, not the bands (3 runs of 0.3 s, not 1.5 s).
    let one = "report.monte_carlo.samples=1";
    let loud = run(&["compare", "--set", "economics.basis=committed", "--set", one]);
    assert!(!stderr(&loud).is_empty(), "the test needs a config that warns");
    let quiet = run(&["compare", "--quiet", "--set", "economics.basis=committed", "--set", one]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "");
    assert_eq!(stdout(&quiet), stdout(&loud));
    let plain = run(&["-q", "compare", "--set", one]);
    assert_eq!(stderr(&plain), "");
}
