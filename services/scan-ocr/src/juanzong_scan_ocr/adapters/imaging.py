"""Page clean-up before OCR (图像处理): red-seal suppression, turning the page upright, deskew,
optional denoise and contrast.

``clean_page(image)`` returns a cleaned **grayscale** page plus what was done to it. Originals are
never modified (the caller stores the cleaned image beside the original).

Orientation (0/90/180/270) is decided by the PP-OCR detector and direction classifier by default:
line boxes tell lying from standing text (0/180 vs 90/270); the text-line direction classifier,
voted over pieces of the longest lines, tells upright from upside down. With ``reuse_detection``
(default) the detector runs on the whole page at the OCR's own detection size and, unless the page
is sideways, its boxes are turned and deskewed with the page and handed to the OCR
(``CleanResult.lines``), which then does not detect again. Tesseract OSD (``--psm 0``) is available
as ``orientation="tesseract"``; bench/README-ocr.md compares the two.

Skew comes from the angles of those line boxes (``skew_from_quads``; the projection-profile estimate
is the fallback). With ``deskew_warp`` off (as the worker runs it) the page is not warped at all:
``CleanResult.transform`` is the deskew map, through which the OCR crops the lines from the upright
page and reports its polygons on the deskewed page.
"""

from __future__ import annotations

import re
import time
from typing import Literal, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from juanzong_scan_ocr.domain.qc import Orientation, estimate_skew_degrees, uint8_percentiles

OrientationMethod = Literal["ppocr", "tesseract", "none"]


class CleanOptions(BaseModel):
    """What ``clean_page`` does; settings may override every field."""

    model_config = ConfigDict(frozen=True)

    orientation: OrientationMethod = "ppocr"
    suppress_seals: bool = True
    deskew: bool = True
    min_skew_degrees: float = 0.2
    """Smaller skews are left alone (the rotation would only soften the print)."""
    max_skew_degrees: float = 15.0
    denoise: bool = False
    """3x3 median filter against speckle; costs ~40 ms a page, rarely helps PP-OCR."""
    contrast: bool = False
    """Stretch paper to white and print to black (percentile levels)."""
    orientation_side_px: int = 480
    """Longest side of the copy the orientation detector looks at without ``reuse_detection`` (480
    found every turn of 48 generated pages, as 640 did, at about 60% of the detector time)."""
    skew_from_lines: bool = True
    """Take the skew from the angles of the line boxes the orientation check detected at the OCR's
    size (length-weighted median of the longer lines) instead of the projection-profile estimate;
    falls back to the estimate when fewer than 3 lines were found. On 48 generated pages: mean error
    0.03° (max 0.27°) against 0.12° (one page off by 4.8°) for the estimate."""
    deskew_warp: bool = True
    """Warp the page by the skew. False: ``CleanResult.image`` stays upright but not deskewed and
    ``CleanResult.transform`` maps its pixels onto the deskewed page; the OCR crops the lines from
    the unwarped page and reports polygons on the deskewed one (``recognize(..., transform=)``)."""
    reuse_detection: bool = True
    """Orientation looks at the PP-OCR detection of the whole page, whose line boxes (turned and
    deskewed with the page) the OCR then reads: a page is detected once, a sideways one twice (the
    second time turned upright). Off: a small copy for the orientation and a second, full detection
    by the OCR of every page."""


