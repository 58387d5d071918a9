//! The conversations residents run, read from a TOML data file, and the seeded weighted
//! choice of the next one.

use std::collections::BTreeMap;
use std::fmt;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::Rng;
use serde::Deserialize;

/// The scripts shipped with loadgen (`crates/loadgen/scripts.toml`).
pub const BUNDLED: &str = include_str!("../scripts.toml");

/// The mixes a run can ask for; the file must define each of them.
pub const MIXES: [&str; 3] = ["questions", "transactions", "mixed"];

/// One conversation: the messages a resident sends, in order.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Unique name, used in the report.
    pub name: String,
    /// `question`, `chatter`, `transaction`, `handoff`: what the mixes weigh.
    pub kind: String,
    /// Weight within its kind.
    #[serde(default = "one")]
    pub weight: f64,
    /// Needs an OpenID with no history (see `scripts.toml`).
    #[serde(default)]
    pub fresh: bool,
    /// The messages, in order.
    pub steps: Vec<String>,
    /// Texts of which one must appear in the answer to the last step.
    #[serde(default)]
    pub expect: Texts,
    /// Texts that end the script early when a reply contains one (a refusal, say).
    #[serde(default)]
    pub end_on: Texts,
}

fn one() -> f64 {
    1.0
}

/// `key = "text"` or `key = ["text", "other text"]`: texts looked for in a reply.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(from = "TextsRepr")]
pub struct Texts(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum TextsRepr {
    One(String),
    Any(Vec<String>),
}

impl From<TextsRepr> for Texts {
    fn from(repr: TextsRepr) -> Self {
        match repr {
            TextsRepr::One(text) => Self(vec![text]),
            TextsRepr::Any(texts) => Self(texts),
        }
    }
}

impl Texts {
    /// Whether any text is given.
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    /// Whether `reply` contains one of the texts.
    pub fn found_in(&self, reply: &str) -> bool {
        self.0.iter().any(|text| reply.contains(text.as_str()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    mix: BTreeMap<String, BTreeMap<String, f64>>,
    script: Vec<Script>,
}

/// A scripts file that cannot be used.
#[derive(Debug, PartialEq)]
pub struct ScriptsError(String);

impl fmt::Display for ScriptsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScriptsError {}

fn invalid(message: impl Into<String>) -> ScriptsError {
    ScriptsError(message.into())
}

/// Every script of a file and every mix, checked.
#[derive(Clone, Debug)]
pub struct Scripts {
    scripts: Vec<Script>,
    mixes: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Scripts {
    /// Parses and checks a scripts file: names unique, every script with at least one
    /// non-blank step and a positive weight, every mix of [`MIXES`] defined and every kind
    /// it weighs backed by at least one script.
    pub fn parse(text: &str) -> Result<Self, ScriptsError> {
        let file: File = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut names = std::collections::BTreeSet::new();
        for script in &file.script {
            if script.name.trim().is_empty() {
                return Err(invalid("a script has an empty name"));
            }
            if !names.insert(script.name.as_str()) {
                return Err(invalid(format!(
                    "script {:?} is defined twice",
                    script.name
                )));
            }
            if script.steps.is_empty() || script.steps.iter().any(|s| s.trim().is_empty()) {
                return Err(invalid(format!(
                    "script {:?} needs steps, none of them blank",
                    script.name
                )));
            }
            if script
                .expect
                .0
                .iter()
                .chain(&script.end_on.0)
                .any(|t| t.is_empty())
            {
                return Err(invalid(format!(
                    "script {:?}: expect and end_on texts must not be empty",
                    script.name
                )));
            }
            if !(script.weight.is_finite() && script.weight > 0.0) {
                return Err(invalid(format!(
                    "script {:?}: weight must be positive",
                    script.name
                )));
            }
        }
        for name in MIXES {
            let Some(shares) = file.mix.get(name) else {
                return Err(invalid(format!("mix {name:?} is not defined")));
            };
            if !shares.values().any(|share| *share > 0.0) {
                return Err(invalid(format!("mix {name:?} gives no kind a share")));
            }
            for (kind, share) in shares {
                if !(share.is_finite() && *share >= 0.0) {
                    return Err(invalid(format!(
                        "mix {name:?}: share of {kind:?} is invalid"
                    )));
                }
                if *share > 0.0 && !file.script.iter().any(|s| &s.kind == kind) {
                    return Err(invalid(format!(
                        "mix {name:?} weighs kind {kind:?}, which has no script"
                    )));
                }
            }
        }
        Ok(Self {
            scripts: file.script,
            mixes: file.mix,
        })
    }

    /// The scripts shipped with loadgen.
    pub fn bundled() -> Result<Self, ScriptsError> {
        Self::parse(BUNDLED)
    }

    /// All scripts, in file order.
    pub fn all(&self) -> &[Script] {
        &self.scripts
    }

    /// A picker for the mix called `name`, limited to the scripts named in `only` when it
    /// is not empty (each then with its weight in the file).
    pub fn picker_only(&self, name: &str, only: &[String]) -> Result<Picker, ScriptsError> {
        if only.is_empty() {
            return self.picker(name);
        }
        for wanted in only {
            if !self.scripts.iter().any(|s| &s.name == wanted) {
                return Err(invalid(format!("no script is called {wanted:?}")));
            }
        }
        let scripts: Vec<Script> = self
            .scripts
            .iter()
            .filter(|s| only.contains(&s.name))
            .cloned()
            .collect();
        let weights: Vec<f64> = scripts.iter().map(|s| s.weight).collect();
        let index = WeightedIndex::new(&weights).map_err(|e| invalid(e.to_string()))?;
        Ok(Picker { scripts, index })
    }

    /// A picker for the mix called `name`.
    pub fn picker(&self, name: &str) -> Result<Picker, ScriptsError> {
        let shares = self
            .mixes
            .get(name)
            .ok_or_else(|| invalid(format!("mix {name:?} is not defined")))?;
        let mut kind_totals: BTreeMap<&str, f64> = BTreeMap::new();
        for script in &self.scripts {
            *kind_totals.entry(script.kind.as_str()).or_default() += script.weight;
        }
        // A script's chance: its kind's share of the mix, split by weight within the kind.
        let mut chosen = Vec::new();
        let mut weights = Vec::new();
        for script in &self.scripts {
            let share = shares.get(&script.kind).copied().unwrap_or(0.0);
            let total = kind_totals
                .get(script.kind.as_str())
                .copied()
                .unwrap_or(0.0);
            if share > 0.0 && total > 0.0 {
                chosen.push(script.clone());
                weights.push(share * script.weight / total);
            }
        }
        let index = WeightedIndex::new(&weights).map_err(|e| invalid(e.to_string()))?;
        Ok(Picker {
            scripts: chosen,
            index,
        })
    }
}

/// Chooses scripts by weight; the same random generator state gives the same choice.
#[derive(Clone, Debug)]
pub struct Picker {
    scripts: Vec<Script>,
    index: WeightedIndex<f64>,
}

impl Picker {
    /// The next script.
    pub fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> &Script {
        &self.scripts[self.index.sample(rng)]
    }

    /// The scripts this mix can choose from.
    pub fn scripts(&self) -> &[Script] {
        &self.scripts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const SMALL: &str = r#"
        [mix.mixed]
        a = 3
        b = 1
        [mix.questions]
        a = 1
        [mix.transactions]
        b = 1

        [[script]]
        name = "a1"
        kind = "a"
        steps = ["x"]

        [[script]]
        name = "a2"
        kind = "a"
        weight = 2
        steps = ["y"]

        [[script]]
        name = "b1"
        kind = "b"
        fresh = true
        steps = ["p", "q"]
        expect = ["done", "also done"]
    "#;

    fn names(picker: &Picker, seed: u64, n: usize) -> Vec<String> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| picker.pick(&mut rng).name.clone()).collect()
    }

    #[test]
    fn the_bundled_file_parses_and_every_script_has_steps() {
        let scripts = Scripts::bundled().unwrap_or_else(|e| panic!("scripts.toml: {e}"));
        assert!(scripts.all().len() >= 30);
        for script in scripts.all() {
            assert!(!script.steps.is_empty(), "{} has no steps", script.name);
            assert!(script.steps.iter().all(|s| !s.trim().is_empty()));
        }
        let questions = scripts
            .all()
            .iter()
            .filter(|s| s.kind == "question")
            .count();
        assert!(questions >= 20, "only {questions} questions");
        for mix in MIXES {
            let picker = scripts
                .picker(mix)
                .unwrap_or_else(|e| panic!("mix {mix}: {e}"));
            assert!(!picker.scripts().is_empty());
        }
    }

    #[test]
    fn mixes_only_choose_their_kinds() {
        let Ok(scripts) = Scripts::bundled() else {
            panic!("scripts.toml must parse")
        };
        let Ok(questions) = scripts.picker("questions") else {
            panic!("questions mix")
        };
        assert!(questions
            .scripts()
            .iter()
            .all(|s| s.kind == "question" || s.kind == "chatter"));
        let Ok(transactions) = scripts.picker("transactions") else {
            panic!("transactions mix")
        };
        assert!(transactions
            .scripts()
            .iter()
            .all(|s| s.steps.len() > 1 || s.kind == "handoff"));
        assert!(transactions.scripts().iter().all(|s| s.fresh));
        // The cold snap is its own mix: its scripts only, and in no other mix.
        let Ok(cold) = scripts.picker("cold-snap") else {
            panic!("cold-snap mix")
        };
        assert!(cold.scripts().iter().all(|s| s.kind == "cold_snap"));
        for mix in MIXES {
            let Ok(other) = scripts.picker(mix) else {
                panic!("{mix}")
            };
            assert!(
                other.scripts().iter().all(|s| s.kind != "cold_snap"),
                "{mix}"
            );
        }
    }

    #[test]
    fn weighted_picking_with_a_fixed_seed_is_deterministic() {
        let Ok(scripts) = Scripts::parse(SMALL) else {
            panic!("small file must parse")
        };
        let Ok(picker) = scripts.picker("mixed") else {
            panic!("mixed")
        };
        let first = names(&picker, 42, 200);
        assert_eq!(first, names(&picker, 42, 200));
        assert_ne!(first, names(&picker, 43, 200));
        // Shares: kind a 3/4 (a1 1/4, a2 1/2), kind b 1/4.
        let count = |n: &str| first.iter().filter(|x| x.as_str() == n).count();
        assert!((25..=75).contains(&count("a1")), "a1 {}", count("a1"));
        assert!((70..=130).contains(&count("a2")), "a2 {}", count("a2"));
        assert!((25..=75).contains(&count("b1")), "b1 {}", count("b1"));
    }

    #[test]
    fn expectations_read_as_one_text_or_several() {
        let Ok(scripts) = Scripts::parse(SMALL) else {
            panic!("small file must parse")
        };
        let b1 = &scripts.all()[2];
        assert!(b1.expect.found_in("all done now"));
        assert!(!b1.expect.found_in("nothing"));
        assert!(!scripts.all()[0].expect.is_set());
        assert!(!b1.end_on.is_set());
    }

    #[test]
    fn only_named_scripts_when_asked() {
        let Ok(scripts) = Scripts::parse(SMALL) else {
            panic!("small file must parse")
        };
        let Ok(picker) = scripts.picker_only("mixed", &["b1".to_owned()]) else {
            panic!("b1 exists")
        };
        assert!(names(&picker, 1, 20).iter().all(|n| n == "b1"));
        assert!(scripts.picker_only("mixed", &["nope".to_owned()]).is_err());
    }

    #[test]
    fn bad_files_are_refused() {
        let no_steps = SMALL.replace(r#"steps = ["x"]"#, "steps = []");
        assert!(Scripts::parse(&no_steps).is_err());
        let no_mix = SMALL.replace("[mix.transactions]\n        b = 1", "");
        assert!(Scripts::parse(&no_mix).is_err());
        let unknown_kind = SMALL.replace(
            "[mix.questions]\n        a = 1",
            "[mix.questions]\n        z = 1",
        );
        assert!(Scripts::parse(&unknown_kind).is_err());
        let twice = SMALL.replace(r#"name = "a2""#, r#"name = "a1""#);
        assert!(Scripts::parse(&twice).is_err());
    }
}
