#!/usr/bin/env python3
"""Writes the compose demo's sample data, deterministically (standard library only).

    python3 docker/sample/make-sample.py            # rewrites docker/sample/normal.csv and events.jsonl
    python3 docker/sample/make-sample.py --check    # exits 1 if the committed files differ

The data is a small fleet of pumps. One hidden operating load L in [0.2, 1] drives four sensors:

    flow        = 100 L                    + noise
    pressure    = 1.5 + 3 L^2              + noise   (a curve, not a line)
    temperature = 35 + 25 L                + noise
    vibration   = 0.4 + 0.8 (L - 0.6)^2    + noise   (smallest near the design point)

normal.csv   1500 normal rows with a header, for `flowguard train`.
events.jsonl 600 JSON-lines records for the events topic, in the job's JSON event format
             ({"key": ..., "features": {...}}), with a top-level "label" that the job ignores:
             "normal" (582), "anomaly:<kind>" for 12 anomalies whose every feature is within the
             normal range on its own but whose combination is not (overheating at low load, a leak,
             a blocked outlet, a bearing fault), and "invalid:<reason>" for 6 records that the job
             must send to the dead-letter topic. A model trained on normal.csv with the CLI's
             defaults flagged all 12 anomalies and 1 normal event at false-alarm rate 0.001
             (offline, `flowguard score`).
"""
import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FEATURES = ("flow", "pressure", "temperature", "vibration")
PUMPS = tuple(f"pump-{i:02d}" for i in range(1, 9))
NORMAL_ROWS = 1500
EVENTS = 600
SEED = 20240611


def normal_row(rng):
    load = rng.uniform(0.2, 1.0)
    return {
        "flow": 100.0 * load + rng.gauss(0.0, 2.0),
        "pressure": 1.5 + 3.0 * load * load + rng.gauss(0.0, 0.08),
        "temperature": 35.0 + 25.0 * load + rng.gauss(0.0, 0.8),
        "vibration": 0.4 + 0.8 * (load - 0.6) ** 2 + abs(rng.gauss(0.0, 0.03)),
    }


def anomaly_row(rng, kind):
    row = normal_row(rng)
    if kind == "overheat":  # hot like full load while flow says light load
        row["flow"] = rng.uniform(25.0, 35.0)
        row["pressure"] = 1.5 + 3.0 * (row["flow"] / 100.0) ** 2
        row["temperature"] = rng.uniform(57.0, 59.0)
    elif kind == "leak":  # flow of a heavy load at the pressure of a light one
        row["flow"] = rng.uniform(85.0, 95.0)
        row["pressure"] = rng.uniform(1.7, 1.9)
    elif kind == "blocked":  # pressure of full load, almost no flow
        row["flow"] = rng.uniform(22.0, 26.0)
        row["pressure"] = rng.uniform(4.2, 4.4)
        row["temperature"] = 35.0 + 25.0 * 0.24
    elif kind == "bearing":  # vibration near the top of its range, at the design point
        load = 0.6
        row.update(flow=100.0 * load, pressure=1.5 + 3.0 * load * load,
                   temperature=35.0 + 25.0 * load, vibration=rng.uniform(0.57, 0.59))
    else:
        raise ValueError(kind)
    return row


# Records the job must dead-letter (reason in the label; the job's codes may be finer-grained).
INVALID = (
    ("not-json", '{"key": "pump-03", "features": {"flow": 51.2,'),
    ("missing-key", '{"features": {"flow": 51.2, "pressure": 2.3, "temperature": 47.8, "vibration": 0.41}}'),
    ("non-numeric", '{"key": "pump-04", "features": {"flow": "51.2", "pressure": 2.3, "temperature": 47.8, "vibration": 0.41}}'),
    ("missing-feature", '{"key": "pump-05", "features": {"flow": 51.2, "pressure": 2.3, "temperature": 47.8}}'),
    ("extra-feature", '{"key": "pump-06", "features": {"flow": 51.2, "pressure": 2.3, "temperature": 47.8, "vibration": 0.41, "rpm": 1450}}'),
    ("unknown-model", '{"key": "pump-07", "model": "no-such-model", "features": {"flow": 51.2, "pressure": 2.3, "temperature": 47.8, "vibration": 0.41}}'),
)
ANOMALY_KINDS = ("overheat", "leak", "blocked", "bearing")


def fmt(x):
    return float(f"{x:.3f}")


def normal_csv(rng):
    lines = [",".join(FEATURES)]
    for _ in range(NORMAL_ROWS):
        row = normal_row(rng)
        lines.append(",".join(f"{row[f]:.3f}" for f in FEATURES))
    return "\n".join(lines) + "\n"


def events_jsonl(rng):
    # Anomalies and invalid records at fixed, spread-out positions; everything else normal.
    anomalies = {60 + 45 * i: ANOMALY_KINDS[i % len(ANOMALY_KINDS)] for i in range(12)}
    invalid = {35 + 97 * i: INVALID[i] for i in range(len(INVALID))}
    assert not anomalies.keys() & invalid.keys() and max(anomalies) < EVENTS and max(invalid) < EVENTS
    lines = []
    for i in range(EVENTS):
        key = PUMPS[i % len(PUMPS)]
        if i in invalid:
            reason, text = invalid[i]
            if reason == "not-json":
                lines.append(text)  # deliberately broken JSON, so no label either
                continue
            record = json.loads(text)
            record["label"] = "invalid:" + reason
            lines.append(json.dumps(record, separators=(", ", ": ")))
            continue
        kind = anomalies.get(i)
        row = anomaly_row(rng, kind) if kind else normal_row(rng)
        record = {"key": key, "features": {f: fmt(row[f]) for f in FEATURES},
                  "label": "anomaly:" + kind if kind else "normal"}
        lines.append(json.dumps(record, separators=(", ", ": ")))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: beside this script)")
    args = parser.parse_args()
    rng = random.Random(SEED)
    files = {"normal.csv": normal_csv(rng), "events.jsonl": events_jsonl(rng)}
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path} ({len(text.encode())} bytes)")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run docker/sample/make-sample.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