class OrientationResult(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    rotation: Orientation
    """How far the content is turned clockwise; 180 = fed upside down."""
    confidence: float = Field(ge=0.0, le=1.0)
    method: str
    seconds: float = 0.0
    lines: list[np.ndarray] | None = None
    """Text-line quads the OCR's detector found on the page as given (not turned), when recognition
    can read them (``reuse_detection``, page not sideways); None otherwise."""
    lines_seconds: float = 0.0
    """Time the detection of ``lines`` took (OCR work done early, part of ``seconds``)."""
    skew_degrees: float | None = None
    """Skew from the detected lines' angles (positive = counter-clockwise; the same before and after
    a turn by a multiple of 90°), when detected at the OCR's size and enough lines were found."""
    pre_turned: bool = False
    """The ink profile said the lines stand, so the detector ran on the page turned a quarter."""


class CleanResult(BaseModel):
    """A cleaned page (uint8 gray, upright, deskewed) and what was done to get it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    image: np.ndarray
    """Upright page; deskewed unless ``options.deskew_warp`` was off (then see ``transform``)."""
    rotation: Orientation
    """Clockwise turn the content had in the input (the same number QC stores as orientation)."""
    rotation_confidence: float
    skew_degrees: float
    """Skew found after turning upright (positive = counter-clockwise) and removed if large enough."""
    seal_pixels_removed: int
    timings: dict[str, float]
    lines: list[np.ndarray] | None = None
    """Text-line quads in ``image``'s pixels from the orientation check (turned and deskewed with
    the page), for ``OcrEngine.recognize(image, lines=...)``; None when the OCR must detect. Their
    detection is timed as ``timings["lines"]`` (not part of ``timings["orientation"]``)."""
    transform: np.ndarray | None = None
    """With ``deskew_warp`` off and a skew to remove: the 2x3 affine map from ``image``'s pixels to
    the deskewed page's (same size). ``lines`` are then in ``image``'s pixels."""


class OrientationDetector(Protocol):
    name: str

    def detect(self, gray: np.ndarray) -> OrientationResult: ...


# --------------------------------------------------------------------------- basic operations


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def rotate_upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Undo a clockwise turn of ``rotation`` degrees (0/90/180/270)."""
    codes = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    rotation %= 360
    if rotation == 0:
        return image
    if rotation not in codes:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, got {rotation}")
    return cv2.rotate(image, codes[rotation])


def paper_level(gray: np.ndarray) -> int:
    return int(uint8_percentiles(gray[::8, ::8], (90,))[0])


