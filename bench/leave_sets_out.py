#!/usr/bin/env python3
"""Leave-sets-out comparison of default-model candidates (issue 16): decide on one half of the sets, report on
the other half, both ways, over several random halvings of the 22 development sets plus the synthetic families.

    bench/leave_sets_out.py [--halvings 10] [--seed 16]

Inputs (raw outputs committed beside this script):
  bench/results-bounded-seeds012.txt                 candidate "old" on the 22 development sets (quality.sh, seeds 0-2)
  bench/generalization/dev-*.txt                     GeneralizationRun lines for the development sets whose
                                                     preprocessing differs under a candidate (all others are the
                                                     same model bit for bit: bench/generalization/apart-columns-dev.txt)
  bench/generalization/synthetic-*.txt               GeneralizationRun lines on SyntheticSets (flow variants, kde, gmm, iforest)
Peers on the development sets: bench/peers.py (the issue's reference table: maf realnvp iforest gmm kde rcf).
Peers on the synthetic sets: kde, gmm, iforest as measured here (no plain MAF / RealNVP / RCF figures exist for them).

Candidates: old (before issue 16: constant columns dropped and not scored), apart4 (constant and nearly constant
columns, at most 4 rows off the mode, modelled apart), new (the same, and at most 1 % of the rows: the default).
Decision rule on a half: the candidate with the highest mean AUROC there; where several tie (the same models on
every set of the half), the held-out figure is the mean of the tied candidates' (the expected value of a random pick).
"""
import collections, glob, os, random, statistics, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.argv += []
halvings = int(sys.argv[sys.argv.index("--halvings") + 1]) if "--halvings" in sys.argv else 10
rseed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 16

exec(open(os.path.join(here, "peers.py")).read().split("rows = {}")[0])  # PEERS, NAMES
DEV = sorted(PEERS)

old = {}
for line in open(os.path.join(here, "results-bounded-seeds012.txt")):
    f = line.split()
    if len(f) >= 5 and f[0] in PEERS:
        old[f[0]] = float(f[1])

runs = collections.defaultdict(dict)  # (set, method) -> {seed: auroc}
nll = collections.defaultdict(dict)
for path in sorted(glob.glob(os.path.join(here, "generalization", "*.txt"))):
    for line in open(path):
        f = line.split()
        if len(f) >= 8 and (f[0] in PEERS or f[0].startswith("syn_")) and f[1].isdigit():
            runs[(f[0], f[2])][int(f[1])] = float(f[3])
            nll[(f[0], f[2])][int(f[1])] = float(f[6])

def mean(d):
    return sum(d.values()) / len(d) if d else float("nan")

SYN = sorted({s for (s, m) in runs if s.startswith("syn_")})
cand = {"old": {}, "apart4": {}, "new": {}}
for s in DEV:
    cand["old"][s] = old[s]
    # A set without a run of a candidate has no column that candidate models apart on any seed: the same
    # preprocessing, hence the same model bit for bit, as "old" (apart-columns-dev.txt).
    cand["new"][s] = mean(runs[(s, "flow-new")]) if runs.get((s, "flow-new")) else old[s]
    cand["apart4"][s] = mean(runs[(s, "flow-apart4")]) if runs.get((s, "flow-apart4")) else cand["new"][s]
for s in SYN:
    o = runs.get((s, "flow-old")) or {}
    n = runs.get((s, "flow-new")) or {}
    # Where no constant or nearly constant column exists (every family but the sparse binary ones), old = new
    # bit for bit (checked on seed 0 of each); where a seed of "old" was not run, the set is left out of "old".
    cand["old"][s] = mean(o) if "sparse" in s else mean(n)
    cand["new"][s] = mean(n)
    cand["apart4"][s] = mean(n)

peer = {}
for s in DEV:
    peer[s] = dict(zip(NAMES, PEERS[s]))
for s in SYN:
    peer[s] = {m: mean(runs[(s, m)]) for m in ("kde", "gmm", "iforest") if runs.get((s, m))}

ALL = DEV + SYN
order = ["old", "apart4", "new"]

def avg(c, sets):
    v = [cand[c][s] for s in sets if cand[c][s] is not None]
    return sum(v) / len(v) if v else float("nan")

