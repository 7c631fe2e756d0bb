"""Differentiable selection layer: docs/model-format.md section 5, batched, in PyTorch.

`render` follows the section step by step (centre-aligned bilinear probabilities, fractional
shifts with linear taps, edge clamp, channel 0 renders nothing), so it equals
deep3d_ref.render_plane at any output size; `render_net_res` is the training fast path
at Wo = Wn, Ho = Hn. Gradients flow into the probabilities (and into the image, if it
requires them).
"""

from __future__ import annotations

import torch


def plane_shifts(disparity_min: int, D: int, disparity_width: int, wo: int, strength: float = 1.0,
                 convergence: float = 0.0, device: torch.device | None = None) -> torch.Tensor:
    """s_k for k = 1..D in pixels of a plane Wo wide (step 2 of section 5)."""
    d = disparity_min + torch.arange(D, dtype=torch.float64, device=device)
    return (d * strength / disparity_width + convergence / 100.0) * wo


def _axis_sample(n_out: int, n_in: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centre-aligned bilinear positions (step 1): i0, i1, fraction, each (n_out,)."""
    X = torch.arange(n_out, dtype=torch.float64, device=device)
    u = ((X + 0.5) * n_in / n_out - 0.5).clamp(0.0, n_in - 1)
    i0 = u.floor().long()
    i1 = (i0 + 1).clamp(max=n_in - 1)
    return i0, i1, u - i0


def resample_probs(P: torch.Tensor, ho: int, wo: int) -> torch.Tensor:
    """P (B,K,Hn,Wn) -> (B,K,Ho,Wo) by step 1 of section 5."""
    _, _, hn, wn = P.shape
    if (ho, wo) == (hn, wn):
        return P
    y0, y1, fy = _axis_sample(ho, hn, P.device)
    x0, x1, fx = _axis_sample(wo, wn, P.device)
    fx = fx.to(P.dtype)
    fy = fy.to(P.dtype).view(-1, 1)
    top = P[:, :, y0]
    bot = P[:, :, y1]
    top = (1 - fx) * top[..., x0] + fx * top[..., x1]
    bot = (1 - fx) * bot[..., x0] + fx * bot[..., x1]
    return (1 - fy) * top + fy * bot


def shifted_taps(L: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Step 3 for every plane: L (B,C,H,W), shifts (D,) -> taps (B,D,C,H,W), tap_k[X] = L[X - s_k]."""
    wo = L.shape[-1]
    X = torch.arange(wo, dtype=torch.float64, device=L.device)
    xs = (X[None, :] - shifts.to(L.device)[:, None]).clamp(0.0, wo - 1)  # (D, Wo)
    x0 = xs.floor().long()
    x1 = (x0 + 1).clamp(max=wo - 1)
    f = (xs - x0).to(L.dtype)
    a = L[..., x0]  # (B,C,H,D,Wo)
    b = L[..., x1]
    taps = a + f * (b - a) if bool((f != 0).any()) else a
    return taps.permute(0, 3, 1, 2, 4)


def render(P: torch.Tensor, L: torch.Tensor, disparity_min: int, disparity_width: int,
           strength: float = 1.0, convergence: float = 0.0, renormalize: bool = False) -> torch.Tensor:
    """Right eye (B,C,Ho,Wo) from probabilities P (B,K,Hn,Wn) and left eye L (B,C,Ho,Wo), unrounded."""
    B, K, _, _ = P.shape
    ho, wo = L.shape[-2:]
    D = K - 1
    Pt = resample_probs(P, ho, wo)[:, 1:]  # (B,D,Ho,Wo): channel 0 renders nothing
    s = plane_shifts(disparity_min, D, disparity_width, wo, strength, convergence, L.device)
    taps = shifted_taps(L, s)  # (B,D,C,Ho,Wo)
    R = (Pt.unsqueeze(2) * taps).sum(dim=1)
    if renormalize:
        m = Pt.sum(dim=1, keepdim=True)
        R = torch.where(m > 0, R / torch.where(m > 0, m, torch.ones_like(m)), R)
    return R


def render_net_res(P: torch.Tensor, L: torch.Tensor, disparity_min: int, disparity_width: int) -> torch.Tensor:
    """Training path: output at network resolution, strength 1, convergence 0.

    Accumulates plane by plane so memory stays at a few images per plane.
    """
    K = P.shape[1]
    wo = L.shape[-1]
    s = plane_shifts(disparity_min, K - 1, disparity_width, wo, device=L.device).tolist()
    X = torch.arange(wo, device=L.device, dtype=torch.float64)
    R = torch.zeros_like(L)
    for k, sk in enumerate(s, start=1):
        xs = (X - sk).clamp(0.0, wo - 1)
        x0 = xs.floor().long()
        x1 = (x0 + 1).clamp(max=wo - 1)
        f = (xs - x0).to(L.dtype)
        tap = L.index_select(-1, x0)
        if bool((f != 0).any()):
            tap = tap + f * (L.index_select(-1, x1) - tap)
        R = R + P[:, k:k + 1] * tap
    return R


def expected_disparity(P: torch.Tensor, disparity_min: int) -> torch.Tensor:
    """E[d] over planes 1..D renormalised by their mass (as the filter's depth mode), (B,1,H,W)."""
    D = P.shape[1] - 1
    d = (disparity_min + torch.arange(D, device=P.device, dtype=P.dtype)).view(1, D, 1, 1)
    Pp = P[:, 1:]
    return (Pp * d).sum(1, keepdim=True) / Pp.sum(1, keepdim=True).clamp_min(1e-12)
