"""Container images (`docker save` tarballs, OCI image layouts): every layer's files, deleted
ones included, and the config's Env, Cmd, Entrypoint, Labels and build history."""

from __future__ import annotations

import json
import posixpath
import shlex
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pgsweep.core.models import (
    ChatProvenance,
    Chunk,
    ImageProvenance,
    MailProvenance,
    Provenance,
    Skipped,
)
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.readers.interface import FileInfo, Nested, ReadItem, Tree, read_limited
from pgsweep.readers.normalise import member_of, reader_name
from pgsweep.readers.tar_stream import open_tar_stream

_OPAQUE = ".wh..wh..opq"
_REF_NAMES = ("io.containerd.image.name", "org.opencontainers.image.ref.name")
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json")
_META_LIMIT = 16 * 1024 * 1024  # manifests, indexes and configs are small JSON documents


@dataclass
class Image:
    """One image of the tree: its name, config and layers (bottom first)."""

    name: str
    config: str | None
    layers: list[str] = field(default_factory=list)


def blob_path(digest: str) -> str:
    alg, _, hexpart = digest.partition(":")
    return f"blobs/{alg}/{hexpart}"


def layer_name(path: str) -> str:
    """`blobs/sha256/<hex>` → `sha256:<hex>`; a legacy `<id>/layer.tar` stays as it is."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "blobs":
        return f"{parts[1]}:{parts[2]}"
    return path


def is_image_layout(names: frozenset[str]) -> bool:
    """An OCI layout (`oci-layout`, `index.json`), or a `docker save` tarball
    (`manifest.json` beside `repositories` or `<id>/layer.tar` members)."""
    if "oci-layout" in names and "index.json" in names:
        return True
    return "manifest.json" in names and (
        "repositories" in names or any(n.endswith("/layer.tar") for n in names))


class ContainerImage:
    """A `docker save` tarball or an OCI image layout (tar or folder)."""

    name = "container-image"

    def claims(self, names: frozenset[str]) -> bool:
        return is_image_layout(names)

    def iter_tree(self, tree: Tree, info: FileInfo, max_size: int,
                  json_gate: JsonGate | None = None) -> Iterator[ReadItem]:
        names = {e.name for e in tree.entries()}
        images, problems = self._images(tree, names)
        where = info.path if not info.member else f"{info.path}!{info.member}"
        for problem in problems:
            yield Skipped(where, problem)
        used: set[str] = set()
        for image in images:
            if image.config and image.config in names:
                used.add(image.config)
                yield from self._config_items(tree, info, image, where)
            steps = self._layer_steps(tree, image)
            layers = [p for p in image.layers if p not in used]
            deleted = _Deletions()
            for depth, path in reversed(list(enumerate(image.layers))):
                if path not in layers:
                    continue
                used.add(path)
                if path not in names:
                    yield Skipped(f"{where}!{path}", "image: layer missing from the image",
                                  incomplete=True)
                    continue
                yield from self._layer_items(tree, info, image, path, steps.get(depth),
                                             deleted, max_size, where)
        for entry in tree.entries():  # manifests, indexes, anything unexpected
            if entry.name in used:
                continue
            member = f"{info.member}!{entry.name}" if info.member else entry.name
            if entry.size > max_size:
                yield Skipped(f"{info.path}!{member}", "too large")
                continue
            data = read_limited(tree, entry.name, max_size, entry.size)
            if data is None:
                yield Skipped(f"{info.path}!{member}", "too large")
                continue
            yield Nested(replace(info, name=posixpath.basename(entry.name), member=member),
                         data, _same)

    # ------------------------------------------------------------------ manifests
    def _images(self, tree: Tree, names: set[str]) -> tuple[list[Image], list[str]]:
        problems: list[str] = []
        if "manifest.json" in names:
            doc = _json(tree, "manifest.json")
            if isinstance(doc, list):
                images = []
                for entry in doc:
                    if not isinstance(entry, dict):
                        continue
                    tags = [t for t in entry.get("RepoTags") or () if isinstance(t, str)]
                    config = entry.get("Config") if isinstance(entry.get("Config"), str) else None
                    name = ", ".join(tags) or (layer_name(config) if config else "unnamed")
                    if name.endswith(".json"):
                        name = "sha256:" + posixpath.basename(name)[: -len(".json")]
                    images.append(Image(name, config, [
                        p for p in entry.get("Layers") or () if isinstance(p, str)]))
                return images, problems
            problems.append("image: manifest.json is not a docker save manifest")
        if "index.json" in names:
            images = []
            self._walk_index(tree, _json(tree, "index.json"), None, images, problems, 0)
            return images, problems
        return [], problems

    def _walk_index(self, tree: Tree, index: Any, name: str | None, out: list[Image],
                    problems: list[str], depth: int) -> None:
        if not isinstance(index, dict) or depth > 4:
            problems.append("image: index.json is not an OCI image index")
            return
        for desc in index.get("manifests") or ():
            if not isinstance(desc, dict) or not isinstance(desc.get("digest"), str):
                continue
            notes = _dict(desc.get("annotations"))
            ref = next((notes[k] for k in _REF_NAMES if isinstance(notes.get(k), str)), None)
            label = name or ref or desc["digest"]
            doc = _json(tree, blob_path(desc["digest"]))
            if not isinstance(doc, dict):
                problems.append(f"image: manifest {desc['digest']} missing or unreadable")
                continue
            if desc.get("mediaType") in _INDEX_TYPES or "manifests" in doc:
                self._walk_index(tree, doc, label, out, problems, depth + 1)
                continue
            config = _dict(doc.get("config"))
            out.append(Image(
                label,
                blob_path(config["digest"]) if isinstance(config.get("digest"), str) else None,
                [blob_path(layer["digest"]) for layer in doc.get("layers") or ()
                 if isinstance(layer, dict) and isinstance(layer.get("digest"), str)],
            ))

    # ------------------------------------------------------------------ config
    def _config_items(self, tree: Tree, info: FileInfo, image: Image,
                      where: str) -> Iterator[ReadItem]:
        assert image.config is not None
        doc = _json(tree, image.config)
        if not isinstance(doc, dict):
            yield Skipped(f"{where}!{image.config}", "image: config is not JSON")
            return
        base = ImageProvenance(path=info.path, image=image.name, layer=None, member=None,
                               **info.facts())
        cfg = _dict(doc.get("config"))
        for key in ("Env", "Cmd", "Entrypoint"):
            value = cfg.get(key)
            if isinstance(value, list) and value:
                texts = [str(v) for v in value]
                lines = texts if key == "Env" else [shlex.join(texts)]
                yield _chunk(lines, replace(base, part=f"config.{key}"))
        labels = cfg.get("Labels")
        if isinstance(labels, dict) and labels:
            yield _chunk([f"{k}={v}" for k, v in labels.items()],
                         replace(base, part="config.Labels"))
        for n, step in enumerate(doc.get("history") or (), 1):
            if isinstance(step, dict) and isinstance(step.get("created_by"), str):
                text = _instruction_text(step["created_by"])
                yield _chunk([text], replace(base, part="history", step=_step_name(n, text)))

    @staticmethod
    def _layer_steps(tree: Tree, image: Image) -> dict[int, str]:
        """Layer index → the history step that made it (steps with `empty_layer` make none)."""
        doc = _json(tree, image.config) if image.config else None
        history = doc.get("history") if isinstance(doc, dict) else None
        steps: dict[int, str] = {}
        layer = 0
        for n, step in enumerate(history if isinstance(history, list) else (), 1):
            if not isinstance(step, dict) or step.get("empty_layer"):
                continue
            created = step.get("created_by")
            steps[layer] = _step_name(n, _instruction_text(created if isinstance(created, str)
                                                           else ""))
            layer += 1
        return steps

    # ------------------------------------------------------------------ layers
    def _layer_items(self, tree: Tree, info: FileInfo, image: Image, path: str,
                     step: str | None, deleted: _Deletions, max_size: int,
                     where: str) -> Iterator[ReadItem]:
        layer = layer_name(path)
        base = ImageProvenance(path=info.path, image=image.name, layer=layer, step=step,
                               **info.facts())
        here = _Deletions()
        links = 0
        try:
            with tree.open(path) as raw, open_tar_stream(raw) as layer_tar:
                for ti in layer_tar:
                    name = ti.name.removeprefix("./").lstrip("/")
                    base_name = posixpath.basename(name)
                    if base_name.startswith(".wh."):
                        here.add(name)
                        continue
                    if ti.isdir():
                        continue
                    member_where = f"{where}!{layer}!{name}"
                    if not ti.isfile():
                        links += ti.issym() or ti.islnk()
                        if not (ti.issym() or ti.islnk()):
                            yield Skipped(member_where, "archive: special member (device, FIFO)")
                        continue
                    if ti.size > max_size:
                        yield Skipped(member_where, "too large")
                        continue
                    fh = layer_tar.extractfile(ti)
                    if fh is None:
                        yield Skipped(member_where, "archive: member not readable as a file")
                        continue
                    data = fh.read(ti.size)  # no more: a larger request is allocated whole
                    mode = f"{ti.mode & 0o7777:04o}"
                    yield Nested(FileInfo(path=info.path, name=base_name,
                                          member=f"{info.member + '!' if info.member else ''}"
                                                 f"{layer}!{name}",
                                          user=info.user, owner=ti.uname or str(ti.uid),
                                          mode=mode),
                                 data, _layer_wrap(base, name, deleted.hides(name), mode))
        except (tarfile.TarError, zlib.error, EOFError, OSError, ValueError) as exc:
            yield Skipped(f"{where}!{layer}",
                          f"image: layer unreadable or compressed in a format not read "
                          f"({type(exc).__name__})", incomplete=True)
        if links:
            yield Skipped(f"{where}!{layer}", f"image: {links} links not followed")
        deleted.merge(here)


class _Deletions:
    """Paths a layer deletes (`.wh.NAME`) and folders it empties (`.wh..wh..opq`)."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.opaque: set[str] = set()

    def add(self, whiteout: str) -> None:
        folder, base = posixpath.split(whiteout)
        if base == _OPAQUE:
            self.opaque.add(folder)
        else:
            self.paths.add(posixpath.join(folder, base[len(".wh."):]))

    def merge(self, other: _Deletions) -> None:
        self.paths |= other.paths
        self.opaque |= other.opaque

    def hides(self, path: str) -> bool:
        """True when a later layer deleted this path, a folder above it, or emptied one."""
        if path in self.paths:
            return True
        folder = posixpath.dirname(path)
        while True:
            if folder in self.opaque or (folder and folder in self.paths):
                return True
            if not folder:
                return False
            folder = posixpath.dirname(folder)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(tree: Tree, name: str) -> Any:
    try:
        data = read_limited(tree, name, _META_LIMIT)
        return json.loads(data) if data is not None else None
    except Exception:  # noqa: BLE001 - a missing or broken document is reported by the caller
        return None


