//! Reachability evidence: is the code an advisory names in the binary the package was found
//! in?
//!
//! Go's vulnerability database names the vulnerable code per record as
//! `affected[].ecosystem_specific.imports[] = {path, symbols}` (`net/http`, `Server.Serve`;
//! no symbols: the whole package). The inventory records what each Go binary links from each
//! module ([`LinkedSymbols`], read from the pclntab by `drydock-gosym`). The verdict, in this
//! order:
//!
//! 1. `symbols_present`: a named symbol (or any code of a package named without symbols) is
//!    linked; the matched ones are listed.
//! 2. `unknown`: the function table could not be read (stripped of it, corrupt, a Go
//!    release whose layout drydock does not read), or the advisory names no code. Absence is
//!    never concluded from a table that was not read.
//! 3. `package_linked_symbols_absent`: a named package is linked, none of its named symbols.
//! 4. `package_not_linked`: none of the named packages is linked.
//!
//! Before that, imports restricted to other platforms (`goos: [windows]`, `goarch: [amd64]`)
//! are dropped for a binary whose `GOOS`/`GOARCH` is known, as govulncheck does; when that
//! leaves none, the verdict is `platform_not_affected`.
//!
//! Rust (`cargo auditable` binaries): RustSec's `affects.functions` (`smallvec::SmallVec::insert_many`)
//! against the functions of the binary's symbol table (`drydock_gosym::rust_function_linked`):
//! `symbols_present`; `symbols_not_found` when the crate has symbols, none of the functions;
//! `unknown` when the binary has no symbols, the advisory names no functions, or no symbol
//! of the crate is in the table. A symbol table, unlike Go's function table, does not name
//! functions inlined into their callers (a release build inlines a called
//! `SmallVec::insert_many` into `main`), so a missing symbol is not absent code:
//! `symbols_not_found` is not filtered by `--linked-only`.
//!
//! A package found in several binaries (or also in a `go.mod`) carries their union, so the
//! verdict is "present" if it is in any of them and "not linked" only if it is in none.

use drydock_advisory::Affected;
use drydock_package::{Ecosystem, LinkedSymbols, Package};
use serde::{Deserialize, Serialize};

/// Whether the vulnerable code of a finding is in the binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reachability", rename_all = "snake_case")]
pub enum Reachability {
    /// These symbols (`net/http.Server.Serve`; a bare import path when the advisory names the
    /// whole package) are linked.
    SymbolsPresent { symbols: Vec<String> },
    /// These packages are linked, but none of the symbols the advisory names.
    PackageLinkedSymbolsAbsent { packages: Vec<String> },
    /// None of these packages is linked.
    PackageNotLinked { packages: Vec<String> },
    /// Rust: the crate has symbols in the binary, none of the advisory's functions. Not proof
    /// of absence (inlined functions have no symbol), so never filtered.
    SymbolsNotFound { packages: Vec<String> },
    /// Every import the advisory names is for other platforms (`windows`) than the binary's
    /// (`linux/amd64`).
    PlatformNotAffected {
        platform: String,
        affected: Vec<String>,
    },
    /// Nothing can be said, and why.
    Unknown { reason: String },
}

impl Reachability {
    /// `symbols_present`, `package_linked_symbols_absent`, `package_not_linked`, `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reachability::SymbolsPresent { .. } => "symbols_present",
            Reachability::PackageLinkedSymbolsAbsent { .. } => "package_linked_symbols_absent",
            Reachability::PackageNotLinked { .. } => "package_not_linked",
            Reachability::PlatformNotAffected { .. } => "platform_not_affected",
            Reachability::SymbolsNotFound { .. } => "symbols_not_found",
            Reachability::Unknown { .. } => "unknown",
        }
    }

    /// Whether the evidence says the vulnerable code is not in the binary
    /// (`package_linked_symbols_absent`, `package_not_linked`, `platform_not_affected`).
    pub fn code_absent(&self) -> bool {
        matches!(
            self,
            Reachability::PackageLinkedSymbolsAbsent { .. }
                | Reachability::PackageNotLinked { .. }
                | Reachability::PlatformNotAffected { .. }
        )
    }
}

