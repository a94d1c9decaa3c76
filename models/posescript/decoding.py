"""Greedy decoding with repeated n-grams barred, for the text generators at scoring time.

Upstream decodes plain greedy (naver/posescript, encoders/text_decoders.py: generate_greedy), which a small,
briefly trained decoder turns into loops ("further forward than the left foot further forward than ..."), running
to the length limit. Barring any token that would repeat an n-gram already generated (the `no_repeat_ngram_size`
of Hugging Face's generation) stops the loops without changing the model. n = 0 is upstream's plain greedy.
"""

from __future__ import annotations



def banned_tokens(seq: list[int], n: int) -> set[int]:
    """Tokens that would complete an n-gram already in `seq`."""
    if n <= 0 or len(seq) < n:
        return set()
    prefix = tuple(seq[len(seq) - n + 1:]) if n > 1 else ()
    return {seq[i + n - 1] for i in range(len(seq) - n + 1) if tuple(seq[i:i + n - 1]) == prefix}


def greedy(decoder, memory, *, bos: int, eos: int, pad: int, min_len: int, max_len: int,
           no_repeat_ngram: int = 0) -> list[list[int]]:
    """Token ids after <start>, up to <end> excluded; <end> barred before `min_len` tokens (upstream's rule), and
    repeated `no_repeat_ngram`-grams barred (the loop lives in the decoder: TextDecoder.generate_greedy)."""
    return decoder.generate_greedy(memory, bos=bos, eos=eos, pad=pad, min_len=min_len, max_len=max_len,
                                   no_repeat_ngram=no_repeat_ngram)
