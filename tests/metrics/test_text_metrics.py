"""Text metrics against sacrebleu, NLTK, rouge_score and pycocoevalcap, and hand-worked multi-reference cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sacrebleu
from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu

from benchmark.errors import InputError
from benchmark.metrics import text
from benchmark.metrics.base import MissingMetricResource

PREDICTIONS = [
    "The person is standing with the left arm raised above the head.",
    "Someone kneels on the right knee, hands on the hips.",
    "The body leans forward; both arms stretch out in front.",
    "A man sits on the floor with legs crossed.",
    "The left leg is lifted behind, the torso bends forward.",
    "She squats down, knees wide apart, arms between the legs.",
    "The figure lies on its back, arms along the body.",
    "Standing straight, he raises both hands up high.",
]
REFERENCES = [
    ["The person stands and raises the left arm above the head.", "Left arm up above the head, standing."],
    ["The person kneels on the right knee with both hands on the hips.", "Kneeling on one knee, hands on hips."],
    ["The body leans forward with both arms stretched out in front.", "Leaning forward, arms extended."],
    ["A man sits cross-legged on the floor.", "Sitting on the ground with crossed legs."],
    ["The left leg is lifted backward while the torso bends forward.", "Torso bent forward, left leg up behind."],
    ["She is squatting with her knees wide apart and her arms between her legs.", "Deep squat, knees apart."],
    ["The person lies on the back with the arms along the body.", "Lying supine, arms by the sides."],
    ["He stands straight and raises both hands up high.", "Both hands raised high while standing upright."],
]


# ---------------------------------------------------------------------------------------------------- BLEU
def test_bleu_matches_sacrebleu_and_nltk_with_single_references():
    refs = [r[:1] for r in REFERENCES]  # one reference: the closest length is the shortest
    ours = text.bleu(PREDICTIONS, refs)
    sb = sacrebleu.corpus_bleu(PREDICTIONS, [[r[0] for r in refs]], tokenize="13a", smooth_method="none",
                               lowercase=False)
    assert ours.value == pytest.approx(sb.score, rel=1e-12)
    np.testing.assert_allclose(np.array(ours.details["precisions"]) * 100, sb.precisions, rtol=1e-12)
    assert ours.details["brevity_penalty"] == pytest.approx(sb.bp, rel=1e-12)
    assert (ours.details["translation_length"], ours.details["reference_length"]) == (sb.sys_len, sb.ref_len)
    tok = sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a()
    nltk_value = nltk_corpus_bleu([[tok(r[0]).split()] for r in refs], [tok(p).split() for p in PREDICTIONS])
    assert ours.details["bleu"] == pytest.approx(nltk_value, rel=1e-12)


def test_bleu_is_case_sensitive_and_splits_punctuation_like_13a():
    assert text.bleu(["The man raises his arms."], [["the man raises his arms."]]).value < 100.0
    assert text.bleu(["The man raises his arms."], [["The man raises his arms ."]]).value == pytest.approx(100.0)


def test_bleu_hugging_face_documented_example():
    score = text.bleu(["hello there general kenobi", "foo bar foobar"],
                      [["hello there general kenobi", "hello there !"], ["foo bar foobar"]])
    assert score.details["bleu"] == 1.0
    assert (score.details["translation_length"], score.details["reference_length"]) == (7, 6)
    assert score.details["length_ratio"] == pytest.approx(7 / 6)


def test_bleu_hand_worked_multi_reference_clipping_and_shortest_reference():
    # item 1: 9 tokens, all n-grams in reference 1; references of 10 and 5 tokens (shortest 5, closest 10).
    # item 2: "the" x4 clipped to 2 (max count over references), "the the" x3 clipped to 1, no 3- or 4-grams.
    preds = ["a b c d e f g h i", "the the the the"]
    refs = [["a b c d e f g h i j", "x y z w v"], ["the cat sat", "the the dog"]]
    score = text.bleu(preds, refs)
    # matches 11/13, 9/11, 7/9, 6/7; lengths 13 vs 5 + 3 = 8, so no brevity penalty.
    assert score.details["precisions"] == pytest.approx([11 / 13, 9 / 11, 7 / 9, 6 / 7])
    assert score.details["reference_length"] == 8 and score.details["brevity_penalty"] == 1.0
    assert score.details["bleu"] == pytest.approx((6 / 13) ** 0.25, rel=1e-12)
    # sacrebleu measures brevity against the closest reference (10 + 3 = 13 here): same value, as 13 = 13.
    # With the first item alone the two differ: shortest 5 (no penalty) vs closest 10 (penalty exp(1 - 10/9)).
    alone = text.bleu(preds[:1], refs[:1])
    assert alone.details["bleu"] == pytest.approx(1.0)
    closest = sacrebleu.corpus_bleu(preds[:1], [[refs[0][0]], [refs[0][1]]], tokenize="13a", smooth_method="none")
    assert closest.bp == pytest.approx(math.exp(1 - 10 / 9))


def test_bleu_brevity_penalty_and_zero_precision():
    short = text.bleu(["a b c d e"], [["a b c d e f g h", "a b c d e f"]])
    assert short.details["bleu"] == pytest.approx(math.exp(1 - 6 / 5))  # shortest reference: 6 tokens
    assert text.bleu(["a b c"], [["a b c d"]]).value == 0.0  # no 4-gram in the corpus: precision 0, no smoothing
    assert text.bleu([""], [["a b c d"]]).value == 0.0


def test_bleu_statistics_sum_to_the_corpus_score():
    stats = text.bleu_statistics(PREDICTIONS, REFERENCES)
    subset = [0, 2, 5, 7]
    direct = text.bleu([PREDICTIONS[i] for i in subset], [REFERENCES[i] for i in subset]).value
    assert text.bleu_from_statistics(stats[subset].sum(0)) == pytest.approx(direct, rel=1e-12)
    batch = np.stack([stats.sum(0), stats[subset].sum(0)])
    np.testing.assert_allclose(text.bleu_from_statistics(batch), [text.bleu(PREDICTIONS, REFERENCES).value, direct])


# ------------------------------------------------------------------------------------------------- ROUGE-L
def test_rouge_l_hand_worked_lcs():
    # "she sits" vs "she sits down": LCS 2, P = 1, R = 2/3, F = 0.8 (better than "she is sitting": F = 0.4)
    per_item = text.rouge_l_per_item(["she sits", "the man raises his left arm"],
                                     [["she is sitting", "she sits down"], ["the man raises his left arm"]])
    np.testing.assert_allclose(per_item, [0.8, 1.0])


def test_rouge_l_per_item_equals_rouge_scores_own_table_on_random_texts():
    """The LCS length from rapidfuzz against rouge_score's pure-Python table, on texts drawn from a small vocabulary
    (long common subsequences, repeated words), with punctuation, case, and texts that tokenize to nothing."""
    from rouge_score import rouge_scorer

    rng = np.random.default_rng(11)
    vocab = ["the", "left", "right", "arm", "Arm", "leg", "is", "bent", "raised", ",", ".", "90", "knee's", "--"]

    def draw():
        return " ".join(rng.choice(vocab, size=int(rng.integers(0, 25))))

    preds = [draw() for _ in range(300)]
    refs = [[draw() for _ in range(int(rng.integers(1, 4)))] for _ in range(300)]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    expected = [scorer.score_multi(r, p)["rougeL"].fmeasure for p, r in zip(preds, refs)]
    assert text.rouge_l_per_item(preds, refs).tolist() == expected  # the same floats, not merely close
    assert min(expected) == 0.0 and len(set(expected)) > 50  # empty texts met, and many distinct values


def test_rouge_l_matches_rouge_score_and_is_seeded():
    from rouge_score import rouge_scorer, scoring

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    best = [max(scorer.score(r, p)["rougeL"].fmeasure for r in refs) for p, refs in zip(PREDICTIONS, REFERENCES)]
    np.testing.assert_allclose(text.rouge_l_per_item(PREDICTIONS, REFERENCES), best)
    np.random.seed(123)
    state = np.random.get_state()
    ours = text.rouge_l(PREDICTIONS, REFERENCES, seed=7)
    assert np.array_equal(np.random.get_state()[1], state[1])  # the caller's global RNG is untouched
    agg = scoring.BootstrapAggregator()
    for f in best:
        agg.add_scores({"rougeL": scoring.Score(0.0, 0.0, f)})
    np.random.seed(7)
    assert ours.value == pytest.approx(100 * agg.aggregate()["rougeL"].mid.fmeasure, rel=1e-12)
    assert text.rouge_l(PREDICTIONS, REFERENCES, seed=7).value == ours.value
    assert abs(ours.value - 100 * np.mean(best)) < 3.0  # the bootstrap median sits near the mean
    assert "seed 7" in ours.protocol


# -------------------------------------------------------------------------------------------------- METEOR
def test_meteor_tokenizer_splits_sentences_then_words():
    assert text.meteor_tokenize("The man raises his arms. He is kneeling, isn't he?") == [
        "The", "man", "raises", "his", "arms", ".", "He", "is", "kneeling", ",", "is", "n't", "he", "?"]
    assert text.meteor_tokenize("Arms 1.5 m apart.") == ["Arms", "1.5", "m", "apart", "."]


def test_meteor_matches_nltk(wordnet):
    from nltk.translate.meteor_score import meteor_score

    hypothesis = "It is a guide to action which ensures that the military always obeys the commands of the party"
    references = ["It is a guide to action that ensures that the military will forever heed Party commands",
                  "It is the guiding principle which guarantees the military forces always being under the command of "
                  "the Party", "It is the practical guide for the army always to heed the directions of the party"]
    assert text.meteor([hypothesis], [references]).value == pytest.approx(69.44, abs=0.005)  # NLTK's doc value
    expected = [meteor_score([text.meteor_tokenize(r) for r in refs], text.meteor_tokenize(p), wordnet=wordnet)
                for p, refs in zip(PREDICTIONS, REFERENCES)]
    score = text.meteor(PREDICTIONS, REFERENCES)
    assert score.value == pytest.approx(100 * np.mean(expected), rel=1e-12)
    assert "punkt" in score.protocol
    shifted = text.meteor(PREDICTIONS, REFERENCES, gamma=0.9)
    expected_g = [meteor_score([text.meteor_tokenize(r) for r in refs], text.meteor_tokenize(p), wordnet=wordnet,
                               gamma=0.9) for p, refs in zip(PREDICTIONS, REFERENCES)]
    assert shifted.value == pytest.approx(100 * np.mean(expected_g), rel=1e-12)


def test_wordnet_is_found_in_the_suite_data_dir_and_registered_with_nltk(monkeypatch, tmp_path):
    import nltk

    corpus = tmp_path / "home" / "nltk_data" / "corpora" / "wordnet"
    corpus.mkdir(parents=True)
    (corpus / "lexnames").write_text("00\tadj.all\t3\n")
    monkeypatch.delenv("NLTK_DATA", raising=False)
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(nltk.data, "path", list(nltk.data.path))
    monkeypatch.setattr(text, "_wordnet_reader", lambda root: root)  # the folder it would read
    assert text.load_wordnet() == str(corpus)
    assert str(tmp_path / "home" / "nltk_data") in nltk.data.path  # NLTK only reads corpora under its data path


def test_missing_wordnet_says_how_to_fetch_it(monkeypatch, tmp_path):
    monkeypatch.setenv("NLTK_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("UNIPOSE_BENCH_HOME", str(tmp_path / "home"))
    with pytest.raises(MissingMetricResource, match=r"bash scripts/fetch_wordnet\.sh"):
        text.meteor(["a"], [["a"]])


# -------------------------------------------------------------------------------------------- COCO caption
IDENTICAL = ("The person raises both arms.", ["The person raises both arms."])


@pytest.fixture(scope="module")
def coco(java):
    # One call for all the COCO checks: METEOR 1.5 spends ~12 s loading its paraphrase table at each start.
    return text.coco_caption_scores(PREDICTIONS + [IDENTICAL[0]], REFERENCES + [IDENTICAL[1]])


def test_coco_caption_matches_pycocoevalcap_run_directly(coco):
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    preds, references = PREDICTIONS + [IDENTICAL[0]], REFERENCES + [IDENTICAL[1]]
    tok = PTBTokenizer()
    gts = tok.tokenize({i: [{"caption": r} for r in refs] for i, refs in enumerate(references)})
    res = tok.tokenize({i: [{"caption": p}] for i, p in enumerate(preds)})
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    assert [coco[f"Bleu_{k}"].value for k in (1, 2, 3, 4)] == pytest.approx([100 * b for b in bleu], rel=1e-12)
    assert coco["ROUGE_L"].value == pytest.approx(100 * Rouge().compute_score(gts, res)[0], rel=1e-12)
    assert coco["CIDEr"].value == pytest.approx(100 * Cider().compute_score(gts, res)[0], rel=1e-12)
    assert 0 < coco["METEOR"].value < 100
    assert "SPICE not computed" in coco.protocol
    # An independent check of its BLEU-4: sacrebleu on the PTB-tokenised texts with every reference stream
    # (pycocoevalcap also measures brevity against the closest reference and adds only a 1e-9 smoothing).
    n = len(preds)
    streams = [[gts[i][j] if j < len(gts[i]) else None for i in range(n)] for j in range(2)]
    sb = sacrebleu.corpus_bleu([res[i][0] for i in range(n)], streams, tokenize="none", smooth_method="none")
    assert coco["Bleu_4"].value == pytest.approx(sb.score, rel=1e-6)


def test_coco_caption_identical_texts_score_top(coco):
    assert coco["Bleu_4"].details["per_item"][-1] == pytest.approx(100.0, abs=1e-4)
    assert coco["ROUGE_L"].details["per_sample"][-1] == pytest.approx(100.0)
    assert coco["METEOR"].details["per_item"][-1] > coco["METEOR"].details["per_item"][:-1].max()


# ---------------------------------------------------------------------------------------------- bad input
def test_text_inputs_are_checked():
    with pytest.raises(InputError, match="2 predictions but 1 reference lists"):
        text.bleu(["a", "b"], [["a"]])
    with pytest.raises(InputError, match=r"row 1.*'predictions'.*string"):
        text.bleu(["a", 3], [["a"], ["b"]])
    with pytest.raises(InputError, match=r"row 0.*at least one reference"):
        text.rouge_l(["a"], [[]])
    with pytest.raises(InputError, match=r"row 0.*reference strings"):
        text.bleu(["a"], [[None]])
    with pytest.raises(InputError, match="no items"):
        text.bleu([], [])
    assert text.bleu(["a b c d"], ["a b c d"]).value == 100.0  # a bare string is one reference


def test_coco_scorer_subset(java):
    scores = text.coco_caption_scores(PREDICTIONS[:2], REFERENCES[:2], scorers=("Bleu", "CIDEr"))
    assert list(scores) == ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "CIDEr"]
    with pytest.raises(InputError, match="COCO scorers"):
        text.coco_caption_scores(PREDICTIONS[:2], REFERENCES[:2], scorers=("SPICE",))
