"""The task losses: what each asks of the heads, summed over its labelled items."""
import torch


def test_untyped_spans_ask_for_any_technique_and_typed_spans_for_theirs():
    """BABE's biased words name no technique: the token loss for them is low whichever
    technique's tag the model picks, while a typed span still wants its own tag."""
    from training.features import UNTYPED_B, UNTYPED_I, bio_for_offsets
    from training.loop import token_loss
    from training.schema import bio_tags

    tags = bio_tags()
    index = {t: i for i, t in enumerate(tags)}
    offsets = [(0, 0), (0, 4), (5, 9), (10, 15), (0, 0)]
    spans = [{"start": 0, "end": 9, "technique": ""}]
    assert bio_for_offsets(offsets, spans, index) == [-100, UNTYPED_B, UNTYPED_I, index["O"], -100]

    def logits_for(tag_per_piece):  # near-certain logits for one tag per piece
        out = torch.full((1, len(tag_per_piece), len(tags)), -20.0)
        for k, t in enumerate(tag_per_piece):
            out[0, k, index[t]] = 20.0
        return out

    def loss(logits, labels):  # the mean over the labelled pieces
        total, n = token_loss(logits, labels)
        assert n == 3
        return total / n

    untyped = torch.tensor([[UNTYPED_B, UNTYPED_I, index["O"]]])
    for technique in ("loaded_language", "name_calling", "exaggeration"):
        assert loss(logits_for([f"B-{technique}", f"I-{technique}", "O"]), untyped) < 1e-6
    assert loss(logits_for(["O", "O", "O"]), untyped) > 10
    typed = torch.tensor([[index["B-loaded_language"], index["I-loaded_language"], index["O"]]])
    assert loss(logits_for(["B-name_calling", "I-name_calling", "O"]), typed) > 10
    assert loss(logits_for(["B-loaded_language", "I-loaded_language", "O"]), typed) < 1e-6


def test_sentence_loss_mixes_the_annotators_vote_share_into_the_target():
    from training.loop import sentence_loss as summed

    def sentence_loss(logits, batch, weight):  # the mean over the labelled rows
        total, n = summed(logits, batch, weight)
        return total / n

    labels = torch.tensor([1, 0, -1])
    batch = {"labels": labels, "label_soft": torch.tensor([0.6, -1.0, -1.0])}
    logits = torch.tensor([[0.0, 2.0], [1.0, -1.0], [5.0, 5.0]])
    hard = torch.nn.functional.cross_entropy(logits, labels, ignore_index=-1)
    assert torch.isclose(sentence_loss(logits, batch, 0.0), hard)

    def loss_at(p, weight):  # row 0 alone, predicting framing with probability p
        logit = torch.log(torch.tensor(p / (1 - p)))
        one = {"labels": labels[:1], "label_soft": batch["label_soft"][:1]}
        return float(sentence_loss(torch.stack([torch.zeros(()), logit]).unsqueeze(0), one, weight))

    # trained on the vote share alone, a 3-2 vote is best met with p = 0.6, not certainty
    assert loss_at(0.6, 1.0) < loss_at(0.55, 1.0) and loss_at(0.6, 1.0) < loss_at(0.99, 1.0)
    # half and half: the target is 0.8, still on the majority's side
    assert loss_at(0.8, 0.5) < loss_at(0.7, 0.5) and loss_at(0.8, 0.5) < loss_at(0.9, 0.5)
    # a row without votes keeps its gold label whatever the weight
    only_gold = {"labels": labels[1:2], "label_soft": batch["label_soft"][1:2]}
    assert torch.isclose(sentence_loss(logits[1:2], only_gold, 1.0),
                         torch.nn.functional.cross_entropy(logits[1:2], labels[1:2]))
