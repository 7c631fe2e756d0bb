"""Training losses. All take the rendered right view R (B,3,H,W) and/or probabilities P (B,K,H,W)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def column_mask(width: int, margin: int, device: torch.device) -> torch.Tensor:
    """(1,1,1,W): 0 on `margin` columns at each side, where the right view shows what the left cannot."""
    m = torch.ones(1, 1, 1, width, device=device)
    if margin > 0:
        m[..., :margin] = 0
        m[..., width - margin:] = 0
    return m


def view_l1(R: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Deep3D's loss: mean |R - target| over the unmasked columns."""
    return ((R - target).abs() * mask).sum() / (mask.sum() * R.shape[0] * R.shape[1] * R.shape[2])


def gradient_l1(R: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 between horizontal and vertical image gradients: punishes the blur that plain L1 rewards."""
    gx = (R[..., 1:] - R[..., :-1]) - (target[..., 1:] - target[..., :-1])
    gy = (R[..., 1:, :] - R[..., :-1, :]) - (target[..., 1:, :] - target[..., :-1, :])
    mx = mask[..., 1:] * mask[..., :-1]
    return (gx.abs() * mx).mean() + (gy.abs() * mask).mean()


def disparity_ce(P: torch.Tensor, disp: torch.Tensor, disparity_min: int, disparity_width: int) -> torch.Tensor:
    """Cross-entropy against the true right-view shift (pixels at the image width), as a two-hot
    target split linearly between the neighbouring planes; the null plane gets no target mass.
    Only for synthetic pairs (they come with the true disparity)."""
    B, K, H, W = P.shape
    D = K - 1
    pos = (disp * disparity_width / W - disparity_min).clamp(0, D - 1)  # plane coordinate 0..D-1
    i0 = pos.floor().long().clamp(max=D - 2)
    f = pos - i0
    logp = torch.log(P[:, 1:].clamp_min(1e-8))
    lp0 = logp.gather(1, i0)
    lp1 = logp.gather(1, i0 + 1)
    return -((1 - f) * lp0 + f * lp1).mean()


def disparity_mae(P: torch.Tensor, disp: torch.Tensor, disparity_min: int, disparity_width: int) -> torch.Tensor:
    """Mean |E[d] - true d| in pixels at the image width (a validation number)."""
    W = P.shape[-1]
    D = P.shape[1] - 1
    d = (disparity_min + torch.arange(D, device=P.device, dtype=P.dtype)).view(1, D, 1, 1) * W / disparity_width
    Pp = P[:, 1:]
    ed = (Pp * d).sum(1, keepdim=True) / Pp.sum(1, keepdim=True).clamp_min(1e-12)
    return (ed - disp).abs().mean()


def smoothness(P: torch.Tensor, image: torch.Tensor, disparity_min: int) -> torch.Tensor:
    """Edge-aware smoothness of the expected disparity (weight falls where the image has edges)."""
    D = P.shape[1] - 1
    d = (disparity_min + torch.arange(D, device=P.device, dtype=P.dtype)).view(1, D, 1, 1)
    ed = (P[:, 1:] * d).sum(1, keepdim=True)
    gx = (ed[..., 1:] - ed[..., :-1]).abs() * torch.exp(-10 * (image[..., 1:] - image[..., :-1]).abs().mean(1, True))
    gy = (ed[..., 1:, :] - ed[..., :-1, :]).abs() * torch.exp(
        -10 * (image[..., 1:, :] - image[..., :-1, :]).abs().mean(1, True))
    return gx.mean() + gy.mean()


def pool_downsample(x: torch.Tensor, f: int) -> torch.Tensor:
    return F.avg_pool2d(x, f) if f > 1 else x
