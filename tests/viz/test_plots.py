"""The plots: each writes a PNG, refuses bad input with a clear error before drawing, and
leaves neither an open figure nor a temporary file behind when it fails."""

import contextlib
import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.pyplot as plt  # noqa: E402

from glassnet import viz  # noqa: E402
from glassnet.viz import plots  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def drawn(monkeypatch):
    """Keep the figures a plot would save, open, to look at what they drew (nothing is
    written); they are closed after the test."""
    figures = []

    def keep(fig, path, *args):
        figures.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    monkeypatch.setattr(plots, "_closing", contextlib.nullcontext, raising=False)
    yield figures
    for fig in figures:
        plt.close(fig)


def open_figures() -> set:
    return set(plt.get_fignums())


# ----------------------------------------------------------------------------- saving
def test_saving_to_a_folder_is_refused_and_leaves_no_temp_file(tmp_path):
    before = open_figures()
    with pytest.raises(IsADirectoryError, match=r"plot_curves: path .* is a folder"):
        viz.plot_curves({"loss": [1.0, 0.5]}, str(tmp_path))
    assert [p for p in os.listdir(tmp_path) if p.startswith(".tmp")] == []
    assert open_figures() == before


def test_a_failed_draw_closes_the_figure_and_removes_the_temp_file(tmp_path):
    before = open_figures()
    with pytest.raises(ValueError):  # matplotlib cannot parse this title while saving
        viz.plot_curves({"loss": [1.0, 0.5]}, str(tmp_path / "c.png"), title=r"$\frac{1}$")
    assert os.listdir(tmp_path) == []
    assert open_figures() == before


def test_bad_input_opens_no_figure(tmp_path):
    before = open_figures()
    with pytest.raises(ValueError):
        viz.plot_confusion_matrix(np.eye(3, dtype=int), str(tmp_path / "m.png"),
                                  class_names=["a"])
    with pytest.raises(ValueError):
        viz.plot_filters(np.zeros((0, 1, 3, 3)), str(tmp_path / "f.png"))
    assert open_figures() == before


# ----------------------------------------------------------------------------- curves
def test_curves_from_arrays_and_refusals(tmp_path):
    path = viz.plot_curves({"loss": np.array([1.0, 0.5]), "accuracy": np.array([0.5, 0.9])},
                           str(tmp_path / "c.png"))
    assert open(path, "rb").read(8) == PNG
    with pytest.raises(TypeError, match="plot_curves: history must be a dict.*NoneType"):
        viz.plot_curves(None, str(tmp_path / "n.png"))
    for empty in ({}, {"loss": [], "accuracy": []}):
        with pytest.raises(ValueError, match="plot_curves: nothing to plot"):
            viz.plot_curves(empty, str(tmp_path / "e.png"))
    with pytest.raises(ValueError, match=r"plot_curves: history\['loss'\] must hold numbers"):
        viz.plot_curves({"loss": ["a", "b"]}, str(tmp_path / "s.png"))


def test_curves_draw_only_the_panels_with_values(drawn, tmp_path):
    viz.plot_curves({"loss": [1.0, 0.5], "accuracy": []}, str(tmp_path / "c.png"))
    (fig,) = drawn
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1


# ----------------------------------------------------------------------------- confusion
@pytest.mark.parametrize("matrix", [np.ones((2, 3), int), np.array([1, 2]),
                                    np.zeros((0, 0), int)])
def test_confusion_matrix_must_be_square(matrix, tmp_path):
    with pytest.raises(ValueError, match=rf"plot_confusion_matrix: matrix must be square 2-D.*"
                                         rf"{tuple(matrix.shape)}".replace("(", r"\(")
                       .replace(")", r"\)")):
        viz.plot_confusion_matrix(matrix, str(tmp_path / "m.png"))


@pytest.mark.parametrize("names", [["a", "b"], ["a", "b", "c", "d"]])
def test_confusion_matrix_needs_one_name_per_class(names, tmp_path):
    with pytest.raises(ValueError, match=f"class_names has {len(names)} names for a 3x3 matrix"):
        viz.plot_confusion_matrix(np.eye(3, dtype=int), str(tmp_path / "m.png"),
                                  class_names=names)


def test_confusion_matrix_names_as_array_compact_floats_and_slanted_labels(drawn, tmp_path):
    viz.plot_confusion_matrix(np.array([[0.5, 0.25], [0.125, 1 / 3]]), str(tmp_path / "m.png"),
                              class_names=np.array(["cat", "dog"]))
    ax = drawn[-1].axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.5", "0.25", "0.125", "0.333"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    viz.plot_confusion_matrix(np.eye(12, dtype=int), str(tmp_path / "m.png"),
                              class_names=[f"class {i}" for i in range(12)])
    ax = drawn[-1].axes[0]
    assert ax.texts[0].get_text() == "1" and ax.texts[1].get_text() == "0"
    assert all(label.get_rotation() == 45 for label in ax.get_xticklabels())


