"""The bench picture: per-turn stacked stage bars for both modes and the V2V distributions."""

from __future__ import annotations

from pathlib import Path

from assistant.metrics import STAGE_NAMES

COLOURS = ("#8da0cb", "#66c2a5", "#fc8d62", "#e78ac3", "#a6d854", "#ffd92f")


def plot_report(report: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(report["modes"])
    fig, axes = plt.subplots(len(modes) + 1, 1, figsize=(11, 3.2 * (len(modes) + 1)))
    for ax, mode in zip(axes, modes):
        turns = [t for t in report["turns"] if t["mode"] == mode and t["v2v_ms"] is not None]
        bottom = [0.0] * len(turns)
        for name, colour in zip(STAGE_NAMES, COLOURS):
            heights = [(t["stages_ms"].get(name) or 0.0) for t in turns]
            ax.bar(range(len(turns)), heights, bottom=bottom, color=colour, label=name)
            bottom = [b + h for b, h in zip(bottom, heights)]
        ax.set_title(f"{mode}: per-turn stages (V2V p50 {report['modes'][mode]['v2v_ms']['p50']}"
                     f" ms)")
        ax.set_ylabel("ms")
        ax.set_xlabel("turn")
        ax.legend(fontsize=7, ncol=3, loc="upper left")
    ax = axes[-1]
    data = [[t["v2v_ms"] for t in report["turns"] if t["mode"] == m and t["v2v_ms"] is not None]
            for m in modes]
    ax.boxplot(data, vert=False)
    ax.set_yticks(range(1, len(modes) + 1), modes)
    ax.set_xlabel("voice-to-voice latency, ms")
    ax.set_title("V2V distribution")
    for i, values in enumerate(data, 1):
        ax.scatter(values, [i] * len(values), s=10, alpha=0.6, color="black")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
