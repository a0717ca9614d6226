"""The detector: anchors cover every keyword, windows follow hits, sources scope signatures."""

from __future__ import annotations

from conftest import make_password

from pgsweep.detectors.engine import CORE_ANCHORS, SignatureDetector
from pgsweep.models import Chunk, FileProvenance, GitProvenance


def test_every_keyword_is_reached_through_an_anchor(all_signatures) -> None:
    plan = SignatureDetector(all_signatures).plan("file")
    anchors = plan.prefilter.keywords
    for ki, kw in enumerate(plan.keywords):
        own = [anchors[a] for a in plan.anchors_of[ki]]
        sigs = [s for s in all_signatures if kw in s.keywords]
        # a keyword either contains its anchor or its signatures declare the anchors
        assert all(a in kw for a in own) or all(set(own) <= set(s.anchors) for s in sigs)
    # the git plan's first pass looks for the core anchors only (fast: ~2.5 GB/s)
    git = SignatureDetector(all_signatures).plan("git").prefilter.keywords
    assert set(git) <= set(CORE_ANCHORS)


def test_error_text_signature_runs_on_logs_not_git_blobs(all_signatures) -> None:
    fragment = make_password(8)  # generated: a literal would be a leak at rest
    text = (
        f'psql: error: invalid integer value "{fragment}" for connection option "port"\n'
    ).encode()
    detector = SignatureDetector(all_signatures)
    on_file = [
        c.rule for c in detector.iter_candidates(Chunk(text, FileProvenance(path="ci.log")))
    ]
    on_git = [c.rule for c in detector.iter_candidates(
        Chunk(text, GitProvenance(repo="r", blob="b" * 40, path="ci.log")))]
    assert on_file == ["pg.uri.2"]
    assert on_git == []


def test_hits_on_one_line_make_one_window(all_signatures, password) -> None:
    line = f"a postgres://u:{password}@db.corp.net/x postgres://u:{password}@db.corp.net/y\n"
    data = b"header\n" + line.encode() + b"footer\n"
    detector = SignatureDetector(all_signatures)
    windows = detector.windows(Chunk(data, FileProvenance(path="x.txt")))
    uri = next(i for i, s in enumerate(detector.signatures) if s.id == "pg.uri.1")
    assert windows[uri] == [(7, 7 + len(line) - 1)]
