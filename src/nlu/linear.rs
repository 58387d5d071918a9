//! A multinomial logistic regression over TF-IDF weighted sparse features, trained on the
//! phrasebook's paraphrases when the engine is built. Small enough to train in well under
//! a second, and it generalises across wordings far better than retrieval alone.

use std::collections::HashMap;

/// A sparse, L2-normalised feature vector.
pub type SparseVec = Vec<(u32, f32)>;

#[derive(Debug, Clone)]
pub struct Vectorizer {
    vocab: HashMap<String, u32>,
    idf: Vec<f32>,
}

impl Vectorizer {
    /// Learns the vocabulary and inverse document frequencies of `docs`.
    pub fn fit(docs: &[Vec<String>]) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        for doc in docs {
            let mut seen: Vec<u32> = Vec::with_capacity(doc.len());
            for f in doc {
                let next = vocab.len() as u32;
                let id = *vocab.entry(f.clone()).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                seen.push(id);
            }
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                df[id as usize] += 1;
            }
        }
        let n = docs.len() as f32;
        let idf = df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        Self { vocab, idf }
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// Sublinear TF times IDF, L2-normalised; features never seen in training are dropped.
    pub fn transform(&self, features: &[String]) -> SparseVec {
        let mut counts: HashMap<u32, f32> = HashMap::with_capacity(features.len());
        for f in features {
            if let Some(&id) = self.vocab.get(f) {
                *counts.entry(id).or_default() += 1.0;
            }
        }
        let mut v: SparseVec = counts
            .into_iter()
            .map(|(id, tf)| (id, (1.0 + tf.ln()) * self.idf[id as usize]))
            .collect();
        v.sort_unstable_by_key(|&(id, _)| id);
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, x)| *x /= norm);
        }
        v
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TrainParams {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            epochs: 25,
            learning_rate: 0.5,
            l2: 1e-5,
            seed: 0x5eed,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SoftmaxModel {
    classes: usize,
    /// Row-major: `weights[feature * classes + class]`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl SoftmaxModel {
    /// Trains on `(vector, class)` samples with SGD; classes are weighted by inverse
    /// frequency so a large fallback class does not swallow the small ones.
    #[cfg(test)]
    pub fn train(
        samples: &[(SparseVec, usize)],
        features: usize,
        classes: usize,
        p: TrainParams,
    ) -> Self {
        let keys: Vec<u64> = (0..samples.len() as u64).collect();
        Self::train_keyed(samples, &keys, features, classes, p)
    }

    /// Trains with each sample visited in an order fixed by its `key` (a digest of its
    /// text): adding or removing one paraphrase leaves every other sample's place, so a
    /// small phrasebook change makes a small model change (the office's gate depends on it).
    pub fn train_keyed(
        samples: &[(SparseVec, usize)],
        keys: &[u64],
        features: usize,
        classes: usize,
        p: TrainParams,
    ) -> Self {
        let mut m = Self {
            classes,
            weights: vec![0.0; features * classes],
            bias: vec![0.0; classes],
        };
        if samples.is_empty() || classes == 0 {
            return m;
        }
        let mut counts = vec![0usize; classes];
        samples.iter().for_each(|(_, c)| counts[*c] += 1);
        let mean = samples.len() as f32 / counts.iter().filter(|&&c| c > 0).count() as f32;
        let class_weight: Vec<f32> = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    (mean / c as f32).sqrt()
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..samples.len()).collect();
        let mut probs = vec![0.0f32; classes];
        for epoch in 0..p.epochs {
            let salt = p.seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            order.sort_by_key(|&i| (mix(keys.get(i).copied().unwrap_or(i as u64) ^ salt), i));
            let lr = p.learning_rate / (1.0 + epoch as f32 * 0.2);
            let decay = 1.0 - lr * p.l2 * samples.len() as f32;
            for &i in &order {
                let (x, y) = &samples[i];
                m.probabilities_into(x, &mut probs);
                let w = class_weight[*y] * lr;
                for (c, prob) in probs.iter().enumerate() {
                    let g = (prob - if c == *y { 1.0 } else { 0.0 }) * w;
                    m.bias[c] -= g;
                    for &(f, v) in x {
                        m.weights[f as usize * classes + c] -= g * v;
                    }
                }
            }
            if decay < 1.0 {
                m.weights.iter_mut().for_each(|w| *w *= decay.max(0.0));
            }
        }
        m
    }

    pub fn logits_into(&self, x: &[(u32, f32)], out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        for &(f, v) in x {
            let row = &self.weights[f as usize * self.classes..(f as usize + 1) * self.classes];
            out.iter_mut().zip(row).for_each(|(o, w)| *o += w * v);
        }
    }

    fn probabilities_into(&self, x: &[(u32, f32)], out: &mut [f32]) {
        self.logits_into(x, out);
        softmax(out);
    }
}

pub fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    v.iter_mut().for_each(|x| {
        *x = (*x - max).exp();
        sum += *x;
    });
    if sum > 0.0 {
        v.iter_mut().for_each(|x| *x /= sum);
    }
}

/// splitmix64's finaliser: a well-spread 64-bit hash of one number.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn learns_a_separable_problem() {
        let docs = vec![
            doc("warm cold radiator"),
            doc("radiator cold"),
            doc("pay bill money"),
            doc("bill pay"),
        ];
        let v = Vectorizer::fit(&docs);
        let samples: Vec<_> = docs
            .iter()
            .zip([0, 0, 1, 1])
            .map(|(d, c)| (v.transform(d), c))
            .collect();
        let m = SoftmaxModel::train(&samples, v.len(), 2, TrainParams::default());
        let mut out = vec![0.0; 2];
        m.logits_into(&v.transform(&doc("cold radiator")), &mut out);
        assert!(out[0] > out[1]);
        m.logits_into(&v.transform(&doc("money")), &mut out);
        assert!(out[1] > out[0]);
    }

    #[test]
    fn unknown_features_are_dropped_and_vectors_normalised() {
        let v = Vectorizer::fit(&[doc("a b"), doc("b c")]);
        let x = v.transform(&doc("a a zzz"));
        assert_eq!(x.len(), 1);
        assert!((x[0].1 - 1.0).abs() < 1e-6);
        assert!(v.transform(&doc("zzz")).is_empty());
    }
}
