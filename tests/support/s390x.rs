//! The names of an s390x catalog of `specs/catalog/` (`s390x-7.2.ron` for QEMU 7.2,
//! `s390x.ron` for the newest), read as data: the definitions in release order, the
//! features in bit order, the groups with their members. Test generators draw names from
//! them; the answers always come from the library. The features are checked against the
//! engine's (`Engine::all_features`), so the file is the data the engine was built from.
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
struct Raw {
    features: Vec<Named>,
    groups: Vec<RawGroup>,
    models: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct RawGroup {
    name: String,
    members: Vec<String>,
}

/// A feature group: its name and member features.
pub struct Group {
    pub name: String,
    pub members: BTreeSet<String>,
}

/// The names of one catalog.
pub struct Names {
    /// Definitions, in release order.
    pub definitions: Vec<String>,
    /// Features, in bit order.
    pub features: Vec<String>,
    /// Groups, in QEMU's order.
    pub groups: Vec<Group>,
}

impl Names {
    /// The catalog of QEMU 7.2 (`"7.2"`) or the newest (`"newest"`), checked against the
    /// engine's feature list.
    pub fn load(release: &str, engine: &cpucompat::Engine) -> Names {
        let file = match release {
            "7.2" => "s390x-7.2.ron",
            _ => "s390x.ron",
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("specs/catalog")
            .join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let raw: Raw = ron::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let names = Names {
            definitions: raw.models.into_iter().map(|m| m.name).collect(),
            features: raw.features.into_iter().map(|f| f.name).collect(),
            groups: raw
                .groups
                .into_iter()
                .map(|g| Group {
                    name: g.name,
                    members: g.members.into_iter().collect(),
                })
                .collect(),
        };
        assert_eq!(
            names.features,
            engine.all_features(),
            "{file} holds the engine's features"
        );
        names
    }

    /// A group by name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Whether a name is a feature.
    pub fn is_feature(&self, name: &str) -> bool {
        self.features.iter().any(|f| f == name)
    }

    /// Every feature name, then every group name: what a property may toggle.
    pub fn toggles(&self) -> Vec<String> {
        self.features
            .iter()
            .cloned()
            .chain(self.groups.iter().map(|g| g.name.clone()))
            .collect()
    }

    /// Every definition and its `-base` form, in release order.
    pub fn models(&self) -> Vec<String> {
        let mut v = Vec::new();
        for d in &self.definitions {
            v.push(d.clone());
            v.push(format!("{d}-base"));
        }
        v
    }

    /// Whether a props object sets a group and one of its members at once.
    pub fn group_and_member(&self, props: &serde_json::Map<String, serde_json::Value>) -> bool {
        props.keys().filter_map(|k| self.group(k)).any(|g| {
            props
                .keys()
                .filter(|k| self.is_feature(k))
                .any(|k| g.members.contains(k))
        })
    }

    /// QEMU's walk order of a set given as feature names in bit order: whole groups
    /// first (in group order, each taken when all its members are left), then the single
    /// features left.
    pub fn compressed(&self, set: &[String]) -> Vec<String> {
        let mut left: BTreeSet<&str> = set.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        if left.is_empty() {
            return out;
        }
        for g in &self.groups {
            if g.members.iter().all(|m| left.contains(m.as_str())) {
                for m in &g.members {
                    left.remove(m.as_str());
                }
                out.push(g.name.clone());
            }
        }
        out.extend(set.iter().filter(|f| left.contains(f.as_str())).cloned());
        out
    }
}
