#!/usr/bin/python3
"""AutoDim's search supernet (Zhao et al., WWW'21), written from the paper's equations in
PyTorch, float64, as an independent reference for test/torch-crosscheck.test.ts.

stdin: a JSON list of cases; stdout: a JSON list of results, one per case. A case:
  candidates  [d_1 < ... < d_N]            lookup "shared" | "separate"; unify "linear" | "zeropad"
  ids         [B][F] table rows             labels [B] in {0, 1}
  tables      shared: [[V][d_N]]; separate: N tables [V][d_n]
  W, b        linear only: N matrices [d_n][d_N] and N vectors [d_N] (x~ = W_n^T x + b_n)
  alpha       [F][N] > 0                    gumbel [F][N]: the noise g, given so both sides share it
  tau, mix_scale, epsilon
  head        {"w0": float, "h": [F][d_N]}: logit = w0 + <h, x> + sum_{i<j} <x_i, x_j> (FM)
A result: p [F][N], mixed [B][F][d_N], loss (mean BCE), and the gradients of the loss in
alpha, log alpha, the tables and (linear) W and b.
"""
import json
import sys

import torch
import torch.nn.functional as fn

torch.set_default_dtype(torch.float64)


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def run(case):
    cands = case["candidates"]
    n_cand = len(cands)
    d_full = cands[-1]
    ids = torch.tensor(case["ids"], dtype=torch.long)  # [B, F]
    tables = [leaf(t) for t in case["tables"]]
    linear = case["unify"] == "linear"
    weights = [leaf(w) for w in case["W"]] if linear else []
    biases = [leaf(b) for b in case["b"]] if linear else []
    alpha = leaf(case["alpha"])  # [F, N]
    gumbel = torch.tensor(case["gumbel"])
    eps = case["epsilon"]

    unified = []
    for n, d in enumerate(cands):
        # 1. candidate lookup: the first d_n columns of the one d_N table, or table n
        table = tables[0][:, :d] if case["lookup"] == "shared" else tables[n]
        e = table[ids]  # [B, F, d_n]
        if linear:
            # 2. linear unification, then BatchNorm (batch statistics, no affine): one
            # channel per field, statistics over the batch and the coordinates (BatchNorm1d
            # on [B, F, d]); training mode, biased variance in the normalisation
            e = e @ weights[n] + biases[n]
            e = fn.batch_norm(e, None, None, training=True, eps=eps)
        else:
            # 2'. zero-padding: BatchNorm of the d_n real coordinates, then pad to d_N
            e = fn.batch_norm(e, None, None, training=True, eps=eps)
            e = fn.pad(e, (0, d_full - d))
        unified.append(e)
    stacked = torch.stack(unified, dim=2)  # [B, F, N, d_N]

    # 3. Gumbel-softmax selection over candidates, per field
    p = torch.softmax((torch.log(alpha) + gumbel) / case["tau"], dim=1)  # [F, N]
    mixed = case["mix_scale"] * (stacked * p[None, :, :, None]).sum(dim=2)  # [B, F, d_N]

    # a fixed head: bias + linear + FM pairwise inner products, then BCE
    head = case["head"]
    h = torch.tensor(head["h"])
    s = mixed.sum(dim=1)
    pairwise = 0.5 * (s * s - (mixed * mixed).sum(dim=1)).sum(dim=1)
    logit = head["w0"] + (mixed * h).sum(dim=(1, 2)) + pairwise
    loss = fn.binary_cross_entropy_with_logits(logit, torch.tensor(case["labels"], dtype=torch.float64))

    grads = torch.autograd.grad(loss, [alpha, *tables, *weights, *biases])
    g_alpha = grads[0]
    g_tables = grads[1 : 1 + len(tables)]
    g_weights = grads[1 + len(tables) : 1 + len(tables) + len(weights)]
    g_biases = grads[1 + len(tables) + len(weights) :]
    assert len(g_biases) == len(biases) and n_cand == p.shape[1]
    return {
        "p": p.tolist(),
        "mixed": mixed.tolist(),
        "loss": loss.item(),
        "grad_alpha": g_alpha.tolist(),
        # d/d log a = a * d/d a: what an optimiser of log alpha sees
        "grad_log_alpha": (alpha * g_alpha).tolist(),
        "grad_tables": [g.tolist() for g in g_tables],
        "grad_W": [g.tolist() for g in g_weights],
        "grad_b": [g.tolist() for g in g_biases],
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([run(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
