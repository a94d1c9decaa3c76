"""Text metrics of the description / instruction tasks, with the semantics of the Hugging Face `evaluate` modules
PoseScript and UniPose used, plus the COCO-caption variants (naver/posescript `evaluate.compute_NLP_metrics`).

Inputs: `predictions` list[str] (one generated text per item) and `references` list[list[str]] (all reference texts
of each item; a bare string is taken as a single reference). Score values are in % (x100, as the papers report);
`details` keeps the raw fractions.

* bleu: corpus BLEU-4 over the whole set as HF "bleu" computes it (the tensorflow/nmt arithmetic): sacrebleu's 13a
  tokenizer, case-sensitive; per item, n-gram counts clipped by their maximum count over the item's references;
  matches and possible n-grams summed over the corpus; geometric mean of the 4 precisions (0 if any is 0, no
  smoothing); brevity penalty against the sum of each item's SHORTEST reference length.
* rouge_l: rouge_score's RougeScorer(["rougeL"]) (its default tokenizer, no stemming); per item the F-measure of the
  best reference (score_multi); aggregated with rouge_score's BootstrapAggregator and reported as its mid F.
* meteor: NLTK's meteor_score (alpha 0.9, beta 3, gamma 0.5), best reference per item, mean over items, WordNet 3.0.
* coco_caption_scores: pycocoevalcap's PTBTokenizer (Java), Bleu(4), METEOR 1.5 (Java), ROUGE-L and CIDEr.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmark import workspace
from benchmark.errors import InputError
from benchmark.metrics.base import MissingMetricResource, Score, Scores, check_seed

MAX_ORDER = 4
BLEU_PROTOCOL = "hf-evaluate-bleu (sacrebleu 13a, case-sensitive, corpus BLEU-4, shortest ref BP, no smoothing)"
ROUGE_PROTOCOL = ("hf-evaluate-rouge rougeL (rouge_score default tokenizer, no stemming, best reference per item, "
                  "BootstrapAggregator mid F, 1000 resamples, numpy seed {seed})")
METEOR_PROTOCOL = ("hf-evaluate-meteor (nltk meteor_score alpha 0.9, beta 3, gamma 0.5, best reference, mean over "
                   "items, WordNet 3.0; word_tokenize replaced by a regex sentence split + NLTKWordTokenizer because "
                   "punkt is unavailable offline)")
COCO_PROTOCOL = ("coco-caption (pycocoevalcap {version}: PTBTokenizer lower-cased without punctuation, BLEU-1..4 "
                 "closest-reference corpus BLEU, METEOR 1.5, ROUGE-L beta 1.2, CIDEr-D; SPICE not computed: it "
                 "downloads Stanford CoreNLP at run time)")
WORDNET_FETCH = "bash scripts/fetch_wordnet.sh <dir>"


def check_texts(predictions, references) -> tuple[list[str], list[list[str]]]:
    """Validate and normalise: predictions list[str], references list[list[str]] (non-empty), same length."""
    if isinstance(predictions, str) or not isinstance(predictions, Sequence):
        raise InputError("expected a list of strings (one prediction per item)", field="predictions")
    if isinstance(references, str) or not isinstance(references, Sequence):
        raise InputError("expected a list with the references of each item", field="references")
    if len(predictions) != len(references):
        raise InputError(f"{len(predictions)} predictions but {len(references)} reference lists", field="references",
                         hint="item i's references must be references[i]")
    if not predictions:
        raise InputError("no items to score", field="predictions")
    preds, refs = [], []
    for i, (p, r) in enumerate(zip(predictions, references)):
        if not isinstance(p, str):
            raise InputError(f"expected a string, got {type(p).__name__}", row=i, field="predictions")
        if isinstance(r, str):
            r = [r]
        if not isinstance(r, Sequence) or len(r) == 0:
            raise InputError("each item needs at least one reference text", row=i, field="references")
        for t in r:
            if not isinstance(t, str):
                raise InputError(f"expected reference strings, got {type(t).__name__}", row=i, field="references")
        preds.append(p)
        refs.append(list(r))
    return preds, refs


# ---------------------------------------------------------------------------------------------------------- BLEU
@lru_cache(maxsize=1)
def _tokenizer_13a():
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()


def bleu_statistics(predictions, references, max_order: int = MAX_ORDER) -> np.ndarray:
    """Per-item sufficient statistics of corpus BLEU, float64 [N, 2 * max_order + 2]: clipped matches per order,
    possible n-grams per order, prediction length, shortest reference length (tokens after 13a)."""
    from sacrebleu.metrics.helpers import extract_all_word_ngrams

    preds, refs = check_texts(predictions, references)
    tok = _tokenizer_13a()
    stats = np.zeros((len(preds), 2 * max_order + 2), dtype=np.float64)
    for i, (pred, item_refs) in enumerate(zip(preds, refs)):
        hyp_counts, hyp_len = extract_all_word_ngrams(tok(pred), 1, max_order)
        merged = None
        ref_lens = []
        for ref in item_refs:
            counts, length = extract_all_word_ngrams(tok(ref), 1, max_order)
            ref_lens.append(length)
            merged = counts if merged is None else merged | counts  # max count over the references
        for ngram, count in (hyp_counts & merged).items():  # clipped counts
            stats[i, len(ngram) - 1] += count
        stats[i, max_order:2 * max_order] = np.maximum(hyp_len - np.arange(max_order), 0)
        stats[i, 2 * max_order] = hyp_len
        stats[i, 2 * max_order + 1] = min(ref_lens)
    return stats


def bleu_parts(summed: np.ndarray, max_order: int = MAX_ORDER) -> dict[str, np.ndarray]:
    """BLEU and its parts from summed statistics [..., 2 * max_order + 2] (vectorised over leading dims)."""
    summed = np.asarray(summed, dtype=np.float64)
    matches, possible = summed[..., :max_order], summed[..., max_order:2 * max_order]
    trans_len, ref_len = summed[..., 2 * max_order], summed[..., 2 * max_order + 1]
    precisions = np.divide(matches, possible, out=np.zeros_like(matches), where=possible > 0)
    positive = (precisions > 0).all(axis=-1)
    logs = np.log(np.where(precisions > 0, precisions, 1.0))
    geo_mean = np.where(positive, np.exp(logs.mean(axis=-1)), 0.0)
    ratio = np.divide(trans_len, ref_len, out=np.full_like(trans_len, np.inf), where=ref_len > 0)
    # An empty corpus of predictions has no brevity penalty defined upstream (division by zero); its BLEU is 0.
    bp = np.where(ratio > 1.0, 1.0, np.exp(1.0 - 1.0 / np.where(ratio > 0, ratio, 1.0)))
    bp = np.where(trans_len > 0, bp, 0.0)
    return {"bleu": geo_mean * bp, "precisions": precisions, "brevity_penalty": bp, "length_ratio": ratio,
            "translation_length": trans_len, "reference_length": ref_len}


def bleu_from_statistics(summed: np.ndarray) -> np.ndarray:
    """BLEU-4 in % from summed statistics [..., 10] (the bootstrap recomputes it on resampled sums)."""
    return 100.0 * bleu_parts(summed)["bleu"]


def bleu(predictions, references) -> Score:
    """Corpus BLEU-4 in %, HF evaluate "bleu" semantics (see the module docstring)."""
    stats = bleu_statistics(predictions, references)
    parts = bleu_parts(stats.sum(axis=0))
    details = {"bleu": float(parts["bleu"]), "precisions": parts["precisions"].tolist(),
               "brevity_penalty": float(parts["brevity_penalty"]), "length_ratio": float(parts["length_ratio"]),
               "translation_length": int(parts["translation_length"]),
               "reference_length": int(parts["reference_length"]),
               "sufficient_statistics": stats, "statistic": "benchmark.metrics.text:bleu_from_statistics"}
    return Score("BLEU-4", 100.0 * float(parts["bleu"]), BLEU_PROTOCOL, len(stats), details=details)


# ------------------------------------------------------------------------------------------------------- ROUGE-L
def rouge_l_per_item(predictions, references) -> np.ndarray:
    """Per-item rougeL F-measure (fraction) of the best reference, float64 [N]: rouge_score's RougeScorer(["rougeL"])
    score_multi, computed with its own tokenizer and F-measure. Only the longest common subsequence's length comes
    from elsewhere: rapidfuzz's LCSseq (C++) gives the same integer as rouge_score's table in pure Python, which was
    a fifth of the main job's scoring."""
    from rapidfuzz.distance import LCSseq
    from rouge_score import scoring

    preds, refs = check_texts(predictions, references)
    out = np.empty(len(preds), dtype=np.float64)
    for i, (p, item_refs) in enumerate(zip(preds, refs)):
        pred = _rouge_tokens(p)
        best = 0.0
        for r in item_refs:  # rouge_score._score_lcs: 0 when either side has no token
            ref = _rouge_tokens(r)
            if pred and ref:
                lcs = LCSseq.similarity(pred, ref)
                best = max(best, scoring.fmeasure(lcs / len(pred), lcs / len(ref)))
        out[i] = best
    return out


