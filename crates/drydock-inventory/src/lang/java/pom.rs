//! `pom.xml` in checkouts: the `project/dependencies/dependency` elements whose version is
//! literal, or a `${property}` defined in the same pom's `<properties>` (or
//! `${project.version}`). Versions from a parent pom, a BOM (`dependencyManagement` of
//! another pom) or a profile need Maven's model building and are left out; so are `test`
//! scope dependencies (not shipped) and the project itself (the thing being scanned).

use std::collections::BTreeMap;

use drydock_package::{Ecosystem, Package};
use quick_xml::XmlVersion;
use quick_xml::events::Event;

use crate::AnalyzeError;
use crate::lang::text_lockfile::TextLockfile;

pub(crate) const POM: TextLockfile = TextLockfile {
    name: "pom",
    is_named: |name| name == "pom.xml",
    parse: parse_pom,
};

#[derive(Default)]
struct Dependency {
    group: String,
    artifact: String,
    version: String,
    scope: String,
}

fn parse_pom(text: &str) -> Result<Vec<Package>, AnalyzeError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut properties: BTreeMap<String, String> = BTreeMap::new();
    let mut deps: Vec<Dependency> = Vec::new();
    let mut current: Option<Dependency> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            AnalyzeError::malformed(format!(
                "invalid XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                stack.push(name);
                if is_path(&stack, &["project", "dependencies", "dependency"]) {
                    current = Some(Dependency::default());
                }
            }
            Event::End(_) => {
                if is_path(&stack, &["project", "dependencies", "dependency"]) {
                    deps.extend(current.take());
                }
                stack.pop();
            }
            Event::Text(t) => {
                let value = t.xml_content(XmlVersion::Implicit1_0);
                let value = value.trim();
                if value.is_empty() {
                    continue;
                }
                let [.., parent, leaf] = stack.as_slice() else {
                    continue;
                };
                if stack.len() == 3 && stack[0] == "project" && parent == "properties" {
                    properties.insert(leaf.clone(), value.to_string());
                } else if is_path(
                    &stack[..stack.len().saturating_sub(1)],
                    &["project", "dependencies", "dependency"],
                ) {
                    if let Some(d) = current.as_mut() {
                        match leaf.as_str() {
                            "groupId" => d.group = value.to_string(),
                            "artifactId" => d.artifact = value.to_string(),
                            "version" => d.version = value.to_string(),
                            "scope" => d.scope = value.to_string(),
                            _ => {}
                        }
                    }
                } else if stack.len() == 2 && stack[0] == "project" && leaf == "version" {
                    properties.insert("project.version".into(), value.to_string());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(AnalyzeError::malformed(format!(
            "unclosed `<{}>`",
            stack.join("><")
        )));
    }
    let mut out = Vec::new();
    for d in deps {
        if d.scope == "test" || d.group.is_empty() || d.artifact.is_empty() {
            continue;
        }
        let version = match d
            .version
            .strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
        {
            Some(prop) => match properties.get(prop) {
                Some(v) if !v.contains("${") => v.clone(),
                _ => continue,
            },
            None if d.version.is_empty() || d.version.contains("${") => continue,
            None => d.version,
        };
        out.push(Package::new(
            Ecosystem::Maven,
            &format!("{}:{}", d.group, d.artifact),
            version,
        ));
    }
    Ok(out)
}

fn is_path(stack: &[String], path: &[&str]) -> bool {
    stack.len() == path.len() && stack.iter().zip(path).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_property_versions() {
        let pom = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <version>2.0</version>
  <properties><jackson.version>2.13.0</jackson.version></properties>
  <dependencyManagement><dependencies><dependency>
    <groupId>x</groupId><artifactId>managed</artifactId><version>9</version>
  </dependency></dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency>
    <dependency><groupId>a</groupId><artifactId>self</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>a</groupId><artifactId>from-parent</artifactId></dependency>
    <dependency><groupId>a</groupId><artifactId>unknown</artifactId><version>${nope}</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.12</version><scope>test</scope></dependency>
  </dependencies>
</project>"#;
        let p = parse_pom(pom).expect("parses");
        let got: Vec<_> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                "org.apache.logging.log4j:log4j-core@2.14.1",
                "com.fasterxml.jackson.core:jackson-databind@2.13.0",
                "a:self@2.0"
            ]
        );
    }

    #[test]
    fn malformed() {
        assert!(parse_pom("<project><dependencies></project>").is_err());
        assert!(parse_pom("<project><dependencies>").is_err());
    }
}