def deskew(gray: np.ndarray, skew_degrees: float, fill: int | None = None) -> np.ndarray:
    """Rotate by ``-skew_degrees`` about the centre, same size, corners filled with paper."""
    h, w = gray.shape[:2]
    fill = paper_level(gray) if fill is None else fill
    m = _deskew_matrix(gray.shape, skew_degrees)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def lying_text_score(gray: np.ndarray, side_px: int = 400, strips: int = 4) -> float:
    """How much the text looks like lying lines (1) rather than standing ones (0), in ~3 ms.

    The page is shrunk to ``side_px``, its ink blurred until characters merge into their lines, and
    the ink profile taken down the page and across it in ``strips`` bands (a skewed line stays in
    its row within a band). Lying lines make the profile down the page swing between line and gap;
    standing lines make the profile across it swing. The score is the share of the swing (std over
    mean of each band's profile) that runs down the page. On 78 generated pages: upright and
    upside-down pages 0.58–0.82, sideways ones 0.21–0.42.
    """
    # Every n-th pixel first, down to twice the size wanted: area-averaging the whole page took 5 of
    # the 7.5 ms; the blur below merges characters anyway (on 120 generated pages: the same lowest
    # upright score and highest sideways score to three decimals).
    step = max(1, max(gray.shape[:2]) // (2 * side_px))
    gray = gray[::step, ::step]
    h, w = gray.shape[:2]
    scale = min(1.0, side_px / max(h, w))
    small = (cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
             if scale < 1 else gray)
    ink = 255.0 - small.astype(np.float32)
    ink = cv2.GaussianBlur(np.clip(ink - np.percentile(ink, 60), 0, None), (0, 0), 1.5)

    def swing(a: np.ndarray) -> float:  # profile along axis 0, in bands across axis 1
        n = a.shape[1]
        spread = level = 0.0
        for k in range(strips):
            profile = a[:, k * n // strips : (k + 1) * n // strips].sum(axis=1)
            spread += float(profile.std())
            level += float(profile.mean())
        return spread / max(level, 1e-6)

    down, across = swing(ink), swing(ink.T)
    return down / (down + across) if down + across > 0 else 0.5


def skew_from_quads(quads: list[np.ndarray], min_lines: int = 3) -> float | None:
    """Skew of a page from its text-line boxes (positive = content turned counter-clockwise).

    Each box whose long side is at least 2.5x its short side gives the angle of its long side to
    the nearer page axis (so lying and standing text, and pages turned by 90/180/270, give the same
    number); lines of the dominant direction at least half as long as the longest vote, weighted by
    length (weighted median). None with fewer than ``min_lines`` such lines.
    """
    groups: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for q in quads:
        q = np.asarray(q, dtype=np.float64)
        top, side = float(np.linalg.norm(q[1] - q[0])), float(np.linalg.norm(q[3] - q[0]))
        if top >= 2.5 * side:
            d, length, standing = (q[1] - q[0] + q[2] - q[3]) / 2, top, False
        elif side >= 2.5 * top:
            d, length, standing = (q[3] - q[0] + q[2] - q[1]) / 2, side, True
        else:
            continue
        theta = float(np.degrees(np.arctan2(d[1], d[0])))
        groups[standing].append((-(((theta + 45.0) % 90.0) - 45.0), length))
    lines = max(groups.values(), key=lambda g: sum(x[1] for x in g))
    if len(lines) < min_lines:
        return None
    longest = max(x[1] for x in lines)
    votes = sorted(x for x in lines if x[1] >= 0.5 * longest)
    weights = np.cumsum([x[1] for x in votes])
    return round(votes[int(np.searchsorted(weights, weights[-1] / 2))][0], 2)


SEAL_SAMPLE = 4
"""Seals are found on every 4th pixel of every 4th row; only their bounding boxes are read in full."""


def _strong_red(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(strongly red pixels, brightest channel) of a BGR image."""
    b, g, r = cv2.split(bgr[:, :, :3])
    gb = cv2.max(g, b)
    # Strongly red: red well above green and blue, and not dark (OpenCV's saturating uint8
    # arithmetic, no int16 copies of the page).
    red = cv2.bitwise_and(cv2.compare(cv2.subtract(r, gb), 50, cv2.CMP_GT), cv2.compare(r, 90, cv2.CMP_GT))
    return red, cv2.max(gb, r)


def _seal_regions(red_small: np.ndarray, dpi_guess: float) -> np.ndarray:
    """Keep red only inside seal-shaped blobs: roughly round or square, 12-60 mm across.

    ``red_small`` is the red mask of the page sampled every ``SEAL_SAMPLE`` pixels; so is the result
    (1 inside a seal). A red letterhead (红头) or red rule is long and flat, so its text is not erased.
    """
    small = (red_small > 0).astype(np.uint8)
    mm = dpi_guess / 25.4 / SEAL_SAMPLE
    k = max(3, int(mm * 3) | 1)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    region = np.zeros_like(small)
    for i in range(1, n):
        w, h = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]
        if 12 * mm <= max(w, h) <= 60 * mm and 0.6 <= w / max(h, 1) <= 1.67:
            # The whole inside of the seal: its text strokes may have lost their colour.
            ys, xs = np.nonzero(labels == i)
            hull = cv2.convexHull(np.stack([xs, ys], axis=1).astype(np.int32))
            cv2.fillConvexPoly(region, hull, 1)
    if not region.any():
        return region
    return cv2.dilate(region, np.ones((5, 5), np.uint8))


def suppress_red_seals(bgr: np.ndarray, dpi_guess: float = 300.0, gray: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Gray page with red seal ink lifted out; black print under the seal stays black.

    Red ink is bright in its brightest channel while black print is dark in every channel, so
    inside a seal the brightest channel, with everything lighter than about two thirds of the
    paper level lifted to paper, is the page without the seal (this also removes seal strokes
    whose colour JPEG smeared to gray). Elsewhere the ordinary gray conversion is kept.
    Seals are looked for on a sample of the page (``SEAL_SAMPLE``); the full-resolution pixels
    are read only inside the seals' bounding box. ``gray``, when the caller already has
    ``to_gray(bgr)``, saves converting again; it is not modified. Returns (gray, seal pixels removed).
    """
    gray = to_gray(bgr) if gray is None else gray
    if bgr.ndim == 2:
        return gray, 0
    s = SEAL_SAMPLE
    red_small, _ = _strong_red(np.ascontiguousarray(bgr[::s, ::s]))
    if cv2.countNonZero(red_small) * s * s < 200:
        return gray, 0
    region_small = _seal_regions(red_small, dpi_guess)
    if not region_small.any():
        return gray, 0
    ys, xs = np.nonzero(region_small)
    h, w = gray.shape[:2]
    y0, y1 = int(ys.min()) * s, min(h, (int(ys.max()) + 1) * s)
    x0, x1 = int(xs.min()) * s, min(w, (int(xs.max()) + 1) * s)
    region = cv2.resize(region_small[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], (x1 - x0, y1 - y0),
                        interpolation=cv2.INTER_NEAREST).astype(bool)
    red, value = _strong_red(bgr[y0:y1, x0:x1])
    removed = np.count_nonzero(red.astype(bool) & region)
    paper = uint8_percentiles(gray[::8, ::8], (90,))[0]
    # Brightest channel: high for red ink, also where JPEG smeared its colour; low for black print.
    lo, hi = 0.35 * paper, 0.68 * paper
    ramp = np.arange(256, dtype=np.float32)
    lut = np.where(ramp <= lo, ramp, lo + (ramp - lo) * (paper - lo) / (hi - lo))
    lut = np.clip(lut, 0, paper).astype(np.uint8)
    out = gray.copy()
    np.copyto(out[y0:y1, x0:x1], cv2.LUT(value, lut), where=region)
    return out, int(removed)


def stretch_contrast(gray: np.ndarray) -> np.ndarray:
    """Map the print level to black and the paper level to white."""
    sample = gray[::8, ::8]
    lo, hi = uint8_percentiles(sample, (1, 90))
    if hi - lo < 30:
        return gray
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * 255.0 / (hi - lo), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, lut)


# --------------------------------------------------------------------------- orientation


class PpOcrOrientation:
    """Page orientation from PP-OCR: detector boxes (lying vs standing lines) and the text-line
    direction classifier (upright vs upside down), voted over pieces of the longest lines.

    ``reuse_detection``: detect on the whole page at the engine's own size (not a ``side_px``
    copy) and return the boxes for the OCR unless the page is sideways.
    """

    name = "ppocr"

    def __init__(self, engine=None, side_px: int = 480, lines: int = 8, pieces_per_line: int = 3,
                 reuse_detection: bool = False, standing_below: float = 0.45) -> None:
        self._engine = engine
        self.side_px = side_px
        self.lines = lines
        self.pieces_per_line = pieces_per_line
        self.reuse_detection = reuse_detection
        self.standing_below = standing_below

    @property
    def engine(self):
        if self._engine is None:
            from juanzong_scan_ocr.adapters.ocr import get_engine

            self._engine = get_engine("ppocr")
        return self._engine

    def detect(self, gray: np.ndarray) -> OrientationResult:
        """With ``reuse_detection``, a page whose ink profile says its lines stand
        (``lying_text_score`` below ``standing_below``) is turned a quarter before the detector
        runs, so a sideways page is detected once, turned; if the boxes then stand after all, the
        result says so and the OCR detects again, as without the check."""
        t0 = time.perf_counter()
        if not (self.reuse_detection and self.standing_below > 0
                and lying_text_score(gray) < self.standing_below):
            return self._detect(gray, t0)
        found = self._detect(rotate_upright(gray, 90), t0)
        rotation: Orientation = (90 + found.rotation) % 360  # type: ignore[assignment]
        lines = found.lines
        if lines is not None:  # back to the frame of the page as given
            back = cv2.invertAffineTransform(upright_matrix(gray.shape, 90))
            lines = _transform_quads(lines, back)
        return found.model_copy(update={"rotation": rotation, "lines": lines, "pre_turned": True,
                                        "seconds": round(time.perf_counter() - t0, 4)})

    def _detect(self, gray: np.ndarray, t0: float) -> OrientationResult:
        from juanzong_scan_ocr.adapters.ocr.ppocr import crop_quad

        h, w = gray.shape[:2]
        detected = 0.0  # seconds of the detection whose boxes are handed over
        if self.reuse_detection:
            scale = 1.0
            boxes = self.engine.detect(gray)
            detected = round(time.perf_counter() - t0, 4)
        else:
            scale = min(1.0, self.side_px / max(h, w))
            small = (cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
                     if scale < 1 else gray)
            boxes = self.engine.detect(small, limit_side_len=self.side_px)
        lying, standing = [], []
        for q in boxes:
            bw = float(np.linalg.norm(q[0] - q[1]))
            bh = float(np.linalg.norm(q[0] - q[3]))
            if bw >= 2.5 * bh:
                lying.append((bw, q))
            elif bh >= 2.5 * bw:
                standing.append((bh, q))
        len_lying = sum(x for x, _ in lying)
        len_standing = sum(x for x, _ in standing)
        # Boxes detected at the OCR's size are precise enough to give the skew (not a small copy's).
        skew = skew_from_quads(boxes) if self.reuse_detection else None
        if not lying and not standing:
            return OrientationResult(rotation=0, confidence=0.0, method=self.name, seconds=time.perf_counter() - t0,
                                     lines=boxes if self.reuse_detection else None, lines_seconds=detected,
                                     skew_degrees=skew)
        sideways = len_standing > len_lying
        chosen = sorted(standing if sideways else lying, key=lambda t: -t[0])[: self.lines]
        shape_conf = max(len_lying, len_standing) / (len_lying + len_standing)
        pieces: list[list[np.ndarray]] = []  # per line
        for _, q in chosen:
            crop = crop_quad(gray, q / scale)  # standing crops come back turned counter-clockwise
            ch, cw = crop.shape[:2]
            step = max(ch * 4, 1)
            pieces.append([np.repeat(crop[:, k * step : (k + 1) * step, None], 3, axis=2)
                           for k in range(min(self.pieces_per_line, max(1, cw // step)))])
        p_flip = self._classify(pieces)
        flipped = float(np.mean(p_flip)) > 0.5 if p_flip else False
        votes = np.array(p_flip) > 0.5
        flip_conf = float(votes.mean() if flipped else 1 - votes.mean()) if p_flip else 0.0
        if sideways:
            rotation: Orientation = 270 if flipped else 90
        else:
            rotation = 180 if flipped else 0
        return OrientationResult(
            rotation=rotation,
            confidence=round(shape_conf * flip_conf, 3),
            method=self.name,
            seconds=round(time.perf_counter() - t0, 4),
            # Standing lines are detected again once the page is turned: on standing text DB splits
            # rows and picks up specks that the detection of the turned page does not.
            lines=boxes if self.reuse_detection and not sideways else None,
            lines_seconds=0.0 if sideways else detected,
            skew_degrees=skew,
        )


    def _classify(self, pieces: list[list[np.ndarray]]) -> list[float]:
        """Upside-down probability of each line's pieces: the first piece of every line, then the
        others only when those first ones do not agree clearly (fewer than 4, or not all below 0.1
        or all above 0.9)."""
        p = self.engine.classify_upside_down([line[0] for line in pieces if line])
        if len(p) < 4 or not (max(p) < 0.1 or min(p) > 0.9):
            p += self.engine.classify_upside_down([x for line in pieces for x in line[1:]])
        return p


class TesseractOrientation:
    """Tesseract OSD (``--psm 0``); the osd data ships with Debian's tesseract-ocr."""

    name = "tesseract"

    def detect(self, gray: np.ndarray) -> OrientationResult:
        import pytesseract
        from PIL import Image

        t0 = time.perf_counter()
        try:
            osd = pytesseract.image_to_osd(Image.fromarray(gray), config="--psm 0 -c min_characters_to_try=10")
        except pytesseract.TesseractError:
            return OrientationResult(rotation=0, confidence=0.0, method=self.name, seconds=time.perf_counter() - t0)
        # "Rotate: N" is the clockwise turn that makes the page upright.
        rotate = int(re.search(r"Rotate:\s*(\d+)", osd).group(1))  # type: ignore[union-attr]
        conf = float(re.search(r"Orientation confidence:\s*([\d.]+)", osd).group(1))  # type: ignore[union-attr]
        rotation = (360 - rotate) % 360
        return OrientationResult(
            rotation=rotation,  # type: ignore[arg-type]
            confidence=round(min(1.0, conf / 10.0), 3),
            method=self.name,
            seconds=round(time.perf_counter() - t0, 4),
        )


def orientation_detector(method: OrientationMethod, engine=None, side_px: int = 480,
                         reuse_detection: bool = False) -> OrientationDetector | None:
    if method == "ppocr":
        return PpOcrOrientation(engine, side_px=side_px, reuse_detection=reuse_detection)
    if method == "tesseract":
        return TesseractOrientation()
    return None


# --------------------------------------------------------------------------- the page


def clean_page(
    image: np.ndarray,
    options: CleanOptions | None = None,
    *,
    dpi: int | None = None,
    detector: OrientationDetector | None = None,
    gray: np.ndarray | None = None,
) -> CleanResult:
    """Seal suppression → upright → deskew → optional denoise/contrast; returns a gray page.

    ``image`` is uint8 gray or BGR. ``detector`` overrides ``options.orientation``. ``gray`` is
    ``to_gray(image)`` when the caller has it already (it is not modified).
    """
    opts = options or CleanOptions()
    if image.dtype != np.uint8:
        raise ValueError("expected uint8 pixels")
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[stage] = round(now - t, 4)
        t = now

    h, w = image.shape[:2]
    dpi_guess = float(dpi) if dpi else (min(h, w) / (210 / 25.4) + max(h, w) / (297 / 25.4)) / 2
    if opts.suppress_seals and image.ndim == 3:
        gray, removed = suppress_red_seals(image, dpi_guess, gray=gray)
    else:
        gray, removed = (to_gray(image) if gray is None else gray), 0
    lap("seal")

    det = detector if detector is not None else orientation_detector(
        opts.orientation, side_px=opts.orientation_side_px, reuse_detection=opts.reuse_detection)
    rotation: Orientation = 0
    rot_conf = 1.0
    lines: list[np.ndarray] | None = None
    line_skew: float | None = None
    if det is not None:
        found = det.detect(gray)
        line_skew = found.skew_degrees
        rotation, rot_conf = found.rotation, found.confidence
        if found.lines is not None:
            lines = found.lines if rotation == 0 else _transform_quads(found.lines, upright_matrix(gray.shape, rotation))
            timings["lines"] = found.lines_seconds
        gray = rotate_upright(gray, rotation)
    lap("orientation")
    timings["orientation"] = round(timings["orientation"] - timings.get("lines", 0.0), 4)

    skew = 0.0
    transform: np.ndarray | None = None
    if opts.deskew:
        if opts.skew_from_lines and line_skew is not None and abs(line_skew) <= opts.max_skew_degrees:
            skew = line_skew
        else:
            skew = estimate_skew_degrees(gray, search_degrees=opts.max_skew_degrees)
        if opts.min_skew_degrees <= abs(skew) <= opts.max_skew_degrees:
            if opts.deskew_warp:
                gray = deskew(gray, skew)
                if lines is not None:
                    lines = _transform_quads(lines, _deskew_matrix(gray.shape, skew))
            else:  # the OCR crops from the unwarped page and maps its polygons
                transform = _deskew_matrix(gray.shape, skew)
    lap("deskew")

    if opts.denoise:
        gray = cv2.medianBlur(gray, 3)
    if opts.contrast:
        gray = stretch_contrast(gray)
    lap("enhance")
    return CleanResult(
        image=np.ascontiguousarray(gray),
        rotation=rotation,
        rotation_confidence=rot_conf,
        skew_degrees=skew,
        seal_pixels_removed=removed,
        timings=timings,
        lines=lines,
        transform=transform,
    )


def deskew_matrix(shape: tuple[int, ...], skew_degrees: float) -> np.ndarray:
    """Where ``deskew(image, skew_degrees)`` puts a pixel of ``image`` (a 2x3 affine map)."""
    return _deskew_matrix(shape, skew_degrees)


def _deskew_matrix(shape: tuple[int, ...], skew_degrees: float) -> np.ndarray:
    h, w = shape[:2]
    return cv2.getRotationMatrix2D((w / 2, h / 2), -skew_degrees, 1.0)


def upright_matrix(shape: tuple[int, ...], rotation: int) -> np.ndarray:
    """Where ``rotate_upright(image, rotation)`` puts a pixel of ``image`` (a 2x3 affine map)."""
    h, w = shape[:2]
    maps = {
        0: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        90: [[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0]],  # counter-clockwise: (x, y) -> (y, w - 1 - x)
        180: [[-1.0, 0.0, w - 1.0], [0.0, -1.0, h - 1.0]],
        270: [[0.0, -1.0, h - 1.0], [1.0, 0.0, 0.0]],  # clockwise: (x, y) -> (h - 1 - y, x)
    }
    return np.array(maps[rotation % 360])


def _transform_quads(quads: list[np.ndarray], matrix: np.ndarray) -> list[np.ndarray]:
    from juanzong_scan_ocr.adapters.ocr.ppocr import transform_quads

    return transform_quads(quads, matrix)