@lru_cache(maxsize=65536)
def _rouge_tokens(text: str) -> tuple[str, ...]:
    """rouge_score's DefaultTokenizer without stemming (RougeScorer's default); remembered, as the references are
    the same for every model scored on a task."""
    return tuple(_rouge_tokenizer().tokenize(text))


@lru_cache(maxsize=1)
def _rouge_tokenizer():
    from rouge_score import tokenizers

    return tokenizers.DefaultTokenizer(use_stemmer=False)


def rouge_l(predictions, references, seed: int = 0) -> Score:
    """ROUGE-L in %: rouge_score's BootstrapAggregator mid F-measure of the per-item best-reference F.

    Seeding: the aggregator draws its resamples from numpy's global RNG. We save that RNG's state, seed it with
    `seed`, aggregate, and restore the state, so the number is reproducible and the caller's global RNG is left as
    it was. The aggregator's own 95 % interval is kept in `details` (aggregator_low / aggregator_high).
    """
    from rouge_score import scoring

    seed = check_seed(seed)
    per_item = rouge_l_per_item(predictions, references)
    aggregator = scoring.BootstrapAggregator()
    for f in per_item:
        aggregator.add_scores({"rougeL": scoring.Score(precision=0.0, recall=0.0, fmeasure=float(f))})
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        result = aggregator.aggregate()["rougeL"]
    finally:
        np.random.set_state(saved)
    mid = float(result.mid.fmeasure)
    details = {"per_sample": 100.0 * per_item, "rougeL": mid, "aggregator_low": 100.0 * float(result.low.fmeasure),
               "aggregator_high": 100.0 * float(result.high.fmeasure)}
    return Score("ROUGE-L", 100.0 * mid, ROUGE_PROTOCOL.format(seed=seed), len(per_item), details=details)


