"""A run folder's report.html: one self-contained page, rewritten identically."""

from __future__ import annotations

import numpy as np

from genriflow.evaluation.html import write_html_report
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.plots import plot_cluster_assignments
from genriflow.evaluation.report import write_report

LABELS = ["blues", "jazz", "rock & roll"]


def small_metrics() -> dict:
    y_true = ["blues"] * 4 + ["jazz"] * 4 + ["rock & roll"] * 4
    y_pred = ["blues"] * 3 + ["jazz"] * 5 + ["rock & roll"] * 3 + ["blues"]
    return {"data": "demo", "split": {"method": "random", "seed": 0, "counts": {"test": 12}},
            "test": classification_metrics(y_true, y_pred, LABELS, "test (12 clips)")}


def test_write_report_writes_self_contained_html(tmp_path):
    write_report(tmp_path, "Genres <demo> & *more*", small_metrics())
    assert (tmp_path / "per-class.png").stat().st_size > 0
    assert "](per-class.png)" in (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    assert "<title>Genres &lt;demo&gt; &amp; more</title>" in page
    assert "<h1>Genres &lt;demo&gt; &amp; <em>more</em></h1>" in page
    assert "<table>" in page and "rock &amp; roll" in page
    assert page.count('src="data:image/png;base64,') == 2
    assert 'src="confusion.png"' not in page and 'src="per-class.png"' not in page
    assert "<h2>Pictures</h2>" not in page
    assert "http" not in page and "<script" not in page


def test_html_is_idempotent_and_adds_later_pictures(tmp_path):
    write_report(tmp_path, "Run", small_metrics())
    first = (tmp_path / "report.html").read_text()
    write_html_report(tmp_path)
    assert (tmp_path / "report.html").read_text() == first

    plot_cluster_assignments(["blues", "blues", "jazz", "rock"], [2, 2, 0, 1], "Clusters",
                             tmp_path / "clusters.png")
    write_html_report(tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "<h2>Pictures</h2>" in page and "<figcaption>clusters.png</figcaption>" in page
    assert page.count('src="data:image/png;base64,') == 3
    write_html_report(tmp_path)
    assert (tmp_path / "report.html").read_text() == page


def test_a_rerun_shows_only_its_own_pictures_and_keeps_the_others(tmp_path):
    # An evaluation rerun into a folder holding an earlier run's training curves and a
    # picture of the user's own: report.md embedded the curves as this run's, and
    # report.html showed every PNG of the folder.
    plot_cluster_assignments(["blues", "jazz"], [0, 1], "Old", tmp_path / "curves.png")
    (tmp_path / "mine.png").write_bytes((tmp_path / "curves.png").read_bytes())
    write_report(tmp_path, "Run", small_metrics())
    assert "curves.png" not in (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2  # per-class and confusion
    assert "<h2>Pictures</h2>" not in page and "mine.png" not in page
    assert (tmp_path / "curves.png").is_file() and (tmp_path / "mine.png").is_file()
    write_report(tmp_path, "Run", small_metrics(), curves=tmp_path / "curves.png")
    assert "](curves.png)" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "report.html").read_text().count('src="data:image/png;base64,') == 3


def test_cluster_columns_follow_their_genre():
    from genriflow.evaluation.plots import _cluster_order

    counts = np.array([[0, 5, 1, 0], [4, 0, 0, 1], [0, 1, 0, 6]])
    assert _cluster_order(counts).tolist() == [1, 0, 3, 2]
