"""Time and measure the memory of importing 50 MB files of every format (issue 15, limits).

Run as ``.venv/bin/python benchmarks/bench_import_limits.py [--runs 3] [--baseline-ref REF]``;
prints a markdown table. For each format (YAML, CSV, GIFT, Moodle XML, a QTI zip, and the
last four as another tool writes them, ``foreign-*``: without the marks of the engine's own
files, so that the import reads them per item as drafts) it writes files of about 50 MB
(``--mb``) into a temporary folder (or ``--write-only DIR`` once, then ``--files DIR``):

- ``bank``: realistic items (a stem of about 1,700 characters, four options, a rationale of
  about 500 characters each, two references), as many as the key space allows (999 a
  sub-domain, 12,987 in all); the import should succeed;
- ``errors``: the same items, each with one mistake (an unknown difficulty), so the import
  refuses with one problem an item (the "37,000 error lines" case);
- ``huge``: one item whose stem is the whole 50 MB (the pathological field).

(``foreign-*`` have no ``errors`` file: another tool's items become drafts whatever they lack.)

Each file is imported by ``flask bank import --format FMT FILE --draft`` in a subprocess on
a fresh SQLite database, and the subprocess's wall time and peak RSS
(``resource.getrusage(RUSAGE_CHILDREN)`` of a wrapper process that runs only that import)
are recorded; the median of ``--runs`` is reported. The baseline is the code at
``--baseline-ref`` (default ``4d67031``, main before this work) exported by ``git archive``
into a temporary folder and run with ``PYTHONPATH`` pointing at it, on the same files, in
the same run. Targets: every import answers (imports or refuses with problems) within 30 s
and 300 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exam_engine.domain import formats  # noqa: E402
from exam_engine.domain.bank import ItemRecord  # noqa: E402
from exam_engine.domain.formats import yaml_format  # noqa: E402
from exam_engine.domain.formats._common import write_zip  # noqa: E402
from question_bank import BUNDLED_BLUEPRINT, load_blueprint  # noqa: E402

# ``foreign-X`` is format X as another tool writes it (no engine marks): read per item.
FORMATS = (
    "yaml",
    "csv",
    "gift",
    "moodlexml",
    "qti",
    "foreign-csv",
    "foreign-gift",
    "foreign-moodlexml",
    "foreign-qti",
)
SUFFIXES = {"yaml": ".yaml", "csv": ".csv", "gift": ".gift", "moodlexml": ".xml", "qti": ".zip"}
VARIANTS = ("bank", "errors", "huge")
WORDS = (
    "model governance risk control assurance inventory lifecycle monitoring drift bias "
    "privacy incident response vendor contract audit evidence policy owner threshold "
    "validation testing adversarial poisoning provenance lineage access segregation"
).split()

# Runs one import and prints its own child's wall time and peak RSS as JSON, so the figures
# are the import process's alone (RUSAGE_CHILDREN of this small wrapper).
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
rss_kb = usage.ru_maxrss
err = done.stderr.splitlines()
out = done.stdout.strip().splitlines() or [""]
out = next((line for line in out if line.startswith("imported")), out[-1])
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": rss_kb / 1024, "rc": done.returncode,
                  "stderr_lines": len(err), "out": out[:300],
                  "err_tail": err[-2:] if err else []}))
"""


def _text(seed: int, length: int) -> str:
    """Words drawn at random (seeded) so that text compresses about as prose does."""
    chooser = random.Random(seed)
    words: list[str] = []
    size = 0
    while size < length:
        word = chooser.choice(WORDS)
        if chooser.random() < 0.3:
            word += str(chooser.randrange(1000))
        words.append(word)
        size += len(word) + 1
    return (" ".join(words)[: length - 1] + ".").capitalize()


def items(count: int, *, stem_chars: int = 1700) -> list[ItemRecord]:
    """Realistic items spread over the sub-domains, keys D1-A-001 onwards."""
    blueprint = load_blueprint(BUNDLED_BLUEPRINT)
    codes = blueprint.subdomain_codes
    result: list[ItemRecord] = []
    for n in range(count):
        code = codes[n % len(codes)]
        number = n // len(codes) + 1
        sub = blueprint.subdomain(code)
        result.append(
            ItemRecord(
                key=f"{code}-{number:03d}",
                subdomain=code,
                domain=sub.domain,
                stem=_text(n, stem_chars) + f" (case {n})?",
                options=tuple(_text(n + i, 140) + f" {n}-{i}" for i in range(4)),
                answer=n % 4,
                rationales=tuple(_text(n + 10 + i, 480) for i in range(4)),
                references=(f"ISO/IEC 42001:2023 clause {n % 10}", "NIST AI RMF 1.0 MAP 1.1"),
                difficulty=("easy", "medium", "hard")[n % 3],
            )
        )
    return result