# -------------------------------------------------------------------------------------------------------- METEOR
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=1)
def _word_tokenizer():
    from nltk.tokenize.destructive import NLTKWordTokenizer

    return NLTKWordTokenizer()


def meteor_tokenize(text: str) -> list[str]:
    """NLTK `word_tokenize` without punkt: sentences end at . ! or ? followed by whitespace (punkt also knows
    abbreviations such as "e.g."; pose descriptions rarely have them), then NLTKWordTokenizer per sentence."""
    return list(_meteor_tokens(text))


@lru_cache(maxsize=65536)
def _meteor_tokens(text: str) -> tuple[str, ...]:
    # remembered: every model's answers on a task are scored against the same references, whose tokenization was
    # a tenth of METEOR's time
    tok = _word_tokenizer()
    return tuple(t for sentence in _SENTENCE_END.split(text) if sentence for t in tok.tokenize(sentence))


def wordnet_search_paths() -> list[Path]:
    """Where METEOR looks for `corpora/wordnet`: each $NLTK_DATA entry, then the suite's data dir."""
    paths = [Path(p).expanduser() for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    return paths + [workspace.home() / "nltk_data"]


def load_wordnet():
    """NLTK's WordNet reader over the first `corpora/wordnet` found in `wordnet_search_paths()`.

    The folder it is found in is added to `nltk.data.path`: NLTK only opens corpora under its data path (its path
    security check), and its WordNet reader looks the corpus up there again while it loads.
    """
    import nltk

    paths = wordnet_search_paths()
    for root in paths:
        try:
            pointer = nltk.data.find("corpora/wordnet", paths=[str(root)])
        except LookupError:
            continue
        if str(root) not in nltk.data.path:
            nltk.data.path.append(str(root))
        return _wordnet_reader(str(pointer))
    searched = ", ".join(str(p) for p in paths)
    raise MissingMetricResource(
        f"METEOR needs WordNet 3.0 (corpora/wordnet) and none was found in {searched}. Run `{WORDNET_FETCH}` "
        f"with <dir> = {workspace.home() / 'nltk_data'} (found automatically) or any <dir> you then put in $NLTK_DATA")


@lru_cache(maxsize=4)
def _wordnet_reader(root: str):
    import warnings

    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    with warnings.catch_warnings():
        # Without the Open Multilingual Wordnet NLTK warns that non-English lookups are off; METEOR is English-only.
        warnings.filterwarnings("ignore", message="The multilingual functions are not available")
        return WordNetCorpusReader(root, None)


class _RememberedStemmer:
    """NLTK's PorterStemmer (meteor_score's default stemmer, in its default mode) remembering its answers: METEOR
    stems every word of every hypothesis / reference pair, and the vocabulary of pose texts is small, so the same
    few hundred words were stemmed millions of times (a third of METEOR's time). Same stems, by construction."""

    def __init__(self):
        from nltk.stem.porter import PorterStemmer

        self.stem = lru_cache(maxsize=None)(PorterStemmer().stem)


class _RememberedWordNet:
    """A WordNet reader whose `synsets(word)` (all meteor_score asks of it) remembers its answers, for the same
    reason; everything else is the reader's own."""

    def __init__(self, reader):
        self._reader = reader
        self.synsets = lru_cache(maxsize=None)(reader.synsets)

    def __getattr__(self, name):
        return getattr(self._reader, name)


@lru_cache(maxsize=4)
def _meteor_helpers(reader):
    """One stemmer and one remembering WordNet per reader (load_wordnet's readers are themselves cached)."""
    return _RememberedStemmer(), _RememberedWordNet(reader)


def meteor_per_item(predictions, references, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5) -> np.ndarray:
    """Per-item METEOR (fraction), the best over the item's references, float64 [N]."""
    from nltk.translate.meteor_score import meteor_score

    preds, refs = check_texts(predictions, references)
    stemmer, wordnet = _meteor_helpers(load_wordnet())
    return np.array([meteor_score([meteor_tokenize(r) for r in item_refs], meteor_tokenize(p), stemmer=stemmer,
                                  wordnet=wordnet, alpha=alpha, beta=beta, gamma=gamma)
                     for p, item_refs in zip(preds, refs)], dtype=np.float64)


def meteor(predictions, references, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5) -> Score:
    """METEOR in %: NLTK meteor_score per item (best reference), mean over items."""
    per_item = meteor_per_item(predictions, references, alpha, beta, gamma)
    return Score("METEOR", 100.0 * float(per_item.mean()), METEOR_PROTOCOL, len(per_item),
                 details={"per_sample": 100.0 * per_item, "meteor": float(per_item.mean()),
                          "wordnet": str(load_wordnet().root)})


# -------------------------------------------------------------------------------------------------- COCO caption
def check_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise MissingMetricResource("the COCO-caption metrics run Java (PTBTokenizer, METEOR 1.5) and no `java` is on "
                                    "PATH; install a Java runtime (Debian: apt-get install default-jre-headless)")
    return java


COCO_SCORERS = ("Bleu", "METEOR", "ROUGE_L", "CIDEr")


def coco_caption_scores(predictions, references, scorers: Sequence[str] = COCO_SCORERS) -> Scores:
    """BLEU-1..4, METEOR, ROUGE_L and CIDEr in % from pycocoevalcap, on PTB-tokenized texts.

    BLEU and METEOR are corpus-level (their `per_item` are sentence-level scores, not averaged into the value);
    ROUGE_L and CIDEr are means of their `per_sample` values. `scorers` selects a subset of COCO_SCORERS: METEOR 1.5
    starts a JVM that spends about 12 s loading its paraphrase table.
    """
    import importlib.metadata

    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    preds, refs = check_texts(predictions, references)
    unknown = [name for name in scorers if name not in COCO_SCORERS]
    if unknown or isinstance(scorers, str) or not scorers:
        raise InputError(f"unknown or no COCO scorers {unknown or scorers!r}", field="scorers",
                         hint=f"choose among {', '.join(COCO_SCORERS)}")
    check_java()
    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize({i: [{"caption": r} for r in item_refs] for i, item_refs in enumerate(refs)})
    res = tokenizer.tokenize({i: [{"caption": p}] for i, p in enumerate(preds)})
    protocol = COCO_PROTOCOL.format(version=importlib.metadata.version("pycocoevalcap"))
    n = len(preds)
    scores = []
    if "Bleu" in scorers:
        bleu_values, bleu_items = Bleu(4).compute_score(gts, res, verbose=0)
        for k, (value, items) in enumerate(zip(bleu_values, bleu_items), start=1):
            scores.append(Score(f"Bleu_{k}", 100.0 * float(value), protocol, n,
                                details={"per_item": 100.0 * np.asarray(items, dtype=np.float64)}))
    if "METEOR" in scorers:
        scorer = Meteor()
        try:
            value, items = scorer.compute_score(gts, res)
        finally:
            del scorer  # stops the Java process
        scores.append(Score("METEOR", 100.0 * float(value), protocol, n,
                            details={"per_item": 100.0 * np.asarray(items, dtype=np.float64)}))
    for name, scorer_cls in (("ROUGE_L", Rouge), ("CIDEr", Cider)):
        if name not in scorers:
            continue
        value, items = scorer_cls().compute_score(gts, res)
        scores.append(Score(name, 100.0 * float(value), protocol, n,
                            details={"per_sample": 100.0 * np.asarray(items, dtype=np.float64)}))
    return Scores(protocol, tuple(scores))
