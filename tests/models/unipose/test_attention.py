"""The mixed attention mask, against masks written out by hand, and its effect inside a real Llama."""

import pytest
import torch

from models.unipose.attention import PAD, QUERY, TOKEN, additive_mask, allowed, position_ids


def test_text_is_causal_and_queries_bidirectional_within_their_pose():
    # prompt of 2 tokens, begin marker, 3 queries, end marker, eos; then 1 padded position
    kinds = torch.tensor([[TOKEN, TOKEN, TOKEN, QUERY, QUERY, QUERY, TOKEN, TOKEN, PAD]])
    expected = torch.tensor([
        [1, 0, 0, 0, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0, 0, 0],
        [1, 1, 1, 0, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 0, 0, 0],  # a query sees every query of its pose, and what precedes
        [1, 1, 1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 0, 0],  # what follows sees the queries causally
        [1, 1, 1, 1, 1, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 1],  # a padded row sees only itself (never used; keeps softmax finite)
    ], dtype=torch.bool)
    expected[8, :8] = True  # ... and, being last, the causal past: harmless, its output is dropped
    got = allowed(kinds)[0]
    assert torch.equal(got[:8], expected[:8])
    assert not got[:8, 8].any()  # nobody attends to padding
    assert torch.equal(allowed(kinds, mixed=False)[0][:8, :8], torch.ones(8, 8, dtype=torch.bool).tril())


def test_two_generated_poses_do_not_see_each_others_future():
    kinds = torch.tensor([[TOKEN, QUERY, QUERY, TOKEN, QUERY, QUERY]])
    got = allowed(kinds)[0]
    assert got[1, 2] and got[2, 1]  # within the first pose
    assert not got[1, 4] and not got[2, 5]  # never into the second
    assert got[4, 1] and got[5, 4] and got[4, 5]


def test_cached_step_sees_the_past_but_not_its_padding():
    past = torch.tensor([[0, 1, 1], [1, 1, 1]])
    new = torch.full((2, 2), QUERY)
    got = allowed(new, past=past)
    assert got.shape == (2, 2, 5)
    assert not got[0, :, 0].any() and got[0, :, 1:].all()
    assert got[1].all()


def test_float_mask_values_and_dtype():
    kinds = torch.tensor([[TOKEN, QUERY, QUERY]])
    mask = additive_mask(kinds, torch.bfloat16)
    assert mask.shape == (1, 1, 3, 3) and mask.dtype == torch.bfloat16
    assert mask[0, 0, 1, 2] == 0 and mask[0, 0, 0, 1] == torch.finfo(torch.bfloat16).min


def test_left_padded_positions_start_at_zero():
    kinds = torch.tensor([[PAD, PAD, TOKEN, TOKEN], [TOKEN, TOKEN, TOKEN, TOKEN]])
    assert position_ids(kinds).tolist() == [[0, 0, 0, 1], [0, 1, 2, 3]]
    assert position_ids(torch.full((2, 2), QUERY), torch.tensor([2, 4])).tolist() == [[2, 3], [4, 5]]


@pytest.mark.parametrize("impl", ["eager", "sdpa"])
def test_in_a_llama_a_query_depends_on_later_queries_and_text_does_not(impl):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, attn_implementation=impl)
    lm = LlamaForCausalLM(config).eval()
    kinds = torch.tensor([[TOKEN, TOKEN, QUERY, QUERY, QUERY, TOKEN]])
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    changed = ids.clone()
    changed[0, 4] = 9  # change the last query

    def logits(x, mixed):
        return lm(input_ids=x, attention_mask=additive_mask(kinds, torch.float32, mixed=mixed),
                  position_ids=position_ids(kinds)).logits

    a, b = logits(ids, True), logits(changed, True)
    assert not torch.allclose(a[0, 2], b[0, 2])  # the first query sees the last one
    assert torch.allclose(a[0, :2], b[0, :2])  # the prompt does not
    c, d = logits(ids, False), logits(changed, False)
    assert torch.allclose(c[0, 2:4], d[0, 2:4])  # causal: earlier queries cannot
    # the causal 4D mask is the model's own causal mask
    assert torch.allclose(c, lm(input_ids=ids).logits, atol=1e-5)