print(f"Per set, mean AUROC over the seeds run (development: seeds 0-2; synthetic: seeds listed)")
print(f"{'set':26s} {'old':>7s} {'apart4':>7s} {'new':>7s}   peers")
for s in ALL:
    seeds = sorted((runs.get((s, 'flow-new')) or {0: 0, 1: 0, 2: 0}).keys())
    fmt = lambda x: f"{x:7.4f}" if x is not None else "      -"
    ps = " ".join(f"{k} {v:.3f}" for k, v in peer[s].items())
    print(f"{s:26s} {fmt(cand['old'][s])} {fmt(cand['apart4'][s])} {fmt(cand['new'][s])}   {ps}"
          + (f"  (seeds {','.join(map(str, seeds))})" if s.startswith('syn_') else ""))

print()
print("Leave-sets-out: choose the candidate with the best mean AUROC on half A, report it on half B, and back")
rng = random.Random(rseed)
rows = []
for h in range(halvings):
    sets = ALL[:]
    rng.shuffle(sets)
    half = len(sets) // 2
    for decide, report in ((sets[:half], sets[half:]), (sets[half:], sets[:half])):
        scores = {c: round(avg(c, decide), 6) for c in order}
        tied = [c for c in order if scores[c] == max(scores.values())]
        chosen = "/".join(tied)
        dev_r = [s for s in report if s in PEERS]
        syn_r = [s for s in report if s.startswith("syn_")]
        pm = {m: statistics.mean(peer[s][m] for s in dev_r) for m in NAMES}
        for m in ("kde", "gmm", "iforest"):
            pm[m + "_all"] = statistics.mean(peer[s][m] for s in report if m in peer[s])
        rows.append((h, chosen, statistics.mean(avg(c, report) for c in tied),
                     statistics.mean(avg(c, dev_r) for c in tied), len(dev_r), len(syn_r), pm))
print(f"{'halving':>7s} {'chosen':>14s} {'held-out AUROC':>15s} | dev only: {'flow':>6s} {'maf':>6s} {'rnvp':>6s} {'gmm':>6s} {'kde':>6s} {'ifor':>6s} {'rcf':>6s} | all held-out: kde gmm iforest")
for h, c, a_all, a_dev, nd, ns, pm in rows:
    print(f"{h:7d} {c:>14s} {a_all:15.4f} | {nd:2d}+{ns}syn {a_dev:6.4f} {pm['maf']:6.3f} {pm['realnvp']:6.3f} {pm['gmm']:6.3f} {pm['kde']:6.3f} {pm['iforest']:6.3f} {pm['rcf']:6.3f} | {pm['kde_all']:.3f} {pm['gmm_all']:.3f} {pm['iforest_all']:.3f}")
print()
chosen_count = collections.Counter(r[1] for r in rows)
print("chosen:", dict(chosen_count))
print(f"mean held-out AUROC of the chosen candidate: {statistics.mean(r[2] for r in rows):.4f} (all sets), "
      f"{statistics.mean(r[3] for r in rows):.4f} (development sets only); peers on the same held-out development sets: "
      + ", ".join(f"{m} {statistics.mean(r[6][m] for r in rows):.4f}" for m in NAMES)
      + f"; on all held-out sets: kde {statistics.mean(r[6]['kde_all'] for r in rows):.4f}, gmm {statistics.mean(r[6]['gmm_all'] for r in rows):.4f}, iforest {statistics.mean(r[6]['iforest_all'] for r in rows):.4f}")
print()
print("Mean AUROC over all sets: " + ", ".join(f"{c} {avg(c, ALL):.4f}" for c in order)
      + f" (development: " + ", ".join(f"{c} {avg(c, DEV):.4f}" for c in order) + "; synthetic: "
      + ", ".join(f"{c} {avg(c, SYN):.4f}" for c in order) + ")")
print("Targets: sets where a candidate is below 0.5 AUROC while kde and gmm are above 0.7:")
for c in order:
    bad = [s for s in ALL if cand[c][s] is not None and cand[c][s] < 0.5 and peer[s].get("kde", 0) > 0.7 and peer[s].get("gmm", 0) > 0.7]
    print(f"  {c}: {bad if bad else 'none'}")
worst = max(((max(v.values()), k) for k, v in nll.items() if k[1].startswith("flow")), default=None)
print("Largest mean test NLL per dimension of a flow run in the GeneralizationRun outputs (nats):",
      f"{worst[0]:.2f} ({worst[1][0]}, {worst[1][1]})" if worst else "-",
      "; development sets under quality.sh: see results-bounded-seeds012.txt (test NLL per row)")