impl std::fmt::Display for Reachability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reachability::SymbolsPresent { symbols } => {
                write!(f, "vulnerable symbols linked: {}", symbols.join(", "))
            }
            Reachability::PackageLinkedSymbolsAbsent { packages } => write!(
                f,
                "{} linked, none of the vulnerable symbols",
                packages.join(", ")
            ),
            Reachability::PackageNotLinked { packages } => {
                write!(f, "{} not linked into the binary", packages.join(", "))
            }
            Reachability::SymbolsNotFound { packages } => write!(
                f,
                "{} linked, no symbol of the vulnerable functions (they may be inlined into their callers)",
                packages.join(", ")
            ),
            Reachability::PlatformNotAffected { platform, affected } => write!(
                f,
                "platform not affected: the vulnerable code is only built for {}, the binary is {platform}",
                affected.join(", ")
            ),
            Reachability::Unknown { reason } => write!(f, "reachability unknown: {reason}"),
        }
    }
}

/// One `imports[]` entry of a Go record.
#[derive(Debug, Deserialize)]
struct Import {
    path: String,
    #[serde(default)]
    symbols: Vec<String>,
    /// Only these `GOOS`es / `GOARCH`es are affected (empty: all).
    #[serde(default)]
    goos: Vec<String>,
    #[serde(default)]
    goarch: Vec<String>,
}

impl Import {
    /// Whether the import is built for the binary's platform (an unknown `GOOS` or
    /// `GOARCH` matches every restriction on it).
    fn on(&self, goos: Option<&str>, goarch: Option<&str>) -> bool {
        let allows = |list: &[String], v: Option<&str>| {
            list.is_empty() || v.is_none_or(|v| list.iter().any(|l| l == v))
        };
        allows(&self.goos, goos) && allows(&self.goarch, goarch)
    }

    /// `windows`, `386/arm`, `js/wasm`: the platforms it is restricted to.
    fn platforms(&self) -> String {
        match (self.goos.is_empty(), self.goarch.is_empty()) {
            (false, false) => format!("{}/{}", self.goos.join("|"), self.goarch.join("|")),
            (false, true) => self.goos.join("|"),
            _ => self.goarch.join("|"),
        }
    }
}

#[derive(Debug, Deserialize)]
struct EcosystemSpecific {
    #[serde(default)]
    imports: Vec<Import>,
}

/// RustSec's `ecosystem_specific.affects`.
#[derive(Debug, Default, Deserialize)]
struct RustSpecific {
    #[serde(default)]
    affects: RustAffects,
}

#[derive(Debug, Default, Deserialize)]
struct RustAffects {
    #[serde(default)]
    functions: Vec<String>,
}

/// The evidence for a finding on `p` from its matched records; `None` when `p` was not found
/// in a Go binary.
pub(crate) fn evidence(p: &Package, records: &[Affected]) -> Option<Reachability> {
    let linked = p.linked.as_ref()?;
    let specific = || records.iter().filter_map(|a| a.ecosystem_specific.as_ref());
    if p.ecosystem == Ecosystem::Cargo {
        let functions: Vec<String> = specific()
            .filter_map(|v| serde_json::from_value::<RustSpecific>(v.clone()).ok())
            .flat_map(|e| e.affects.functions)
            .collect();
        return Some(rust_verdict(linked, &p.name, &functions));
    }
    if p.ecosystem != Ecosystem::Golang {
        return None;
    }
    let imports: Vec<Import> = specific()
        .filter_map(|v| serde_json::from_value::<EcosystemSpecific>(v.clone()).ok())
        .flat_map(|e| e.imports)
        .collect();
    Some(verdict(linked, &imports))
}