def _instruction_text(created_by: str) -> str:
    """`/bin/sh -c #(nop)  ENV A=b` → `ENV A=b`; a RUN step keeps its shell command."""
    text = created_by.strip()
    if text.startswith("/bin/sh -c #(nop)"):
        return text[len("/bin/sh -c #(nop)"):].strip()
    return text


def _step_name(n: int, text: str) -> str:
    """`#N INSTRUCTION`: the step's number and instruction word, never its arguments."""
    word = text.split(None, 1)[0] if text.split() else ""
    if not (word.isalpha() and word.isupper()):
        word = "RUN" if text else "?"
    return f"#{n} {word}"


def _chunk(lines: list[str], provenance: Provenance) -> Chunk:
    texts: list[str] = []
    origin: list[int] = []
    for n, line in enumerate(lines, 1):
        parts = line.split("\n")
        texts += parts
        origin += [n] * len(parts)
    return Chunk(data="\n".join(texts).encode("utf-8", "surrogateescape"),
                 provenance=provenance, line_map=tuple(origin))


def _layer_wrap(base: ImageProvenance, member: str, deleted: bool,
                mode: str) -> Callable[[Provenance], Provenance]:
    """The provenance of what is read from the layer's file `member`: the image's, naming
    the file (and anything inside it, an archive's member), unless it has its own."""
    full = f"{base.layer}!{member}"

    def wrap(p: Provenance) -> Provenance:
        if isinstance(p, (ImageProvenance, MailProvenance, ChatProvenance)):
            return p  # an image or mailbox inside the layer: its own attribution
        inner = member_of(p) or ""
        rest = inner[inner.index(full) + len(full):] if full in inner else ""
        return replace(base, member=f"{member}{rest}", deleted=deleted, mode=mode,
                       reader=reader_name(p))

    return wrap


def _same(p: Provenance) -> Provenance:
    return p


CONTAINER_IMAGE = ContainerImage()
