"""The word vocabulary of the PoseScript / PoseFix text encoders and decoders, built from a dataset's texts.

As upstream's vocab.py (naver/posescript @15c8958): texts are lower-cased and word-tokenised, every word seen is
kept (no frequency threshold), the specials are <pad> = 0, <start>, <end>, <unk>, and each text is wrapped in
<start> ... <end>. The word tokeniser here is a regular expression (words, numbers, each punctuation mark) rather
than NLTK's, so that the vocabulary does not depend on an NLTK data download. Generated texts are detokenised as
upstream's: tokens joined by spaces, " ," and " ." closed up, sentence starts capitalised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import torch

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
SPECIALS = (PAD, START, END, UNK)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?|[^\sa-z\d]")


def word_tokenize(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Vocabulary:
    def __init__(self, words: Iterable[str]):
        words = list(words)
        if tuple(words[:4]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with {SPECIALS}, got {words[:4]}")
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}
        if len(self.index) != len(words):
            raise ValueError("the vocabulary has repeated words")
        self.pad, self.start, self.end, self.unk = range(4)

    @classmethod
    def build(cls, texts: Iterable[str]) -> "Vocabulary":
        """Every word of `texts`, in sorted order (so the ids do not depend on the order of the texts)."""
        seen = {w for t in texts for w in word_tokenize(t)}
        return cls([*SPECIALS, *sorted(seen - set(SPECIALS))])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, text: str, max_len: int | None = None) -> list[int]:
        ids = [self.index.get(w, self.unk) for w in word_tokenize(text)]
        if max_len is not None:
            ids = ids[:max_len - 2]
        return [self.start, *ids, self.end]

    def batch(self, texts: list[str], max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded ids [B, T] and lengths [B]."""
        seqs = [self.encode(t, max_len) for t in texts]
        lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
        out = torch.full((len(seqs), int(lengths.max())), self.pad, dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, :len(s)] = torch.tensor(s)
        return out, lengths

    def decode(self, ids: Iterable[int]) -> str:
        words = [self.words[i] for i in ids if i >= len(SPECIALS) or i == self.unk]
        text = " ".join(words).replace(" ,", ",").replace(" .", ".").replace(" '", "'")
        # capitalise the first letter of each sentence
        return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
