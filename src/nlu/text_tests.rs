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

#[test]
fn engines_over_the_same_words_share_one_analyzer() {
    let sets = vec![SynonymSet {
        canonical: "暖气".into(),
        words: vec!["暧气".into()],
    }];
    let a = Analyzer::shared(&sets, "报停 2000 v\n").expect("analyzer");
    let b = Analyzer::shared(&sets, "报停 2000 v\n").expect("analyzer");
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    let other = Analyzer::shared(&sets, "报停 2000 v\n复供 2000 v\n").expect("analyzer");
    assert!(
        !std::sync::Arc::ptr_eq(&a, &other),
        "another user dictionary"
    );
    assert_eq!(other.words("申请复供"), vec!["申请", "复供"]);
    let fewer = Analyzer::shared(&[], "报停 2000 v\n").expect("analyzer");
    assert!(!std::sync::Arc::ptr_eq(&a, &fewer), "other synonyms");
}