fn verdict(linked: &LinkedSymbols, all: &[Import]) -> Reachability {
    if all.is_empty() {
        return Reachability::Unknown {
            reason: "the advisory names no affected packages or symbols".into(),
        };
    }
    let (goos, goarch) = (linked.goos.as_deref(), linked.goarch.as_deref());
    let imports: Vec<&Import> = all.iter().filter(|i| i.on(goos, goarch)).collect();
    if imports.is_empty() {
        let mut affected: Vec<String> = all.iter().map(Import::platforms).collect();
        affected.sort();
        affected.dedup();
        return Reachability::PlatformNotAffected {
            platform: format!("{}/{}", goos.unwrap_or("?"), goarch.unwrap_or("?")),
            affected,
        };
    }
    let mut present: Vec<String> = Vec::new();
    let mut linked_paths: Vec<String> = Vec::new();
    for i in &imports {
        let Some(have) = linked.packages.get(&i.path) else {
            continue;
        };
        linked_paths.push(i.path.clone());
        if i.symbols.is_empty() {
            present.push(i.path.clone());
        }
        present.extend(
            i.symbols
                .iter()
                .filter(|s| have.contains(*s))
                .map(|s| format!("{}.{s}", i.path)),
        );
    }
    let dedup = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    if !present.is_empty() {
        return Reachability::SymbolsPresent {
            symbols: dedup(present),
        };
    }
    if let Some(reason) = &linked.unreadable {
        return Reachability::Unknown {
            reason: reason.clone(),
        };
    }
    if !linked_paths.is_empty() {
        return Reachability::PackageLinkedSymbolsAbsent {
            packages: dedup(linked_paths),
        };
    }
    Reachability::PackageNotLinked {
        packages: dedup(imports.iter().map(|i| i.path.clone()).collect()),
    }
}