# ----------------------------------------------------------------------------- digits
def test_digits_take_their_size_from_the_data(drawn, tmp_path):
    for images, kwargs, size in [(np.zeros((4, 8, 8)), {}, (8, 8)),
                                 (np.zeros((4, 64)), {}, (8, 8)),
                                 (np.zeros((4, 1, 10, 6)), {}, (10, 6)),
                                 (np.zeros((4, 600)), {"image_shape": (20, 30)}, (20, 30))]:
        viz.plot_digit_predictions(images, [1, 2, 3, 4], [1, 2, 3, 5], str(tmp_path / "d.png"),
                                   **kwargs)
        shown = drawn[-1].axes[0].images[0].get_array().shape
        assert shown == size
    with pytest.raises(ValueError, match=r"600 pixels are not square; pass image_shape"):
        viz.plot_digit_predictions(np.zeros((4, 600)), [1] * 4, [1] * 4, str(tmp_path / "d.png"))


def test_digits_refusals(tmp_path):
    path = str(tmp_path / "d.png")
    with pytest.raises(ValueError, match=r"at least one image.*\(0, 784\)"):
        viz.plot_digit_predictions(np.zeros((0, 784)), [], [], path)
    with pytest.raises(ValueError, match="columns must be an int >= 1, got 0"):
        viz.plot_digit_predictions(np.zeros((4, 784)), [1] * 4, [1] * 4, path, columns=0)
    with pytest.raises(ValueError, match=r"predicted must hold one label per image, shape "
                                         r"\(4,\), got shape \(2,\)"):
        viz.plot_digit_predictions(np.zeros((4, 784)), [1, 2], [1] * 4, path)


# ----------------------------------------------------------------------------- boundary
def test_decision_boundary_gives_each_of_many_classes_its_own_colour(drawn, tmp_path):
    X = np.random.default_rng(0).normal(size=(24, 2))
    y = np.arange(24) % 12
    viz.plot_decision_boundary(lambda P: np.stack([P[:, 0] * k for k in range(12)], 1), X, y,
                               str(tmp_path / "b.png"), resolution=20)
    points = drawn[-1].axes[0].collections[-1]
    colours = points.to_rgba(points.get_array())  # (24, 4): what each point is drawn in
    assert len({tuple(np.round(c, 4)) for c in colours}) == 12


def test_decision_boundary_refusals(tmp_path):
    path = str(tmp_path / "b.png")
    with pytest.raises(ValueError, match=r"X must be \(n_samples, 2\).*\(0, 2\)"):
        viz.plot_decision_boundary(lambda P: P[:, :1], np.zeros((0, 2)), np.zeros(0, int), path)
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match=r"predict_proba returned shape \(10, 1\) for 2500 "
                                         r"points"):
        viz.plot_decision_boundary(lambda P: P[:10, :1], X, y, path, resolution=50)


# ----------------------------------------------------------------------------- CNNs
def test_filters_refusals(tmp_path):
    with pytest.raises(ValueError, match=r"plot_filters: weight must be .*4-D.*\(0, 1, 3, 3\)"):
        viz.plot_filters(np.zeros((0, 1, 3, 3)), str(tmp_path / "f.png"))
    with pytest.raises(ValueError, match=r"plot_filters: weight must be .*4-D.*\(4, 9\)"):
        viz.plot_filters(np.zeros((4, 9)), str(tmp_path / "f.png"))
    assert viz.plot_filters(np.ones((1, 1, 3, 3)), str(tmp_path / "f.png")).endswith("f.png")


def test_feature_maps_one_per_layer_and_any_image_size(drawn, tmp_path):
    maps = {"c1": np.zeros((4, 26, 26)), "c2": np.zeros((4, 11, 11))}
    viz.plot_feature_maps(np.zeros(784), maps, str(tmp_path / "g.png"), per_layer=1)
    assert drawn[-1].axes[0].images[0].get_array().shape == (28, 28)
    viz.plot_feature_maps(np.zeros((3, 32, 32)), {"c1": np.zeros((4, 30, 30))},
                          str(tmp_path / "g.png"))
    assert drawn[-1].axes[0].images[0].get_array().shape == (32, 32, 3)  # colour
    viz.plot_feature_maps(np.zeros(600), {}, str(tmp_path / "g.png"), image_shape=(20, 30))
    assert drawn[-1].axes[0].images[0].get_array().shape == (20, 30)
    with pytest.raises(ValueError, match="per_layer must be an int >= 1, got 0"):
        viz.plot_feature_maps(np.zeros(784), maps, str(tmp_path / "g.png"), per_layer=0)
