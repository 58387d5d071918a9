use super::*;

fn analyzer() -> Analyzer {
    let sets = vec![SynonymSet {
        canonical: "暖气".into(),
        words: vec!["暧气".into(), "供暖".into()],
    }];
    Analyzer::new(&sets, "报停 2000 v\n").expect("analyzer")
}

#[test]
fn width_case_and_space_are_folded() {
    assert_eq!(normalize("  ＡＢＣ１２３\t abc "), "abc123 abc");
}

#[test]
fn typos_and_synonyms_become_the_canonical_word() {
    let a = analyzer();
    assert_eq!(a.canonical("暧气不热"), "暖气不热");
    assert!(a
        .words(&a.canonical("我家供暖不好"))
        .contains(&"暖气".to_string()));
}

#[test]
fn user_dictionary_words_stay_whole() {
    let a = analyzer();
    assert!(a.words("我要报停").contains(&"报停".to_string()));
}

#[test]
fn numbers_become_classes() {
    let a = analyzer();
    let f = a.features("户号1020304050");
    assert!(f.contains(&"w:#long_number".to_string()));
    assert!(f.contains(&"c:号#".to_string()));
    assert!(!f.iter().any(|x| x.contains('5')));
}