def yaml_text(records: list[ItemRecord], difficulty: str | None = None) -> bytes:
    """One YAML file holding every item (each names its own sub-domain)."""
    entries = []
    for record in records:
        mapping = {"subdomain": record.subdomain, **yaml_format.item_mapping(record)}
        if difficulty is not None:
            mapping["difficulty"] = difficulty
        entries.append(mapping)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump({"items": entries}, Dumper=dumper, sort_keys=False, allow_unicode=True)
    return body.encode("utf-8")


def _engine_format(fmt: str) -> str:
    return fmt.removeprefix("foreign-")


def _suffix(fmt: str) -> str:
    return SUFFIXES[_engine_format(fmt)]


def foreign(fmt: str, content: bytes) -> bytes:
    """The engine's file without the marks that tell it is the engine's: another tool's file."""
    if fmt == "gift":  # titles that are not item keys
        return re.sub(rb"::D(\d)-([A-Z])-(\d{3})::", rb"::Q\1\2\3::", content)
    if fmt == "csv":  # a spreadsheet's column names, no ``key`` column
        head, _, body = content.partition(b"\n")
        head = head.replace(b"key,", b"id,").replace(b"stem", b"question")
        return head + b"\n" + body
    if fmt == "moodlexml":
        return content.replace(b' class="aaism-markdown"', b"")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    # The engine's items carry its metadata as an author-view rubric (formats/qti/own_meta).
    own = re.compile(rb'\s*<qti-rubric-block class="aaism-metadata".*?</qti-rubric-block>', re.S)
    return write_zip({name: own.sub(b"", data) for name, data in members.items()})


def write_file(fmt: str, records: list[ItemRecord], *, bad: bool = False) -> bytes:
    """The records in one format; ``bad`` gives each item an unknown difficulty."""
    if fmt.startswith("foreign-"):
        plain = _engine_format(fmt)
        return foreign(plain, write_file(plain, records, bad=bad))
    if fmt == "yaml":
        return yaml_text(records, "very hard" if bad else None)
    blueprint = load_blueprint(BUNDLED_BLUEPRINT)
    if bad and fmt != "qti":
        # The CSV and GIFT writers carry any difficulty as written.
        records = [replace(r, difficulty="veryhard") for r in records]
    content = formats.write(fmt, records, blueprint)
    if bad and fmt == "qti":
        # QTI maps difficulty to LOM when writing, so the bad level is put into each item.
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        members = {
            name: re.sub(rb"(<dt>difficulty</dt>\s*<dd>)[a-z]+(</dd>)", rb"\1veryhard\2", data)
            for name, data in members.items()
        }
        content = write_zip(members)
    return content


def make_files(folder: Path, megabytes: int) -> dict[tuple[str, str], Path]:
    """Write every format's three files; return {(format, variant): path}."""
    # Just under the cap (50 MB is 52,428,800 bytes): the files must be read, not refused.
    target = int(megabytes * 1024 * 1024 * 0.96)
    probe = items(13)
    files: dict[tuple[str, str], Path] = {}
    for fmt in FORMATS:
        per_item = len(write_file(fmt, probe)) / len(probe)
        count = min(12_987, max(1, int(target / per_item)))
        stem_chars = 1700
        if count == 12_987:  # the key space is full: grow the stems to reach the size
            stem_chars = int(1700 + (target - per_item * count) / count)
        records = items(count, stem_chars=stem_chars)
        for variant in VARIANTS:
            if fmt.startswith("foreign-") and variant == "errors":
                continue  # a foreign file has no such errors: its items become drafts
            if variant == "huge":
                one = items(1, stem_chars=int(target * 0.95))
                content = write_file(fmt, one)
            else:
                content = write_file(fmt, records, bad=variant == "errors")
            path = folder / fmt / f"{variant}{_suffix(fmt)}"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(content)
            files[(fmt, variant)] = path
    return files


