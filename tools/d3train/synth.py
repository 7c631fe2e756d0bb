"""Procedural stereo pairs, ray cast with PyTorch tensor ops (the same code on CPU and GPU).

Each scene: a camera at a random height, pitch, roll and focal length; a textured ground plane
to the horizon (perspective-correct, mip-mapped); a distant backdrop with a random skyline
(hills or blocks) in front of a sky at infinity; objects standing on the ground made of
ellipsoids, cylinders, boxes and a few silhouette cards, often stacked in pairs (trunk and
canopy, body and head), shaded by a random sun; haze, defocus, photometric jitter and noise.
Both cameras are ray cast, so occlusions and disocclusions are exact.

Disparity follows Deep3D's selection: R(x + s) = L(x) for a left pixel x, s = c - f B / Z, so
near points have the most negative s. The baseline B and the screen-plane offset c are chosen
per pair from the left depth map (robust normalisation): the median shift is 0 and the 5-95%
percentile span is `span` pixels, with B reduced where the 0.5/99.5% tails would leave the
model's plane range. Sky (Z = infinity) gets s = c.

Shapes: everything is (B, ...) batched; pixel quantities are flattened to (B, N), N = H * W.
Vectors are tuples (x, y, z) of tensors. Camera frame: x right, y down, z forward.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from d3train.textures import TextureAtlas

Vec = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
INF: float = 1e6  # depth of "no hit" / sky
EPS: float = 1e-4

SPHERE, CYLINDER, BOX, CARD = 0, 1, 2, 3


@dataclass
class SynthConfig:
    width: int = 256
    height: int = 160
    span_frac: float = 0.025        # 5-95% disparity span, as a fraction of the width
    range_frac: float = 8 / 256     # |shift| limit (fraction of width) for the 0.5/99.5% tails
    objects: int = 10               # object slots (each may carry a stacked second primitive)
    p_ground: float = 0.85
    p_haze: float = 0.5
    p_defocus: float = 0.4
    p_flip: float = 0.5
    p_card: float = 0.12            # share of silhouette cards among primitives
    ssaa: int = 1                   # supersampling factor per axis (2 = 4 rays per pixel)
    noise: float = 0.025            # maximum Gaussian noise sigma (per view)
    exposure: float = 0.03          # maximum exposure difference between the views (log-uniform +-)


def _dot(a: Vec, b: Vec) -> torch.Tensor:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _scale(a: Vec, s: torch.Tensor | float) -> Vec:
    return (a[0] * s, a[1] * s, a[2] * s)


def _add(*vs: Vec) -> Vec:
    return (sum(v[0] for v in vs), sum(v[1] for v in vs), sum(v[2] for v in vs))  # type: ignore[return-value]


def _norm(a: Vec) -> Vec:
    n = torch.sqrt(_dot(a, a)).clamp_min(1e-12)
    return (a[0] / n, a[1] / n, a[2] / n)


class StereoSynth:
    """`sample(batch)` -> dict of left, right (B,3,H,W) in 0..1, disp_left, disp_right (B,1,H,W) in pixels."""

    def __init__(self, atlas: TextureAtlas, cfg: SynthConfig, seed: int = 0) -> None:
        self.atlas = atlas
        self.cfg = cfg
        self.device = atlas.device
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed)
        H, W, ss = cfg.height, cfg.width, cfg.ssaa
        ys, xs = torch.meshgrid(torch.arange(H * ss, device=self.device, dtype=torch.float32),
                                torch.arange(W * ss, device=self.device, dtype=torch.float32), indexing="ij")
        # Pixel-centre coordinates in output pixels.
        self.px = ((xs + 0.5) / ss).reshape(1, -1)
        self.py = ((ys + 0.5) / ss).reshape(1, -1)

    # -- random numbers -------------------------------------------------------------------------

    def _u(self, *shape: int, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(*shape, generator=self.gen, device=self.device)

    def _logu(self, *shape: int, lo: float, hi: float) -> torch.Tensor:
        return torch.exp(self._u(*shape, lo=math.log(lo), hi=math.log(hi)))

    def _n(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.gen, device=self.device)

    def _tile(self, *shape: int) -> torch.Tensor:
        return torch.randint(0, self.atlas.n, shape, generator=self.gen, device=self.device)

    # -- scene ----------------------------------------------------------------------------------

    def _scene(self, B: int) -> dict[str, torch.Tensor]:
        cfg, W = self.cfg, self.cfg.width
        s: dict[str, torch.Tensor] = {}
        s["f"] = W * self._logu(B, 1, lo=0.55, hi=1.6)
        s["cx"] = W / 2 + self._u(B, 1, lo=-0.05, hi=0.05) * W
        s["cy"] = cfg.height / 2 + self._u(B, 1, lo=-0.1, hi=0.1) * cfg.height
        s["pitch"] = self._u(B, 1, lo=-0.12, hi=0.5)
        s["roll"] = 0.04 * self._n(B, 1)
        s["h"] = self._logu(B, 1, lo=0.4, hi=6.0)
        s["ground"] = (self._u(B, 1) < cfg.p_ground).float()
        s["g_tile"] = self._tile(B, 1)
        s["g_size"] = self._logu(B, 1, lo=0.5, hi=8.0)  # world units per texture tile
        s["g_rot"] = self._u(B, 1, lo=0, hi=2 * math.pi)
        s["g_off"] = self._u(B, 2, lo=0, hi=20)
        # Backdrop: far with ground, near (a wall or close-up) without.
        s["zb"] = torch.where(s["ground"] > 0, self._logu(B, 1, lo=8, hi=400), self._logu(B, 1, lo=2.5, hi=60))
        s["b_tile"] = self._tile(B, 1)
        s["b_height"] = s["zb"] * self._u(B, 1, lo=0.02, hi=0.35)
        s["b_blocks"] = (self._u(B, 1) < 0.4).float()
        s["b_freq"] = self._u(B, 3, lo=0.5, hi=6.0)
        s["b_phase"] = self._u(B, 3, lo=0, hi=2 * math.pi)
        s["b_amp"] = self._u(B, 3, lo=0, hi=0.5)
        s["b_width"] = s["zb"] * self._u(B, 1, lo=0.5, hi=2.0)
        s["sky_tile"] = self._tile(B, 1)
        s["sky_photo"] = (self._u(B, 1) < 0.5).float()
        s["sky_top"] = self._u(B, 3, lo=0.2, hi=0.9) * torch.tensor([0.6, 0.8, 1.0], device=self.device)
        s["sky_hor"] = self._u(B, 3, lo=0.55, hi=1.0)
        # Sun, in world terms (elevation, azimuth), and ambient share.
        s["sun_el"] = self._u(B, 1, lo=0.15, hi=1.3)
        s["sun_az"] = self._u(B, 1, lo=0, hi=2 * math.pi)
        s["ambient"] = self._u(B, 1, lo=0.25, hi=0.7)
        return s

    def _frame(self, s: dict[str, torch.Tensor]) -> tuple[Vec, Vec, Vec, Vec]:
        """World up, horizontal forward, right (camera coordinates) and the sun direction."""
        th, ph = s["pitch"], s["roll"]
        up: Vec = (torch.cos(th) * torch.sin(ph), -torch.cos(th) * torch.cos(ph), -torch.sin(th))
        z = torch.zeros_like(th)
        fwd = _norm(_add((z, z, torch.ones_like(th)), _scale(up, torch.sin(th))))
        right = _cross(fwd, up)
        el, az = s["sun_el"], s["sun_az"]
        sun = _add(_scale(up, torch.sin(el)), _scale(fwd, torch.cos(el) * torch.cos(az)),
                   _scale(right, torch.cos(el) * torch.sin(az)))
        return up, fwd, right, sun

    def _objects(self, s: dict[str, torch.Tensor], B: int) -> dict[str, torch.Tensor]:
        """Primitive parameters, (B, P) each: P = 2 * objects (slot j + objects is stacked on slot j)."""
        cfg = self.cfg
        M = cfg.objects
        o: dict[str, torch.Tensor] = {}
        active = (self._u(B, M) < self._u(B, 1, lo=0.25, hi=1.0)).float()
        half_fov = torch.atan(cfg.width / 2 / s["f"])
        zmax = torch.minimum(s["zb"] * 0.85, torch.full_like(s["zb"], 80.0))
        zmin = 1.5
        dist = torch.exp(math.log(zmin) + self._u(B, M) * (torch.log(zmax) - math.log(zmin)).clamp_min(0))
        gx = dist * torch.tan(self._u(B, M, lo=-1.25, hi=1.25) * half_fov)
        height = self._logu(B, M, lo=0.2, hi=3.0)
        ground = s["ground"]
        # Floating objects (no ground): anywhere in the frustum.
        vfov = torch.atan(cfg.height / 2 / s["f"])
        gy_float = s["h"] + dist * torch.tan(self._u(B, M, lo=-1.2, hi=1.2) * vfov)
        # One primitive type per slot for the whole batch (so each slot traces one shape, not
        # four), drawn afresh for every batch; per pair the slots are switched on at random.
        n_card = int(round(cfg.p_card * M))
        kinds = [CARD] * n_card + [(SPHERE, CYLINDER, BOX)[i % 3] for i in range(M - n_card)]
        perm = torch.randperm(M, generator=self.gen, device=self.device).tolist()
        slot_types = [kinds[i] for i in perm]
        typ = torch.tensor(slot_types, device=self.device).view(1, M).expand(B, M)
        width = height * self._u(B, M, lo=0.12, hi=0.7)
        ex = width
        ey = height / 2
        ez = torch.where(typ == BOX, width * self._u(B, M, lo=0.4, hi=2.0), width * self._u(B, M, lo=0.6, hi=1.1))
        buried = torch.where(typ == SPHERE, self._u(B, M, lo=0.0, hi=0.8), torch.zeros_like(ey))
        gy = torch.where(ground > 0, ey * (1 - buried), gy_float)
        yaw = self._u(B, M, lo=0, hi=2 * math.pi)
        yaw = torch.where(typ == CARD, self._u(B, M, lo=-0.6, hi=0.6), yaw)
        # Stacked second primitive: trunk+canopy, body+head, crate on crate.
        stacked = (self._u(B, M) < 0.45).float() * (typ != CARD).float() * ground
        t2_types = [SPHERE if float(r) < 0.75 else BOX
                    for r in torch.rand(M, generator=self.gen, device=self.device).tolist()]
        t2 = torch.tensor(t2_types, device=self.device).view(1, M).expand(B, M)
        self.slot_types = slot_types + t2_types
        w2 = width * self._u(B, M, lo=0.5, hi=2.2)
        h2 = torch.where(t2 == SPHERE, w2 * self._u(B, M, lo=0.7, hi=1.5), w2 * self._u(B, M, lo=0.4, hi=1.0))
        gy2 = gy + ey + h2 / 2 * self._u(B, M, lo=0.6, hi=1.0)
        o["type"] = torch.cat([typ, t2], 1)
        o["active"] = torch.cat([active, active * stacked], 1)
        o["gx"] = torch.cat([gx, gx + width * 0.2 * self._n(B, M)], 1)
        o["gz"] = torch.cat([dist, dist], 1)
        o["gy"] = torch.cat([gy, gy2], 1)
        o["ex"] = torch.cat([ex, w2], 1)
        o["ey"] = torch.cat([ey, h2 / 2], 1)
        o["ez"] = torch.cat([ez, w2 * self._u(B, M, lo=0.6, hi=1.2)], 1)
        o["yaw"] = torch.cat([yaw, self._u(B, M, lo=0, hi=2 * math.pi)], 1)
        P = 2 * M
        o["tile"] = self._tile(B, P)
        o["tex_size"] = torch.cat([height, h2], 1) * self._logu(B, P, lo=0.3, hi=2.0)
        o["contrast"] = self._u(B, P) ** 0.7
        o["tint"] = self._logu(B, 3, P, lo=0.6, hi=1.5)
        o["shape_n"] = self._logu(B, P, lo=0.8, hi=4.0)  # card superellipse exponent
        o["harm"] = 0.18 * self._n(B, 3, P)
        o["harm_ph"] = self._u(B, 3, P, lo=0, hi=2 * math.pi)
        return o

    # -- ray casting ----------------------------------------------------------------------------

    def _trace(self, s: dict[str, torch.Tensor], o: dict[str, torch.Tensor], frame: tuple[Vec, Vec, Vec, Vec],
               origin_x: torch.Tensor, cx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Colour (B,3,N) and depth Z (B,N) seen from a camera at (origin_x, 0, 0) with principal point cx."""
        up, fwd, right, sun = frame
        f, h = s["f"], s["h"]
        B = f.shape[0]
        N = self.px.shape[1]
        one = torch.ones(B, N, device=self.device)
        d: Vec = ((self.px - cx) / f * one, (self.py - s["cy"]) / f * one, one)
        org: Vec = (origin_x, torch.zeros_like(origin_x), torch.zeros_like(origin_x))
        dlen = torch.sqrt(_dot(d, d))

        # Record per pixel: Z, tile, u, v, footprint (world units per pixel), shade, tint rgb, contrast.
        z = torch.full((B, N), INF, device=self.device)
        tile = torch.zeros(B, N, dtype=torch.long, device=self.device)
        tu = torch.zeros(B, N, device=self.device)
        tv = torch.zeros(B, N, device=self.device)
        texel = torch.ones(B, N, device=self.device)  # texels per pixel
        shade = torch.ones(B, N, device=self.device)
        tint = torch.ones(B, 3, N, device=self.device)
        contrast = torch.ones(B, N, device=self.device)

        def keep(t: torch.Tensor, hit: torch.Tensor, tl: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
                 tx: torch.Tensor, sh: torch.Tensor, tn: torch.Tensor, ct: torch.Tensor) -> None:
            nonlocal z, tile, tu, tv, texel, shade, tint, contrast
            m = hit & (t < z) & (t > EPS)
            z = torch.where(m, t, z)
            tile = torch.where(m, tl.expand_as(tile), tile)
            tu = torch.where(m, u, tu)
            tv = torch.where(m, v, tv)
            texel = torch.where(m, tx, texel)
            shade = torch.where(m, sh.expand_as(shade), shade)
            tint = torch.where(m[:, None], tn.expand_as(tint), tint)
            contrast = torch.where(m, ct.expand_as(contrast), contrast)

        T = float(self.atlas.tile)
        amb = s["ambient"]
        # Ground: up . p = -h.
        od = _dot(up, d)
        t = (-h - _dot(up, org)) / torch.where(od < -1e-6, od, -torch.ones_like(od))
        hit = (od < -1e-6) & (s["ground"] > 0)
        p = _add(org, _scale(d, t))
        gx, gz = _dot(p, right), _dot(p, fwd)
        cr, sr = torch.cos(s["g_rot"]), torch.sin(s["g_rot"])
        u = (cr * gx - sr * gz) / s["g_size"] + s["g_off"][:, :1]
        v = (sr * gx + cr * gz) / s["g_size"] + s["g_off"][:, 1:]
        cos_inc = (-od / dlen).clamp_min(1e-3)
        foot = t * dlen / f / torch.sqrt(cos_inc)
        sh_g = amb + (1 - amb) * torch.sin(s["sun_el"]).clamp_min(0)
        keep(t, hit, s["g_tile"], u, v, foot / s["g_size"] * T, sh_g, torch.ones(B, 3, 1, device=self.device),
             torch.ones(B, 1, device=self.device))

        # Backdrop: fwd . p = zb, from the ground (if any) up to a skyline.
        fd = _dot(fwd, d)
        t = (s["zb"] - _dot(fwd, org)) / fd.clamp_min(1e-6)
        p = _add(org, _scale(d, t))
        bx = _dot(p, right)
        by = _dot(p, up) + h  # height above the ground
        xw = bx / s["b_width"]
        wave = 1 + (s["b_amp"][:, :, None] * torch.sin(s["b_freq"][:, :, None] * xw[:, None]
                                                          + s["b_phase"][:, :, None])).sum(1)
        block = torch.floor(xw * 3 * s["b_freq"][:, :1])
        rnd = torch.frac(torch.sin(block * 12.9898 + s["b_phase"][:, :1] * 78.233) * 43758.5453).abs()
        sky_line = s["b_height"] * torch.where(s["b_blocks"] > 0, 0.3 + 1.4 * rnd, wave)
        hit = (fd > 1e-6) & ((by <= sky_line) | (s["ground"] <= 0)) & ((by >= 0) | (s["ground"] <= 0))
        u = bx / s["b_width"] + 0.5
        v = (s["b_height"] * 1.2 - by) / s["b_width"]
        foot = t * dlen / f / torch.sqrt((fd / dlen).clamp_min(1e-3))
        keep(t, hit, s["b_tile"], u, v, foot / s["b_width"] * T, torch.ones(B, 1, device=self.device),
             torch.ones(B, 3, 1, device=self.device), torch.ones(B, 1, device=self.device))

        # Objects.
        for j in range(o["type"].shape[1]):
            self._object(j, s, o, up, fwd, right, sun, d, dlen, org, keep)

        # Shading and texture.
        lod = torch.log2(texel.clamp_min(1.0))
        col = self.atlas.sample(tile, tu, tv, lod).permute(1, 0, 2)  # (B,3,N)
        mean = self.atlas.mean_color[tile].permute(0, 2, 1)  # (B,3,N)
        col = (mean + contrast[:, None] * (col - mean)) * tint * shade[:, None]

        # Sky at infinity: a photo by direction, or a vertical gradient.
        sky = z >= INF
        el = (-_dot(up, d) / dlen)  # elevation sine
        az = torch.atan2(_dot(right, d), fd)
        sky_img = self.atlas.sample(s["sky_tile"].expand(B, N), az * 0.6 + 0.5, 0.5 - el * 1.5,
                                    torch.full((B, N), 1.0, device=self.device)).permute(1, 0, 2)
        g = el.clamp(0, 1)[:, None] ** 0.6
        grad = s["sky_hor"][:, :, None] * (1 - g) + s["sky_top"][:, :, None] * g
        sky_col = torch.where(s["sky_photo"][:, :, None] > 0, sky_img, grad)
        col = torch.where(sky[:, None], sky_col, col)
        return col, z

    def _object(self, j: int, s: dict[str, torch.Tensor], o: dict[str, torch.Tensor], up: Vec, fwd: Vec, right: Vec,
                sun: Vec, d: Vec, dlen: torch.Tensor, org: Vec, keep) -> None:  # type: ignore[no-untyped-def]
        """Trace primitive slot j (its type, self.slot_types[j], is the same for the whole batch)."""
        kind = self.slot_types[j]
        sel = lambda k: o[k][:, j:j + 1]  # noqa: E731
        active = sel("active")
        if not bool((active > 0).any()):
            return
        h = s["h"]
        cy_, sy_ = torch.cos(sel("yaw")), torch.sin(sel("yaw"))
        ax: Vec = _add(_scale(right, cy_), _scale(fwd, sy_))
        ay: Vec = _scale(up, -1.0)  # local y points down like the camera's, so "top" is y = -1
        az: Vec = _add(_scale(right, -sy_), _scale(fwd, cy_))
        c = _add(_scale(right, sel("gx")), _scale(fwd, sel("gz")), _scale(up, sel("gy") - h))
        e = (sel("ex"), sel("ey"), sel("ez"))
        rel = _add(org, _scale(c, -1.0))
        o_l = (_dot(rel, ax) / e[0], _dot(rel, ay) / e[1], _dot(rel, az) / e[2])
        d_l = (_dot(d, ax) / e[0], _dot(d, ay) / e[1], _dot(d, az) / e[2])
        big = torch.full_like(d[0], INF)

        def safe(x: torch.Tensor) -> torch.Tensor:
            return torch.where(x.abs() > 1e-9, x, torch.full_like(x, 1e-9))

        if kind == SPHERE:  # ellipsoid
            a = _dot(d_l, d_l)
            b = 2 * _dot(o_l, d_l)
            cc = _dot(o_l, o_l) - 1
            disc = b * b - 4 * a * cc
            t = torch.where(disc >= 0, (-b - torch.sqrt(disc.clamp_min(0))) / (2 * a), big)
            q = tuple(o_l[k] + t * d_l[k] for k in range(3))
            nl: Vec = q  # type: ignore[assignment]
            u = torch.atan2(q[2], q[0]) * (e[0] + e[2]) * 0.5
            v = q[1] * e[1]
        elif kind == CYLINDER:  # vertical, with caps
            a2 = d_l[0] ** 2 + d_l[2] ** 2
            b2 = 2 * (o_l[0] * d_l[0] + o_l[2] * d_l[2])
            c2 = o_l[0] ** 2 + o_l[2] ** 2 - 1
            disc2 = b2 * b2 - 4 * a2 * c2
            t_side = (-b2 - torch.sqrt(disc2.clamp_min(0))) / (2 * a2).clamp_min(1e-12)
            y_side = o_l[1] + t_side * d_l[1]
            t_side = torch.where((disc2 >= 0) & (y_side.abs() <= 1), t_side, big)
            cap_y = -torch.sign(d_l[1])
            t_cap = (cap_y - o_l[1]) / safe(d_l[1])
            r_cap = (o_l[0] + t_cap * d_l[0]) ** 2 + (o_l[2] + t_cap * d_l[2]) ** 2
            t_cap = torch.where(r_cap <= 1, t_cap, big)
            t = torch.minimum(t_side, t_cap)
            q = tuple(o_l[k] + t * d_l[k] for k in range(3))
            on_cap = t_cap <= t_side
            zero = torch.zeros_like(t)
            nl = (torch.where(on_cap, zero, q[0]), torch.where(on_cap, cap_y, zero), torch.where(on_cap, zero, q[2]))
            u = torch.where(on_cap, q[0] * e[0], torch.atan2(q[2], q[0]) * (e[0] + e[2]) * 0.5)
            v = torch.where(on_cap, q[2] * e[2], q[1] * e[1])
        elif kind == BOX:  # slabs
            tmins, tmaxs = [], []
            for k in range(3):
                dk = safe(d_l[k])
                t1 = (-1 - o_l[k]) / dk
                t2 = (1 - o_l[k]) / dk
                tmins.append(torch.minimum(t1, t2))
                tmaxs.append(torch.maximum(t1, t2))
            t_enter, face = torch.stack(tmins).max(dim=0)
            t_exit = torch.minimum(torch.minimum(tmaxs[0], tmaxs[1]), tmaxs[2])
            t = torch.where(t_enter <= t_exit, t_enter, big)
            q = tuple(o_l[k] + t * d_l[k] for k in range(3))
            fsgn = torch.stack(q).gather(0, face[None])[0].sign()
            zero = torch.zeros_like(t)
            nl = tuple(torch.where(face == k, fsgn, zero) for k in range(3))  # type: ignore[assignment]
            u = torch.where(face == 0, q[2] * e[2], q[0] * e[0])
            v = torch.where(face == 1, q[2] * e[2], q[1] * e[1])
        else:  # card: local z = 0 inside a superellipse with a wavy outline
            t = -o_l[2] / safe(d_l[2])
            qx = o_l[0] + t * d_l[0]
            qy = o_l[1] + t * d_l[1]
            n_ = sel("shape_n")
            rho = (qx.abs() ** n_ + qy.abs() ** n_) ** (1 / n_)
            ang = torch.atan2(qy, qx)
            harm, hph = o["harm"][:, :, j], o["harm_ph"][:, :, j]
            outline = 0.85 + sum(harm[:, k:k + 1] * torch.cos((k + 2) * ang + hph[:, k:k + 1]) for k in range(3))
            t = torch.where((rho <= outline) & (qx.abs() <= 1) & (qy.abs() <= 1), t, big)
            zero = torch.zeros_like(t)
            nl = (zero, zero, torch.ones_like(t))
            u, v = (qx + 1) / 2, (qy + 1) / 2  # a whole photo on the card
        hit = (active > 0) & (t < INF)
        if not bool(hit.any()):
            return
        nl = (nl[0] / e[0], nl[1] / e[1], nl[2] / e[2])  # normals transform by the inverse scaling
        n_cam = _norm(_add(_scale(ax, nl[0]), _scale(ay, nl[1]), _scale(az, nl[2])))
        lam = _dot(n_cam, sun)
        lam = lam.abs() if kind == CARD else lam.clamp_min(0)
        sh = s["ambient"] + (1 - s["ambient"]) * lam
        cos_inc = (_dot(n_cam, d) / dlen).abs().clamp_min(0.05)
        world_px = t * dlen / s["f"] / torch.sqrt(cos_inc)
        if kind == CARD:
            size = 2 * e[0]
        else:
            size = sel("tex_size")
            u, v = u / size, v / size
        keep(t, hit, sel("tile"), u, v, world_px / size * float(self.atlas.tile), sh, o["tint"][:, :, j:j + 1],
             sel("contrast"))

    # -- post-processing ------------------------------------------------------------------------

    def _blur(self, img: torch.Tensor, sigma: float) -> torch.Tensor:
        r = max(1, int(math.ceil(2.5 * sigma)))
        x = torch.arange(-r, r + 1, device=img.device, dtype=img.dtype)
        k = torch.exp(-0.5 * (x / sigma) ** 2)
        k = k / k.sum()
        C = img.shape[1]
        img = F.conv2d(F.pad(img, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C)
        return F.conv2d(F.pad(img, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)

    def _defocus(self, img: torch.Tensor, coc: torch.Tensor) -> torch.Tensor:
        """Blend blur levels by the circle of confusion (pixels, (B,1,H,W))."""
        out = img
        prev_s, prev = 0.0, img
        for sig in (0.7, 1.4, 2.8):
            bl = self._blur(img, sig)
            w = ((coc - prev_s) / (sig - prev_s)).clamp(0, 1)
            out = torch.where(coc > prev_s, prev + w * (bl - prev), out)
            prev_s, prev = sig, bl
        return out

    # -- public ---------------------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, batch: int) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        H, W, ss = cfg.height, cfg.width, cfg.ssaa
        s = self._scene(batch)
        o = self._objects(s, batch)
        frame = self._frame(s)
        zero = torch.zeros(batch, 1, device=self.device)
        colL, zL = self._trace(s, o, frame, zero, s["cx"])
        qL = 1.0 / zL  # sky: about 0
        # Robust normalisation from the left view: median shift 0, fixed 5-95% span.
        qs = torch.quantile(qL[:, ::max(1, qL.shape[1] // 8192)],
                            torch.tensor([0.005, 0.05, 0.5, 0.95, 0.995], device=self.device), dim=1).T
        q_lo, q5, q50, q95, q_hi = (qs[:, i:i + 1] for i in range(5))
        span = cfg.span_frac * W
        lim = cfg.range_frac * W * 0.95
        fB = span / (q95 - q5).clamp_min(1e-9)
        fB = torch.minimum(fB, lim / (q_hi - q50).clamp_min(1e-9))
        fB = torch.minimum(fB, lim / (q50 - q_lo).clamp_min(1e-9))
        fB = fB.clamp(max=50.0 * W)
        conv = fB * q50
        baseline = fB / s["f"]
        colR, zR = self._trace(s, o, frame, baseline, s["cx"] + conv)
        qR = 1.0 / zR

        def img(x: torch.Tensor, c: int) -> torch.Tensor:
            x = x.view(batch, c, H * ss, W * ss)
            return F.avg_pool2d(x, ss) if ss > 1 else x

        L, R = img(colL, 3), img(colR, 3)
        qLi, qRi = img(qL, 1), img(qR, 1)
        dispL = conv.view(-1, 1, 1, 1) - fB.view(-1, 1, 1, 1) * qLi
        dispR = conv.view(-1, 1, 1, 1) - fB.view(-1, 1, 1, 1) * qRi

        # Haze towards the horizon colour, by depth (the sky keeps its own colour).
        haze_on = (self._u(batch, 1, 1, 1) < cfg.p_haze).float()
        frac = self._u(batch, 1, 1, 1, lo=0.1, hi=0.8) * haze_on
        beta = -torch.log1p(-frac) / s["zb"].view(-1, 1, 1, 1)
        hcol = s["sky_hor"].view(-1, 3, 1, 1)
        for X, q in ((L, qLi), (R, qRi)):
            zz = 1.0 / q.clamp_min(1.0 / INF)
            a = torch.exp(-beta * zz.clamp(max=float(INF) / 10))
            X.mul_(torch.where(q > 2.0 / INF, a, torch.ones_like(a))).add_(
                hcol * torch.where(q > 2.0 / INF, 1 - a, torch.zeros_like(a)))
        # Defocus: blur grows with |1/Z - 1/Z_focus|, the same lens for both views.
        foc_on = (self._u(batch, 1, 1, 1) < cfg.p_defocus).float()
        qf = torch.quantile(qL[:, ::max(1, qL.shape[1] // 4096)], self._u(1, lo=0.2, hi=0.95)[0], dim=1).view(-1, 1, 1, 1)
        kq = foc_on * self._u(batch, 1, 1, 1, lo=1.0, hi=3.0) / (q95 - q5).clamp_min(1e-9).view(-1, 1, 1, 1)
        L = self._defocus(L, ((qLi - qf).abs() * kq).clamp(max=2.8))
        R = self._defocus(R, ((qRi - qf).abs() * kq).clamp(max=2.8))
        # Photometric jitter shared by both views, a small exposure difference, noise per view.
        gain = self._logu(batch, 1, 1, 1, lo=0.7, hi=1.35)
        bal = self._logu(batch, 3, 1, 1, lo=0.88, hi=1.12)
        gamma = self._logu(batch, 1, 1, 1, lo=0.8, hi=1.25)
        sig = self._u(batch, 1, 1, 1, lo=0.0, hi=cfg.noise)
        out = []
        for X in (L, R):
            ex = self._logu(batch, 1, 1, 1, lo=1 / (1 + cfg.exposure), hi=1 + cfg.exposure)
            X = (X * gain * bal * ex).clamp(0, 1) ** gamma
            X = X + sig * self._n(batch, 3, H, W)
            out.append(X.clamp(0, 1))
        L, R = out
        # Mirror both views and swap them: keeps the sign of the shifts.
        flip = (self._u(batch, 1, 1, 1) < cfg.p_flip)
        L2, R2 = torch.where(flip, R.flip(-1), L), torch.where(flip, L.flip(-1), R)
        dL2 = torch.where(flip, dispR.flip(-1), dispL)
        dR2 = torch.where(flip, dispL.flip(-1), dispR)
        return {"left": L2.contiguous(), "right": R2.contiguous(), "disp_left": dL2.contiguous(),
                "disp_right": dR2.contiguous()}


def measure(synth: StereoSynth, batch: int, reps: int = 3) -> float:
    """Pairs per second (after one warm-up batch)."""
    synth.sample(batch)
    if synth.device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        synth.sample(batch)
    if synth.device.type == "cuda":
        torch.cuda.synchronize()
    return batch * reps / (time.perf_counter() - t0)
