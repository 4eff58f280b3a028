#!/usr/bin/env python3
"""Compares bench/quality.sh output (lines: set auroc ap test_nll fit_s) with the peer AUROCs of issue 6.

    bench/peers.py RESULTS.txt [--md]
"""
import sys

# AUROC, mean over seeds 0-2, from the reference table: maf realnvp iforest gmm kde rcf.
PEERS = {
    "breastw": (0.989, 0.989, 0.994, 0.978, 0.990, 0.992),
    "cardio": (0.856, 0.820, 0.943, 0.847, 0.952, 0.967),
    "cardiotocography": (0.674, 0.681, 0.803, 0.704, 0.777, 0.826),
    "fault": (0.694, 0.716, 0.665, 0.759, 0.830, 0.678),
    "glass": (0.861, 0.833, 0.803, 0.901, 0.913, 0.824),
    "hepatitis": (0.840, 0.840, 0.810, 0.812, 0.830, 0.847),
    "landsat": (0.689, 0.722, 0.603, 0.660, 0.753, 0.636),
    "letter": (0.950, 0.919, 0.643, 0.959, 0.933, 0.740),
    "magic_gamma": (0.889, 0.889, 0.775, 0.870, 0.812, 0.793),
    "mammography": (0.865, 0.871, 0.877, 0.871, 0.872, 0.885),
    "pageblocks": (0.944, 0.935, 0.925, 0.945, 0.962, 0.959),
    "pendigits": (0.993, 0.999, 0.970, 0.998, 0.999, 0.975),
    "satellite": (0.840, 0.856, 0.799, 0.830, 0.879, 0.795),
    "shuttle": (1.000, 1.000, 0.997, 1.000, 0.999, 0.999),
    "spambase": (0.815, 0.819, 0.834, 0.834, 0.853, 0.826),
    "stamps": (0.931, 0.945, 0.949, 0.928, 0.968, 0.948),
    "thyroid": (0.981, 0.983, 0.987, 0.988, 0.985, 0.989),
    "vowels": (0.979, 0.990, 0.792, 0.995, 0.990, 0.837),
    "waveform": (0.750, 0.720, 0.751, 0.806, 0.764, 0.747),
    "wbc_adbench": (0.991, 0.981, 0.994, 0.959, 0.984, 0.991),
    "wine": (0.938, 0.925, 0.896, 0.881, 0.960, 0.932),
    "yeast": (0.453, 0.488, 0.416, 0.456, 0.445, 0.446),
}
NAMES = ("maf", "realnvp", "iforest", "gmm", "kde", "rcf")

rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and f[0] in PEERS:
        cpu = float(f[5]) if len(f) >= 6 else float("nan")
        rows[f[0]] = (float(f[1]), float(f[2]), float(f[3]), float(f[4]), cpu)
md = "--md" in sys.argv
if md:
    print("| data set | flow AUROC | AP | test NLL | fit s (wall) | CPU s / seed | best peer | flow - best |")
    print("|---|---|---|---|---|---|---|---|")
below, gaps = 0, []
for s, (auroc, ap, nll, fit, cpu) in rows.items():
    best = max(PEERS[s])
    who = NAMES[PEERS[s].index(best)]
    gap = auroc - best
    gaps.append(gap)
    below += gap < -0.05
    mark = " <-- more than 0.05 below" if gap < -0.05 else ""
    if md:
        print(f"| {s} | {auroc:.3f} | {ap:.3f} | {nll:.2f} | {fit:.1f} | {cpu:.1f} | {best:.3f} ({who}) | {gap:+.3f} |")
    else:
        print(f"{s:18s} {auroc:.4f}  best {best:.3f} {who:8s} {gap:+.3f}{mark}")
n = len(rows)
mean = sum(r[0] for r in rows.values()) / n
peer_means = [sum(PEERS[s][i] for s in rows) / n for i in range(6)]
print(("\n" if md else "") + f"flow mean AUROC over {n} sets: {mean:.4f}; peers on the same sets: "
      + ", ".join(f"{NAMES[i]} {peer_means[i]:.3f}" for i in range(6)) + f"; sets > 0.05 below the best peer: {below}")