/// The verdict for a crate of a Rust binary: its symbols against RustSec's functions.
fn rust_verdict(linked: &LinkedSymbols, name: &str, functions: &[String]) -> Reachability {
    if functions.is_empty() {
        return Reachability::Unknown {
            reason: "the advisory names no affected functions".into(),
        };
    }
    let mut present: Vec<String> = Vec::new();
    for f in functions {
        let krate = f.split("::").next().unwrap_or_default();
        if let Some(sym) = linked
            .packages
            .get(krate)
            .and_then(|paths| drydock_gosym::rust_function_linked(paths, f))
        {
            present.push(sym.to_string());
        }
    }
    present.sort();
    present.dedup();
    if !present.is_empty() {
        return Reachability::SymbolsPresent { symbols: present };
    }
    // Present in one binary is present; absent needs every location read.
    if let Some(reason) = &linked.unreadable {
        return Reachability::Unknown {
            reason: reason.clone(),
        };
    }
    let krate = name.replace('-', "_");
    if linked.packages.get(&krate).is_none_or(|p| p.is_empty()) {
        // Unused, or every function of it inlined into its callers: a symbol table cannot
        // tell these apart, so no "not linked".
        return Reachability::Unknown {
            reason: format!("no symbol of crate `{krate}` in the binary (unused or inlined)"),
        };
    }
    Reachability::SymbolsNotFound {
        packages: vec![krate],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(pairs: &[(&str, &[&str])], unreadable: Option<&str>) -> LinkedSymbols {
        LinkedSymbols {
            packages: pairs
                .iter()
                .map(|(p, s)| (p.to_string(), s.iter().map(|s| s.to_string()).collect()))
                .collect(),
            unreadable: unreadable.map(str::to_string),
            ..Default::default()
        }
    }

    fn imports(v: serde_json::Value) -> Vec<Import> {
        serde_json::from_value::<EcosystemSpecific>(v)
            .expect("imports")
            .imports
    }

    #[test]
    fn verdicts() {
        let bin = linked(
            &[
                ("net/http", &["Server.Serve", "Header.Get"]),
                ("fmt", &["Println"]),
            ],
            None,
        );
        let serve = imports(serde_json::json!({"imports": [
            {"path": "net/http", "symbols": ["Server.Serve", "ListenAndServe"]}]}));
        assert_eq!(
            verdict(&bin, &serve),
            Reachability::SymbolsPresent {
                symbols: vec!["net/http.Server.Serve".into()]
            }
        );
        let absent = imports(serde_json::json!({"imports": [
            {"path": "net/http", "symbols": ["ListenAndServeTLS"]}]}));
        assert!(matches!(
            verdict(&bin, &absent),
            Reachability::PackageLinkedSymbolsAbsent { .. }
        ));
        let other = imports(serde_json::json!({"imports": [{"path": "net/smtp"}]}));
        assert!(matches!(
            verdict(&bin, &other),
            Reachability::PackageNotLinked { .. }
        ));
        let whole = imports(serde_json::json!({"imports": [{"path": "fmt"}]}));
        assert_eq!(
            verdict(&bin, &whole),
            Reachability::SymbolsPresent {
                symbols: vec!["fmt".into()]
            }
        );
        assert!(matches!(verdict(&bin, &[]), Reachability::Unknown { .. }));
    }

    #[test]
    fn an_unread_table_is_never_absence() {
        let unread = linked(&[], Some("the function table is corrupt"));
        let other = imports(serde_json::json!({"imports": [{"path": "net/smtp"}]}));
        assert_eq!(
            verdict(&unread, &other),
            Reachability::Unknown {
                reason: "the function table is corrupt".into()
            }
        );
    }

    #[test]
    fn imports_for_other_platforms_are_dropped() {
        // GO-2025-3750's imports: `os` and `syscall`, windows only.
        let windows_only = imports(serde_json::json!({"imports": [
            {"path": "os", "goos": ["windows"], "symbols": ["Open"]},
            {"path": "syscall", "goos": ["windows"], "symbols": ["Open"]}]}));
        let mut bin = linked(&[("os", &["Open"]), ("syscall", &["Open"])], None);
        // Platform unknown: nothing is ruled out.
        assert!(matches!(
            verdict(&bin, &windows_only),
            Reachability::SymbolsPresent { .. }
        ));
        bin.goos = Some("linux".into());
        bin.goarch = Some("amd64".into());
        let v = verdict(&bin, &windows_only);
        assert_eq!(
            v,
            Reachability::PlatformNotAffected {
                platform: "linux/amd64".into(),
                affected: vec!["windows".into()]
            }
        );
        assert!(v.code_absent());
        assert_eq!(
            serde_json::to_value(&v).expect("json")["reachability"],
            "platform_not_affected"
        );
        bin.goos = Some("windows".into());
        assert!(matches!(
            verdict(&bin, &windows_only),
            Reachability::SymbolsPresent { .. }
        ));
        // Only the imports for this platform count.
        let mixed = imports(serde_json::json!({"imports": [
            {"path": "crypto/elliptic", "goarch": ["amd64"], "symbols": ["p256"]},
            {"path": "net/smtp", "goarch": ["386", "arm"]}]}));
        bin.goarch = Some("arm".into());
        assert!(matches!(
            verdict(&bin, &mixed),
            Reachability::PackageNotLinked { packages } if packages == ["net/smtp"]
        ));
    }

    #[test]
    fn rust_functions_against_symbols() {
        let bin = linked(&[("smallvec", &["smallvec::SmallVec::push"])], None);
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches!(
            rust_verdict(&bin, "smallvec", &f(&["smallvec::SmallVec::insert_many"])),
            Reachability::SymbolsNotFound { packages } if packages == ["smallvec"]
        ));
        // A missing symbol is no proof: not filtered by --linked-only.
        assert!(
            !Reachability::SymbolsNotFound {
                packages: vec!["smallvec".into()]
            }
            .code_absent()
        );
        assert_eq!(
            rust_verdict(&bin, "smallvec", &f(&["smallvec::SmallVec::push"])),
            Reachability::SymbolsPresent {
                symbols: vec!["smallvec::SmallVec::push".into()]
            }
        );
        // No symbol of the crate at all, no functions named, no symbol table: unknown.
        for (b, name, fns) in [
            (&bin, "lock-api", f(&["lock_api::MappedMutexGuard"])),
            (&bin, "smallvec", vec![]),
            (
                &linked(&[], Some("no Rust function symbols")),
                "smallvec",
                f(&["smallvec::SmallVec::push"]),
            ),
        ] {
            assert!(matches!(
                rust_verdict(b, name, &fns),
                Reachability::Unknown { .. }
            ));
        }
    }

    #[test]
    fn serializes_tagged() {
        let r = Reachability::SymbolsPresent {
            symbols: vec!["net/http.Server.Serve".into()],
        };
        assert_eq!(
            serde_json::to_value(&r).expect("json"),
            serde_json::json!({"reachability": "symbols_present", "symbols": ["net/http.Server.Serve"]})
        );
    }
}
