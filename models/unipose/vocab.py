"""The tokens UniPose adds to a language model's vocabulary, and how a pose is written with them.

Order as upstream's `load_tokenizer` (UniPose scripts/gpt_train_full_mask.py @14de673), so a released tokenizer and
ours agree on every id: K codebook ids `<pose_id_0..K-1>`, then `<pose_id_K>` / `<pose_id_K+1>` as the pose begin /
end markers (the paper's <p> and </p>, special), then `<im_start>` / `<im_end>` (special), then the pose queries
`<pose_query_0..Q-1>` last, so they are the last Q rows of the embedding matrix. A pose is written as
begin, its K-ary codes, end: 82 tokens for 80 codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from benchmark.errors import InputError


def pose_id_token(i: int) -> str:
    return f"<pose_id_{i}>"


def query_token(i: int) -> str:
    return f"<pose_query_{i}>"


IM_START, IM_END = "<im_start>", "<im_end>"


@dataclass(frozen=True)
class PoseVocabulary:
    """Ids of the added tokens in a tokenizer: codes are contiguous from `first_code`, queries from `first_query`."""

    codebook_size: int
    n_queries: int
    first_code: int
    begin: int
    end: int
    im_start: int
    im_end: int
    first_query: int

    @classmethod
    def add_to(cls, tokenizer, codebook_size: int, n_queries: int) -> "PoseVocabulary":
        """Add the tokens in upstream's order (no-op for tokens already there) and return their ids."""
        from tokenizers import AddedToken

        tokenizer.add_tokens([AddedToken(pose_id_token(i), special=False, normalized=False)
                              for i in range(codebook_size)])
        tokenizer.add_tokens([AddedToken(t, special=True, normalized=False)
                              for t in (pose_id_token(codebook_size), pose_id_token(codebook_size + 1), IM_START,
                                        IM_END)], special_tokens=True)
        tokenizer.add_tokens([AddedToken(query_token(i), special=False, normalized=False) for i in range(n_queries)])
        return cls.of(tokenizer, codebook_size, n_queries)

    @classmethod
    def of(cls, tokenizer, codebook_size: int, n_queries: int, where: str = "tokenizer") -> "PoseVocabulary":
        """The ids of a tokenizer that already has the tokens (ours or a released one); refused if one is missing
        or the codes / queries are not contiguous (the model indexes them as ranges)."""
        ids = tokenizer.convert_tokens_to_ids
        unk = tokenizer.unk_token_id

        def need(token: str) -> int:
            i = ids(token)
            if i is None or (i == unk and token != tokenizer.unk_token):
                raise InputError(f"the tokenizer has no token {token!r}", file=where,
                                 hint="use the tokenizer saved with the UniPose checkpoint (it has the pose tokens)")
            return i

        vocab = cls(codebook_size=codebook_size, n_queries=n_queries, first_code=need(pose_id_token(0)),
                    begin=need(pose_id_token(codebook_size)), end=need(pose_id_token(codebook_size + 1)),
                    im_start=need(IM_START), im_end=need(IM_END), first_query=need(query_token(0)))
        for first, n, name in ((vocab.first_code, codebook_size, pose_id_token),
                               (vocab.first_query, n_queries, query_token)):
            if need(name(n - 1)) != first + n - 1:
                raise InputError(f"the tokenizer's {name(0)}..{name(n - 1)} are not contiguous ids", file=where,
                                 hint="the tokens must be added in UniPose's order (PoseVocabulary.add_to)")
        return vocab

    @property
    def code_ids(self) -> range:
        return range(self.first_code, self.first_code + self.codebook_size)

    @property
    def query_ids(self) -> range:
        return range(self.first_query, self.first_query + self.n_queries)

    def pose_token_ids(self, codes) -> list[int]:
        """begin, the codes as token ids, end."""
        return [self.begin, *(self.first_code + int(c) for c in codes), self.end]

    def query_block(self) -> list[int]:
        """What stands in a training sequence where a generated pose's codes are: begin, the queries, end."""
        return [self.begin, *self.query_ids, self.end]

    def codes_from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """Codes [..., n] from logits [..., n, vocab], the argmax over the pose-id rows only (upstream takes it over
        the whole vocabulary and string-parses the result, which breaks when a non-pose token wins)."""
        return logits[..., self.first_code:self.first_code + self.codebook_size].argmax(-1)