def baseline_tree(ref: str, folder: Path, repo: Path = ROOT) -> Path:
    """The code at ``ref``, exported by git archive (no checkout, no venv of its own)."""
    tree = folder / f"baseline-{ref}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", ref],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def fresh_database(code: Path, folder: Path, name: str) -> str:
    """A migrated SQLite database for one run: a copy of one migrated by the code under test."""
    template = folder / f"migrated-{code.name}.sqlite3"
    if not template.exists():
        env = _env(code, f"sqlite:///{template}")
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=code,
            env=env,
            check=True,
            capture_output=True,
        )
    copy = folder / f"{name}.sqlite3"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


def _env(code: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code)
    env["DATABASE_URL"] = url
    env["EXAM_ENGINE_INSTANCE_PATH"] = str(Path(url.removeprefix("sqlite:///")).parent)
    env.pop("FLASK_APP", None)
    return env


def measure(code: Path, fmt: str, path: Path, folder: Path, tag: str) -> dict[str, object]:
    """Import one file in a fresh database by the code at ``code``; wall time and peak RSS."""
    url = fresh_database(code, folder, tag)
    command = [
        sys.executable,
        "-c",
        WRAPPER,
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "bank",
        "import",
        "--format",
        _engine_format(fmt),
        str(path),
        "--draft",
    ]
    done = subprocess.run(command, cwd=code, env=_env(code, url), capture_output=True, text=True)
    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--baseline-ref", default="4d67031")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="the git repository of the baseline"
    )
    parser.add_argument(
        "--files", type=Path, default=None, help="reuse files a --write-only run wrote here"
    )
    parser.add_argument("--write-only", type=Path, default=None, help="write the files here, stop")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--baseline-runs", type=int, default=None, help="runs of the baseline (default --runs)"
    )
    args = parser.parse_args()
    wanted_formats = args.formats.split(",")
    wanted_variants = args.variants.split(",")
    print(f"machine: {os.cpu_count()} CPUs, {platform.python_version()}, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        if args.files is not None:
            files = {
                (fmt, variant): args.files / fmt / f"{variant}{_suffix(fmt)}"
                for fmt in FORMATS
                for variant in VARIANTS
                if (args.files / fmt / f"{variant}{_suffix(fmt)}").exists()
            }
        else:
            files = make_files(folder, args.mb)
            print(f"files written in {time.perf_counter() - start:.0f} s")
        if args.write_only is not None:
            for (fmt, _variant), path in files.items():
                target = args.write_only / fmt / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
            return
        codes = {"this branch": ROOT}
        if not args.no_baseline:
            codes[f"baseline {args.baseline_ref}"] = baseline_tree(
                args.baseline_ref, folder, args.repo
            )
        print()
        print(
            "| format | file | MB | code | wall s (median) | CPU s (median) "
            "| peak RSS MB, median (min-max) | exit | answer |"
        )
        print("|---|---|---:|---|---:|---:|---:|---:|---|")
        for fmt in wanted_formats:
            for variant in wanted_variants:
                if (fmt, variant) not in files:
                    continue
                path = files[(fmt, variant)]
                size = path.stat().st_size / 2**20
                for label, code in codes.items():
                    runs = args.runs
                    if label != "this branch" and args.baseline_runs is not None:
                        runs = args.baseline_runs
                    results = [
                        measure(code, fmt, path, folder, f"{fmt}-{variant}-{n}")
                        for n in range(runs)
                    ]
                    wall = statistics.median(float(str(r["wall"])) for r in results)
                    all_rss = [float(str(r["rss_mb"])) for r in results]
                    rss = statistics.median(all_rss)
                    cpu = statistics.median(float(str(r["cpu"])) for r in results)
                    last = results[-1]
                    answer = str(last["out"] or " / ".join(map(str, last["err_tail"])))
                    answer = answer.replace("|", "/")[:160]
                    print(
                        f"| {fmt} | {variant} | {size:.1f} | {label} | {wall:.1f} | {cpu:.1f} "
                        f"| {rss:.0f} ({min(all_rss):.0f}-{max(all_rss):.0f}) "
                        f"| {last['rc']} | {answer} ({last['stderr_lines']} stderr lines) |",
                        flush=True,
                    )
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
