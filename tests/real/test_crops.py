"""Crop geometry: boxes, the pixel map, K of the crop, and the image content under the same map."""

import io

import numpy as np
import pytest
from PIL import Image

from benchmark.errors import InputError
from datasets_build.real.crops import (CropOptions, center_scale_boxes, crop_affine, crop_image, crop_intrinsics,
                                       crop_rows, keypoint_boxes, map_points, xywh_boxes)


def test_keypoint_boxes_hand_worked():
    kp = np.array([[[10, 20, 2], [30, 60, 1], [500, 500, 0], [np.nan, 1, 2]],     # extent 20 x 40 (flag 0 ignored)
                   [[5, 5, 2], [0, 0, 0], [0, 0, 0], [0, 0, 0]],                   # one point: no box
                   [[7, 7, 2], [7, 7, 2], [0, 0, 0], [0, 0, 0]]], float)           # coinciding points: no box
    centres, sides = keypoint_boxes(kp, scale=1.2)
    np.testing.assert_allclose(centres[0], [20, 40])
    assert sides[0] == pytest.approx(48.0)
    assert np.isnan(sides[1:]).all() and np.isnan(centres[1:]).all()
    c, s = xywh_boxes(np.array([[10.0, 20.0, 30.0, 80.0]]), 1.2)
    np.testing.assert_allclose(c, [[25, 60]])
    np.testing.assert_allclose(s, [96])
    c, s = center_scale_boxes(np.array([[100.0, 50.0]]), np.array([1.5]))
    np.testing.assert_allclose(s, [300])
    np.testing.assert_allclose(c, [[100, 50]])


def test_affine_maps_box_centre_and_edges():
    a = crop_affine(np.array([[100.0, 50.0]]), np.array([40.0]), 64)
    s = 64 / 40
    pts = np.array([[[100.0, 50.0], [80.0, 30.0], [120.0, 70.0]]])
    got = map_points(a, pts)[0]
    np.testing.assert_allclose(got[0], [31.5, 31.5])                     # the centre of a 64-px image
    np.testing.assert_allclose(got[1], [31.5 - 20 * s, 31.5 - 20 * s])   # the box corner: -0.5 (pixel edge)
    np.testing.assert_allclose(got[1], [-0.5, -0.5])
    np.testing.assert_allclose(got[2], [63.5, 63.5])


def test_crop_intrinsics_reproject_to_mapped_points():
    rng = np.random.default_rng(0)
    K = np.array([[[1500.0, 0, 960], [0, 1490.0, 540], [0, 0, 1]]] * 4)
    points = rng.normal(0, 0.5, (4, 7, 3)) + [0, 0, 4]
    uv = points @ K[0].T
    uv = uv[..., :2] / uv[..., 2:]
    a = crop_affine(rng.uniform(500, 1200, (4, 2)), rng.uniform(100, 900, 4), 256)
    K2 = crop_intrinsics(a, K)
    uv2 = np.einsum("nij,nkj->nki", K2, points)
    np.testing.assert_allclose(uv2[..., :2] / uv2[..., 2:], map_points(a, uv), rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("size,side", [(64, 40.0), (64, 250.0), (32, 31.0)])
def test_image_content_follows_the_map(size, side):
    """A lone bright pixel lands where the affine map sends its centre (brightness centroid), for up- and
    down-scaling, including boxes that reach outside the image (black there)."""
    w, h = 300, 200
    u, v = 203, 61
    img = np.zeros((h, w, 3), np.uint8)
    img[v, u] = 255
    centre = np.array([190.3, 70.8])
    out = np.asarray(crop_image(Image.fromarray(img), centre, side, size), dtype=np.float64)[..., 0]
    yy, xx = np.mgrid[0:size, 0:size]
    total = out.sum()
    assert total > 0
    got = np.array([(out * xx).sum() / total, (out * yy).sum() / total])
    want = map_points(crop_affine(centre[None], np.array([side]), size), np.array([[[u, v]]], float))[0, 0]
    np.testing.assert_allclose(got, want, atol=0.05 * max(1.0, size / side))
    # a box reaching outside the image: the outside is black
    outside = np.asarray(crop_image(Image.fromarray(np.full((20, 20, 3), 200, np.uint8)), (0.0, 0.0), 20.0, 20))
    assert outside[:8, :8].max() == 0 and outside[12:, 12:].min() == 200


def test_crop_rows_full_box_missing_image_and_skip(tmp_path):
    Image.fromarray(np.full((30, 60, 3), 90, np.uint8)).save(tmp_path / "a.png")
    nan = np.full((1, 2), np.nan)
    (result,) = crop_rows(tmp_path, ["a.png"], nan, np.array([np.nan]), CropOptions(size=16, workers=0))
    np.testing.assert_allclose(result.centre, [29.5, 14.5])
    assert result.side == 60
    im = np.asarray(Image.open(io.BytesIO(result.png)))
    assert im.shape == (16, 16, 3)
    assert im[0].max() == 0 and im[8, 8, 0] == 90        # padded to a square: black bands above and below
    with pytest.raises(InputError, match="image file not found") as err:
        list(crop_rows(tmp_path, ["missing.jpg"], nan, np.array([10.0]), CropOptions(size=16)))
    assert "missing.jpg" in str(err.value)
    (skipped,) = crop_rows(tmp_path, ["missing.jpg"], nan, np.array([10.0]),
                           CropOptions(size=16, skip_missing_images=True))
    assert skipped.png is None


def test_crop_rows_threads_keep_row_order(tmp_path):
    for k in range(5):
        Image.fromarray(np.full((20, 20, 3), 40 * k, np.uint8)).save(tmp_path / f"{k}.png")
    paths = ["0.png", "0.png", "3.png", "1.png", "4.png", "2.png"]
    centres, sides = np.full((6, 2), 9.5), np.full(6, 20.0)
    serial = [r.png for r in crop_rows(tmp_path, paths, centres, sides, CropOptions(size=8, workers=0))]
    threaded = [r.png for r in crop_rows(tmp_path, paths, centres, sides, CropOptions(size=8, workers=3))]
    assert serial == threaded
    assert [np.asarray(Image.open(io.BytesIO(p)))[4, 4, 0] for p in serial] == [0, 0, 120, 40, 160, 80]


def test_crop_options_validation():
    with pytest.raises(InputError):
        CropOptions(size=4)
    with pytest.raises(InputError):
        CropOptions(scale=0.5)
