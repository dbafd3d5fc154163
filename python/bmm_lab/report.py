"""What a run reports: the per-epoch JSON line and the summary line of ``bmm-lab train --json``, best and final
test accuracies.

Mirrors ``epochJson`` and the summary in ``src/cli/main.ts`` (numbers rounded with ``Number(x.toPrecision(d))``,
6 digits, 4 for speed and time; non-finite numbers as null) and ``runResults`` in ``src/core/results.ts`` (best,
per head: with a validation split, the test accuracy at the epoch whose validation accuracy of that head is highest,
the earliest such; without one, the maximum over epochs of the head's test accuracy; final: the last epoch's). An
epoch's metrics are a dict with the keys of ``EpochMetrics`` (``events.ts``) but for the confusion matrices: epoch,
loss, trainAcc, testAcc, audio {trainAcc, testAcc}, visual {trainAcc, testAcc}, rho, mix, coefficients (OGM-GE,
PMR, MMPareto, AGM, G-Blending), lr, samplesPerSec, seconds, and val {fused, audio, visual} (the accuracies on the
validation clips, with valSplit > 0 only).
"""

from .jsformat import js_json, js_precision


def _r(x, digits=6):
    return js_precision(x, digits)


def epoch_json(m):
    """The object ``bmm-lab train --json`` prints for an epoch."""
    return {
        "epoch": m["epoch"],
        "loss": _r(m["loss"]),
        "trainAcc": _r(m["trainAcc"]),
        "testAcc": _r(m["testAcc"]),
        "audio": {"trainAcc": _r(m["audio"]["trainAcc"]), "testAcc": _r(m["audio"]["testAcc"])},
        "visual": {"trainAcc": _r(m["visual"]["trainAcc"]), "testAcc": _r(m["visual"]["testAcc"])},
        "rho": _r(m["rho"]),
        "mix": None if m["mix"] is None else _r(m["mix"]),
        "samplesPerSec": _r(m["samplesPerSec"], 4),
        "seconds": _r(m["seconds"], 4),
        # EpochMetrics' val (valSplit > 0): what the lab's best-by-validation reads.
        **({"val": {h: _r(m["val"][h]) for h in ("fused", "audio", "visual")}} if m.get("val") is not None else {}),
    }


def _test_acc(m, head):
    return m["testAcc"] if head == "fused" else m[head]["testAcc"]


def run_results(metrics):
    """{"best": {fused, audio, visual}, "final": {...}, "rule": "validation" | "test"} test accuracies over the
    epochs (``runResults``); None before the first."""
    if not metrics:
        return None
    heads = ("fused", "audio", "visual")
    final = {h: _test_acc(metrics[-1], h) for h in heads}
    if all(m.get("val") is not None for m in metrics):
        best = {}
        for h in heads:
            at = 0
            for i, m in enumerate(metrics):
                if m["val"][h] > metrics[at]["val"][h]:
                    at = i
            best[h] = _test_acc(metrics[at], h)
        return {"best": best, "final": final, "rule": "validation"}
    return {"best": {h: max(_test_acc(m, h) for m in metrics) for h in heads}, "final": final, "rule": "test"}


def summary_json(config, backend, dataset, metrics, error=None, class_names=None, modalities=None):
    """The last line of ``bmm-lab train --json``: ``{"summary": {config, backend, dataset, modalities, classNames,
    epochs, bestTestAcc, bestRule, finalTestAcc, best, final, error}}`` (``modalities``: the two branch kinds, as
    the lab's summary has them; left out when not given). ``bestRule`` is how best was chosen: "validation" (at
    the best validation epoch, valSplit > 0) or "test" (the best test epoch), null before the first epoch."""
    zero = {"fused": 0, "audio": 0, "visual": 0}
    results = run_results(metrics) or {"best": zero, "final": zero, "rule": None}
    best, final = results["best"], results["final"]
    return {
        "summary": {
            "config": config,
            "backend": backend,
            "dataset": dataset,
            **({"modalities": list(modalities)} if modalities is not None else {}),
            "classNames": list(class_names or []),
            "epochs": len(metrics),
            "bestTestAcc": _r(best["fused"]),
            "bestRule": results["rule"],
            "finalTestAcc": _r(final["fused"]),
            "best": {k: _r(best[k]) for k in ("fused", "audio", "visual")},
            "final": {k: _r(final[k]) for k in ("fused", "audio", "visual")},
            "error": error,
        }
    }


def json_line(obj):
    """One line of JSON as ``JSON.stringify`` writes it (no spaces, JavaScript's numbers)."""
    return js_json(obj)
